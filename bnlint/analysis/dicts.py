"""What a dict of settings holds once code copies, merges or changes it:
``params = dict(BN_PARAMS, is_training=t)``, ``{**BN_PARAMS, "scale":
True}``, ``params["data_format"] = df``, ``params.update(...)``.  A change
the analysis cannot read leaves a dict whose entries are unknown, so a
rule reading it stays silent."""

from __future__ import annotations

import ast
import functools

from bnlint.analysis.values import DictLit, Str

# Methods that change a dict in place.
MUTATORS = frozenset({"update", "setdefault", "pop", "popitem", "clear"})


def unknown(d: DictLit, at: ast.AST) -> DictLit:
    """``d`` after a change at ``at`` that cannot be read."""
    return DictLit(d.node, (), False, (), d.changes + (at,), d.built_from)


def with_entry(d: DictLit, key, value, value_node, at: ast.AST) -> DictLit:
    """``d[key] = value`` (``key`` an evaluated value)."""
    if not isinstance(key, Str):
        return unknown(d, at)
    items = tuple(kv for kv in d.items if kv[0] != key.value) + ((key.value, value),)
    nodes = tuple(kn for kn in d.nodes if kn[0] != key.value) + ((key.value, value_node),)
    return DictLit(d.node, items, d.complete, nodes, d.changes + (at,), d.built_from)


def without(d: DictLit, key, at: ast.AST) -> DictLit:
    """``del d[key]`` / ``d.pop(key)``."""
    if not isinstance(key, Str):
        return unknown(d, at)
    items = tuple(kv for kv in d.items if kv[0] != key.value)
    nodes = tuple(kn for kn in d.nodes if kn[0] != key.value)
    return DictLit(d.node, items, d.complete, nodes, d.changes + (at,), d.built_from)


def merged(node: ast.expr, parts) -> DictLit:
    """A dict built from ``parts`` in order, later entries winning: each
    part a DictLit (spread or copied), None (something unreadable spread
    into it), or a (key, value, value node) entry (key None: computed,
    taken for no setting a rule reads)."""
    items: dict = {}
    nodes: dict = {}
    complete = True
    built_from: tuple = ()
    for part in parts:
        if isinstance(part, DictLit):
            if not part.complete:
                # it may hold any key: what came before may be overwritten
                items, nodes, complete = {}, {}, False
            items.update(part.items)
            nodes.update(part.nodes)
            built_from += (part,)
        elif part is None:
            items, nodes, complete = {}, {}, False
        elif part[0] is None:
            complete = False  # a computed key: not one of the settings read
        else:
            key, value, value_node = part
            items[key] = value
            nodes[key] = value_node
    return DictLit(node, tuple(items.items()), complete, tuple(nodes.items()), (), built_from)


def _extended(d: DictLit, parts, at: ast.AST) -> DictLit:
    """``d`` after ``d.update(...)`` with ``parts``."""
    m = merged(d.node, [d, *parts])
    return DictLit(d.node, m.items, m.complete, m.nodes, d.changes + (at,), d.built_from + m.built_from[1:])


def changed_by_method(d: DictLit, method: str, args: list, arg_nodes: list, kws: dict, call: ast.Call):
    """(``d`` after ``d.<method>(...)``, the call's value)."""
    if method == "update" and not call.keywords and len(args) == 1 and isinstance(args[0], DictLit):
        return _extended(d, [args[0]], call), None
    if method == "update" and not args and all(k.arg for k in call.keywords):
        entries = [(k.arg, kws.get(k.arg), k.value) for k in call.keywords]
        return _extended(d, entries, call), None
    if method == "setdefault" and len(args) == 2 and isinstance(args[0], Str):
        present = dict(d.items)
        if args[0].value in present:
            return d, present[args[0].value]
        if not d.complete:
            return unknown(d, call), None
        return with_entry(d, args[0], args[1], arg_nodes[1], call), args[1]
    if method == "pop" and args:
        value = dict(d.items).get(args[0].value) if isinstance(args[0], Str) else None
        return without(d, args[0], call), value
    if method == "clear" and not args:
        return DictLit(d.node, (), True, (), d.changes + (call,), d.built_from), None
    return unknown(d, call), None


def writable(d: DictLit) -> bool:
    """Whether a fix can give ``d`` an entry where it is written: a dict
    display or a ``dict(...)`` call, not a copy of another dict."""
    node = d.node
    return isinstance(node, ast.Dict) or (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict"
    )


@functools.lru_cache(maxsize=4096)
def stores_into_params(fn: ast.FunctionDef) -> bool:
    """Whether the function changes a dict one of its parameters names
    (``def add_defaults(params): params["data_format"] = "NCHW"``)."""
    a = fn.args
    names = {p.arg for p in a.posonlyargs + a.args + a.kwonlyargs}
    for node in ast.walk(fn):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            if any(
                isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id in names
                for t in targets
            ):
                return True
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in MUTATORS
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in names
        ):
            return True
    return False
