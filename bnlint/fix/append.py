"""Appending an argument to a call, or an entry to a dict, the way the
file already writes them: on one line, or one per line with the closing
bracket on its own line, keeping every comment where it was."""

from __future__ import annotations

import libcst as cst

PW = cst.ParenthesizedWhitespace


def _multiline_tail(comma, tail):
    """For a last item followed by a line break: (comment line, blank
    lines, indentation of the closing bracket, whether the break is in the
    bracket's whitespace rather than the comma's)."""
    if isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, PW):
        ws = comma.whitespace_after
        return ws.first_line, ws.empty_lines, ws.last_line, False
    if isinstance(tail, PW):
        return tail.first_line, tail.empty_lines, tail.last_line, True
    return None


def _item_indent(items, opening, close_indent):
    for item in reversed(items[:-1]):
        ws = getattr(item.comma, "whitespace_after", None)
        if isinstance(ws, PW):
            return ws.last_line
    if isinstance(opening, PW):
        return opening.last_line
    return cst.SimpleWhitespace(close_indent.value + "    ")


def _append(items, new, tail, opening):
    """(items with ``new`` appended, the new whitespace before the closing
    bracket).  ``tail`` is that whitespace now; ``opening`` the one after
    the opening bracket."""
    if not items:
        return [new], tail
    items = list(items)
    last = items[-1]
    before = last.comma.whitespace_before if isinstance(last.comma, cst.Comma) else cst.SimpleWhitespace("")
    split = _multiline_tail(last.comma, tail)
    if split is None:
        items[-1] = last.with_changes(
            comma=cst.Comma(whitespace_before=before, whitespace_after=cst.SimpleWhitespace(" "))
        )
        items.append(new.with_changes(comma=last.comma))
        return items, tail
    comment, blank, close_indent, in_tail = split
    had_comma = isinstance(last.comma, cst.Comma)
    indent = _item_indent(items, opening, close_indent)
    items[-1] = last.with_changes(
        comma=cst.Comma(
            whitespace_before=before,
            whitespace_after=PW(first_line=comment, empty_lines=[], indent=True, last_line=indent),
        )
    )
    closing = PW(first_line=cst.TrailingWhitespace(), empty_lines=blank, indent=True, last_line=close_indent)
    if not had_comma:
        items.append(new.with_changes(comma=cst.MaybeSentinel.DEFAULT))
        return items, closing
    if in_tail:  # the line break lives before the bracket: keep it there
        items.append(new.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(""))))
        return items, closing
    items.append(new.with_changes(comma=cst.Comma(whitespace_after=closing)))
    return items, tail


def append_arg(call: cst.Call, new: cst.Arg) -> cst.Call:
    args = list(call.args)
    tail = args[-1].whitespace_after_arg if args else cst.SimpleWhitespace("")
    items, tail = _append(args, new, tail, call.whitespace_before_args)
    if len(items) > 1:
        items[-2] = items[-2].with_changes(whitespace_after_arg=cst.SimpleWhitespace(""))
    items[-1] = items[-1].with_changes(whitespace_after_arg=tail)
    return call.with_changes(args=items)


def append_element(node: cst.Dict, new: cst.DictElement) -> cst.Dict:
    tail = node.rbrace.whitespace_before
    items, tail = _append(list(node.elements), new, tail, node.lbrace.whitespace_after)
    return node.with_changes(elements=items, rbrace=node.rbrace.with_changes(whitespace_before=tail))
