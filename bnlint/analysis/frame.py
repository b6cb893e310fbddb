"""Variables of one scope, and how scopes merge."""

from __future__ import annotations

import ast

from bnlint.analysis import catalog
from bnlint.analysis.layout import is_format_string
from bnlint.analysis.names import dotted
from bnlint.analysis.values import (
    ApiRef,
    ClassInfo,
    DictLit,
    Each,
    Instance,
    Layer,
    Namespace,
    Seq,
    Sequential,
    ShapeOf,
    Str,
    Tensor,
    join_refs,
    same,
)

_OPAQUE = object()  # an arg_scope whose contents we cannot see


class Frame:
    """Variables of one scope, plus what the scope is."""

    def __init__(self, scope, parent=None, via_call=False, cls=None, key=None):
        self.vars: dict[str, object] = {}
        self.scope = scope
        self.parent = parent
        self.via_call = via_call
        self.cls = cls
        # which invocation of the function this frame runs (the call graph's
        # node); None at module level
        self.key = key if key is not None else (parent.key if parent is not None else None)
        self.returns: list = []
        self.arg_scopes: list = []
        # the arg_scopes in force where this invocation was called (slim's
        # scopes are dynamic: they reach the ops of every function called
        # inside the ``with``); None for a run without a call site
        self.caller_scopes: tuple | None = None
        self.classes: list = []  # classes defined in this scope
        # loops running whose iterations are not known one by one (a
        # ``while``, ``range(n)`` with ``n`` unknown): a list appended to
        # there may hold any number of what is appended
        self.open_loops = 0

    @property
    def run(self) -> tuple:
        """Which run of which scope this frame is: where a tensor was made
        (an invocation's key and its scope; key None at module level)."""
        return (self.key, id(self.scope))

    def lookup(self, key: str):
        f = self
        while f is not None:
            if key in f.vars:
                return f.vars[key]
            f = f.parent
        return None

    def has(self, key: str) -> bool:
        f = self
        while f is not None:
            if key in f.vars:
                return True
            f = f.parent
        return False


def _merge_vars(frames_vars: list[dict]) -> dict:
    keys = set().union(*frames_vars)
    return {k: _merge_values([v.get(k) for v in frames_vars]) for k in keys}


def _merge_values(values: list):
    if not values:
        return None
    first = values[0]
    if all(same(first, v) for v in values[1:]):
        return first
    if all(isinstance(v, ApiRef) for v in values):
        return join_refs(values)
    if all(isinstance(v, ClassInfo) and v.stands_for for v in values) and catalog.interchangeable(
        [v.stands_for for v in values]
    ):
        # ``TpuBatchNormalization if tpu else BatchNormalization``, project
        # classes that each pass their arguments on to one catalog layer
        return first
    return _join_collections(values)


def _join_collections(values: list):
    """An empty list before a loop and the list the loop filled (``append``)
    join as the filled one."""
    filled = [v for v in values if not (isinstance(v, Seq) and not v.items)]
    if filled and all(isinstance(v, Each) for v in filled) and len(filled) < len(values):
        first = filled[0]
        if all(same(first, v) for v in filled[1:]):
            return first
    # the list before a loop and the one it filled block by block: the
    # filled one (its blocks may repeat no time at all)
    ordered = [v for v in values if isinstance(v, Each) and v.start is not None]
    if not ordered:
        return None
    head = ordered[0].items[: ordered[0].start]
    rest = [v for v in values if not isinstance(v, Each)]
    if not all(isinstance(v, Seq) and _same_items(v.items, head) for v in rest):
        return None
    if all(same(ordered[0], v) for v in ordered[1:]):
        return ordered[0]
    return _alternatives(ordered, head)


def _alternatives(ordered: list, head: tuple):
    """Lists a loop's branches filled with different blocks (``if v == "M":
    seq += [MaxPool2D()] else: seq += [Conv2D(v, 3), BatchNormalization()]``):
    the blocks one after another, as any iteration may follow any other;
    None unless they share the items before the loop and have no tail."""
    first = ordered[0]
    blocks: list[tuple] = []
    for v in ordered:
        if v.depth != first.depth or v.end is not None or not _same_items(v.items[: v.start], head):
            return None
        block = v.items[v.start :]
        if not any(_same_items(block, b) for b in blocks):
            blocks.append(block)
    return Each(head + tuple(i for b in blocks for i in b), len(head), first.depth)


def _same_items(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(map(same, a, b))


def _int_const(node) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) is int
    ):
        return -node.operand.value
    return None


def _significant(value) -> bool:
    """Whether an argument value makes a helper worth analysing per call."""
    if isinstance(value, Instance):  # built with a conv, a batch norm or a format
        # or of a class (a config, a dataclass) whose body gives one
        names = set(value.attrs or ()) | value.cls.class_var_names()
        return any(_significant(value.attribute(n)) for n in names)
    if isinstance(value, DictLit):  # ``**kwargs`` carrying ``data_format=...``
        return any(_significant(v) for _, v in value.items)
    if isinstance(value, Namespace):  # ``build(cfg)`` that reads ``cfg.MODEL.DATA_FORMAT``
        return _holds_significant(value, 0)
    if isinstance(value, ApiRef):  # ``conv_bn(x, norm=SyncBatchNormalization)``
        return True
    return isinstance(value, (Tensor, Layer, Sequential, ShapeOf)) or (
        isinstance(value, Str) and is_format_string(value.value)
    )


def _holds_significant(ns: Namespace, depth: int) -> bool:
    if not ns.trusted or depth > 4:
        return False
    return any(
        _holds_significant(v, depth + 1) if isinstance(v, Namespace) else _significant(v)
        for v in ns.entries.values()
    )


def _dim_ordering(value):
    """Keras 1's dim_ordering='th'/'tf' as a data_format value."""
    if isinstance(value, Str):
        fmt = {"th": "channels_first", "tf": "channels_last"}.get(value.value)
        return Str(fmt) if fmt else None
    return value


def _target_key(node) -> str | None:
    """Variable key for a Name or a ``self.a.b`` chain."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        d = dotted(node)
        if d and d.startswith("self."):
            return d
    return None
