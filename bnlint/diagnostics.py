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
class AddImport:
    module: str
    name: str


Edit = Replace | SetArg | SetKey | RemoveStatement | AddImport


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

    @property
    def sort_key(self):
        return (self.path, self.span[0], self.code)
