"""Expressions: names, attributes, literals, arithmetic, and calls to
layers, helpers and the APIs the catalog knows."""

from __future__ import annotations

import ast

from bnlint.graph.frame import (
    Frame,
    _int_const,
    _merge_values,
    _target_key,
)
from bnlint.analysis.values import (
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
)


class Expressions:
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
        handler = _HANDLERS.get(type(node))
        if handler is not None:
            return handler(self, node, frame)
        if isinstance(node, _OPAQUE_EXPRS):
            return None
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.ev(child, frame)
        return None

    def _ev_name(self, node, frame: Frame):
        return self.lookup(node, frame)

    def _ev_attribute(self, node, frame: Frame):
        if isinstance(node.value, ast.Call):
            self.ev(node.value, frame)
        return self.lookup(node, frame)

    def _ev_constant(self, node, frame: Frame):
        value = node.value
        if isinstance(value, str):
            return Str(value)
        if value is None:
            return NoneConst()
        if type(value) is int:
            return Int(value)
        return None

    def _ev_unary(self, node, frame: Frame):
        v = _int_const(node)
        if v is not None:
            return Int(v)
        self.ev(node.operand, frame)
        return None

    def _ev_sequence(self, node, frame: Frame):
        items = []
        for e in node.elts:
            if isinstance(e, ast.Starred):
                spliced = self.ev(e.value, frame)  # [*conv_bn(32), ...]
                if not isinstance(spliced, Seq):
                    return Seq((None,), node)
                items.extend(spliced.items)
            else:
                items.append(self.ev(e, frame))
        items = tuple(items)
        if items and all(isinstance(i, Int) for i in items):
            return IntList(tuple(i.value for i in items), node)
        return Seq(items, node)

    def _ev_dict(self, node, frame: Frame):
        for v in node.values:
            self.ev(v, frame)
        return DictLit(node)

    def _ev_ifexp(self, node, frame: Frame):
        self.ev(node.test, frame)
        return _merge_values([self.ev(node.body, frame), self.ev(node.orelse, frame)])

    def _ev_named(self, node, frame: Frame):
        value = self.ev(node.value, frame)
        self.bind(node.target, value, frame, node.value)
        return value

    def _binop(self, node: ast.BinOp, frame: Frame):
        left = self.ev(node.left, frame)
        right = self.ev(node.right, frame)
        lt, rt = isinstance(left, Tensor), isinstance(right, Tensor)
        if isinstance(left, Seq) and isinstance(right, Seq) and isinstance(node.op, ast.Add):
            return Seq(left.items + right.items)  # layer lists: conv_bn(32) + conv_bn(64)
        if not (lt or rt):
            return None
        if lt and rt:
            if left.layout != right.layout:
                return None
            return Tensor(left.layout, left.normalized or right.normalized)
        tensor, other = (left, right) if lt else (right, left)
        if isinstance(node.op, ast.Sub) and lt and isinstance(other, (Moments, Param)):
            return Tensor(tensor.layout, normalized=True)  # x - mean
        if tensor.normalized and isinstance(node.op, (ast.Mult, ast.Add, ast.Div)):
            if isinstance(other, Param):
                self.sites.add("param", other.shape, tensor.layout, frame.via_call, param=other)
        if isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
            return Tensor(tensor.layout, tensor.normalized)
        return None

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
                        self.bind(
                            func.value, self._thread(owner.layout, layer, owner.node, frame), frame, None
                        )
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


# Expressions whose value is never a tracked tensor and whose insides run
# later or elsewhere (lambdas, comprehensions).
_OPAQUE_EXPRS = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)

_HANDLERS = {
    ast.Name: Expressions._ev_name,
    ast.Attribute: Expressions._ev_attribute,
    ast.Constant: Expressions._ev_constant,
    ast.UnaryOp: Expressions._ev_unary,
    ast.List: Expressions._ev_sequence,
    ast.Tuple: Expressions._ev_sequence,
    ast.Dict: Expressions._ev_dict,
    ast.BinOp: Expressions._binop,
    ast.Call: Expressions._call,
    ast.IfExp: Expressions._ev_ifexp,
    ast.NamedExpr: Expressions._ev_named,
}
