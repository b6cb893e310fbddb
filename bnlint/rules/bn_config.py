"""Where a batch norm's configuration is written: the arguments of its
call (by keyword or position), of a ``functools.partial`` of it, of a slim
``arg_scope`` over it, and the ``normalizer_params`` dict a slim conv
hands it (a literal, or a module variable holding one).  Each setting is
found as the node that spells it, so a rule can report and fix it there."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from bnlint.analysis import catalog
from bnlint.analysis.names import dotted
from bnlint.analysis.signature import bind

_BATCH_NORMS = catalog.batch_norms()
_PARTIALS = {"partial", "functools.partial"}


@dataclass(frozen=True)
class Setting:
    api: catalog.Api  # the batch norm it configures
    where: str  # "call", "partial", "arg_scope", "normalizer_params"
    call: ast.Call  # the call (or the conv whose normalizer it is)
    name: str  # the parameter, as the API names it
    node: ast.expr | None  # the value written, None when left to the default


def settings(ctx, role: str) -> list[Setting]:
    """Every place in the module that sets (or leaves to its default) the
    parameter playing ``role`` (``momentum``, ``training``, ...) of a batch
    norm.  Calls with ``**kwargs`` that may set it are left out."""
    out: list[Setting] = []
    for call in ctx.index.calls:
        name = ctx.imports.resolve(call.func)
        api = _BATCH_NORMS.get(name)
        if api is not None:
            param = api.roles.get(role)
            if param is None:
                continue
            b = bind(api.params, call, [None] * len(call.args), {})
            node = b.node(param)
            if node is None and _star_kwargs(call):
                node = _from_star_dict(ctx, call, param)
                if node is None:
                    continue
            out.append(Setting(api, "call", call, param, node))
            continue
        if dotted(call.func) in _PARTIALS and call.args:
            api = _BATCH_NORMS.get(ctx.imports.resolve(call.args[0]))
            if api is not None and api.roles.get(role):
                param = api.roles[role]
                node = next((k.value for k in call.keywords if k.arg == param), None)
                if node is not None:
                    out.append(Setting(api, "partial", call, param, node))
            continue
        if name is not None and name.endswith("arg_scope"):
            out.extend(_arg_scope(ctx, call, role))
            continue
        if name is not None and name.startswith("slim."):
            out.extend(_normalizer_params(ctx, call, role))
    return out


def _star_kwargs(call: ast.Call) -> bool:
    return any(k.arg is None for k in call.keywords)


def _from_star_dict(ctx, call: ast.Call, key: str):
    """``batch_norm(x, **params)`` with ``params = {...}`` in the module."""
    for k in call.keywords:
        if k.arg is None and isinstance(k.value, ast.Name):
            d = dict_assigned(ctx, k.value.id)
            if d is not None:
                return dict_value(d, key)
    return None


def _arg_scope(ctx, call: ast.Call, role: str) -> list[Setting]:
    ops = call.args[0] if call.args else None
    if not isinstance(ops, (ast.List, ast.Tuple)):
        return []
    out = _normalizer_params(ctx, call, role)  # arg_scope([slim.conv2d], normalizer_params=...)
    for e in ops.elts:
        api = _BATCH_NORMS.get(ctx.imports.resolve(e))
        if api is None or not api.roles.get(role):
            continue
        param = api.roles[role]
        node = next((k.value for k in call.keywords if k.arg == param), None)
        if node is None:
            node = _from_star_dict(ctx, call, param)
        if node is not None:
            out.append(Setting(api, "arg_scope", call, param, node))
    return out


def _normalizer_params(ctx, call: ast.Call, role: str) -> list[Setting]:
    """``slim.conv2d(..., normalizer_fn=slim.batch_norm, normalizer_params=...)``."""
    fn = next((k.value for k in call.keywords if k.arg == "normalizer_fn"), None)
    params = next((k.value for k in call.keywords if k.arg == "normalizer_params"), None)
    if params is None:
        return []
    api = _BATCH_NORMS.get(ctx.imports.resolve(fn)) if fn is not None else _BATCH_NORMS.get("slim.batch_norm")
    if api is None or not api.roles.get(role):
        return []
    param = api.roles[role]
    d = params if isinstance(params, (ast.Dict, ast.Call)) else None
    if isinstance(params, ast.Name):
        d = dict_assigned(ctx, params.id)
    node = dict_value(d, param) if d is not None else None
    return [Setting(api, "normalizer_params", call, param, node)] if node is not None else []


def dict_assigned(ctx, name: str):
    """The dict literal (or ``dict(...)``) a name is assigned, when it is
    assigned exactly once in the module and never changed in place
    (``params["decay"] = 0.99`` after it)."""
    if ctx.index.changes_dict(name):
        return None
    found = []
    for node in ctx.index.statements():
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name) and t.id == name:
                    found.append(node.value)
    if len(found) == 1 and _is_dict(found[0]):
        return found[0]
    return None


def _is_dict(node) -> bool:
    return isinstance(node, ast.Dict) or (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict"
    )


def dict_value(node, key: str):
    """The value node of ``key`` in a dict literal or ``dict(...)`` call."""
    if isinstance(node, ast.Dict):
        for k, v in zip(node.keys, node.values):
            if isinstance(k, ast.Constant) and k.value == key:
                return v
        return None
    if isinstance(node, ast.Call):
        return next((k.value for k in node.keywords if k.arg == key), None)
    return None


def number(node) -> float | None:
    """The value of a numeric literal (``0.1``, ``.1``, ``1e-1``, ``-0.1``)."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) in (int, float)
    ):
        return -float(node.operand.value)
    return None
