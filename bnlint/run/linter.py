"""Lint and fix one source file: parse -> analysis -> rules."""

from __future__ import annotations

import bisect
import gc
from dataclasses import dataclass, field

from bnlint.analysis.module import ModuleFacts
from bnlint.analysis.session import Session
from bnlint.diagnostics import Diagnostic
from bnlint.rules import RULES
from bnlint.rules.base import RuleContext
from bnlint.run import prefilter
from bnlint.run.noqa import filter_suppressed
from bnlint.run.settings import Settings
from bnlint.source import SourceFile

SYNTAX_ERROR = "BN900"
INTERNAL_ERROR = "BN901"
DEFAULT = Settings()


@dataclass
class Result:
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: Diagnostic | None = None  # a file bnlint could not check
    internal: bool = False  # the error is a bug in bnlint, not in the file


def _syntax_error(path: str, exc: Exception) -> Diagnostic:
    if isinstance(exc, SyntaxError) and exc.lineno is not None:
        line, col = exc.lineno, (exc.offset or 1) - 1
        msg = f"SyntaxError: {exc.msg}"
    elif isinstance(exc, UnicodeDecodeError):
        line, col = 1, 0
        msg = f"SyntaxError: file is not valid {exc.encoding}: {exc.reason}"
    elif isinstance(exc, SyntaxError) and exc.lineno is None:
        line, col = 1, 0
        msg = f"SyntaxError: cannot decode file: {exc.msg}"
    elif isinstance(exc, RecursionError):
        line, col = 1, 0
        msg = "SyntaxError: too deeply nested to parse"
    elif isinstance(exc, LookupError):
        line, col = 1, 0
        msg = f"SyntaxError: cannot decode file: {exc}"
    else:
        line, col = 1, 0
        msg = f"SyntaxError: {exc}"
    return Diagnostic(SYNTAX_ERROR, msg, path, ((line, max(col, 0)), (line, max(col, 0))))


def enabled_rules(settings: Settings) -> list:
    enabled = settings.enabled_codes(RULES)
    return [r for r in RULES if r.code in enabled]


def decode_check(path: str, data: bytes) -> Result:
    """What a file that is never parsed is still checked for: that it is
    text Python can read (no NUL bytes, valid in its declared encoding)."""
    result = Result(path)
    if data.isascii() and b"\0" not in data and b"coding" not in data[:400]:
        return result  # plain ASCII: nothing to decode
    if b"\0" in data:
        result.error = _syntax_error(path, SyntaxError("source code cannot contain null bytes"))
        return result
    try:
        SourceFile(path, data)
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        result.error = _syntax_error(path, exc)
    return result


def lint_source(
    path: str,
    data: bytes,
    settings: Settings = DEFAULT,
    use_prefilter: bool = True,
    skip_unrelated: bool = True,
) -> Result:
    """Lint one file.  ``use_prefilter`` and ``skip_unrelated`` are the
    speed-ups (no parse for files no rule can fire on; no analysis of
    functions that cannot reach a site): findings are the same without."""
    rules = enabled_rules(settings)
    if use_prefilter and not prefilter.may_have_findings(data, rules):
        return decode_check(path, data)
    # A parse allocates many objects and frees few: the cyclic GC would run
    # hundreds of times per file for nothing, so it waits until the end.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _lint(path, data, settings, rules, skip_unrelated)
    finally:
        if enabled:
            gc.enable()


def _lint(path: str, data: bytes, settings: Settings, rules, skip_unrelated: bool) -> Result:
    result = Result(path)
    try:
        source = SourceFile(path, data)
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        result.error = _syntax_error(path, exc)
        return result
    try:
        tree = source.parse()
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        result.error = _syntax_error(path, exc)
        return result
    if not rules:
        return result
    try:
        facts = ModuleFacts(path, tree, source.text, source)
        session = Session(skip_unrelated=skip_unrelated)
        session.analyse(facts)
        sites = session.sites.in_module(facts)
    except RecursionError:
        result.error = Diagnostic(
            SYNTAX_ERROR, "file is too deeply nested for bnlint to analyse; skipped", path, ((1, 0), (1, 0))
        )
        return result
    except Exception as exc:  # a bug in the analysis must not stop the run
        result.error = Diagnostic(
            INTERNAL_ERROR,
            f"internal error in the analysis ({type(exc).__name__}: {exc}); please report it",
            path,
            ((1, 0), (1, 0)),
        )
        result.internal = True
        return result
    ctx = RuleContext(source, tree, facts.imports, sites, facts.index)
    found: list[Diagnostic] = []
    for rule in rules:
        try:
            found.extend(rule.check(ctx))
        except Exception as exc:  # one rule's bug must not stop the run
            result.error = Diagnostic(
                INTERNAL_ERROR,
                f"internal error in {rule.code} ({type(exc).__name__}: {exc}); please report it",
                path,
                ((1, 0), (1, 0)),
            )
            result.internal = True
    found = filter_suppressed(source, found, settings)
    result.diagnostics = sorted(set(found), key=lambda d: d.sort_key)
    return result


class _Taken:
    """Spans already claimed by this round's fixes, kept sorted so each
    new span is checked against its neighbours only."""

    def __init__(self) -> None:
        self.spans: list = []

    def overlaps(self, span) -> bool:
        i = bisect.bisect_left(self.spans, span)
        for j in (i - 1, i):
            if 0 <= j < len(self.spans):
                a = self.spans[j]
                if not (a[1] <= span[0] or span[1] <= a[0]):
                    return True
        # a long span claimed earlier may cover this one from further left
        return any(a[0] <= span[0] and span[1] <= a[1] for a in self.spans[max(0, i - 8) : i])

    def add(self, span) -> None:
        bisect.insort(self.spans, span)


def _spans(fix):
    return [e.span for e in fix.edits if hasattr(e, "span")]


def fix_source(path: str, data: bytes, settings: Settings = DEFAULT, max_rounds: int = 10):
    """Apply fixes until nothing changes.  Returns (data, fixed, result)
    where ``result`` is the lint of the final data."""
    from bnlint.fix.apply import apply_edits  # libcst only when fixing

    fixed = 0
    for _ in range(max_rounds):
        result = lint_source(path, data, settings)
        chosen, taken = [], _Taken()
        for d in result.diagnostics:
            if d.fix is None or (d.fix.applicability == "unsafe" and not settings.unsafe_fixes):
                continue
            spans = _spans(d.fix)
            if any(taken.overlaps(s) for s in spans):
                continue  # next round, against the updated file
            chosen.append(d)
            for s in spans:
                taken.add(s)
        if not chosen:
            return data, fixed, result
        new = apply_edits(data, [e for d in chosen for e in d.fix.edits])
        if new == data:
            return data, fixed, result
        data = new
        fixed += len(chosen)
    return data, fixed, lint_source(path, data, settings)
