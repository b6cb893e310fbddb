"""The project class or function a name in a module's code stands for, as
the analysis loaded it: ``ResNet``, ``get_optimizer``, ``utils.get_optimizer``
(a module-level name of this module, or one its imports bind)."""

from __future__ import annotations

import ast

from bnlint.analysis.values import ClassInfo, DictLit, Func, ModuleRef, Seq


def interp_of(session, module):
    """The interpreter that ran ``module``'s code, if any did."""
    if session is None or module is None:
        return None
    return next((i for i in session.interps.values() if i.module is module), None)


def definition(interp, node: ast.expr):
    """The ClassInfo or Func ``node`` (a name or ``module.name``) names."""
    value = _named(interp, node)
    return value if isinstance(value, (ClassInfo, Func)) else None


def registered(interp, node: ast.expr, key=None) -> list:
    """The classes and functions a module-level registry ``node`` names
    holds: ``MODELS = {"resnet18": ResNet18, ...}`` (then ``MODELS[name]()``);
    with ``key``, the entry ``MODELS[key]``."""
    value = _named(interp, node)
    if isinstance(value, DictLit) and key is not None:
        items = [v for k, v in value.items if k == key] if value.complete else []
    elif isinstance(value, DictLit):
        items = [v for _, v in value.items]
    elif isinstance(value, Seq):
        items = list(value.items)
    else:
        return []
    return [v for v in items if isinstance(v, (ClassInfo, Func))]


def _named(interp, node: ast.expr):
    """The module-level value ``node`` (a name or ``module.name``) names."""
    if interp is None:
        return None
    if isinstance(node, ast.Name):
        value = interp.frame.vars.get(node.id)
    elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        ref = interp.frame.vars.get(node.value.id)
        value = (
            ref.interp.export(node.attr) if isinstance(ref, ModuleRef) and ref.interp is not None else None
        )
    else:
        return None
    return value


def function_def(ctx, node: ast.expr):
    """(module facts, FunctionDef) of the top-level project function that
    ``node`` (``name`` or ``module.name``) calls, read from the syntax of
    this module and the project module its import names; None otherwise."""
    module = ctx.module
    if module is None:
        return None
    if isinstance(node, ast.Name):
        own = _top_function(module.tree, node.id)
        if own is not None:
            return module, own
        imported = ctx.session.imported_from(module, node.id) if ctx.session is not None else None
        if imported is not None:
            found = _top_function(imported[0].tree, imported[1])
            return (imported[0], found) if found is not None else None
        starred = None  # ``from ops import *``: the last star import that has it
        for stmt in module.index.imports:
            if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names):
                target = _project_module(ctx, stmt.module or "", stmt.level or 0)
                found = _top_function(target.tree, node.id) if target is not None else None
                starred = (target, found) if found is not None else starred
        return starred
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        for stmt in module.index.imports:
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.asname == node.value.id or (
                        alias.asname is None and alias.name == node.value.id
                    ):
                        target = _project_module(ctx, alias.name, 0)
                        found = _top_function(target.tree, node.attr) if target is not None else None
                        return (target, found) if found is not None else None
    return None


def _project_module(ctx, name: str, level: int):
    session = ctx.session
    if session is None or session.project is None:
        return None
    path = session.project.resolve(ctx.module.path, name, level)
    return session.project.facts(path) if path is not None else None


def _top_function(tree: ast.Module, name: str):
    return next(
        (s for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == name),
        None,
    )
