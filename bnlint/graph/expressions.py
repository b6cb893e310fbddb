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
from bnlint.values import (
    ClassInfo,
    DictLit,
    Func,
    Instance,
    Int,
    IntList,
    Layer,
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
