"""Jupyter notebooks: all code cells as one module (so an import in cell 1
counts in cell 5), IPython magics and shell escapes masked, findings mapped
back to their cell, and fixes written back into the changed cells only."""

from __future__ import annotations

import json
import re

_MARK = "# bnlint-cell "  # separator line before each code cell
_MASK = "pass  # bnlint-masked"
_MAGIC = re.compile(r"^(\s*)(?:[%!]|\?\??\w|\w[\w.]*\?\??\s*$)")
_ASSIGN_MAGIC = re.compile(r"^(\s*)([\w.]+)\s*=\s*[%!]")


class NotebookError(Exception):
    pass


class Notebook:
    def __init__(self, data: bytes):
        try:
            text = data.decode("utf-8-sig")
            self.nb = json.loads(text)
        except (UnicodeDecodeError, ValueError) as exc:
            raise NotebookError(f"not a valid notebook: {exc}") from exc
        if not isinstance(self.nb, dict) or not isinstance(self.nb.get("cells"), list):
            raise NotebookError("not a valid notebook: no 'cells' list")
        self.original = text
        self.cells: list[tuple[int, str]] = []  # (index in notebook, masked source)
        self.masked: dict[int, list[str]] = {}
        for i, cell in enumerate(self.nb["cells"]):
            if not isinstance(cell, dict) or cell.get("cell_type") != "code":
                continue
            src = cell.get("source", "")
            if isinstance(src, list):
                if not all(isinstance(s, str) for s in src):
                    raise NotebookError(f"not a valid notebook: cell {i + 1} has a non-text source")
                src = "".join(src)
            elif not isinstance(src, str):
                raise NotebookError(f"not a valid notebook: cell {i + 1} has a non-text source")
            self.cells.append((i, self._mask(i, src)))
        # Module line -> (cell number, line within the cell), both 1-based.
        self.line_map: dict[int, tuple[int, int]] = {}
        parts, line = [], 1
        for i, src in self.cells:
            parts.append(f"{_MARK}{i}\n")
            line += 1
            body = src if src.endswith("\n") or not src else src + "\n"
            for k in range(body.count("\n")):
                self.line_map[line + k] = (i + 1, k + 1)
            line += body.count("\n")
            parts.append(body)
        self.source = "".join(parts)

    def _mask(self, index: int, src: str) -> str:
        lines = src.split("\n")
        saved = []
        if lines and lines[0].lstrip().startswith("%%"):
            saved = lines
            out = [_MASK] * len(lines)
        else:
            out = []
            continued = None  # the indent of a magic whose line ends in a backslash
            python = _Continuation()  # where the cell's Python code stands
            for ln in lines:
                m = _ASSIGN_MAGIC.match(ln)
                if continued is None and python.inside:
                    # ``print("%d" \n    % n)``: an operator, not a magic
                    python.feed(ln)
                    out.append(ln)
                    continue
                if continued is not None:
                    # ``!python x.py \`` then ``  --flag=1``: the command goes on
                    saved.append(ln)
                    out.append(continued + _MASK)
                elif m:
                    saved.append(ln)
                    out.append(f"{m.group(1)}{m.group(2)} = None  # bnlint-masked")
                elif _MAGIC.match(ln) and ln.strip():
                    saved.append(ln)
                    out.append(_MAGIC.match(ln).group(1) + _MASK)
                else:
                    python.feed(ln)
                    out.append(ln)
                    continue
                if ln.rstrip().endswith("\\"):
                    continued = (
                        out[-1][: len(out[-1]) - len(out[-1].lstrip())] if continued is None else continued
                    )
                else:
                    continued = None
        self.masked[index] = saved
        return "\n".join(out)

    def locate(self, line: int) -> tuple[int, int]:
        return self.line_map.get(line, (0, line))

    def _unmask(self, index: int, src: str) -> str:
        saved = iter(self.masked.get(index, []))
        out = []
        for ln in src.split("\n"):
            if ln.endswith("# bnlint-masked"):
                out.append(next(saved, ln))
            else:
                out.append(ln)
        return "\n".join(out)

    def with_source(self, fixed: str) -> bytes:
        """The notebook with each code cell's source taken from ``fixed``;
        cells that did not change keep their original source value."""
        chunks = re.split(r"^" + re.escape(_MARK) + r"(\d+)\n", fixed, flags=re.M)
        new_sources = {int(chunks[k]): chunks[k + 1] for k in range(1, len(chunks) - 1, 2)}
        changed = False
        for i, masked in self.cells:
            new = new_sources.get(i)
            if new is None:
                raise NotebookError("a fix removed a cell boundary")
            original_masked = masked if masked.endswith("\n") or not masked else masked + "\n"
            if new == original_masked:
                continue
            if not masked.endswith("\n") and new.endswith("\n"):
                new = new[:-1]
            new = self._unmask(i, new)
            cell = self.nb["cells"][i]
            if isinstance(cell.get("source"), list):
                cell["source"] = new.splitlines(keepends=True)
            else:
                cell["source"] = new
            changed = True
        if not changed:
            return self.original.encode("utf-8")
        return self._dump().encode("utf-8")

    def _dump(self) -> str:
        indent = _detect_indent(self.original)
        original = json.loads(self.original)
        for sort_keys in (True, False):
            for ascii_only in (False, True):
                style = {"indent": indent, "ensure_ascii": ascii_only, "sort_keys": sort_keys}
                if json.dumps(original, **style).rstrip("\n") == self.original.rstrip("\n"):
                    trail = self.original[len(self.original.rstrip("\n")) :]
                    return json.dumps(self.nb, **style) + trail
        raise NotebookError("the notebook's JSON layout cannot be reproduced; not rewriting it")


class _Continuation:
    """Whether the next line of a cell goes on with a Python statement:
    inside brackets, a triple-quoted string, or after a backslash."""

    def __init__(self) -> None:
        self.depth = 0
        self.quote: str | None = None  # the open triple quote
        self.backslash = False

    @property
    def inside(self) -> bool:
        return self.depth > 0 or self.quote is not None or self.backslash

    def feed(self, line: str) -> None:
        i, n = 0, len(line)
        self.backslash = False
        while i < n:
            c = line[i]
            if self.quote is not None:
                if line.startswith(self.quote, i):
                    i += 3
                    self.quote = None
                    continue
                i += 2 if c == "\\" else 1
                continue
            if c == "#":
                return  # a backslash in a comment continues nothing
            if line.startswith(('"""', "'''"), i):
                self.quote = line[i : i + 3]
                i += 3
            elif c in "\"'":
                end = i + 1
                while end < n and line[end] != c:
                    end += 2 if line[end] == "\\" else 1
                i = end + 1
            else:
                if c in "([{":
                    self.depth += 1
                elif c in ")]}":
                    self.depth = max(self.depth - 1, 0)
                i += 1
        self.backslash = self.quote is None and line.rstrip().endswith("\\")


def _detect_indent(text: str):
    m = re.search(r"\n( +)\"", text)
    return len(m.group(1)) if m else None
