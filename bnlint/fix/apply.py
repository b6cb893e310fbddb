"""Applies fix edits as libcst node replacements.

Edits name their targets by source span (from the ast pass); libcst's
PositionProvider gives the same spans for the same nodes (both exclude
parentheses), so each edit finds its node, and everything else of the
file, comments and formatting included, is kept as it was.  libcst is
imported here only, so ``check`` never pays for it.
"""

from __future__ import annotations

import ast
import functools

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from bnlint.diagnostics import AddImport, RemoveStatement, Replace, SetArg, SetKey, WrapWith
from bnlint.fix.append import append_arg, append_element


class FixError(Exception):
    """A fix could not be applied, or produced code that does not parse."""


@functools.lru_cache(maxsize=256)
def _expression(code: str) -> cst.BaseExpression:
    """Parsed replacement code; nodes are immutable, so one can be reused."""
    return cst.parse_expression(code)


def _key(pos) -> tuple:
    return ((pos.start.line, pos.start.column), (pos.end.line, pos.end.column))


def _set_arg(call: cst.Call, edit: SetArg) -> cst.Call:
    value = _expression(edit.code)
    args = list(call.args)
    for i, a in enumerate(args):
        if a.keyword is not None and a.keyword.value == edit.name:
            args[i] = a.with_changes(value=value)
            return call.with_changes(args=args)
    if edit.index is not None:
        positional = [i for i, a in enumerate(args) if a.keyword is None and not a.star]
        if edit.index < len(positional):
            i = positional[edit.index]
            args[i] = args[i].with_changes(value=value)
            return call.with_changes(args=args)
    new = cst.Arg(
        keyword=cst.Name(edit.name),
        value=value,
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""),
            whitespace_after=cst.SimpleWhitespace(""),
        ),
    )
    return append_arg(call, new)


def _set_key(node: cst.BaseExpression, edit: SetKey) -> cst.BaseExpression:
    value = _expression(edit.code)
    if isinstance(node, cst.Call):
        return _set_arg(node, SetArg((0, 0), edit.key, edit.code))
    if not isinstance(node, cst.Dict):
        raise FixError("expected a dict literal")
    elements = list(node.elements)
    for i, el in enumerate(elements):
        if (
            isinstance(el, cst.DictElement)
            and isinstance(el.key, cst.SimpleString)
            and el.key.evaluated_value == edit.key
        ):
            elements[i] = el.with_changes(value=value)
            return node.with_changes(elements=elements)
    quote = edit.code[0] if edit.code[:1] in "'\"" else "'"
    for el in elements:
        if isinstance(el, cst.DictElement) and isinstance(el.key, cst.SimpleString):
            quote = el.key.quote
            break
    new = cst.DictElement(key=cst.SimpleString(f"{quote}{edit.key}{quote}"), value=value)
    return append_element(node, new)


class _Applier(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, edits):
        super().__init__()
        self.by_span: dict[tuple, list] = {}
        self.removals = set()
        self.wraps: dict[tuple, str] = {}  # statement span -> with-header
        self.imports: list[AddImport] = []
        # id -> node; holding the nodes keeps their ids from being reused.
        self.removed: dict[int, cst.CSTNode] = {}
        for e in edits:
            if isinstance(e, AddImport):
                self.imports.append(e)
            elif isinstance(e, RemoveStatement):
                self.removals.add(e.span)
            elif isinstance(e, WrapWith):
                self.wraps[e.span] = e.header
            else:
                self.by_span.setdefault(e.span, []).append(e)

    def on_leave(self, original_node, updated_node):
        updated_node = super().on_leave(original_node, updated_node)
        if not self.by_span or not isinstance(updated_node, cst.BaseExpression):
            return updated_node
        pos = self.get_metadata(PositionProvider, original_node, None)
        if pos is None:
            return updated_node
        edits = self.by_span.pop(_key(pos), None)
        lpar = getattr(original_node, "lpar", None)
        if not edits and lpar:
            # ast counts a tuple's parentheses as part of it; libcst does not.
            start = self.get_metadata(PositionProvider, lpar[0], None)
            end = self.get_metadata(PositionProvider, original_node.rpar[-1], None)
            if start is not None and end is not None:
                key = ((start.start.line, start.start.column), (end.end.line, end.end.column))
                edits = self.by_span.pop(key, None)
                if edits:
                    updated_node = updated_node.with_changes(lpar=[], rpar=[])
        if not edits:
            return updated_node
        node = updated_node
        for e in edits:
            if isinstance(e, Replace):
                new = _expression(e.code)
                node = new.with_changes(lpar=node.lpar, rpar=node.rpar) if node.lpar else new
            elif isinstance(e, SetArg):
                if not isinstance(node, cst.Call):
                    raise FixError("expected a call")
                node = _set_arg(node, e)
            elif isinstance(e, SetKey):
                node = _set_key(node, e)
        return node

    def leave_SimpleStatementLine(self, original_node, updated_node):
        if self.wraps and len(original_node.body) == 1:
            pos = self.get_metadata(PositionProvider, original_node.body[0], None)
            header = self.wraps.pop(_key(pos), None) if pos is not None else None
            if header is not None:
                # the statement's comments above it stay above the with
                inner = updated_node.with_changes(leading_lines=[])
                return cst.With(
                    items=[cst.WithItem(_expression(header))],
                    body=cst.IndentedBlock(body=[inner]),
                    leading_lines=updated_node.leading_lines,
                )
        if not self.removals or len(original_node.body) != 1:
            return updated_node
        pos = self.get_metadata(PositionProvider, original_node.body[0], None)
        if pos is not None and _key(pos) in self.removals:
            self.removals.discard(_key(pos))
            self.removed[id(updated_node)] = updated_node
        return updated_node

    def _drop_removed(self, body):
        out, carry = [], []
        for stmt in body:
            if self.removed.get(id(stmt)) is stmt:
                carry.extend(stmt.leading_lines)
                continue
            if carry:
                stmt = stmt.with_changes(leading_lines=[*carry, *stmt.leading_lines])
                carry = []
            out.append(stmt)
        if not out:
            out.append(cst.SimpleStatementLine(body=[cst.Pass()]))
        return out

    def leave_IndentedBlock(self, original_node, updated_node):
        if self.removed:
            return updated_node.with_changes(body=self._drop_removed(updated_node.body))
        return updated_node

    def leave_Module(self, original_node, updated_node):
        if self.removed:
            updated_node = updated_node.with_changes(body=self._drop_removed(updated_node.body))
        for imp in self.imports:
            updated_node = _add_import(updated_node, imp)
        return updated_node


def _add_import(module: cst.Module, imp: AddImport) -> cst.Module:
    body = list(module.body)
    last_import = -1
    for i, stmt in enumerate(body):
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, (cst.Import, cst.ImportFrom)):
                last_import = i
            if (
                isinstance(small, cst.ImportFrom)
                and small.module is not None
                and not small.relative
                and cst.Module([]).code_for_node(small.module) == imp.module
                and not isinstance(small.names, cst.ImportStar)
            ):
                names = list(small.names)
                if any(cst.Module([]).code_for_node(n.name) == imp.name for n in names):
                    return module
                last = names[-1]
                names[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                names.append(cst.ImportAlias(name=cst.Name(imp.name), comma=last.comma))
                new_small = small.with_changes(names=names)
                body[i] = stmt.with_changes(body=[new_small if s is small else s for s in stmt.body])
                return module.with_changes(body=body)
    new = cst.parse_statement(f"from {imp.module} import {imp.name}\n")
    body.insert(last_import + 1, new)
    return module.with_changes(body=body)


def apply_edits(data: bytes, edits) -> bytes:
    """Apply edits to a file's bytes; the result keeps its encoding."""
    try:
        module = cst.parse_module(data)
        applier = _Applier(edits)
        new_module = MetadataWrapper(module, unsafe_skip_copy=True).visit(applier)
        out = new_module.bytes
    except FixError:
        raise
    except Exception as exc:  # libcst refused an edit: a bug in bnlint, not in the file
        raise FixError(f"{type(exc).__name__}: {exc}") from exc
    try:
        ast.parse(out)
    except (SyntaxError, ValueError) as exc:  # never write code that does not parse
        raise FixError(f"fix produced code that does not parse: {exc}") from exc
    return out
