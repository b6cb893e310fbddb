"""A source file as bytes and text, with ast positions mapped to the
character columns users (and libcst) count in."""

from __future__ import annotations

import ast
import io
import tokenize


class SourceFile:
    def __init__(self, path: str, data: bytes):
        self.path = path
        self.data = data
        self.encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        self.text = data.decode(self.encoding)
        if self.text.startswith("\ufeff"):
            self.text = self.text[1:]
        self.lines = self.text.splitlines(keepends=True)

    def parse(self) -> ast.Module:
        return ast.parse(self.data, filename=self.path)

    def char_col(self, line: int, byte_col: int) -> int:
        """ast's UTF-8 byte column -> character column (0-based)."""
        if line - 1 >= len(self.lines):
            return byte_col
        text = self.lines[line - 1]
        if text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace"))

    def span(self, node: ast.AST) -> tuple[tuple[int, int], tuple[int, int]]:
        """((line, col), (end_line, end_col)), lines 1-based, columns 0-based."""
        return (
            (node.lineno, self.char_col(node.lineno, node.col_offset)),
            (node.end_lineno, self.char_col(node.end_lineno, node.end_col_offset)),
        )

    def segment(self, node: ast.AST) -> str:
        (l1, c1), (l2, c2) = self.span(node)
        if l1 == l2:
            return self.lines[l1 - 1][c1:c2]
        parts = [self.lines[l1 - 1][c1:]] + self.lines[l1 : l2 - 1] + [self.lines[l2 - 1][:c2]]
        return "".join(parts)
