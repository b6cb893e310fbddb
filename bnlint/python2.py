"""Python 2 source read as Python 3, for the analysis only.

Old TensorFlow projects (2016-2018) are often Python 2: print and exec
statements, ``except E, e``, ``raise E, msg``, backticks, ``0777``,
``10L``, ``ur''``, ``<>``.  Their batch norms are as right or wrong as
anyone's, so a file Python 3 cannot parse is read again through a
token-level rewrite into Python 3 syntax.  The rewrite keeps every line
where it was, and every column outside the tokens it touches (``print x``
becomes ``print(x)`` by turning the space into the parenthesis), so the
positions of what the rules find stay right.  Nothing is written back: the
values of the rewritten tokens do not matter to the analysis, and findings
in such a file carry no fix (libcst reads Python 3 only).
"""

from __future__ import annotations

import io
import re
import tokenize

_STATEMENT_WORDS = {"print", "exec"}  # statements in Python 2, calls in 3
_BLOCK_WORDS = {"if", "elif", "else", "for", "while", "try", "except", "finally", "with", "def", "class"}
_NOT_AN_ARGUMENT = {"=", ".", ",", ")", "]", "}", ":", ";", "+=", "-=", "*=", "/=", "|=", "&="}
_OLD_OCTAL = re.compile(r"0[0-7]+[lL]?$")
_LONG = re.compile(r"(0[xX][0-9a-fA-F]+|\d+)[lL]$")
_SKIP = (tokenize.COMMENT, tokenize.NL)


class Rewritten:
    """The Python 3 text, and where its columns were in the original."""

    def __init__(self, text: str, maps: list[_ColumnMap]):
        self.text = text
        self._maps = maps  # in the order the rewrites were made

    def original_col(self, line: int, col: int) -> int:
        for m in reversed(self._maps):
            col = m.old(line, col)
        return col


def as_python3(text: str) -> Rewritten | None:
    """``text`` with its Python 2 syntax rewritten, or None when there is
    none to rewrite (or the text does not even tokenize)."""
    maps = []
    indented = _expand_tabs(text)
    if indented is not None:  # Python 2 counts a tab as up to 8 spaces; 3 refuses a mix
        text, tabs = indented
        maps.append(tabs)
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type not in _SKIP]
    except (tokenize.TokenError, SyntaxError):
        return None
    edits = _Edits()
    _statements(tokens, edits)
    _tokens(tokens, edits)
    if not edits and not maps:
        return None
    text, moved = edits.apply(text)
    return Rewritten(text, maps + [moved])


class _ColumnMap:
    """Per line, the rewritten spans: (new start, new end, old start, shift
    of the columns after them), left to right."""

    def __init__(self) -> None:
        self.lines: dict[int, list[tuple[int, int, int, int]]] = {}

    def old(self, line: int, col: int) -> int:
        shift = 0
        for new_start, new_end, old_start, after in self.lines.get(line, ()):
            if col < new_start:
                break
            if col < new_end:
                return old_start
            shift = after
        return col - shift


def _expand_tabs(text: str) -> tuple[str, _ColumnMap] | None:
    lines = text.splitlines(keepends=True)
    moved = _ColumnMap()
    for i, line in enumerate(lines):
        body = line.lstrip(" \t")
        indent = line[: len(line) - len(body)]
        if "\t" in indent and body.strip():
            wide = indent.expandtabs(8)
            lines[i] = wide + body
            moved.lines[i + 1] = [(0, len(wide), 0, len(wide) - len(indent))]
    return ("".join(lines), moved) if moved.lines else None


class _Edits:
    """Replacements (line, start col, end col, text) in the text's own
    columns, applied line by line, with the map back to those columns."""

    def __init__(self) -> None:
        self.items: list[tuple[int, int, int, str]] = []

    def __bool__(self) -> bool:
        return bool(self.items)

    def replace(self, start: tuple[int, int], end: tuple[int, int], text: str) -> None:
        self.items.append((start[0], start[1], end[1], text))

    def insert(self, at: tuple[int, int], text: str) -> None:
        self.items.append((at[0], at[1], at[1], text))

    def apply(self, text: str) -> tuple[str, _ColumnMap]:
        lines = text.splitlines(keepends=True)
        moved = _ColumnMap()
        by_line: dict[int, list] = {}
        for line, start, end, new in self.items:
            by_line.setdefault(line, []).append((start, end, new))
        for line, items in by_line.items():
            items.sort(key=lambda e: (e[0], e[1]))  # an insertion before a replacement at its column
            old, out, pos, shift, spans = lines[line - 1], [], 0, 0, []
            for start, end, new in items:
                out.append(old[pos:start] + new)
                spans.append(
                    (start + shift, start + shift + len(new), start, shift + len(new) - (end - start))
                )
                shift += len(new) - (end - start)
                pos = end
            lines[line - 1] = "".join(out) + old[pos:]
            moved.lines[line] = spans
        return "".join(lines), moved


def _statements(tokens: list, edits: _Edits) -> None:
    """print / exec statements, ``except E, e`` and ``raise E, msg``."""
    depth = 0
    at_start = True
    line_word = None  # the first word of the logical line
    for i, tok in enumerate(tokens):
        if tok.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            at_start, line_word = True, None
            continue
        if at_start and tok.type == tokenize.NAME:
            if line_word is None:
                line_word = tok.string
            if tok.string in _STATEMENT_WORDS:
                _call_statement(tokens, i, edits)
            elif tok.string == "except":
                _except_comma(tokens, i, edits)
            elif tok.string == "raise":
                _raise_comma(tokens, i, edits)
        at_start = False
        if tok.type == tokenize.OP:
            if tok.string in "([{":
                depth += 1
            elif tok.string in ")]}":
                depth = max(depth - 1, 0)
            elif depth == 0 and tok.string == ";":
                at_start = True
            elif depth == 0 and tok.string == ":" and line_word in _BLOCK_WORDS:
                at_start = True  # ``if x: print y``


def _statement_end(tokens: list, i: int) -> int:
    """Index of the last token of the simple statement starting at ``i``."""
    depth = 0
    j = i
    while j + 1 < len(tokens):
        nxt = tokens[j + 1]
        if nxt.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            break
        if nxt.type == tokenize.OP:
            if nxt.string in "([{":
                depth += 1
            elif nxt.string in ")]}":
                depth -= 1
            elif nxt.string == ";" and depth == 0:
                break
        j += 1
    return j


def _call_statement(tokens: list, i: int, edits: _Edits) -> None:
    word, nxt = tokens[i], tokens[i + 1]
    if nxt.type in (tokenize.NEWLINE, tokenize.ENDMARKER) or nxt.string == ";":
        edits.insert(word.end, "()")  # a bare ``print``
        return
    if nxt.string == "(" or (nxt.type == tokenize.OP and nxt.string in _NOT_AN_ARGUMENT):
        return  # already a call, or not a statement
    last = tokens[_statement_end(tokens, i)]
    if nxt.start[0] == word.end[0] and nxt.start[1] > word.end[1]:
        edits.replace(word.end, (word.end[0], word.end[1] + 1), "(")
    else:
        edits.insert(word.end, "(")
    if word.string == "print" and nxt.string == ">>":
        edits.replace(nxt.start, nxt.end, "  ")  # ``print >>f, x``: f becomes an argument
    edits.insert(last.end, ")")


def _top_level_commas(tokens: list, i: int, stop: str | None) -> list:
    """The commas at bracket depth 0 in the statement from ``i`` (up to a
    ``stop`` operator at depth 0, when given)."""
    commas = []
    depth = 0
    for tok in tokens[i + 1 : _statement_end(tokens, i) + 1]:
        if tok.type != tokenize.OP:
            continue
        if tok.string in "([{":
            depth += 1
        elif tok.string in ")]}":
            depth -= 1
        elif depth == 0 and tok.string == stop:
            break
        elif depth == 0 and tok.string == ",":
            commas.append(tok)
    return commas


def _except_comma(tokens: list, i: int, edits: _Edits) -> None:
    commas = _top_level_commas(tokens, i, ":")
    if len(commas) == 1:
        edits.replace(commas[0].start, commas[0].end, " as")


def _raise_comma(tokens: list, i: int, edits: _Edits) -> None:
    commas = _top_level_commas(tokens, i, None)
    if commas:  # ``raise E, msg[, tb]`` -> ``raise E( msg, tb)``
        edits.replace(commas[0].start, commas[0].end, "(")
        edits.insert(tokens[_statement_end(tokens, i)].end, ")")


def _tokens(tokens: list, edits: _Edits) -> None:
    """Backticks, old octal and long literals, ``ur''`` and ``<>``.  Python
    3.11's tokenizer splits some of these in two (``0`` ``777``, ``<`` ``>``),
    3.12's does not: both are read."""
    backtick_open = True
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        touching = nxt is not None and nxt.start == tok.end
        if tok.string == "`":
            edits.replace(tok.start, tok.end, "(" if backtick_open else ")")
            backtick_open = not backtick_open
        elif tok.type == tokenize.NUMBER:
            if _OLD_OCTAL.match(tok.string) and tok.string != "0":
                edits.insert((tok.start[0], tok.start[1] + 1), "o")
            elif tok.string == "0" and touching and nxt.type == tokenize.NUMBER and nxt.string.isdigit():
                edits.insert(tok.end, "o")
            if _LONG.match(tok.string):
                edits.replace((tok.end[0], tok.end[1] - 1), tok.end, " ")
            elif touching and nxt.type == tokenize.NAME and nxt.string in ("L", "l"):
                edits.replace(nxt.start, nxt.end, " ")
        elif (
            tok.type == tokenize.NAME
            and tok.string.lower() == "ur"
            and touching
            and nxt.type == tokenize.STRING
        ):
            edits.replace(tok.start, (tok.start[0], tok.start[1] + 1), " ")
        elif tok.string == "<>":
            edits.replace(tok.start, tok.end, "!=")
        elif tok.string == "<" and touching and nxt.string == ">":
            edits.replace(tok.start, nxt.end, "!=")
