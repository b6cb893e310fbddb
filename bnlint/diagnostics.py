"""Findings and the fixes attached to them."""

from __future__ import annotations

from dataclasses import dataclass, field

Pos = tuple[int, int]  # (line 1-based, column 0-based, in characters)
Span = tuple[Pos, Pos]


@dataclass(frozen=True)
class Replace:
    """Replace the expression at ``span`` with ``code``."""

    span: Span
    code: str


@dataclass(frozen=True)
class SetArg:
    """Give the call at ``span`` the argument ``name=code``: replace the
    keyword, or the positional argument at ``index``, or append it."""

    span: Span
    name: str
    code: str
    index: int | None = None


@dataclass(frozen=True)
class SetKey:
    """Give the dict literal (or ``dict(...)`` call) at ``span`` the entry
    ``'key': code``."""

    span: Span
    key: str
    code: str


@dataclass(frozen=True)
class RemoveStatement:
    """Remove the simple statement at ``span`` (its comments move on)."""

    span: Span


@dataclass(frozen=True)
class WrapWith:
    """Put the simple statement at ``span`` inside ``with <header>:``."""

    span: Span
    header: str


@dataclass(frozen=True)
class AddImport:
    module: str
    name: str


@dataclass(frozen=True)
class Related:
    """A location on the path that makes a finding: the conv that produced
    the tensor, a call that carried it into a helper."""

    path: str
    span: Span
    message: str


@dataclass(frozen=True)
class Fix:
    message: str
    edits: tuple
    applicability: str = "safe"  # "safe" | "unsafe" (as ruff defines them)


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    path: str
    span: Span
    fix: Fix | None = None
    cell: int | None = field(default=None, compare=False)
    related: tuple[Related, ...] = field(default=(), compare=False)
    # calls in other modules that feed the wrong tensor here: where the
    # finding is reported when this module is not among the checked files
    feeders: tuple[Related, ...] = field(default=(), compare=False, repr=False)
    # "called from model.py:12 with a NHWC conv output": said where the
    # finding is reported in its own file
    caller: str | None = field(default=None, compare=False, repr=False)
    # reported at a call because the fix lies in this other file (a helper's)
    fix_in: str | None = field(default=None, compare=False, repr=False)

    @property
    def sort_key(self):
        return (self.path, self.span[0], self.code)

    def fix_applies(self, unsafe_fixes: bool) -> bool:
        """Whether a run with (or without) ``--unsafe-fixes`` applies its fix."""
        return self.fix is not None and (self.fix.applicability == "safe" or unsafe_fixes)


_EDIT_TYPES = {t.__name__: t for t in (Replace, SetArg, SetKey, RemoveStatement, WrapWith, AddImport)}


def _pos(p):
    return (int(p[0]), int(p[1]))


def to_dict(d: Diagnostic) -> dict:
    fix = None
    if d.fix is not None:
        fix = {
            "message": d.fix.message,
            "applicability": d.fix.applicability,
            "edits": [{"type": type(e).__name__, **e.__dict__} for e in d.fix.edits],
        }
    return {
        "code": d.code,
        "message": d.message,
        "path": d.path,
        "span": d.span,
        "fix": fix,
        "cell": d.cell,
        "related": [{"path": r.path, "span": r.span, "message": r.message} for r in d.related],
    }


def from_dict(data: dict) -> Diagnostic:
    fix = None
    if data.get("fix"):
        edits = []
        for e in data["fix"]["edits"]:
            e = dict(e)
            cls = _EDIT_TYPES[e.pop("type")]
            if "span" in e:
                e["span"] = (_pos(e["span"][0]), _pos(e["span"][1]))
            edits.append(cls(**e))
        fix = Fix(data["fix"]["message"], tuple(edits), data["fix"]["applicability"])
    span = data["span"]
    related = tuple(
        Related(r["path"], (_pos(r["span"][0]), _pos(r["span"][1])), r["message"])
        for r in data.get("related", ())
    )
    return Diagnostic(
        data["code"],
        data["message"],
        data["path"],
        (_pos(span[0]), _pos(span[1])),
        fix,
        data.get("cell"),
        related,
    )
