"""Where batch norms, moments and parameters meet conv outputs: the
sites the rules read, recorded for one module's interpreter."""

from __future__ import annotations

import ast

from bnlint.analysis import catalog
from bnlint.analysis.formats import Formats
from bnlint.analysis.frame import _OPAQUE, Frame
from bnlint.analysis.names import dotted
from bnlint.analysis.signature import bind
from bnlint.analysis.values import (
    ApiRef,
    DictLit,
    Float,
    Func,
    Int,
    IntList,
    Moments,
    Param,
    Partial,
    Seq,
    ShapeDim,
    ShapeSlice,
    Tensor,
)

_SLIM_BATCH_NORM = "slim.batch_norm"


class Records:
    def __init__(self, interp):
        self.interp = interp
        self.module = interp.module

    def bn_axis(self, call: ast.Call, x, frame: Frame, name: str | None = None, chosen: bool = False) -> None:
        """A batch norm configured by ``axis`` meets ``x`` (``name``: the
        catalog API ``call`` builds, when its spelling does not say;
        ``chosen``: built from a class callers may pass)."""
        spelled = self.module.imports.resolve(call.func)
        given = name is not None and spelled is None
        name = name or spelled
        api = catalog.lookup(name)
        param = api.roles["axis"] if api else "axis"
        # a partial's merged call: positions in its own call come after the function
        index = (api.params.index(param) if api else 0) + getattr(call, "bnlint_shift", 0)
        b = bind(api.params if api else ("axis",), call, [None] * len(call.args), {})
        axis_node = b.node(param)
        axis = spread_name = None
        if axis_node is None and b.star_kwargs:
            # ``BatchNormalization(**bn_kwargs)``: a dict the analysis can read
            spread = self.interp.formats.spread_arg(call, param, frame)
            if spread is None:
                return
            if spread[0] is not None:
                axis, spread_name = _as_axes(spread[1]), spread[2]
                if axis is None:
                    return
        self.biased_input(call, x, frame, name)
        if axis is None:
            axis = self.axes_value(axis_node, frame) if axis_node is not None else IntList((-1,), None)
        self.interp.record(
            "bn_axis",
            call,
            x if isinstance(x, Tensor) else None,
            frame,
            axis_node=axis_node,
            axis=axis,
            axis_spread=spread_name,  # the ``**name`` giving the axis
            index=index,
            api=name,
            # a project class that renames the layer, or a variable holding
            # the class (``self._norm``), is named as written
            spelled=_spelled(call.func) if given else None,
            scope=frame.scope,
            vary=(_constant_key(axis), chosen),
            chosen=chosen,
            keras_default=isinstance(x, Tensor) and x.keras_default,
        )

    def momentum(self, api, b, call: ast.Call, frame: Frame) -> None:
        """A batch norm built with a momentum (slim: decay) the analysis can
        read where it is written: a constant of this or another module, a
        helper's default, a number a caller passes."""
        param = api.roles.get("momentum")
        node = b.node(param) if param else None
        if node is not None:
            self.momentum_given(api, call, node, b.value(param), frame)
        elif param and b.star_kwargs:
            # ``BatchNormalization(**BN_PARAMS)``, a dict written out once (here or in config.py)
            spread = self.interp.formats.spread_arg(call, param, frame)
            if spread is not None and spread[0] is not None:
                # the call takes it at its ``**BN_PARAMS``
                self.momentum_given(api, call, spread[2], spread[1], frame)

    def momentum_given(self, api, call: ast.Call, node: ast.expr, value, frame: Frame, literal=False) -> None:
        """``node``, evaluated to ``value``, is the momentum ``call`` (a batch
        norm, or an arg_scope over one) gives it.  ``literal``: a number
        written in the call is this record's to report too (a moving average
        the syntax rules cannot tell from one of weights)."""
        if not isinstance(value, (Float, Int)) or value.node is None or value.module is None:
            return
        self.interp.record(
            "bn_momentum",
            call,
            None,
            frame,
            api=api.name,
            name=api.roles["momentum"],
            number=value,
            arg=node,
            vary=id(value.node),
            literal=literal,
        )

    def biased_input(self, call: ast.Call, x, frame: Frame, name: str | None = None) -> None:
        """A centering batch norm meets a conv output that has its bias."""
        if not isinstance(x, Tensor) or x.bias_of is None:
            return
        made_in = x.made_in
        if (
            made_in not in (None, frame.run)
            and made_in[0] is not None
            and made_in not in self.interp.session.calls.runs
        ):
            # the run of the conv's function is over, it returned the output:
            # another caller of it may use the bias, so the bias is not
            # redundant everywhere (module code, key None, hands on what it
            # makes, as a caller does)
            return
        api = catalog.lookup(name or self.module.imports.resolve(call.func))
        if api is None or "center" not in api.roles:
            return
        b = bind(api.params, call, [None] * len(call.args), {})
        center = b.node(api.roles["center"])
        if center is None and b.star_kwargs:
            # ``BatchNormalization(**kwargs)``: centers unless a dict it reads says otherwise
            spread = self.interp.formats.spread_arg(call, api.roles["center"], frame)
            if spread is None:
                return
            center = spread[0]
        # one site per conv that feeds it: two helpers' convs into one batch-norm helper are two findings
        self.interp.record(
            "conv_bias", call, x, frame, bias_of=x.bias_of, center=center, api=api.name, vary=id(x.bias_of[1])
        )

    def axes_value(self, node, frame: Frame):
        if node is None:
            return None
        v = self.interp.ev(node, frame)
        if isinstance(v, Int):
            return IntList((v.value,), v.node if v.node is not None else node, v.module, v.passed)
        if isinstance(v, IntList) and v.node is None:  # computed: range(...), a comprehension
            return IntList(v.values, node, self.module)
        return v if isinstance(v, IntList) else None

    def normalizer(self, api, b, call: ast.Call, layout, frame: Frame) -> None:
        """A slim conv with ``normalizer_fn``: the normalizer meets its output."""
        if layout is None:
            return
        fn_node = next((k.value for k in call.keywords if k.arg == "normalizer_fn"), None)
        fn_name = self.module.imports.resolve(fn_node) if fn_node is not None else None
        fn_scope = None
        if fn_node is None:
            # from an arg_scope over the conv (perhaps built by a function)
            fn_scope = Formats.scoped_arg(frame, api.name, "normalizer_fn")
            if fn_scope is None or fn_scope is _OPAQUE or len(call.args) > api.params.index("normalizer_fn"):
                return
            fn_node, fn_name = fn_scope.node, fn_scope.name
        chosen = False
        if fn_name is None:
            # a project function, a lambda, or a batch norm held in a variable
            fn = fn_scope.value if fn_scope is not None else self.interp.ev(fn_node, frame)
            if isinstance(fn, Func):
                self._project_normalizer(fn, fn_node, api, b, call, layout, frame)
                return
            fn_name, chosen = _catalog_normalizer(fn)
            if fn_name is None:
                return
        # an arg_scope over the batch norm itself gives it its data_format
        bn_format = Formats.scoped_arg(frame, fn_name, "data_format") if fn_name else None
        if bn_format is _OPAQUE:
            return
        found = self._params(api, b, call, frame)
        if found is None:
            return
        params_node, params, params_scope = found
        bn_api = catalog.lookup(fn_name) if fn_name else None
        if isinstance(params, DictLit) and bn_api is not None and "momentum" in bn_api.roles:
            # normalizer_params={'decay': batch_norm_decay, ...}
            node, value = params.entry(bn_api.roles["momentum"])
            if node is not None:
                # one the syntax does not see in the literal: stored into it
                # afterwards (``params["decay"] = 0.1``), or copied from another dict
                literal = not _inside(node, params.node)
                self.momentum_given(bn_api, call, node, value, frame, literal=literal)
        self.interp.record(
            "normalizer",
            call,
            layout,
            frame,
            fn=fn_name,
            params_node=params_node,
            params=params,
            fn_scope=fn_scope,
            params_scope=params_scope,
            bn_format=bn_format,
            conv_format=Formats.scoped_arg(frame, api.name, "data_format"),
            # another normalizer may be passed for it: its params are not batch_norm's
            fn_chosen=chosen,
            vary=(fn_name, chosen),
        )

    def _params(self, api, b, call: ast.Call, frame: Frame):
        """(node, value, the arg_scope's ScopedArg or None) of a slim conv's
        ``normalizer_params``, from the call or an arg_scope over it ((None,
        None, None): it has none); None when they cannot be known (an
        opaque scope, ``**kwargs``)."""
        node = next((k.value for k in call.keywords if k.arg == "normalizer_params"), None)
        if node is not None:
            return node, self.interp.ev(node, frame), None
        scope = Formats.scoped_arg(frame, api.name, "normalizer_params")
        if scope is _OPAQUE:
            return None
        if scope is not None:
            return scope.node, scope.value, scope
        return None if b.star_kwargs else (None, None, None)

    def _project_normalizer(self, fn: Func, fn_node, api, b, call: ast.Call, layout, frame: Frame) -> None:
        """``normalizer_fn=ops.batch_norm``, a project function: slim calls
        it as ``fn(conv_output, **normalizer_params)``; run it so."""
        found = self._params(api, b, call, frame)
        if found is None:
            return
        params_node, params, _ = found
        if params_node is None:
            params = {}
        elif isinstance(params, DictLit) and params.complete:
            params = dict(params.items)
        else:
            return  # params it cannot read may hold the format
        x = Tensor(layout, origin=(self.module, call), fresh=True, made_in=frame.run)
        bound = self.interp.bound_self(fn, fn_node, None, frame)  # normalizer_fn=self._bn
        self.interp.session.calls.call(fn, call, [x], params, bound, self.interp, frame)

    def param_shape(self, call, shape, frame):
        """A variable created with a readable literal or dynamic shape."""
        if isinstance(shape, (ast.List, ast.Tuple)):
            return Param(call, shape, interp=self.interp, lone_dim=self._lone_dim(shape, frame))
        if isinstance(shape, ast.Name):
            v = self.interp.lookup(shape, frame)
            if isinstance(v, (IntList, Seq)) and isinstance(v.node, (ast.List, ast.Tuple)):
                return Param(call, v.node, interp=self.interp, lone_dim=self._lone_dim(v.node, frame))
            if isinstance(v, ShapeSlice):  # params_shape = x.get_shape()[1:]
                return Param(call, v.node, dynamic_of=v.tensor, interp=self.interp)
            return None
        # x.shape[1:], x.get_shape()[1:], x.get_shape().as_list()[1:], tf.shape(x)[1:]
        v = self.interp.ev(shape, frame) if isinstance(shape, ast.Subscript) else None
        if isinstance(v, ShapeSlice):
            return Param(call, shape, dynamic_of=v.tensor, interp=self.interp)
        return None

    def _lone_dim(self, shape: ast.List | ast.Tuple, frame: Frame) -> ShapeDim | None:
        """The tensor dimension a one-element shape reads (``[x.get_shape()[-1]]``,
        ``[n]`` after ``n = int(x.shape[-1])``), if it reads one."""
        if len(shape.elts) != 1:
            return None
        value = self.interp.ev(shape.elts[0], frame)
        return value if isinstance(value, ShapeDim) else None

    def assign_param(self, param: Param, value_node, frame: Frame) -> None:
        """``tf.assign(pop_mean, ... batch_mean ...)``: a moving statistic of
        the tensor whose moments feed it."""
        if value_node is None:
            return
        for n in ast.walk(value_node):
            if isinstance(n, ast.Name):
                v = self.interp.lookup(n, frame)
                if isinstance(v, Moments) and v.tensor is not None:
                    param.owner(self.interp).record("param", param.shape, v.tensor, frame, param=param)
                    return

    def conv_then_bn(self, stmt, nxt, rest, frame: Frame) -> None:
        """``net = slim.conv2d(...)`` directly followed by ``slim.batch_norm(net)``."""
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
        imports = self.module.imports
        conv_name = imports.resolve(conv.func)
        api = catalog.lookup(conv_name)
        if api is None or not api.slim or imports.resolve(bn.func) != _SLIM_BATCH_NORM:
            return
        var = stmt.targets[0].id
        if not (bn.args and isinstance(bn.args[0], ast.Name) and bn.args[0].id == var):
            return
        if len(bn.args) > 1 or _has_star(conv) or _has_star(bn):
            return
        if any(k.arg in ("normalizer_fn", "normalizer_params") for k in conv.keywords):
            return
        if len(conv.args) > api.params.index("normalizer_fn"):
            return
        if Formats.scoped(frame, conv_name, "normalizer_fn") is not None:
            return
        if nxt.targets[0].id != var:
            # The conv output must not be used again.
            for s in rest:
                if any(isinstance(n, ast.Name) and n.id == var for n in ast.walk(s)):
                    return
        self.interp.record("conv_bn", nxt, None, frame, conv=conv, bn=bn, conv_stmt=stmt)


def _spelled(func: ast.expr) -> str | None:
    """How the code names the class it calls, short enough to quote in a
    message (``self._norm``, ``NORM_LAYERS[norm]``; not ``super().__init__``,
    which builds the base class)."""
    text = dotted(func) or (ast.unparse(func) if isinstance(func, ast.Subscript) else None)
    return text if text and len(text) <= 40 else None


def _catalog_normalizer(fn) -> tuple[str | None, bool]:
    """(the catalog API, whether callers may pass another) of a
    ``normalizer_fn`` held as a value: ``norm_fn = slim.batch_norm if use_bn
    else None``, a parameter defaulting to it, ``partial(slim.batch_norm,
    is_training=training)``, unless the partial fixes a data_format itself."""
    if isinstance(fn, ApiRef):
        return fn.name, fn.chosen
    if isinstance(fn, Partial) and isinstance(fn.target, str) and not fn.args:
        api = catalog.lookup(fn.target)
        fmt = (api.roles if api is not None else {}).get("data_format", "data_format")
        if all(k != fmt for k, _ in fn.kws):
            return fn.target, False
    return None, False


def _constant_key(value):
    """Which constant this is, for ``Sites.add``'s ``vary``."""
    return None if value is None else (value.values, id(value.node))


def _has_star(call: ast.Call) -> bool:
    return any(k.arg is None for k in call.keywords) or any(isinstance(a, ast.Starred) for a in call.args)


def _as_axes(value) -> IntList | None:
    """An axis value read from a dict entry, as ``axes_value`` gives it."""
    if isinstance(value, Int) and value.node is not None:
        return IntList((value.value,), value.node, value.module, value.passed)
    return value if isinstance(value, IntList) and value.node is not None else None


def _inside(node: ast.AST, outer: ast.AST | None) -> bool:
    """Whether ``node`` is written within ``outer`` (by position)."""
    if outer is None or not hasattr(node, "lineno") or not hasattr(outer, "lineno"):
        return False
    return (outer.lineno, outer.col_offset) <= (node.lineno, node.col_offset) and (
        node.end_lineno,
        node.end_col_offset,
    ) <= (outer.end_lineno, outer.end_col_offset)
