"""Lint and fix one source file: parse -> analysis -> rules."""

from __future__ import annotations

import bisect
import dataclasses
import gc
from dataclasses import dataclass, field

from bnlint.analysis.module import ModuleFacts
from bnlint.analysis.project import Project, display_path
from bnlint.analysis.project import real as real_path
from bnlint.analysis.session import Session
from bnlint.diagnostics import Diagnostic
from bnlint.rules import RULES
from bnlint.rules.base import RuleContext
from bnlint.run import prefilter
from bnlint.run.noqa import filter_suppressed
from bnlint.run.project_scan import ImportGraph
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


@dataclass
class Entry:
    """A module the analysis starts from.  ``checked``: its findings are
    reported (an unchecked entry is a caller read for its contexts)."""

    path: str
    data: bytes
    settings: Settings = DEFAULT
    checked: bool = True
    analyse: bool = True  # False: only rules that read the syntax can fire on it


def lint_source(
    path: str,
    data: bytes,
    settings: Settings = DEFAULT,
    use_prefilter: bool = True,
    skip_unrelated: bool = True,
    project: Project | None = None,
    callers: tuple = (),
) -> Result:
    """Lint one file, reading the project modules it imports (``project``)
    and the ``callers`` (path, data) that import it.  ``use_prefilter`` and
    ``skip_unrelated`` are the speed-ups (no parse for files no rule can
    fire on; no analysis of functions that cannot reach a site): findings
    are the same without."""
    rules = enabled_rules(settings)
    if (
        use_prefilter
        and not callers  # a caller may hand it a conv output
        and not prefilter.may_have_findings(data, rules)
        and not _imports_project(path, data, project)
    ):
        return decode_check(path, data)
    entries = [Entry(path, data, settings)] + [Entry(p, d, settings, checked=False) for p, d in callers]
    return lint_modules(entries, project, skip_unrelated)[path]


def _imports_project(path: str, data: bytes, project: Project | None) -> bool:
    if project is None or path == "-":
        return False
    graph = ImportGraph(project, lambda real: data if real == real_path(path) else _read_or_none(real))
    return graph.uses_interface(real_path(path))


def _read_or_none(path: str) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def lint_modules(entries: list[Entry], project: Project | None = None, skip_unrelated: bool = True) -> dict:
    """Lint modules together: each is analysed with every other and with
    the project modules they import.  Returns {path: Result} for the
    checked entries."""
    # A parse allocates many objects and frees few: the cyclic GC would run
    # hundreds of times per file for nothing, so it waits until the end.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _lint(entries, project, skip_unrelated)
    finally:
        if enabled:
            gc.enable()


def _internal(path: str, what: str, exc: Exception) -> Diagnostic:
    return Diagnostic(
        INTERNAL_ERROR,
        f"internal error in {what} ({type(exc).__name__}: {exc}); please report it",
        path,
        ((1, 0), (1, 0)),
    )


def _lint(entries: list[Entry], project: Project | None, skip_unrelated: bool) -> dict:
    results: dict[str, Result] = {}
    parsed = []  # (entry, facts)
    if project is not None:
        project.start_group()
    for entry in entries:
        result = Result(entry.path)
        try:
            source = SourceFile(entry.path, entry.data)
            tree = source.parse()
        except (SyntaxError, UnicodeDecodeError, LookupError, ValueError, RecursionError, MemoryError) as exc:
            result.error = _syntax_error(entry.path, exc)
        else:
            # messages name modules the same way whether or not they are entries
            shown = entry.path if entry.path == "-" else display_path(real_path(entry.path))
            facts = ModuleFacts(shown, tree, source.text, source)
            if project is not None and entry.path != "-":
                project.add(entry.path, facts)
            parsed.append((entry, facts))
        if entry.checked:
            results[entry.path] = result
    checked = {_key(e.path): (e, f) for e, f in parsed if e.checked}
    rules = _union_rules(e.settings for e, _ in checked.values())
    if not checked or not rules:
        return results
    session = Session(project, skip_unrelated=skip_unrelated)
    failed: set[str] = set()  # checked modules whose analysis broke: no findings
    for entry, facts in parsed:
        if not entry.analyse:
            continue
        # one module's failure is its own: the others keep their findings
        # (what the broken run left half known reads as unknown)
        try:
            session.analyse(facts)
        except RecursionError:
            if entry.checked:
                failed.add(_key(entry.path))
                results[entry.path].error = Diagnostic(
                    SYNTAX_ERROR,
                    "file is too deeply nested for bnlint to analyse; skipped",
                    entry.path,
                    ((1, 0), (1, 0)),
                )
        except Exception as exc:  # a bug in the analysis must not stop the run
            if entry.checked:
                failed.add(_key(entry.path))
                results[entry.path].error = _internal(entry.path, "the analysis", exc)
                results[entry.path].internal = True
    found: dict[str, list[Diagnostic]] = {e.path: [] for e, _ in checked.values()}
    modules = {_key(i.module.path): i.module for i in session.interps.values()}
    for e, f in checked.values():
        modules.setdefault(_key(e.path), f)  # a module only the syntax rules read
    for facts in modules.values():
        sites = session.sites.in_module(facts)
        # a module read only for the checked ones: its findings can reach
        # them only through sites, or a syntax rule's feeders (BN007's train
        # op built by solver.py for train.py's loss)
        bare = not any(True for _ in sites) and _key(facts.path) not in checked
        ctx = RuleContext(facts.source, facts.tree, facts.imports, sites, facts.index, facts, session)
        data = facts.source.data if facts.source is not None else None
        for rule in rules:
            if bare and (rule.needs_analysis or not rule.reaches_callers):
                continue
            # a syntax rule reads only this module's code: its prefilter holds here
            if not rule.needs_analysis and data is not None and not rule.may_fire(data):
                continue
            try:
                diagnostics = rule.check(ctx)
            except Exception as exc:  # one rule's bug must not stop the run
                owner = checked.get(_key(facts.path))
                if owner is not None:
                    results[owner[0].path].error = _internal(owner[0].path, rule.code, exc)
                    results[owner[0].path].internal = True
                continue
            for d in diagnostics:
                for placed in _place(d, checked):
                    found[placed.path].append(placed)
    for entry, facts in checked.values():
        if _key(entry.path) in failed:
            continue
        codes = entry.settings.enabled_codes(RULES)
        kept = [d for d in found[entry.path] if d.code in codes]
        kept = filter_suppressed(facts.source, kept, entry.settings)
        results[entry.path].diagnostics = _one_per_place(kept)
    return results


def _one_per_place(found: list[Diagnostic]) -> list[Diagnostic]:
    """One finding per rule and place, in a stable order.  A helper reached
    from several callers reports the same wrong code once per chain
    ("called from a.py:3 ...", "called from b.py:9 ..."): one of them says
    it, the same one on every run (set order follows string hashes)."""
    best: dict = {}
    for d in found:
        key = (d.path, d.span, d.code)
        rank = ("called from" not in d.message, d.message)  # a caller named first, then by text
        if key not in best or rank < best[key][0]:
            best[key] = (rank, d)
    return sorted((d for _, d in best.values()), key=lambda d: (d.sort_key, d.message))


def _key(path: str) -> str:
    return path if path == "-" else real_path(path)


def _union_rules(settings_list) -> list:
    codes: set[str] = set()
    for settings in settings_list:
        codes |= settings.enabled_codes(RULES)
    return [r for r in RULES if r.code in codes]


def _place(d: Diagnostic, checked: dict) -> list[Diagnostic]:
    """Where a finding is reported: where it is, when that file is checked;
    otherwise at each call in a checked file that feeds it (nearest first
    along each chain), naming the file to fix."""
    owner = checked.get(_key(d.path))
    if owner is not None:
        message = f"{d.message} (called from {d.caller})" if d.caller else d.message
        source = owner[1].source
        # a Python 2 file was read through a rewrite; libcst cannot edit it
        fix = None if source is not None and source.python2 else d.fix
        return [dataclasses.replace(d, path=owner[0].path, message=message, fix=fix)]
    out = []
    line = d.span[0][0]
    for chain in d.feeders:
        for link in chain:
            target = checked.get(_key(link.path))
            if target is not None:
                message = f"{d.message} (in {d.path}:{line}; fix it there)"
                out.append(
                    Diagnostic(
                        d.code, message, target[0].path, link.span, None, related=d.related, fix_in=d.path
                    )
                )
                break
    return out


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


def fix_source(
    path: str,
    data: bytes,
    settings: Settings = DEFAULT,
    max_rounds: int = 10,
    project: Project | None = None,
    callers: tuple = (),
):
    """Apply fixes until nothing changes.  Returns (data, fixed, result)
    where ``result`` is the lint of the final data.  Only this file is
    edited; ``project`` and ``callers`` are read for their contexts."""
    from bnlint.fix.apply import apply_edits  # libcst only when fixing

    fixed = 0
    original, seen, first = data, {data}, None
    for _ in range(max_rounds):
        result = lint_source(path, data, settings, project=project, callers=callers)
        first = first or result
        chosen, taken = [], _Taken()
        for d in result.diagnostics:
            if not d.fix_applies(settings.unsafe_fixes):
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
        if new in seen:
            # fixes that undo each other (a rule's bug): the file is left as it was
            return original, 0, first
        seen.add(new)
        data = new
        fixed += len(chosen)
    return data, fixed, lint_source(path, data, settings, project=project, callers=callers)
