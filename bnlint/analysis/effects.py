"""What a call to a catalog API does to the values it is given: one
handler per effect named in the catalog, over arguments bound once to the
API's signature."""

from __future__ import annotations

import ast
import dataclasses

from bnlint.analysis import catalog
from bnlint.analysis.constants import is_literal
from bnlint.analysis.frame import _OPAQUE, Frame
from bnlint.analysis.layout import Layout
from bnlint.analysis.signature import Bound, bind
from bnlint.analysis.values import (
    Each,
    Instance,
    IntList,
    KerasInput,
    Layer,
    Moments,
    MovingAverage,
    Namespace,
    Param,
    Seq,
    Sequential,
    ShapeOf,
    Str,
    Tensor,
)

_PRESERVING = catalog.of_effect("preserve")
# the short names of the layers that take Keras 1 keywords
_KERAS1_LAYERS = frozenset(
    n.rsplit(".", 1)[1] for n in catalog.of_effect("conv_layer") if catalog.CATALOG[n].spellings
)


def _called_name(call: ast.Call) -> str | None:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


class _Unread(Exception):
    """A dict spread into a call that the analysis cannot read."""


class Effects:
    """Applies catalog effects for one module's interpreter."""

    def __init__(self, interp):
        self.interp = interp
        self.module = interp.module
        self.formats = interp.formats
        self.records = interp.records
        self._merged: dict = {}  # repeat/stack call -> the layer call it stands for
        self._keras1_module: bool | None = None  # whether its calls use Keras 1 keywords
        self._handlers = {
            "conv": self._conv,
            "conv_layer": self._conv_layer,
            "conv_rnn": self._conv_rnn,
            "bn_layer": self._bn_layer,
            "bn_axis_op": self._bn_axis_op,
            "bn_format_op": self._bn_format_op,
            "moments": self._moments,
            "moving_average": self._moving_average,
            "assign_moving_average": self._assign_moving_average,
            "batch_normalization": self._batch_normalization,
            "preserve": self._preserve,
            "concat": self._concat,
            "pool": self._pool,
            "preserve_layer": lambda api, b, call, args, frame: Layer("preserve", call),
            "lambda_layer": self._lambda_layer,
            "formatted_layer": self._formatted_layer,
            "time_distributed": self._time_distributed,
            "sequential": self._sequential,
            "format_getter": self._format_getter,
            "variable": self._variable,
            "assign": self._assign,
            "reshape": self._reshape,
            "transpose": self._transpose,
            # ``edict()``: trusted once bound at a module's top level (interpreter)
            "namespace": lambda api, b, call, args, frame: (
                None if call.args or call.keywords else Namespace(call, self.module, trusted=False)
            ),
            "permute_layer": self._permute_layer,
            "model_input": lambda api, b, call, args, frame: KerasInput(),
            "shape_of": lambda api, b, call, args, frame: (
                ShapeOf(b.input(api)) if isinstance(b.input(api), Tensor) else None
            ),
            "repeat": self._repeat,
            "stack": self._stack,
        }

    def apply(self, name: str, call: ast.Call, args, kws, frame: Frame):
        api = catalog.lookup(name)
        handler = self._handlers.get(api.effect) if api else None
        if handler is None:
            return None
        value = handler(api, bind(api.params, call, args, kws, api.spellings), call, args, frame)
        if isinstance(value, Layer) and value.interp is None:
            value = dataclasses.replace(value, interp=self.interp, env=frame, api=name)
        return value

    # --- convs ----------------------------------------------------------------
    def _conv(self, api, b: Bound, call, args, frame):
        layout = self.formats.conv_layout(api, b, call, args, frame)
        if api.slim:
            self.records.normalizer(api, b, call, layout, frame)
        if not layout:
            return None
        return Tensor(
            layout,
            origin=(self.module, call),
            fresh=True,
            bias_of=self._bias(api, b, call, frame),
            made_in=frame.run,
        )

    def _conv_layer(self, api, b: Bound, call, args, frame):
        layout = self.formats.conv_layout(api, b, call, args, frame)
        if not layout:
            return None
        from_default = api.default_format == "keras" and not any(
            b.has(p) for p in (api.roles["data_format"], "dim_ordering")
        )
        return Layer(
            "conv", call, layout=layout, bias=self._bias(api, b, call, frame), keras_default=from_default
        )

    def _bias(self, api, b: Bound, call, frame):
        """(module, call, how) the conv adds a bias to its output, when it
        surely does and applies no activation after it (its output is conv
        + bias).  A partial's conv is its call: other calls of the partial
        may need the bias."""
        if b.star_args:
            return None
        module, at = getattr(call, "bnlint_call", (self.module, call))
        keywords = {k.arg: k.value for k in call.keywords}
        given = self._given_nodes(api, b, call, frame)
        try:
            if api.slim:
                # slim: biases unless a normalizer replaces them; relu by default
                if (
                    given("normalizer_fn") is not None
                    or self.formats.scoped(frame, api.name, "normalizer_fn") is not None
                ):
                    return None
                act, init = given("activation_fn"), given("biases_initializer")
                if not is_literal(act, None) or is_literal(init, None) or init in given.spread:
                    return None
                if self.formats.scoped(frame, api.name, "activation_fn") is not None:
                    return None
                return (module, at, "slim")
            if not api.roles.get("use_bias"):
                return None  # tf.nn convs add no bias
            use_bias, act = given("use_bias"), given("activation")
        except _Unread:
            return None
        if use_bias is not None and use_bias in given.spread:
            return None  # the fix's ``use_bias=False`` would repeat the dict's
        if use_bias is not None and not is_literal(use_bias, True):
            return None
        if act is not None and not is_literal(act, None):
            return None
        return (module, at, "bias" if self._keras1(api, keywords) else "use_bias")

    def _given_nodes(self, api, b: Bound, call, frame):
        """``given(param)``: the node passing ``param`` (under any spelling),
        written in the call or in a dict it spreads (``**conv_args``); None
        when nothing passes it; raises _Unread when a spread dict cannot be
        read.  ``given.spread`` holds the nodes that come from a dict."""

        def given(param):
            node = b.node(param) or next((k.value for k in call.keywords if k.arg == param), None)
            if node is not None or not b.star_kwargs:
                return node
            for name in [param] + [old for old, new in api.spellings.items() if new == param]:
                spread = self.formats.spread_arg(call, name, frame)
                if spread is None:
                    raise _Unread
                if spread[0] is not None:
                    given.spread.append(spread[0])
                    return spread[0]
            return None

        given.spread = []
        return given

    def _keras1(self, api, keywords) -> bool:
        """Whether a conv layer call is Keras 1 code, whose fix must spell
        ``bias=``: it, or another call of its module, uses a Keras 1 keyword
        (``Convolution2D(64, 1, 1, name=...)`` beside ``border_mode=`` ones)."""
        if any(k in api.spellings for k in keywords):
            return True
        if self._keras1_module is None:
            self._keras1_module = any(
                _called_name(c) in _KERAS1_LAYERS and any(k.arg in catalog.KERAS1_CONV for k in c.keywords)
                for c in self.module.index.calls
            )
        return self._keras1_module

    def _conv_rnn(self, api, b: Bound, call, args, frame):
        """ConvLSTM: a conv layout, with a time axis when it returns sequences."""
        param = api.roles["data_format"]
        fmt = self.formats.layout_of(b.value(param), b.has(param), None, api.default_format)
        seq = b.node(api.roles["sequences"])
        if fmt is None or (seq is not None and not isinstance(seq, ast.Constant)) or b.star_kwargs:
            return None
        if seq is not None and seq.value:
            return Layer("conv", call, layout=Layout(api.rank + 1, fmt.last, 2))
        return Layer("conv", call, layout=Layout(api.rank, fmt.last))

    # --- batch norms -----------------------------------------------------------
    def _bn_layer(self, api, b: Bound, call, args, frame):
        self.records.momentum(api, b, call, frame)
        return Layer("bn", call)

    def _bn_axis_op(self, api, b: Bound, call, args, frame):
        self.records.momentum(api, b, call, frame)
        x = b.input(api)
        self.records.bn_axis(call, x, frame)
        return x.keep(False) if isinstance(x, Tensor) else None

    def _bn_format_op(self, api, b: Bound, call, args, frame):
        self.records.momentum(api, b, call, frame)
        x = b.input(api)
        self.records.biased_input(call, x, frame)
        if isinstance(x, Tensor):
            param = api.roles["data_format"]
            df_val, df_node = b.value(param), b.node(param)
            scoped = None
            if df_node is None:
                arg = self.formats.scoped_arg(frame, api.name, param)
                scoped = arg if arg is None or arg is _OPAQUE else arg.node
                if arg is not None and arg is not _OPAQUE:
                    df_val = arg.value
            known = df_node is not None or (scoped is None and not b.opaque)
            if known or (scoped is not None and scoped is not _OPAQUE):
                self.interp.record(
                    "bn_format",
                    call,
                    x,
                    frame,
                    api=api.name,
                    df_node=df_node,
                    df_value=df_val,
                    df_index=api.params.index(param) + getattr(call, "bnlint_shift", 0),
                    scoped=scoped is not None,
                    scope=frame.scope,
                    # a helper's ``data_format=data_format``: each value its callers pass is a site
                    vary=df_val.value if isinstance(df_val, Str) else None,
                )
        out = x.keep(False) if isinstance(x, Tensor) else None
        return Seq((out, None, None)) if api.roles.get("returns_triple") else out

    def _moments(self, api, b: Bound, call, args, frame):
        x = b.input(api)
        tensor = x if isinstance(x, Tensor) else None
        axes_node = b.node(api.roles["axes"])
        axes = self.records.axes_value(axes_node, frame)
        self.interp.record(
            "moments",
            call,
            tensor,
            frame,
            scope=frame.scope,
            x_node=b.node(api.roles["input"]),
            axes_node=axes_node,
            axes=axes,
            vary=None if axes is None else (axes.values, id(axes.node)),
        )
        return Moments(call, tensor)

    def _moving_average(self, api, b: Bound, call, args, frame):
        param = api.roles["momentum"]
        return MovingAverage(api, call, b.node(param), b.value(param))

    def _assign_moving_average(self, api, b: Bound, call, args, frame):
        """``assign_moving_average(moving_mean, mean, decay)`` of a moments' mean."""
        if isinstance(b.value(api.roles["value"]), Moments):
            param = api.roles["momentum"]
            node = b.node(param)
            if node is not None:
                self.records.momentum_given(api, call, node, b.value(param), frame, literal=True)
        return None

    def apply_moving_average(self, average: MovingAverage, call: ast.Call, args, frame) -> None:
        """``ema.apply([batch_mean, batch_var])``: the decay is a batch norm's."""
        averaged = args[0] if args else None
        items = averaged.items if isinstance(averaged, Seq) else (averaged,)
        if average.decay_node is not None and any(isinstance(i, Moments) for i in items):
            self.records.momentum_given(
                average.api, average.call, average.decay_node, average.decay, frame, literal=True
            )

    def _batch_normalization(self, api, b: Bound, call, args, frame):
        x = b.input(api)
        if not isinstance(x, Tensor):
            return None
        for pname in api.roles["params"]:
            val = b.value(pname)
            if isinstance(val, Param):
                val.owner(self.interp).record("param", val.shape, x, frame, param=val)
        return x.keep(True)

    # --- layout-preserving ops ----------------------------------------------------
    def _preserve(self, api, b: Bound, call, args, frame):
        x = b.input(api)
        if isinstance(x, Seq):  # tf.add_n([a, b]), keras add([a, b])
            return merge_tensors(x.items)
        if not isinstance(x, Tensor):
            return None
        if api.roles.get("adds_bias") and x.fresh and x.bias_of is None:
            # tf.nn.bias_add(tf.nn.conv2d(...), b): that conv's bias
            return Tensor(
                x.layout, origin=x.origin, bias_of=(self.module, call, "bias_add"), made_in=frame.run
            )
        return x.keep(False)

    def _concat(self, api, b: Bound, call, args, frame):
        x = b.input(api)
        return merge_tensors(x.items) if isinstance(x, Seq) else None

    def _pool(self, api, b: Bound, call, args, frame):
        x = b.input(api)
        if not isinstance(x, Tensor):
            return None
        param = api.roles["data_format"]
        fmt = self.formats.layout_of(b.value(param), b.has(param), x.layout.rank, "last")
        if fmt is not None and fmt.last == x.layout.last:
            return x.keep(False)
        return None

    def _repeat(self, api, b: Bound, call, args, frame):
        """``slim.repeat(net, n, slim.conv2d, 64, [3, 3])``: the layer applied
        (n times: the same layout each time), reported at the repeat."""
        layer = b.node(api.roles["layer"])
        x_node = b.node(api.roles["input"])
        if layer is None or x_node is None or b.star_args or len(call.args) < 3:
            return None
        return self._apply_to(
            layer, x_node, b.input(api), call.args[3:], args[3:], call.keywords, call, frame
        )

    def _stack(self, api, b: Bound, call, args, frame):
        """``slim.stack(net, slim.conv2d, [(32, [3, 3]), (64, [1, 1])])``."""
        layer, x_node, each = (b.node(api.roles[r]) for r in ("layer", "input", "each"))
        if layer is None or x_node is None or not isinstance(each, (ast.List, ast.Tuple)):
            return None
        x = b.input(api)
        for item in each.elts:
            extra = item.elts if isinstance(item, (ast.List, ast.Tuple)) else [item]
            values = [self.interp.ev(e, frame) for e in extra]
            x = self._apply_to(layer, x_node, x, extra, values, call.keywords, call, frame)
        return x

    def _apply_to(self, layer, x_node, x, extra_nodes, extra_values, keywords, at, frame):
        name = self.module.imports.resolve(layer)
        if name is None:
            return None
        key = (id(at), id(extra_nodes[0]) if extra_nodes else None)
        merged = self._merged.get(key)
        if merged is None:
            merged = ast.Call(
                func=layer, args=[x_node, *extra_nodes], keywords=[k for k in keywords if k.arg != "scope"]
            )
            ast.copy_location(merged, at)
            merged.end_lineno, merged.end_col_offset = at.end_lineno, at.end_col_offset
            self._merged[key] = merged
        kws = {k.arg: self.interp.ev(k.value, frame) for k in merged.keywords if k.arg}
        return self.apply(name, merged, [x, *extra_values], kws, frame)

    def _transpose(self, api, b: Bound, call, args, frame):
        """``tf.transpose(y, [0, 3, 1, 2])``: the channels go where ``perm`` puts them."""
        perm = b.value(api.roles["perm"])
        return permuted(b.input(api), perm.values) if isinstance(perm, IntList) else None

    def _permute_layer(self, api, b: Bound, call, args, frame):
        """``layers.Permute((3, 1, 2))``: ``dims`` leave out the batch axis."""
        dims = b.value(api.roles["dims"])
        return Layer("permute", call, perm=(0, *dims.values)) if isinstance(dims, IntList) else None

    def _reshape(self, api, b: Bound, call, args, frame):
        """``tf.reshape(t, t.get_shape())`` / ``tf.reshape(t, tf.shape(t))``:
        the same shape, so the same layout; any other shape is unknown."""
        x, shape = b.input(api), b.value(api.roles["shape"])
        # t.shape, t.get_shape(), tf.shape(t) of t itself, or of the tensor
        # it was computed from with the same layout: reshape(bias_add(conv, b), conv.get_shape())
        if isinstance(x, Tensor) and isinstance(shape, ShapeOf) and shape.tensor.layout == x.layout:
            return x.keep(False)
        return None

    # --- Keras layers ----------------------------------------------------------------
    def _lambda_layer(self, api, b: Bound, call, args, frame):
        fn = b.node(api.roles["function"])
        return Layer("preserve", call) if self._preserving_lambda(fn) else None

    def _preserving_lambda(self, fn) -> bool:
        """``lambda t: tf.nn.relu(t)``: a Lambda layer that keeps the layout."""
        if not isinstance(fn, ast.Lambda) or len(fn.args.args) != 1:
            return False
        body, arg = fn.body, fn.args.args[0].arg
        return (
            isinstance(body, ast.Call)
            and self.module.imports.resolve(body.func) in _PRESERVING
            and bool(body.args)
            and isinstance(body.args[0], ast.Name)
            and body.args[0].id == arg
        )

    def _formatted_layer(self, api, b: Bound, call, args, frame):
        param = api.roles["data_format"]
        fmt = self.formats.layout_of(b.value(param), b.has(param), None, api.default_format)
        return Layer("formatted", call, fmt=fmt) if fmt else None

    def _time_distributed(self, api, b: Bound, call, args, frame):
        inner = b.value(api.roles["layer"])
        return Layer("td", call, inner=inner) if isinstance(inner, Layer) else None

    def _sequential(self, api, b: Bound, call, args, frame):
        layers = b.value(api.roles["layers"])
        model = None
        if isinstance(layers, Seq):
            for value in layers.items:
                model = thread(self.interp, model, value, call, frame, call)
        elif isinstance(layers, Each) and layers.start is not None:
            # a list a loop filled block by block: each block meets the one
            # before it; how many there are, and so the output, is unknown
            for value in layers.in_order():
                model = thread(self.interp, model, value, call, frame, call)
            return Sequential(call, None)
        return Sequential(call, model.layout, model.last) if model is not None else Sequential(call, None)

    def _format_getter(self, api, b: Bound, call, args, frame):
        kd = self.interp.keras_default
        if not isinstance(kd, str):
            return None
        if api.roles.get("ordering"):
            return Str("th" if kd == "channels_first" else "tf")
        return Str(kd)

    # --- variables -----------------------------------------------------------------------
    def _variable(self, api, b: Bound, call, args, frame):
        if "shape" in api.roles:
            node = b.node(api.roles["shape"])
            return self.records.param_shape(call, node, frame) if node is not None else None
        init = b.node(api.roles["initial_value"])
        if isinstance(init, ast.Name):
            # ``initial = tf.constant(0.1, shape=shape)`` then ``tf.Variable(initial)``
            init = _assigned_once(frame.scope, init.id)
        if isinstance(init, ast.Call):
            init_api = catalog.lookup(self.module.imports.resolve(init.func))
            if init_api is not None and init_api.effect == "shaped_initializer":
                shape = bind(init_api.params, init, [None] * len(init.args), {}).node("shape")
                if shape is not None:
                    return self.records.param_shape(call, shape, frame)
        return None

    def _assign(self, api, b: Bound, call, args, frame):
        ref = b.value(api.roles["ref"])
        if isinstance(ref, Param) and len(call.args) > 1:
            self.records.assign_param(ref, call.args[1], frame)
        self.written_out_update(call, b.node(api.roles["ref"]), b.node(api.roles["value"]), frame, api)
        return None

    def written_out_update(self, call, ref, value, frame, api=None) -> None:
        """``tf.assign(pop_mean, pop_mean * decay + batch_mean * (1 - decay))``
        (or ``pop_mean.assign(...)``) of a moments' output: the decay is a
        batch norm momentum."""
        decay = _decay_of_update(ref, value)
        if decay is not None and isinstance(self.interp.ev(decay[1], frame), Moments):
            api = api or catalog.lookup("tf.assign")
            number = self.interp.ev(decay[0], frame)
            self.records.momentum_given(api, call, decay[0], number, frame, literal=True)


def _assigned_once(scope, name: str):
    """The value ``name`` is assigned in ``scope`` (a function's body, or a
    module's top-level statements), when it is assigned exactly once there."""
    nodes = scope.body if isinstance(scope, ast.Module) else ast.walk(scope)
    found = [
        node.value
        for node in nodes
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id == name
    ]
    return found[0] if len(found) == 1 else None


def _decay_of_update(ref, value):
    """(decay node, new-value node) of a moving-average update written out,
    ``ref * decay + new * (1 - decay)`` (the terms and factors in any order);
    None for anything else."""
    if ref is None or not isinstance(value, ast.BinOp) or not isinstance(value.op, ast.Add):
        return None
    old = ast.dump(ref)
    for kept, added in ((value.left, value.right), (value.right, value.left)):
        if not (isinstance(kept, ast.BinOp) and isinstance(kept.op, ast.Mult)):
            continue
        if not (isinstance(added, ast.BinOp) and isinstance(added.op, ast.Mult)):
            continue
        for own, decay in ((kept.left, kept.right), (kept.right, kept.left)):
            if ast.dump(own) != old:
                continue
            for new, weight in ((added.left, added.right), (added.right, added.left)):
                if _one_minus(weight, decay):
                    return decay, new
    return None


def _one_minus(node, decay) -> bool:
    """``1 - decay`` (or ``1. - decay``)."""
    return (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Sub)
        and isinstance(node.left, ast.Constant)
        and node.left.value == 1
        and ast.dump(node.right) == ast.dump(decay)
    )


# --- layer objects -------------------------------------------------------------------------


def _encloses(outer: Frame, frame: Frame) -> bool:
    """Whether ``outer`` is ``frame`` or one of the frames around it."""
    while frame is not None:
        if frame is outer:
            return True
        frame = frame.parent
    return False


def apply_layer(interp, layer: Layer, x, frame: Frame, call: ast.Call | None = None):
    """The value of ``layer(x)`` (``call``: that application, when written)."""
    home = layer.interp if layer.interp is not None else interp
    if layer.kind == "conv":
        return Tensor(
            layer.layout,
            origin=(home.module, layer.node),
            fresh=True,
            bias_of=layer.bias,
            made_in=frame.run,
            keras_default=layer.keras_default,
        )
    if layer.kind == "bn":
        if home is not interp:
            # built by another module (``make_bn()`` from layers.py): the
            # site, its names and its fix are there; the context is this call
            env = layer.env if isinstance(layer.env, Frame) else home.frame
            key = frame.key
            if call is not None:
                # the application is the call that hands the layer its input
                key = ("applied", id(call), frame.key)
                interp.session.add_edge(key, interp.module, call, frame.key)
            frame = Frame(env.scope, parent=env, via_call=frame.via_call, key=key)
        elif isinstance(layer.env, Frame) and not _encloses(layer.env, frame):
            # built in ``__init__`` (``BatchNormalization(axis=bn_axis)``),
            # applied in ``call``: its arguments are read where it was built
            frame = Frame(layer.env.scope, parent=layer.env, via_call=frame.via_call, key=frame.key)
        home.records.bn_axis(layer.node, x, frame, layer.api, chosen=layer.chosen)
        return x.keep(False) if isinstance(x, Tensor) else None
    if layer.kind == "preserve":
        if isinstance(x, Seq):
            return merge_tensors(x.items)
        return x.keep(False) if isinstance(x, Tensor) else None
    if layer.kind == "formatted":
        if isinstance(x, Tensor) and layer.fmt is not None and layer.fmt.last == x.layout.last:
            return x.keep(False)
        return None
    if layer.kind == "permute":
        return permuted(x, layer.perm)
    if layer.kind == "td":
        inner_in = None
        if isinstance(x, Tensor):
            inner_layout = x.layout.drop_time()
            inner_in = Tensor(inner_layout, origin=x.origin) if inner_layout else None
        out = apply_layer(interp, layer.inner, inner_in, frame, call)
        return Tensor(out.layout.add_time(), origin=out.origin) if isinstance(out, Tensor) else None
    return None


def permuted(x, perm: tuple):
    """``x`` with its axes in the order ``perm`` gives: the channel axis
    first or last after the batch axis, else (or for anything not a
    one-batch-axis conv output of known rank) unknown."""
    if not isinstance(x, Tensor) or x.layout.lead != 1:
        return None
    rank, channel = x.layout.rank, x.layout.channel_axis
    if rank is None or channel is None or sorted(perm) != list(range(rank)) or perm[0] != 0:
        return None
    moved = list(perm).index(channel)
    if moved not in (1, rank - 1):
        return None
    return dataclasses.replace(x.keep(False), layout=Layout(rank, last=moved == rank - 1))


def thread(interp, model: Sequential | None, layer, node, frame: Frame, call=None) -> Sequential:
    """Append a layer to a Sequential model (None: an empty one); ``call``:
    the code of this module that does it (``Sequential([...])``, ``model.add``)."""
    if isinstance(layer, KerasInput) and (model is None or model.layout is None):
        return Sequential(node, None)  # the model's input: nothing to follow yet
    project_layer = (
        isinstance(layer, Instance)
        and layer.cls.keras_layer
        and layer.cls.called is not None
        and call is not None
    )
    if not isinstance(layer, Layer) and not project_layer:
        return Sequential(node, None)
    last = None
    if model is not None and model.layout is not None:
        last = model.last if model.last is not None else Tensor(model.layout)
    if project_layer:
        # ``Sequential([ConvBN(32), ...])``: Keras runs the layer's ``call``
        out = interp.call_object(layer, call, [last], {}, frame)
    else:
        out = apply_layer(interp, layer, last, frame, call)
    return Sequential(node, out.layout, out) if isinstance(out, Tensor) else Sequential(node, None)


def merge_tensors(items):
    tensors = [i for i in items if isinstance(i, Tensor)]
    if not tensors:
        return None
    layouts = {t.layout for t in tensors}
    return tensors[0].keep(False) if len(layouts) == 1 else None
