"""data_format arguments, Keras defaults and slim arg_scope."""

from __future__ import annotations

import ast

from bnlint.graph.frame import (
    _OPAQUE,
    Frame,
    _dim_ordering,
)
from bnlint.analysis.layout import Layout, is_format_string, parse_format
from bnlint.analysis.values import (
    NoneConst,
    Str,
)


class Formats:
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
