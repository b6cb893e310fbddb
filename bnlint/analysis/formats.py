"""Formats: the layout a data_format argument names, Keras' default, and
what a slim ``arg_scope`` gives the ops inside it."""

from __future__ import annotations

import ast
import re

from bnlint.analysis import catalog
from bnlint.analysis.frame import _OPAQUE, Frame, _dim_ordering
from bnlint.analysis.layout import Layout, is_format_string, parse_format
from bnlint.analysis.names import dotted
from bnlint.analysis.signature import Bound, positional_after
from bnlint.analysis.values import ArgScope, DictLit, Func, NoneConst, Scope, ScopedArg, Str


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
                kd = self.interp.keras_default
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
        if df_node is None and bound.star_kwargs:
            spread = self.spread_arg(call, param, frame)
            if spread is None:
                return None
            df_node, df_val, _ = spread
        if df_node is None:
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
            scoped = self.scoped_arg(frame, api.name, "data_format")
            if scoped is _OPAQUE:
                return None
            if scoped is not None:
                df_node, df_val = scoped.node, scoped.value
        if api.rank is None and df_node is None:
            return Layout(None, True)
        return self.layout_of(df_val, df_node is not None, api.rank, api.default_format)

    def spread_arg(self, call: ast.Call, param: str, frame: Frame):
        """(node, value, the spread ``name`` of ``**name``) that ``**kwargs``
        give ``param`` when each is a dict written out in full and never
        changed afterwards (``conv_args = dict(padding="same",
        data_format=DF)``); (None, None, None) when none gives it; None
        when that cannot be known."""
        found = (None, None, None)
        for k in call.keywords:
            if k.arg is not None:
                continue
            spread = self._spread_dict(k.value, frame)
            if spread is None:
                return None
            node, value = spread.entry(param)
            if node is not None:
                found = (node, value, k.value)
        return found

    def arg_scope(self, node, frame: Frame):
        """The scopes ``with slim.arg_scope(...)`` puts in force: [Scope],
        the scopes of an ArgScope value it is given (``my_arg_scope()``),
        [_OPAQUE] when they cannot be read; None if not an arg_scope."""
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
            value = self.interp.ev(ops_node, frame) if ops_node is not None else None
            return list(value.scopes) if isinstance(value, ArgScope) else [_OPAQUE]
        ops = {self.module.imports.resolve(e) or self._project_op(e, frame) for e in ops_node.elts}
        if None in ops:
            return [_OPAQUE]
        kws = []
        for k in node.keywords:
            if k.arg is None:
                # ``arg_scope([slim.batch_norm], **batch_norm_params)``: a dict
                # written out in full and never changed gives its entries
                spread = self._spread_dict(k.value, frame)
                if spread is None:
                    return [_OPAQUE]
                imports = self.module.imports
                kws += [
                    (key, ScopedArg(vnode, value, imports.resolve(vnode), self.module, node))
                    for (key, value), (_, vnode) in zip(spread.items, spread.nodes)
                ]
                continue
            value = self.interp.ev(k.value, frame)
            if k.arg != "list_ops_or_scope":
                kws.append(
                    (
                        k.arg,
                        ScopedArg(k.value, value, self.module.imports.resolve(k.value), self.module, node),
                    )
                )
        self._momentums(ops, dict(kws), node, frame)
        return [Scope(frozenset(ops), tuple(kws), node)]

    def _spread_dict(self, node, frame: Frame) -> DictLit | None:
        """The dict ``**name`` spreads, when this module writes it out in
        full and never changes it afterwards; None otherwise."""
        if not isinstance(node, ast.Name):
            return None
        if node.id in frame.vars:
            # this scope's own dict: the interpreter followed what was done to it
            spread = self.interp.ev(node, frame)
            return spread if isinstance(spread, DictLit) and spread.complete else None
        if (
            not self.module.index.written_once(node.id)
            and not self._own_kwargs(node.id, frame)
            and not self._imported_unchanged(node.id)
        ):
            return None
        spread = self.interp.ev(node, frame)
        if not isinstance(spread, DictLit) or not spread.complete or self.interp.dict_changed(node):
            return None
        return spread

    def _imported_unchanged(self, name: str) -> bool:
        """Whether ``name`` is a dict this module imports from a project
        module that writes it once (``from config import CONV_KW``) and
        this module never changes it."""
        index = self.module.index
        if re.search(rf"\b{re.escape(name)}\s*(?:[\[.]|[-+|]?=(?!=))", index.text or "x.") is not None:
            return False
        found = self.interp.session.imported_from(self.module, name)
        return found is not None and found[0].index.written_once(found[1])

    def _own_kwargs(self, name: str, frame: Frame) -> bool:
        """Whether ``name`` is the running function's ``**kwargs``, passed
        on as its caller gave it (``Conv2D(filters, **kwargs)``)."""
        while frame is not None and not isinstance(frame.scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            frame = frame.parent
        if frame is None or name not in frame.vars:
            return False
        fn = frame.scope
        rest = fn.args.kwarg
        return rest is not None and rest.arg == name and not self.module.index.changed_within(name, fn)

    def _project_op(self, node, frame: Frame) -> str | None:
        """The arg_scope key of a project function decorated with
        ``@add_arg_scope`` (``arg_scope([conv_bn], data_format="NCHW")``)."""
        value = self.interp.lookup(node, frame)
        return scope_key(value) if isinstance(value, Func) and takes_arg_scope(value) else None

    def _momentums(self, ops, kws: dict, node: ast.Call, frame: Frame) -> None:
        """``arg_scope([slim.batch_norm], decay=batch_norm_decay)``: the
        momentum it gives the batch norms under it."""
        records = self.interp.records
        for op in ops:
            api = catalog.lookup(op)
            arg = kws.get(api.roles.get("momentum")) if api is not None else None
            if arg is not None:
                records.momentum_given(api, node, arg.node, arg.value, frame)
        # arg_scope([slim.conv2d], normalizer_fn=slim.batch_norm, normalizer_params={'decay': ...})
        fn, params = kws.get("normalizer_fn"), kws.get("normalizer_params")
        api = catalog.lookup(fn.name) if fn is not None and fn.name else None
        if (
            api is not None
            and "momentum" in api.roles
            and params is not None
            and isinstance(params.value, DictLit)
        ):
            entry, value = params.value.entry(api.roles["momentum"])
            if entry is not None:
                records.momentum_given(api, node, entry, value, frame)

    @staticmethod
    def in_force(frame: Frame) -> tuple:
        """Every scope in force in ``frame``, outermost first: those of the
        enclosing blocks, up to the call site's of the invocation (the
        enclosing functions' without one: a standalone run)."""
        chain = []
        f = frame
        while f is not None:
            chain.append(f.arg_scopes)
            if f.caller_scopes is not None:
                chain.append(f.caller_scopes)
                break
            f = f.parent
        return tuple(s for scopes in reversed(chain) for s in scopes)

    @classmethod
    def scoped_arg(cls, frame: Frame, op: str, kw: str):
        """The ScopedArg an arg_scope gives ``op`` for ``kw``; _OPAQUE if
        unknowable; None if none does."""
        for scope in reversed(cls.in_force(frame)):
            if scope is _OPAQUE:
                return _OPAQUE
            if op in scope.ops or (op.startswith("slim.conv") and "slim.convolution" in scope.ops):
                arg = scope.get(kw)
                if arg is not None:
                    return arg
        return None

    @classmethod
    def scoped(cls, frame: Frame, op: str, kw: str):
        """The node an arg_scope gives ``op`` for ``kw``; _OPAQUE if
        unknowable; None if none does."""
        arg = cls.scoped_arg(frame, op, kw)
        return arg if arg is None or arg is _OPAQUE else arg.node


def takes_arg_scope(func: Func) -> bool:
    """A project function decorated with slim's ``@add_arg_scope``."""
    imports = func.interp.module.imports
    return any(
        (imports.resolve(d) or dotted(d) or "").endswith("add_arg_scope") for d in func.node.decorator_list
    )


def scope_key(func: Func) -> str:
    """How an arg_scope names a project function among its ops."""
    return f"project:{id(func.node)}"
