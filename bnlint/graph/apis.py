"""What each API in the catalog does to the values it is given."""

from __future__ import annotations

import ast

from bnlint.analysis import catalog as api
from bnlint.graph.frame import (
    _OPAQUE,
    Frame,
)
from bnlint.analysis.layout import Layout
from bnlint.analysis.values import (
    Layer,
    Moments,
    Param,
    Seq,
    Sequential,
    Str,
    Tensor,
)


class Apis:
    def _arg(self, node: ast.Call, args, kws, index: int, name: str):
        """(value, node) of an argument given by position or keyword."""
        for k in node.keywords:
            if k.arg == name:
                return kws.get(name), k.value
        if index < len(node.args) and not any(isinstance(a, ast.Starred) for a in node.args[: index + 1]):
            return args[index], node.args[index]
        return None, None

    def _has_star_kwargs(self, node: ast.Call) -> bool:
        return any(k.arg is None for k in node.keywords) or any(isinstance(a, ast.Starred) for a in node.args)

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
                        "bn_format",
                        node,
                        x.layout,
                        frame.via_call,
                        api=name,
                        df_node=df_node,
                        df_value=df_val,
                        scoped=scoped is not None,
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
                "moments",
                node,
                tensor.layout if tensor else None,
                frame.via_call,
                scope=frame.scope,
                x_node=x_node,
                axes_node=axes_node,
                axes=axes_val,
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
            x = (
                first
                if first is not None
                else (kws.get("x") or kws.get("features") or kws.get("inputs") or kws.get("value"))
            )
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
        if name == api.KERAS_LAMBDA:
            fn = (
                node.args[0]
                if node.args
                else next((k.value for k in node.keywords if k.arg == "function"), None)
            )
            return Layer("preserve", node) if self._preserving_lambda(fn) else None
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
                for value in layers.items:
                    layout = self._thread(layout, value, node, frame).layout
            return Sequential(node, layout)
        if name in api.KERAS_FORMAT_GETTERS:
            return Str(self.keras_default) if isinstance(self.keras_default, str) else None
        return None

    def _preserving_lambda(self, fn) -> bool:
        """``lambda t: tf.nn.relu(t)``: a Lambda layer that keeps the layout."""
        if not isinstance(fn, ast.Lambda) or len(fn.args.args) != 1:
            return False
        body, arg = fn.body, fn.args.args[0].arg
        return (
            isinstance(body, ast.Call)
            and self.imports.resolve(body.func) in api.PRESERVING_FUNCTIONS
            and bool(body.args)
            and isinstance(body.args[0], ast.Name)
            and body.args[0].id == arg
        )

    def _conv_rnn(self, name, node, args, kws):
        """ConvLSTM: a conv layout, with a time axis when it returns sequences."""
        _, df_node = self._arg(node, args, kws, 4, "data_format")
        fmt = self._format_value(kws.get("data_format"), df_node, None, default_last=None)
        seq = next((k.value for k in node.keywords if k.arg == "return_sequences"), None)
        if (
            fmt is None
            or (seq is not None and not isinstance(seq, ast.Constant))
            or self._has_star_kwargs(node)
        ):
            return None
        plain, with_time = api.CONV_RNNS[name]
        if seq is not None and seq.value:
            return Layer("conv", node, layout=Layout(with_time, fmt.last, 2))
        return Layer("conv", node, layout=Layout(plain, fmt.last))
