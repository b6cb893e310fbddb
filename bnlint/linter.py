"""Lint and fix one source file: parse -> layout graph -> rules."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from bnlint import prefilter
from bnlint.diagnostics import Diagnostic
from bnlint.graph import Graph
from bnlint.index import ModuleIndex
from bnlint.names import Imports
from bnlint.noqa import suppressed
from bnlint.rules import RULES
from bnlint.rules.base import RuleContext
from bnlint.settings import Settings
from bnlint.source import SourceFile

SYNTAX_ERROR = "BN900"
INTERNAL_ERROR = "BN901"


@dataclass
class Result:
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: Diagnostic | None = None  # a file bnlint could not check
    internal: bool = False  # the error is a bug in bnlint, not in the file


def _syntax_error(path: str, exc: Exception) -> Diagnostic:
    if isinstance(exc, SyntaxError):
        line, col = exc.lineno or 1, (exc.offset or 1) - 1
        msg = f"SyntaxError: {exc.msg}"
    elif isinstance(exc, UnicodeDecodeError):
        line, col = 1, 0
        msg = f"SyntaxError: file is not valid {exc.encoding}: {exc.reason}"
    elif isinstance(exc, RecursionError):
        line, col = 1, 0
        msg = "SyntaxError: too deeply nested to parse"
    else:
        line, col = 1, 0
        msg = f"SyntaxError: {exc}"
    return Diagnostic(SYNTAX_ERROR, msg, path, ((line, max(col, 0)), (line, max(col, 0))))


def lint_source(path: str, data: bytes, settings: Settings = Settings(), use_prefilter: bool = True) -> Result:
    result = Result(path)
    enabled = settings.enabled_codes(RULES)
    try:
        source = SourceFile(path, data)
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        result.error = _syntax_error(path, exc if not isinstance(exc, LookupError) else SyntaxError(str(exc)))
        return result
    if use_prefilter and not prefilter.may_have_findings(data):
        return result
    try:
        tree = source.parse()
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        result.error = _syntax_error(path, exc)
        return result
    rules = [r for r in RULES if r.code in enabled]
    if not rules:
        return result
    try:
        index = ModuleIndex(tree, source.text)
        imports = Imports(tree, index.imports)
        sites = Graph(tree, imports, index).run()
    except RecursionError:
        result.error = _syntax_error(path, RecursionError())
        return result
    ctx = RuleContext(source, tree, imports, sites, index)
    found: list[Diagnostic] = []
    for rule in rules:
        try:
            found.extend(rule.check(ctx))
        except Exception as exc:  # one rule's bug must not stop the run
            result.error = Diagnostic(
                INTERNAL_ERROR,
                f"internal error in {rule.code} ({type(exc).__name__}: {exc}); please report it",
                path, ((1, 0), (1, 0)),
            )
            result.internal = True
    found = [d for d in found if not suppressed(source, d, settings)]
    result.diagnostics = sorted(set(found), key=lambda d: d.sort_key)
    return result


def _overlaps(a, b) -> bool:
    return not (a[1] <= b[0] or b[1] <= a[0])


def _spans(fix):
    return [e.span for e in fix.edits if hasattr(e, "span")]


def fix_source(path: str, data: bytes, settings: Settings = Settings(), max_rounds: int = 10):
    """Apply fixes until nothing changes.  Returns (data, fixed, result)
    where ``result`` is the lint of the final data."""
    from bnlint.fixes import apply_edits  # libcst only when fixing

    fixed = 0
    for _ in range(max_rounds):
        result = lint_source(path, data, settings)
        chosen, taken = [], []
        for d in result.diagnostics:
            if d.fix is None or (d.fix.applicability == "unsafe" and not settings.unsafe_fixes):
                continue
            spans = _spans(d.fix)
            if any(_overlaps(s, t) for s in spans for t in taken):
                continue  # next round, against the updated file
            chosen.append(d)
            taken.extend(spans)
        if not chosen:
            return data, fixed, result
        new = apply_edits(data, [e for d in chosen for e in d.fix.edits])
        if new == data:
            return data, fixed, result
        data = new
        fixed += len(chosen)
    return data, fixed, lint_source(path, data, settings)
