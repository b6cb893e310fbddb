"""Where batch norms, moments and parameters meet conv outputs: the
sites the rules read."""

from __future__ import annotations

import ast

from bnlint.analysis import catalog as api
from bnlint.graph.frame import (
    Frame,
)
from bnlint.analysis.values import (
    Int,
    IntList,
    Moments,
    Param,
    Seq,
    Tensor,
)


class Recorders:
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
            "bn_axis",
            node,
            layout,
            frame.via_call,
            axis_node=axis_node,
            axis=axis,
            index=index,
            api=name,
            scope=frame.scope,
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
        if fn_node is None:
            return  # a normalizer from an arg_scope is not followed
        name = self.imports.resolve(node.func)
        fn_name = self.imports.resolve(fn_node)
        if fn_name is None:
            local = self.lookup(fn_node, frame)
            if local is not None:
                return
        # arg_scope applies to the normalizer call too: a format or params
        # it may give make the normalizer's format unknown here.
        if fn_name and self._scoped_kw(frame, fn_name, "data_format") is not None:
            return
        params_node = None
        for k in node.keywords:
            if k.arg == "normalizer_params":
                params_node = k.value
        if params_node is None and self._scoped_kw(frame, name, "normalizer_params") is not None:
            return
        params = self.ev(params_node, frame) if params_node is not None else None
        if params_node is None and any(k.arg is None for k in node.keywords):
            return
        self.sites.add(
            "normalizer",
            node,
            layout,
            frame.via_call,
            fn=fn_name,
            params_node=params_node,
            params=params,
        )

    def _variable(self, name, node, args, kws, frame):
        index, is_shape = api.VARIABLE_FACTORIES[name]
        if is_shape:
            return self._param_from(node, (args, kws, index), "shape", frame)
        _, init = self._arg(node, args, kws, index, "initial_value")
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
            if (
                isinstance(base, ast.Call)
                and isinstance(base.func, ast.Attribute)
                and base.func.attr == "as_list"
            ):
                base = base.func.value
            tensor_node = None
            if isinstance(base, ast.Attribute) and base.attr == "shape":
                tensor_node = base.value
            elif (
                isinstance(base, ast.Call)
                and isinstance(base.func, ast.Attribute)
                and base.func.attr == "get_shape"
            ):
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
