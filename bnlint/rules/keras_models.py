"""Which Keras model a name holds, and whether it builds a batch norm:
followed from the expression that makes the model through the project's
classes and functions, in any module the analysis loaded."""

from __future__ import annotations

import ast

from bnlint.analysis import catalog
from bnlint.analysis.calls import params_of
from bnlint.analysis.values import ClassInfo, Func
from bnlint.rules.project_defs import definition, interp_of, registered

_BATCH_NORMS = frozenset(catalog.batch_norms())
# a functional model is built by the code around its constructor
_FUNCTIONAL = frozenset({"keras.Model", "keras.models.Model"})
_MAX_DEPTH = 8


class BatchNormReach:
    """Answers "does this model build a batch norm?" for one session: the
    first batch norm found (its module and node), or None."""

    def __init__(self, session) -> None:
        self.session = session
        self._memo: dict[int, tuple | None] = {}

    def of_expr(self, module, expr: ast.expr, around: ast.AST | None) -> tuple | None:
        """The batch norm the model ``expr`` makes (``ResNet50()``,
        ``build_model(cfg)``, ``keras.Sequential([...])``) builds; ``around``:
        the code that holds ``expr`` (a functional model's layers are there)."""
        interp = interp_of(self.session, module)
        found = self._in_node(module, interp, expr, 0)
        if found is None and isinstance(expr, ast.Call) and around is not None:
            if module.imports.resolve(expr.func) in _FUNCTIONAL:
                found = self._in_node(module, interp, around, 0)
        return found

    def of_value(self, value, depth: int = 0) -> tuple | None:
        if depth > _MAX_DEPTH:
            return None
        if isinstance(value, ClassInfo):
            if value.catalog_layer in _BATCH_NORMS:
                return (value.interp.module, value.node)
            if _trains_by_default(value):
                return None  # ``call(self, x, training=True)``: its batch norms train
            key = id(value.node)
            if key not in self._memo:
                self._memo[key] = None  # recursion
                found = self._in_node(value.interp.module, value.interp, value.node, depth + 1)
                for base in value.bases:
                    found = found or self.of_value(base, depth + 1)
                self._memo[key] = found
            return self._memo[key]
        if isinstance(value, Func) and value.interp is not None:
            key = id(value.node)
            if key not in self._memo:
                self._memo[key] = None
                self._memo[key] = self._in_node(value.interp.module, value.interp, value.node, depth + 1)
            return self._memo[key]
        return None

    def _in_node(self, module, interp, node, depth: int) -> tuple | None:
        """A batch norm named in ``node``: a catalog batch norm, or a project
        class or function (of this module or one it imports) that builds one."""
        picked: dict[int, list] = {}  # ``MODELS["small"]``: that entry only
        for n in ast.walk(node):
            if isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Constant):
                picked[id(n.value)] = registered(interp, n.value, n.slice.value)
            if not isinstance(n, (ast.Name, ast.Attribute)):
                continue
            name = module.imports.resolve(n)
            if name in _BATCH_NORMS:
                return (module, n)
            if catalog.is_bn_application(name) and not _frozen(module):
                return (module, n)
            value = definition(interp, n)
            entries = picked[id(n)] if id(n) in picked else registered(interp, n)
            for v in [value] if value is not None else entries:
                found = self.of_value(v, depth)
                if found is not None:
                    return found
        return None


def _frozen(module) -> bool:
    """A module that freezes a model (``base.trainable = False``): a frozen
    Keras batch norm runs in inference mode whatever ``training`` says."""
    return module.index.mentions("trainable = False") or module.index.mentions("trainable=False")


def _trains_by_default(cls: ClassInfo) -> bool:
    """Whether calling the class's objects without ``training`` runs them
    in training mode (``def call(self, x, training=True)``)."""
    value = cls
    while isinstance(value, ClassInfo):
        method = value.methods.get("call")
        if method is not None:
            return _default_of(method.node, "training") not in (None, "None", "False")
        value = value.bases[0] if value.bases else None
    return False


def _default_of(fn, name: str) -> str | None:
    """The source of parameter ``name``'s default (None: no such default)."""
    default = dict(params_of(fn)).get(name)
    return ast.unparse(default) if default is not None else None


def definitions(tree: ast.Module, functions, call: ast.Call) -> tuple[list[ast.expr], ast.AST | None] | None:
    """(the expressions assigned to the model ``call`` calls, the code that
    holds them), for ``model(x)`` and ``self.model(x)``; a model that is a
    parameter is followed to what this module's calls pass for it.  None
    when it cannot be found."""
    f = call.func
    if isinstance(f, ast.Name):
        return _name_definitions(tree, functions, f.id, call, 0)
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "self":
        attr = f.attr
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.lineno <= call.lineno <= node.end_lineno:
                found = _assigned(
                    node.body,
                    lambda t: (
                        isinstance(t, ast.Attribute)
                        and t.attr == attr
                        and isinstance(t.value, ast.Name)
                        and t.value.id == "self"
                    ),
                )
                if found:
                    return _constructed_with(tree, functions, node, found)
    return None


def _constructed_with(tree, functions, cls: ast.ClassDef, values: list):
    """``self.model = model`` in ``__init__(self, model)``: what the module's
    constructions of the class (``Trainer(net, ...)``) pass for it."""
    init = next((s for s in cls.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None)
    params = [p.arg for p in init.args.posonlyargs + init.args.args][1:] if init is not None else []
    out, around = [], cls
    for value in values:
        if not (isinstance(value, ast.Name) and value.id in params):
            out.append(value)
            continue
        found = _passed(tree, functions, cls.name, value.id, params, 1)
        if found is None:
            return None
        out.extend(found[0])
        around = found[1]
    return out, around


def _name_definitions(tree, functions, name: str, at: ast.AST, depth: int):
    scopes = [fn for fn in functions if fn.lineno <= at.lineno <= fn.end_lineno]
    scopes.sort(key=lambda fn: -fn.lineno)  # innermost first
    for fn in scopes:
        a = fn.args
        params = [p.arg for p in a.posonlyargs + a.args]
        if name in params or name in {p.arg for p in a.kwonlyargs}:
            return _passed(tree, functions, fn.name, name, params, depth) if depth < 3 else None
        found = _assigned(fn.body, lambda t: isinstance(t, ast.Name) and t.id == name)
        if found:
            return found, fn
    found = _assigned(tree.body, lambda t: isinstance(t, ast.Name) and t.id == name, top=True)
    return (found, tree) if found else None


def _passed(tree, functions, callee: str, name: str, params: list, depth: int):
    """What the module's calls of ``callee`` (a function, or a class whose
    ``__init__`` takes ``params``) pass for its parameter ``name``: every
    call must pass something readable, or the model is unknown."""
    index = params.index(name) if name in params else None
    out, around = [], None
    calls = [
        c
        for c in ast.walk(tree)
        if isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id == callee
    ]
    for c in calls:
        arg = next((k.value for k in c.keywords if k.arg == name), None)
        if arg is None and index is not None and index < len(c.args):
            arg = c.args[index]
        if arg is None or any(isinstance(a, ast.Starred) for a in c.args):
            return None
        if isinstance(arg, ast.Name):
            found = _name_definitions(tree, functions, arg.id, c, depth + 1)
            if found is None:
                return None
            out.extend(found[0])
            around = found[1]
        else:
            out.append(arg)
            around = tree
    return (out, around) if out else None


def _assigned(body, is_target, top: bool = False) -> list[ast.expr]:
    """Values assigned to the target in ``body`` (and nested blocks; not in
    nested functions when ``top``)."""
    out = []
    todo = list(body)
    while todo:
        stmt = todo.pop()
        if isinstance(stmt, ast.Assign) and any(is_target(t) for t in stmt.targets):
            out.append(stmt.value)
        if top and isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.stmt):
                todo.append(child)
    return out
