"""The layout graph: follows every conv output, with its layout, through a
module to the batch norms, moments and parameters that consume it.

It is an abstract interpreter over ``ast``: statements run in order inside
each scope, branches merge (a name that differs between branches becomes
unknown), helper functions are analysed once per distinct set of argument
values their callers pass, and layer objects are followed through
variables, ``self.`` attributes and ``Sequential`` models.  Whatever it
cannot know becomes ``None`` and produces no site, so rules stay silent.
"""

from __future__ import annotations

import ast

from bnlint import api
from bnlint.layout import Layout, is_format_string, parse_format
from bnlint.index import ModuleIndex
from bnlint.names import Imports, dotted
from bnlint.sites import Sites
from bnlint.values import (
    ClassInfo,
    DictLit,
    Func,
    Instance,
    Int,
    IntList,
    Layer,
    Moments,
    NoneConst,
    Param,
    Seq,
    Sequential,
    Str,
    Tensor,
    same,
)

_MAX_DEPTH = 8
_OPAQUE = object()  # an arg_scope whose contents we cannot see


class Frame:
    """Variables of one scope, plus what the scope is."""

    def __init__(self, scope, parent=None, via_call=False, cls=None):
        self.vars: dict[str, object] = {}
        self.scope = scope
        self.parent = parent
        self.via_call = via_call
        self.cls = cls
        self.returns: list = []
        self.arg_scopes: list = []

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
    out = {}
    for k in keys:
        vals = [v.get(k) for v in frames_vars]
        first = vals[0]
        out[k] = first if all(same(first, v) for v in vals[1:]) else None
    return out


def _merge_values(values: list):
    if not values:
        return None
    first = values[0]
    return first if all(same(first, v) for v in values[1:]) else None


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
    return isinstance(value, (Tensor, Layer, Sequential)) or (
        isinstance(value, Str) and is_format_string(value.value)
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


class Graph:
    def __init__(self, tree: ast.Module, imports: Imports | None = None, index: ModuleIndex | None = None):
        self.tree = tree
        self.index = index or ModuleIndex(tree)
        self.imports = imports or Imports(tree, self.index.imports)
        self.sites = Sites()
        self.memo: dict = {}
        self.stack: list = []
        self.analyzed: set[int] = set()
        self.classes: dict[int, ClassInfo] = {}
        self.module = Frame(tree)
        self.keras_default = self._keras_default()
        self._call_args: dict | None = None

    # ------------------------------------------------------------------
    # Module prescan
    # ------------------------------------------------------------------
    def _keras_default(self) -> str | None:
        """Keras' image_data_format for this module: channels_last unless
        module-level code sets it; None when it is set in a function or
        to something we cannot read."""
        found = []
        calls = self.index.calls if self.index.mentions("set_image_d") else ()
        for node in calls:
            name = self.imports.resolve(node.func)
            if name in api.KERAS_FORMAT_SETTERS or name in api.KERAS_ORDERING_SETTERS:
                arg = node.args[0] if node.args else None
                if arg is None:
                    for k in node.keywords:
                        arg = k.value
                val = arg.value if isinstance(arg, ast.Constant) else None
                if name in api.KERAS_ORDERING_SETTERS:
                    val = {"th": "channels_first", "tf": "channels_last"}.get(val)
                found.append(val if self.index.runs_at_import(node) else None)
        if not found:
            # Concatenating along axis 1 is what channels_first code does
            # with feature maps: the global format is likely configured
            # elsewhere (keras.json), so do not assume the default.
            if self._concats_on_axis_1() or self._keras_1_era():
                return None
            return "channels_last"
        if any(v not in ("channels_first", "channels_last") for v in found) or len(set(found)) > 1:
            return None
        return found[0]

    def _keras_1_era(self) -> bool:
        """Keras 1 code (border_mode=, subsample=, nb_filter=) often ran
        with Theano ordering from keras.json: its default is unknowable."""
        return any(self.index.mentions(w) for w in ("border_mode", "subsample=", "nb_filter", "nb_row"))

    def _concats_on_axis_1(self) -> bool:
        if not self.index.mentions("oncatenate"):
            return False
        for node in self.index.calls:
            name = self.imports.resolve(node.func)
            if name in ("keras.layers.concatenate", "keras.layers.Concatenate", "keras.backend.concatenate"):
                for k in node.keywords:
                    if k.arg == "axis" and _int_const(k.value) == 1:
                        return True
                if name == "keras.layers.Concatenate" and node.args and _int_const(node.args[0]) == 1:
                    return True
        return False

    @property
    def call_args(self) -> dict[str, list[ast.Call]]:
        """Calls by simple name (``f(...)``) and by ``self.m(...)``."""
        if self._call_args is not None:
            return self._call_args
        out: dict[str, list[ast.Call]] = {}
        self._call_args = out
        for node in self.index.calls:
            if isinstance(node.func, ast.Name):
                out.setdefault(node.func.id, []).append(node)
            elif isinstance(node.func, ast.Attribute) and isinstance(
                node.func.value, ast.Name
            ) and node.func.value.id == "self":
                out.setdefault("self." + node.func.attr, []).append(node)
        return out

    # ------------------------------------------------------------------
    # Driver
    # ------------------------------------------------------------------
    def run(self) -> Sites:
        self.exec_block(self.tree.body, self.module)
        # A name some function rebinds with ``global`` has no one value.
        for name in self.index.globals_rebound():
            self.module.vars[name] = None
        self._analyze_pending(self.module)
        return self.sites

    def _analyze_pending(self, frame: Frame) -> None:
        """Analyse, with default arguments, functions no caller reached."""
        pending = [v for v in list(frame.vars.values()) if isinstance(v, Func)]
        for cls in list(self.classes.values()):
            if cls.node in self._defined_in(frame):
                # __init__/build first: they define the layer attributes.
                order = sorted(
                    cls.methods.values(),
                    key=lambda f: f.node.name not in ("__init__", "build"),
                )
                for func in order:
                    self._standalone(func)
        for func in pending:
            self._standalone(func)

    def _defined_in(self, frame: Frame) -> set:
        body = frame.scope.body if hasattr(frame.scope, "body") else []
        return {n for n in body if isinstance(n, ast.ClassDef)}

    def _standalone(self, func: Func) -> None:
        if id(func.node) in self.analyzed:
            return
        self.analyzed.add(id(func.node))
        parent = func.env if isinstance(func.env, Frame) else self.module
        frame = Frame(func.node, parent=parent, via_call=False, cls=func.cls)
        params = self._params(func.node)
        bound: dict[str, object] = {}
        for i, (name, default) in enumerate(params):
            if i == 0 and func.cls is not None:
                bound[name] = Instance(func.cls)
                continue
            bound[name] = self._default_value(func, name, default)
        frame.vars.update(bound)
        self._run_function(func, frame)

    def _params(self, fn) -> list[tuple[str, ast.expr | None]]:
        a = fn.args
        positional = a.posonlyargs + a.args
        defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
        out = list(zip([p.arg for p in positional], defaults))
        out += [(p.arg, d) for p, d in zip(a.kwonlyargs, a.kw_defaults)]
        return out

    def _default_value(self, func: Func, name: str, default):
        """A parameter's default, trusted only when no in-module caller
        passes something else for it."""
        if default is None:
            return None
        value = self.ev(default, self.module)
        key = func.node.name
        if func.cls is not None:
            callers = self.call_args.get("self." + key, [])
            if key == "__init__":
                callers = callers + self.call_args.get(func.cls.node.name, [])
        else:
            callers = self.call_args.get(key, [])
        params = [p for p, _ in self._params(func.node)]
        offset = 1 if func.cls is not None else 0
        for call in callers:
            if any(isinstance(a, ast.Starred) for a in call.args) or any(
                k.arg is None for k in call.keywords
            ):
                return None
            passed = None
            for k in call.keywords:
                if k.arg == name:
                    passed = k.value
            idx = params.index(name) - offset
            if passed is None and 0 <= idx < len(call.args):
                passed = call.args[idx]
            if passed is not None and not same(self.ev(passed, self.module), value):
                return None
        return value

    def _run_function(self, func: Func, frame: Frame):
        self.stack.append(id(func.node))
        try:
            self.exec_block(func.node.body, frame)
            self._analyze_pending(frame)
        finally:
            self.stack.pop()
        if self.index.is_generator(func.node):
            return None
        return _merge_values(frame.returns) if frame.returns else None

    def call_function(self, func: Func, call: ast.Call, args, kws, bound_self=None):
        if id(func.node) in self.stack or len(self.stack) >= _MAX_DEPTH:
            return None
        params = self._params(func.node)
        bound: dict[str, object] = {}
        names = [p for p, _ in params]
        pos = list(args)
        if bound_self is not None and names:
            bound[names[0]] = bound_self
            names_iter = names[1:]
        else:
            names_iter = names
        for name, val in zip(names_iter, pos):
            bound[name] = val
        for k, v in kws.items():
            if k in names:
                bound[k] = v
        for name, default in params:
            if name not in bound:
                bound[name] = self.ev(default, self.module) if default is not None else None
        if not any(_significant(v) for v in bound.values()):
            # Nothing tracked flows in: the standalone analysis covers it.
            self._standalone(func)
            return self._summary(func)
        key = (id(func.node), tuple(sorted(bound.items(), key=lambda kv: kv[0])))
        try:
            hash(key)
        except TypeError:
            return None
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = None
        parent = func.env if isinstance(func.env, Frame) else self.module
        frame = Frame(func.node, parent=parent, via_call=True, cls=func.cls)
        frame.vars.update(bound)
        result = self._run_function(func, frame)
        self.memo[key] = result
        return result

    def _summary(self, func: Func):
        """Return value of a function whose arguments carry no tensor:
        its own convs, e.g. ``def conv_block(): return Conv2D(...)``."""
        key = (id(func.node), "summary")
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = None
        parent = func.env if isinstance(func.env, Frame) else self.module
        frame = Frame(func.node, parent=parent, via_call=False, cls=func.cls)
        for name, default in self._params(func.node):
            frame.vars[name] = self._default_value(func, name, default)
        self.stack.append(id(func.node))
        try:
            # Sites were recorded by the standalone run; record nothing new.
            saved, self.sites = self.sites, Sites()
            self.exec_block(func.node.body, frame)
        finally:
            self.sites = saved
            self.stack.pop()
        result = _merge_values(frame.returns) if frame.returns else None
        self.memo[key] = result
        return result

    # ------------------------------------------------------------------
    # Statements
    # ------------------------------------------------------------------
    def exec_block(self, stmts, frame: Frame) -> None:
        for i, stmt in enumerate(stmts):
            self.exec_stmt(stmt, frame)
            if i + 1 < len(stmts):
                self._conv_then_bn(stmt, stmts[i + 1], stmts[i + 2:], frame)

    def exec_stmt(self, stmt, frame: Frame) -> None:
        if isinstance(stmt, ast.Assign):
            value = self.ev(stmt.value, frame)
            for t in stmt.targets:
                self.bind(t, value, frame, stmt.value)
        elif isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self.bind(stmt.target, self.ev(stmt.value, frame), frame, stmt.value)
        elif isinstance(stmt, ast.AugAssign):
            value = self._binop(
                ast.BinOp(left=stmt.target, op=stmt.op, right=stmt.value), frame
            )
            self.bind(stmt.target, value, frame, None)
        elif isinstance(stmt, ast.Expr):
            self.ev(stmt.value, frame)
        elif isinstance(stmt, ast.Return):
            frame.returns.append(self.ev(stmt.value, frame) if stmt.value else None)
        elif isinstance(stmt, ast.If):
            self.ev(stmt.test, frame)
            self._branches([stmt.body, stmt.orelse], frame)
        elif isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
            if isinstance(stmt, ast.While):
                self.ev(stmt.test, frame)
            else:
                self.ev(stmt.iter, frame)
                self.bind(stmt.target, None, frame, None)
            before = dict(frame.vars)
            self.exec_block(stmt.body, frame)
            frame.vars = _merge_vars([before, frame.vars])
            self.exec_block(stmt.orelse, frame)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            pushed = 0
            for item in stmt.items:
                scope = self._arg_scope(item.context_expr, frame)
                if scope is not None:
                    frame.arg_scopes.append(scope)
                    pushed += 1
                else:
                    self.ev(item.context_expr, frame)
                if item.optional_vars is not None:
                    self.bind(item.optional_vars, None, frame, None)
            self.exec_block(stmt.body, frame)
            for _ in range(pushed):
                frame.arg_scopes.pop()
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            self.exec_block(stmt.body, frame)
            self._branches([[]] + [h.body for h in stmt.handlers], frame)
            self.exec_block(stmt.orelse, frame)
            self.exec_block(stmt.finalbody, frame)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            frame.vars[stmt.name] = Func(stmt, env=frame, cls=None)
        elif isinstance(stmt, ast.ClassDef):
            self._define_class(stmt, frame)
        elif isinstance(stmt, ast.Delete):
            for t in stmt.targets:
                k = _target_key(t)
                if k:
                    frame.vars[k] = None
        elif type(stmt).__name__ == "Match":
            self.ev(stmt.subject, frame)
            self._branches([[]] + [c.body for c in stmt.cases], frame)

    def _branches(self, bodies, frame: Frame) -> None:
        start = dict(frame.vars)
        results = []
        for body in bodies:
            frame.vars = dict(start)
            self.exec_block(body, frame)
            results.append(frame.vars)
        frame.vars = _merge_vars(results)

    def _define_class(self, node: ast.ClassDef, frame: Frame) -> None:
        info = ClassInfo(node)
        self.classes[id(node)] = info
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                info.methods[item.name] = Func(item, env=frame, cls=info)
        frame.vars[node.name] = info

    def bind(self, target, value, frame: Frame, value_node) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            elts = target.elts
            if isinstance(value, Seq) and len(value.items) == len(elts):
                for t, v in zip(elts, value.items):
                    self.bind(t, v, frame, None)
            elif isinstance(value, Moments):
                for t in elts:
                    self.bind(t, value, frame, None)
            else:
                for t in elts:
                    self.bind(t, None, frame, None)
            return
        if isinstance(target, ast.Starred):
            self.bind(target.value, None, frame, None)
            return
        key = _target_key(target)
        if key is None:
            return
        if isinstance(value, Moments):
            site = self.sites.add(
                "moments", value.node, value.tensor.layout if value.tensor else None,
                frame.via_call,
            )
            site.info.setdefault("targets", set()).add(key)
        frame.vars[key] = value
        if key.startswith("self.") and key.count(".") == 1 and frame.cls is not None:
            attrs = frame.cls.attrs
            name = key[5:]
            if name in attrs and not same(attrs[name], value):
                attrs[name] = None
            else:
                attrs[name] = value

    # ------------------------------------------------------------------
    # Expressions
    # ------------------------------------------------------------------
    def lookup(self, node, frame: Frame):
        key = _target_key(node)
        if key is None:
            return None
        if frame.has(key):
            return frame.lookup(key)
        if key.startswith("self."):
            inst = frame.lookup("self")
            if isinstance(inst, Instance):
                name = key[5:]
                if name in inst.cls.attrs:
                    return inst.cls.attrs[name]
                return inst.cls.methods.get(name)
        return None

    def ev(self, node, frame: Frame):
        if node is None:
            return None
        if isinstance(node, (ast.Name, ast.Attribute)):
            if isinstance(node, ast.Attribute):
                self.ev(node.value, frame) if isinstance(node.value, ast.Call) else None
            return self.lookup(node, frame)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                return Str(node.value)
            if node.value is None:
                return NoneConst()
            if type(node.value) is int:
                return Int(node.value)
            return None
        if isinstance(node, ast.UnaryOp):
            v = _int_const(node)
            if v is not None:
                return Int(v)
            self.ev(node.operand, frame)
            return None
        if isinstance(node, (ast.List, ast.Tuple)):
            items = tuple(self.ev(e, frame) for e in node.elts)
            if items and all(isinstance(i, Int) for i in items):
                return IntList(tuple(i.value for i in items), node)
            return Seq(items, node)
        if isinstance(node, ast.Dict):
            for v in node.values:
                self.ev(v, frame)
            return DictLit(node)
        if isinstance(node, ast.BinOp):
            return self._binop(node, frame)
        if isinstance(node, ast.Call):
            return self._call(node, frame)
        if isinstance(node, ast.IfExp):
            self.ev(node.test, frame)
            return _merge_values([self.ev(node.body, frame), self.ev(node.orelse, frame)])
        if isinstance(node, ast.NamedExpr):
            value = self.ev(node.value, frame)
            self.bind(node.target, value, frame, node.value)
            return value
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return None
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.ev(child, frame)
        return None

    def _binop(self, node: ast.BinOp, frame: Frame):
        left = self.ev(node.left, frame)
        right = self.ev(node.right, frame)
        lt, rt = isinstance(left, Tensor), isinstance(right, Tensor)
        if not (lt or rt):
            return None
        if lt and rt:
            if left.layout != right.layout:
                return None
            return Tensor(left.layout, left.normalized or right.normalized)
        tensor, other = (left, right) if lt else (right, left)
        if isinstance(node.op, ast.Sub) and lt:
            return Tensor(tensor.layout, normalized=True)
        if tensor.normalized and isinstance(node.op, (ast.Mult, ast.Add, ast.Div)):
            if isinstance(other, Param):
                self.sites.add("param", other.shape, tensor.layout, frame.via_call, param=other)
        if isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
            return Tensor(tensor.layout, tensor.normalized)
        return None

    # ------------------------------------------------------------------
    # Calls
    # ------------------------------------------------------------------
    def _call(self, node: ast.Call, frame: Frame):
        func = node.func
        callee = None
        if isinstance(func, (ast.Name, ast.Attribute)):
            callee = self.lookup(func, frame)
            if isinstance(func, ast.Attribute) and callee is None:
                # Method calls on tracked values: model.add(...), x.assign(...)
                owner = self.lookup(func.value, frame)
                if isinstance(owner, Sequential) and func.attr == "add":
                    layer = self.ev(node.args[0], frame) if node.args else None
                    key = _target_key(func.value)
                    if key:
                        self.bind(func.value, self._thread(owner.layout, layer, owner.node, frame), frame, None)
                    return None
                if isinstance(owner, Param) and func.attr in ("assign", "assign_sub", "assign_add"):
                    self._assign_param(owner, node.args[0] if node.args else None, frame)
                if owner is None and not isinstance(func.value, (ast.Name, ast.Attribute)):
                    self.ev(func.value, frame)
        else:
            callee = self.ev(func, frame)
        args = [None if isinstance(a, ast.Starred) else self.ev(a, frame) for a in node.args]
        kws = {k.arg: self.ev(k.value, frame) for k in node.keywords if k.arg}
        if isinstance(callee, Layer):
            return self.apply_layer(callee, args[0] if args else kws.get("inputs"), frame)
        if isinstance(callee, Sequential):
            return Tensor(callee.layout) if callee.layout else None
        if isinstance(callee, Func):
            bound_self = None
            if callee.cls is not None and isinstance(func, ast.Attribute):
                bound_self = self.lookup(func.value, frame)
            return self.call_function(callee, node, args, kws, bound_self)
        if isinstance(callee, ClassInfo):
            init = callee.methods.get("__init__")
            if init is not None:
                self.call_function(init, node, args, kws, Instance(callee))
            return Instance(callee)
        if callee is not None:
            return None
        name = self.imports.resolve(func)
        if name is None:
            if isinstance(func, ast.Attribute) and func.attr == "add_weight":
                return self._param_from(node, None, "shape", frame)
            return None
        return self._api_call(name, node, args, kws, frame)

    def _arg(self, node: ast.Call, args, kws, index: int, name: str):
        """(value, node) of an argument given by position or keyword."""
        for k in node.keywords:
            if k.arg == name:
                return kws.get(name), k.value
        if index < len(node.args) and not any(
            isinstance(a, ast.Starred) for a in node.args[: index + 1]
        ):
            return args[index], node.args[index]
        return None, None

    def _has_star_kwargs(self, node: ast.Call) -> bool:
        return any(k.arg is None for k in node.keywords) or any(
            isinstance(a, ast.Starred) for a in node.args
        )

    def _api_call(self, name: str, node: ast.Call, args, kws, frame: Frame):
        first = args[0] if args else None
        spec = api.CONVS.get(name)
        if spec is not None:
            layout = self.conv_layout(name, spec, node, args, kws, frame)
            if spec.layer:
                return Layer("conv", node, layout=layout) if layout else None
            if spec.slim:
                self._normalizer_site(node, layout, kws, frame)
            return Tensor(layout) if layout else None
        if name in api.BN_AXIS_CLASSES:
            return Layer("bn", node)
        if name in api.CONV_RNNS:
            return self._conv_rnn(name, node, args, kws)
        if name in api.BN_AXIS_FUNCTIONS:
            x = first if first is not None else kws.get("inputs")
            self._bn_axis_site(node, x, frame)
            return Tensor(x.layout) if isinstance(x, Tensor) else None
        if name in api.BN_FORMAT_OPS:
            x = first if first is not None else kws.get("inputs", kws.get("x"))
            if isinstance(x, Tensor):
                df_val, df_node = self._arg(node, args, kws, api.BN_FORMAT_OPS[name], "data_format")
                scoped = None
                if df_node is None:
                    scoped = self._scoped_kw(frame, name, "data_format")
                    if scoped is not None and scoped is not _OPAQUE:
                        df_val = self.ev(scoped, frame)
                known = df_node is not None or (scoped is None and not self._has_star_kwargs(node))
                if known or (scoped is not None and scoped is not _OPAQUE):
                    self.sites.add(
                        "bn_format", node, x.layout, frame.via_call,
                        api=name, df_node=df_node, df_value=df_val, scoped=scoped is not None,
                    )
            if name == "tf.nn.fused_batch_norm":
                return Seq((Tensor(x.layout) if isinstance(x, Tensor) else None, None, None))
            return Tensor(x.layout) if isinstance(x, Tensor) else None
        if name in api.MOMENTS:
            x = first if first is not None else kws.get("x")
            tensor = x if isinstance(x, Tensor) else None
            _, x_node = self._arg(node, args, kws, 0, "x")
            _, axes_node = self._arg(node, args, kws, 1, "axes")
            axes_val = self._axes_value(axes_node, frame)
            self.sites.add(
                "moments", node, tensor.layout if tensor else None, frame.via_call,
                scope=frame.scope, x_node=x_node, axes_node=axes_node, axes=axes_val,
            )
            return Moments(node, tensor)
        if name == api.BATCH_NORMALIZATION:
            x = first if first is not None else kws.get("x")
            if isinstance(x, Tensor):
                for idx, pname in ((1, "mean"), (2, "variance"), (3, "offset"), (4, "scale")):
                    val, _ = self._arg(node, args, kws, idx, pname)
                    if isinstance(val, Param):
                        self.sites.add("param", val.shape, x.layout, frame.via_call, param=val)
                return Tensor(x.layout, normalized=True)
            return None
        if name in api.ASSIGN_FUNCTIONS:
            if isinstance(first, Param) and len(node.args) > 1:
                self._assign_param(first, node.args[1], frame)
            return None
        if name in api.VARIABLE_FACTORIES:
            return self._variable(name, node, args, kws, frame)
        if name in api.PRESERVING_FUNCTIONS:
            x = first if first is not None else (kws.get("x") or kws.get("features") or kws.get("inputs") or kws.get("value"))
            if isinstance(x, Seq):  # tf.add_n([a, b]), keras add([a, b])
                return self._merge_tensors(x.items)
            if isinstance(x, Tensor):
                return Tensor(x.layout)
            return None
        if name in api.CONCAT_FUNCTIONS:
            x = first if first is not None else kws.get("values") or kws.get("inputs") or kws.get("tensors")
            return self._merge_tensors(x.items) if isinstance(x, Seq) else None
        if name in api.POOL_FUNCTIONS:
            x = first if first is not None else kws.get("value") or kws.get("input") or kws.get("inputs")
            if not isinstance(x, Tensor):
                return None
            df_val, df_node = self._arg(node, args, kws, api.POOL_FUNCTIONS[name], "data_format")
            fmt = self._format_value(df_val, df_node, x.layout.rank, default_last=True)
            if fmt is not None and fmt.last == x.layout.last:
                return Tensor(x.layout)
            return None
        if name in api.KERAS_PRESERVING:
            return Layer("preserve", node)
        if name in api.KERAS_FORMATTED:
            df_val, df_node = self._arg(node, args, kws, api.KERAS_FORMATTED[name], "data_format")
            keras = name.startswith("keras.")
            fmt = self._format_value(df_val, df_node, None, default_last=None if keras else True)
            return Layer("formatted", node, fmt=fmt) if fmt else None
        if name == api.KERAS_TIME_DISTRIBUTED:
            inner = first if first is not None else kws.get("layer")
            return Layer("td", node, inner=inner) if isinstance(inner, Layer) else None
        if name in api.KERAS_SEQUENTIAL:
            layers = first if first is not None else kws.get("layers")
            layout = None
            if isinstance(layers, Seq):
                elts = layers.node.elts if layers.node is not None else []
                for value, elt in zip(layers.items, elts):
                    layout = self._thread(layout, value, node, frame).layout
            return Sequential(node, layout)
        if name in api.KERAS_FORMAT_GETTERS:
            return Str(self.keras_default) if isinstance(self.keras_default, str) else None
        return None

    def _conv_rnn(self, name, node, args, kws):
        """ConvLSTM: a conv layout, with a time axis when it returns sequences."""
        _, df_node = self._arg(node, args, kws, 4, "data_format")
        fmt = self._format_value(kws.get("data_format"), df_node, None, default_last=None)
        seq = next((k.value for k in node.keywords if k.arg == "return_sequences"), None)
        if fmt is None or (seq is not None and not isinstance(seq, ast.Constant)) or self._has_star_kwargs(node):
            return None
        plain, with_time = api.CONV_RNNS[name]
        if seq is not None and seq.value:
            return Layer("conv", node, layout=Layout(with_time, fmt.last, 2))
        return Layer("conv", node, layout=Layout(plain, fmt.last))

    # ------------------------------------------------------------------
    # Layers
    # ------------------------------------------------------------------
    def apply_layer(self, layer: Layer, x, frame: Frame):
        if layer.kind == "conv":
            return Tensor(layer.layout)
        if layer.kind == "bn":
            self._bn_axis_site(layer.node, x, frame)
            return Tensor(x.layout) if isinstance(x, Tensor) else None
        if layer.kind == "preserve":
            if isinstance(x, Seq):
                return self._merge_tensors(x.items)
            return Tensor(x.layout) if isinstance(x, Tensor) else None
        if layer.kind == "formatted":
            if isinstance(x, Tensor) and layer.fmt is not None and layer.fmt.last == x.layout.last:
                return Tensor(x.layout)
            return None
        if layer.kind == "td":
            inner_in = None
            if isinstance(x, Tensor):
                inner_layout = x.layout.drop_time()
                inner_in = Tensor(inner_layout) if inner_layout else None
            out = self.apply_layer(layer.inner, inner_in, frame)
            return Tensor(out.layout.add_time()) if isinstance(out, Tensor) else None
        return None

    def _thread(self, layout, layer, node, frame: Frame) -> Sequential:
        """Append a layer to a Sequential model whose output is ``layout``."""
        if not isinstance(layer, Layer):
            return Sequential(node, None)
        out = self.apply_layer(layer, Tensor(layout) if layout else None, frame)
        return Sequential(node, out.layout if isinstance(out, Tensor) else None)

    def _merge_tensors(self, items):
        tensors = [i for i in items if isinstance(i, Tensor)]
        if not tensors:
            return None
        layouts = {t.layout for t in tensors}
        return Tensor(tensors[0].layout) if len(layouts) == 1 else None

    # ------------------------------------------------------------------
    # Formats
    # ------------------------------------------------------------------
    def _format_value(self, value, node, rank, default_last) -> Layout | None:
        """Layout named by a data_format argument.  ``default_last`` None
        means the Keras global default applies."""
        if node is None or isinstance(value, NoneConst):
            if default_last is None:
                kd = self.keras_default
                if not isinstance(kd, str):
                    return None
                return parse_format(kd, rank)
            return Layout(rank, default_last)
        if isinstance(value, Str):
            return parse_format(value.value, rank)
        return None

    def conv_layout(self, name, spec, node, args, kws, frame) -> Layout | None:
        df_node = None
        df_val = None
        for k in node.keywords:
            if k.arg == "data_format":
                df_node, df_val = k.value, kws.get("data_format")
            elif k.arg == "dim_ordering" and spec.keras:  # Keras 1
                df_node, df_val = k.value, _dim_ordering(kws.get("dim_ordering"))
        if df_node is None:
            if any(k.arg is None for k in node.keywords):
                return None
            for i in range(spec.df_index, len(node.args)):
                a = node.args[i]
                if isinstance(a, ast.Starred):
                    return None
                v = args[i]
                if isinstance(v, Str) and is_format_string(v.value):
                    df_node, df_val = a, v
                    break
                if isinstance(a, ast.Constant):
                    continue
                return None
        if df_node is None and spec.slim:
            scoped = self._scoped_kw(frame, name, "data_format")
            if scoped is _OPAQUE:
                return None
            if scoped is not None:
                df_node, df_val = scoped, self.ev(scoped, frame)
        if spec.rank is None and df_node is None:
            return Layout(None, True)
        return self._format_value(df_val, df_node, spec.rank, default_last=None if spec.keras else True)

    # ------------------------------------------------------------------
    # slim arg_scope
    # ------------------------------------------------------------------
    def _arg_scope(self, node, frame: Frame):
        if not isinstance(node, ast.Call):
            return None
        name = self.imports.resolve(node.func)
        if name is None or not name.endswith("arg_scope"):
            return None
        ops_node = node.args[0] if node.args else None
        for k in node.keywords:
            if k.arg == "list_ops_or_scope":
                ops_node = k.value
        if not isinstance(ops_node, (ast.List, ast.Tuple)):
            return _OPAQUE
        ops = {self.imports.resolve(e) for e in ops_node.elts}
        if None in ops:
            return _OPAQUE
        for k in node.keywords:
            if k.arg is None:
                return _OPAQUE
            self.ev(k.value, frame)
        return (ops, {k.arg: k.value for k in node.keywords if k.arg != "list_ops_or_scope"})

    def _scoped_kw(self, frame: Frame, op: str, kw: str):
        """The arg_scope value for ``kw`` of ``op``; _OPAQUE if unknowable."""
        f = frame
        while f is not None:
            for scope in reversed(f.arg_scopes):
                if scope is _OPAQUE:
                    return _OPAQUE
                ops, kws = scope
                if op in ops or (op.startswith("slim.conv") and "slim.convolution" in ops):
                    if kw in kws:
                        return kws[kw]
            f = f.parent
        return None

    # ------------------------------------------------------------------
    # Sites
    # ------------------------------------------------------------------
    def _bn_axis_site(self, node: ast.Call, x, frame: Frame) -> None:
        name = self.imports.resolve(node.func)
        index = api.BN_AXIS_CLASSES.get(name, api.BN_AXIS_FUNCTIONS.get(name, 0))
        axis_node = None
        for k in node.keywords:
            if k.arg == "axis":
                axis_node = k.value
        if axis_node is None and index < len(node.args):
            axis_node = node.args[index]
        if axis_node is None and any(k.arg is None for k in node.keywords):
            return
        layout = x.layout if isinstance(x, Tensor) else None
        axis = self._axes_value(axis_node, frame) if axis_node is not None else IntList((-1,), None)
        self.sites.add(
            "bn_axis", node, layout, frame.via_call,
            axis_node=axis_node, axis=axis, index=index, api=name, scope=frame.scope,
        )

    def _axes_value(self, node, frame: Frame):
        if node is None:
            return None
        v = self.ev(node, frame)
        if isinstance(v, Int):
            return IntList((v.value,), node)
        return v if isinstance(v, IntList) else None

    def _normalizer_site(self, node: ast.Call, layout, kws, frame: Frame) -> None:
        if layout is None:
            return
        fn_node = None
        for k in node.keywords:
            if k.arg == "normalizer_fn":
                fn_node = k.value
        if fn_node is None and len(node.args) > 8:
            return
        name = self.imports.resolve(node.func)
        if fn_node is None:
            scoped = self._scoped_kw(frame, name, "normalizer_fn")
            if scoped is None or scoped is _OPAQUE:
                return
            # normalizer from an arg_scope: its params come from there too.
            return
        fn_name = self.imports.resolve(fn_node)
        if fn_name is None:
            local = self.lookup(fn_node, frame)
            if local is not None:
                return
        params_node = None
        for k in node.keywords:
            if k.arg == "normalizer_params":
                params_node = k.value
        params = self.ev(params_node, frame) if params_node is not None else None
        if params_node is None and any(k.arg is None for k in node.keywords):
            return
        self.sites.add(
            "normalizer", node, layout, frame.via_call,
            fn=fn_name, params_node=params_node, params=params,
        )

    def _variable(self, name, node, args, kws, frame):
        index, is_shape = api.VARIABLE_FACTORIES[name]
        if is_shape:
            return self._param_from(node, (args, kws, index), "shape", frame)
        init_val, init = self._arg(node, args, kws, index, "initial_value")
        if isinstance(init, ast.Call):
            init_name = self.imports.resolve(init.func)
            if init_name in api.SHAPED_INITIALIZERS:
                shape_index = api.SHAPED_INITIALIZERS[init_name]
                for k in init.keywords:
                    if k.arg == "shape":
                        return self._param_shape(node, k.value, frame)
                if shape_index < len(init.args):
                    return self._param_shape(node, init.args[shape_index], frame)
        return None

    def _param_from(self, node, positional, kw, frame):
        for k in node.keywords:
            if k.arg == kw:
                return self._param_shape(node, k.value, frame)
        if positional is not None:
            args, kws, index = positional
            if index < len(node.args):
                return self._param_shape(node, node.args[index], frame)
        return None

    def _param_shape(self, node, shape, frame):
        if isinstance(shape, (ast.List, ast.Tuple)):
            return Param(node, shape)
        if isinstance(shape, ast.Name):
            v = self.lookup(shape, frame)
            if isinstance(v, (IntList, Seq)) and isinstance(v.node, (ast.List, ast.Tuple)):
                return Param(node, v.node)
            return None
        # x.shape[1:], x.get_shape()[1:], x.get_shape().as_list()[1:], tf.shape(x)[1:]
        if isinstance(shape, ast.Subscript) and isinstance(shape.slice, ast.Slice):
            base = shape.value
            if isinstance(base, ast.Call) and isinstance(base.func, ast.Attribute) and base.func.attr == "as_list":
                base = base.func.value
            tensor_node = None
            if isinstance(base, ast.Attribute) and base.attr == "shape":
                tensor_node = base.value
            elif isinstance(base, ast.Call) and isinstance(base.func, ast.Attribute) and base.func.attr == "get_shape":
                tensor_node = base.func.value
            elif isinstance(base, ast.Call) and self.imports.resolve(base.func) == "tf.shape" and base.args:
                tensor_node = base.args[0]
            if tensor_node is not None:
                t = self.ev(tensor_node, frame)
                if isinstance(t, Tensor):
                    return Param(node, shape, dynamic_of=t)
        return None

    def _assign_param(self, param: Param, value_node, frame: Frame) -> None:
        """``tf.assign(pop_mean, ... batch_mean ...)``: a moving statistic of
        the tensor whose moments feed it."""
        if value_node is None:
            return
        for n in ast.walk(value_node):
            if isinstance(n, ast.Name):
                v = self.lookup(n, frame)
                if isinstance(v, Moments) and v.tensor is not None:
                    self.sites.add("param", param.shape, v.tensor.layout, frame.via_call, param=param)
                    return

    # ------------------------------------------------------------------
    # conv2d followed by a separate batch_norm (slim)
    # ------------------------------------------------------------------
    def _conv_then_bn(self, stmt, nxt, rest, frame: Frame) -> None:
        if not (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and isinstance(stmt.value, ast.Call)
            and isinstance(nxt, ast.Assign)
            and len(nxt.targets) == 1
            and isinstance(nxt.targets[0], ast.Name)
            and isinstance(nxt.value, ast.Call)
        ):
            return
        conv, bn = stmt.value, nxt.value
        conv_name = self.imports.resolve(conv.func)
        spec = api.CONVS.get(conv_name)
        if spec is None or not spec.slim or self.imports.resolve(bn.func) != "slim.batch_norm":
            return
        var = stmt.targets[0].id
        if not (bn.args and isinstance(bn.args[0], ast.Name) and bn.args[0].id == var):
            return
        if len(bn.args) > 1 or self._has_star_kwargs(conv) or self._has_star_kwargs(bn):
            return
        if any(k.arg in ("normalizer_fn", "normalizer_params") for k in conv.keywords) or len(conv.args) > 8:
            return
        if self._scoped_kw(frame, conv_name, "normalizer_fn") is not None:
            return
        if nxt.targets[0].id != var:
            # The conv output must not be used again.
            for s in rest:
                if any(isinstance(n, ast.Name) and n.id == var for n in ast.walk(s)):
                    return
        self.sites.add("conv_bn", nxt, None, frame.via_call, conv=conv, bn=bn, conv_stmt=stmt)
