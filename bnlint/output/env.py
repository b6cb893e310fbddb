"""What the renderers need besides the diagnostics: each file's data (for
source lines and fix edits) and whether to colour."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Env:
    sources: dict = field(default_factory=dict)  # path -> bytes as checked
    color: bool = False

    def text(self, path: str) -> str | None:
        data = self.sources.get(path)
        if data is None:
            return None
        from bnlint.source import SourceFile

        try:
            return SourceFile(path, data).text
        except (SyntaxError, UnicodeDecodeError, LookupError):
            return None

    def edits(self, d) -> list[dict]:
        """The fix as text edits (ruff's shape), found by applying it."""
        data = self.sources.get(d.path)
        if d.fix is None or data is None or d.cell is not None:
            return []
        from bnlint.fix.apply import FixError, apply_edits
        from bnlint.source import SourceFile

        try:
            old = SourceFile(d.path, data).text
            new = SourceFile(d.path, apply_edits(data, d.fix.edits)).text
        except (FixError, SyntaxError, UnicodeDecodeError, LookupError, RecursionError):
            return []
        p = 0
        limit = min(len(old), len(new))
        while p < limit and old[p] == new[p]:
            p += 1
        s = 0
        while s < limit - p and old[len(old) - 1 - s] == new[len(new) - 1 - s]:
            s += 1
        return [
            {
                "content": new[p : len(new) - s],
                "location": _loc(old, p),
                "end_location": _loc(old, len(old) - s),
            }
        ]


def _loc(text: str, offset: int) -> dict:
    row = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return {"row": row, "column": col}
