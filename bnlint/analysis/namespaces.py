"""Config objects of attribute-dict classes (EasyDict, AttrDict, Munch,
SimpleNamespace, or an empty class of the project) built at a module's top
level: when their values can be trusted.

Detection and segmentation projects keep their settings as
``__C = edict(); cfg = __C; __C.MODEL.DATA_FORMAT = "NCHW"``.  Such an
object is read as the constants its module assigns, but only when nothing
in that module can change it at run time: no ``cfg_from_file`` that merges
a YAML file into it, no function that stores into it, no method called on
it, no code that hands it on.  Anything else it takes part in makes every
value unknown, and unknown is silent.
"""

from __future__ import annotations

import ast


def unchanging(tree: ast.Module, creation: ast.stmt) -> bool:
    """Whether the object ``creation`` (a top-level ``root = edict()``)
    builds is only ever read, apart from the constants the module's top
    level assigns to its attributes (``root.A.B = ...``) and plain aliases
    (``cfg = root``)."""
    roots = {t.id for t in getattr(creation, "targets", ()) if isinstance(t, ast.Name)}
    if not roots:
        return False
    allowed: set[int] = set()  # the Name nodes of allowed uses
    for stmt in tree.body:
        if not isinstance(stmt, ast.Assign):
            continue
        if isinstance(stmt.value, ast.Name) and stmt.value.id in roots:
            # ``cfg = __C``
            if not all(isinstance(t, ast.Name) for t in stmt.targets):
                return False
            roots |= {t.id for t in stmt.targets}
            allowed.add(id(stmt.value))
            allowed |= {id(t) for t in stmt.targets}
            continue
        for target in stmt.targets:
            base = _chain_root(target)
            if base is not None and base.id in roots:
                allowed.add(id(base))  # ``__C.MODEL.DATA_FORMAT = "NCHW"``
    allowed |= {id(t) for t in creation.targets}
    return _only_read(tree, roots, allowed)


def _chain_root(node) -> ast.Name | None:
    """``a`` of an attribute chain ``a.b.c`` (None for anything else)."""
    if not isinstance(node, ast.Attribute):
        return None
    while isinstance(node, ast.Attribute):
        node = node.value
    return node if isinstance(node, ast.Name) else None


def _only_read(tree: ast.Module, roots: set[str], allowed: set[int]) -> bool:
    """Every other use of the roots is the start of an attribute read that
    is not a method call: ``cfg.MODEL.DATA_FORMAT``, not ``cfg.update(...)``
    or ``merge(yaml_cfg, cfg)``."""
    stack: list[tuple[ast.AST, ast.AST | None]] = [(tree, None)]
    while stack:
        node, parent = stack.pop()
        if isinstance(node, ast.Name) and node.id in roots and id(node) not in allowed:
            if not isinstance(parent, ast.Attribute) or not isinstance(node.ctx, ast.Load):
                return False
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            base = _chain_root(node.func)
            if base is not None and base.id in roots:
                return False  # ``cfg.merge_from_file(...)``, ``cfg.MODEL.update(...)``
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)) and parent is not tree:
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for t in targets:
                for sub in ast.walk(t):
                    base = _chain_root(sub) if isinstance(sub, ast.Attribute) else None
                    if base is not None and base.id in roots:
                        return False  # stored into outside the top level
        for child in ast.iter_child_nodes(node):
            stack.append((child, node))
    return True


def empty_class(cls: ast.ClassDef) -> bool:
    """``class Options: pass`` (a docstring at most, no base but object):
    its objects are namespaces too."""
    bases_ok = all(isinstance(b, ast.Name) and b.id == "object" for b in cls.bases) and not cls.keywords
    body_ok = all(
        isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
        for s in cls.body
    )
    return bases_ok and body_ok and not cls.decorator_list
