"""A source file as bytes and text, with ast positions mapped to the
character columns users (and libcst) count in."""

from __future__ import annotations

import ast
import io
import tokenize

from bnlint import python2


class SourceFile:
    def __init__(self, path: str, data: bytes):
        self.path = path
        self.data = data
        self.encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        self.text = data.decode(self.encoding)
        if self.text.startswith("\ufeff"):
            self.text = self.text[1:]
        self.lines = self.text.splitlines(keepends=True)
        self.python2 = False  # read through bnlint.python2: no fixes
        self._rewritten: python2.Rewritten | None = None

    def parse(self) -> ast.Module:
        try:
            return ast.parse(self.data, filename=self.path)
        except SyntaxError as exc:
            rewritten = python2.as_python3(self.text)
            if rewritten is None:
                raise
            try:
                tree = ast.parse(rewritten.text, filename=self.path)
            except SyntaxError:
                raise exc from None  # not (only) Python 2: the first error is the one to show
        # the tree's positions are in the rewritten text (the same lines);
        # ``span`` maps them back
        self.text, self.lines = rewritten.text, rewritten.text.splitlines(keepends=True)
        self.python2, self._rewritten = True, rewritten
        return tree

    def char_col(self, line: int, byte_col: int) -> int:
        """ast's UTF-8 byte column -> character column (0-based)."""
        if line - 1 >= len(self.lines):
            return byte_col
        text = self.lines[line - 1]
        if text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace"))

    def span(self, node: ast.AST) -> tuple[tuple[int, int], tuple[int, int]]:
        """((line, col), (end_line, end_col)) in the file, lines 1-based,
        columns 0-based."""
        (l1, c1), (l2, c2) = self._span_in_text(node)
        if self._rewritten is not None:
            c1, c2 = self._rewritten.original_col(l1, c1), self._rewritten.original_col(l2, c2)
        return (l1, c1), (l2, c2)

    def _span_in_text(self, node: ast.AST) -> tuple[tuple[int, int], tuple[int, int]]:
        return (
            (node.lineno, self.char_col(node.lineno, node.col_offset)),
            (node.end_lineno, self.char_col(node.end_lineno, node.end_col_offset)),
        )

    def segment(self, node: ast.AST) -> str:
        (l1, c1), (l2, c2) = self._span_in_text(node)
        if l1 == l2:
            return self.lines[l1 - 1][c1:c2]
        parts = [self.lines[l1 - 1][c1:]] + self.lines[l1 : l2 - 1] + [self.lines[l2 - 1][:c2]]
        return "".join(parts)
