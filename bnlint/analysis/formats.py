"""Formats: the layout a data_format argument names, Keras' default, and
what a slim ``arg_scope`` gives the ops inside it."""

from __future__ import annotations

import ast

from bnlint.analysis.frame import _OPAQUE, Frame, _dim_ordering
from bnlint.analysis.layout import Layout, is_format_string, parse_format
from bnlint.analysis.signature import Bound, positional_after
from bnlint.analysis.values import NoneConst, Str


class Formats:
    """Reads formats for one module; ``interp`` evaluates arg_scope values."""

    def __init__(self, module, interp):
        self.module = module
        self.interp = interp

    def layout_of(self, value, given: bool, rank, default: str) -> Layout | None:
        """Layout named by a data_format argument (``given`` False: the
        parameter's default applies: 'last', 'keras' or 'none')."""
        if not given or isinstance(value, NoneConst):
            if default == "keras":
                kd = self.module.keras_default
                return parse_format(kd, rank) if isinstance(kd, str) else None
            if default == "none":
                return Layout(None, True)
            return Layout(rank, True)
        if isinstance(value, Str):
            return parse_format(value.value, rank)
        return None

    def conv_layout(self, api, bound: Bound, call: ast.Call, args, frame: Frame) -> Layout | None:
        param = api.roles["data_format"]
        keyword = next((k.value for k in call.keywords if k.arg == param), None)
        df_node, df_val = (keyword, bound.value(param)) if keyword is not None else (None, None)
        if df_node is None and not api.format_scan and bound.has(param):
            df_node, df_val = bound.node(param), bound.value(param)
        if df_node is None and api.default_format == "keras" and bound.has("dim_ordering"):  # Keras 1
            df_node, df_val = bound.node("dim_ordering"), _dim_ordering(bound.value("dim_ordering"))
        if df_node is None:
            if bound.star_kwargs:
                return None
            # TF1 signatures take data_format later: a format string given
            # positionally from its TF2 position on is the data_format.
            start = api.params.index(param) if param in api.params else len(call.args)
            later, starred = positional_after(call, args, start) if api.format_scan else ([], False)
            for value, node in later:
                if isinstance(value, Str) and is_format_string(value.value):
                    df_node, df_val = node, value
                    break
                if not isinstance(node, ast.Constant):
                    return None
            if df_node is None and starred:
                return None
        if df_node is None and api.slim:
            scoped = self.scoped(frame, api.name, "data_format")
            if scoped is _OPAQUE:
                return None
            if scoped is not None:
                df_node, df_val = scoped, self.interp.ev(scoped, frame)
        if api.rank is None and df_node is None:
            return Layout(None, True)
        return self.layout_of(df_val, df_node is not None, api.rank, api.default_format)

    def arg_scope(self, node, frame: Frame):
        """(ops, {keyword: node}) of a ``slim.arg_scope(...)`` call, _OPAQUE
        when its ops or keywords cannot be read, None if not one."""
        if not isinstance(node, ast.Call):
            return None
        name = self.module.imports.resolve(node.func)
        if name is None or not name.endswith("arg_scope"):
            return None
        ops_node = node.args[0] if node.args else None
        for k in node.keywords:
            if k.arg == "list_ops_or_scope":
                ops_node = k.value
        if not isinstance(ops_node, (ast.List, ast.Tuple)):
            return _OPAQUE
        ops = {self.module.imports.resolve(e) for e in ops_node.elts}
        if None in ops:
            return _OPAQUE
        for k in node.keywords:
            if k.arg is None:
                return _OPAQUE
            self.interp.ev(k.value, frame)
        return (ops, {k.arg: k.value for k in node.keywords if k.arg != "list_ops_or_scope"})

    @staticmethod
    def scoped(frame: Frame, op: str, kw: str):
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
