"""Statements in order; branches and loops merge what they bind."""

from __future__ import annotations

import ast

from bnlint.graph.frame import (
    Frame,
    _merge_vars,
    _target_key,
)
from bnlint.analysis.values import (
    ClassInfo,
    Func,
    Moments,
    Seq,
    same,
)


class Statements:
    def exec_block(self, stmts, frame: Frame) -> None:
        for i, stmt in enumerate(stmts):
            self.exec_stmt(stmt, frame)
            if i + 1 < len(stmts):
                self._conv_then_bn(stmt, stmts[i + 1], stmts[i + 2 :], frame)

    def exec_stmt(self, stmt, frame: Frame) -> None:
        if isinstance(stmt, ast.Assign):
            value = self.ev(stmt.value, frame)
            for t in stmt.targets:
                self.bind(t, value, frame, stmt.value)
        elif isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self.bind(stmt.target, self.ev(stmt.value, frame), frame, stmt.value)
        elif isinstance(stmt, ast.AugAssign):
            value = self._binop(ast.BinOp(left=stmt.target, op=stmt.op, right=stmt.value), frame)
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
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                info.methods[item.name] = Func(item, env=frame, cls=info)
        frame.vars[node.name] = info
        frame.classes.append(info)

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
                "moments",
                value.node,
                value.tensor.layout if value.tensor else None,
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
