"""Functions and methods: analysed standalone with their defaults, and
once per distinct set of tracked argument values their callers pass."""

from __future__ import annotations

import ast
import re

from bnlint.graph.frame import (
    Frame,
    _merge_values,
    _significant,
)
from bnlint.analysis.sites import Sites
from bnlint.analysis.values import (
    Func,
    Instance,
    same,
)

_MAX_DEPTH = 8
# Words a function needs to touch convs, batch norms or their parameters.
_RELATED_TOKENS = (
    r"onv|moments|atch_norm|BatchNorm|normaliz|self\b|Sequential|set_image|Variable|variable"
    r"|add_weight|assign|TimeDistributed|arg_scope|global\b|nonlocal\b"
)


class Functions:
    def run(self) -> Sites:
        self.exec_block(self.tree.body, self.module)
        self._module_done = True  # module-level names are all bound now
        # A name some function rebinds with ``global`` has no one value.
        for name in self.index.globals_rebound():
            self.module.vars[name] = None
        self._analyze_pending(self.module)
        return self.sites

    def _analyze_pending(self, frame: Frame) -> None:
        """Analyse, with default arguments, functions no caller reached."""
        pending = [v for v in list(frame.vars.values()) if isinstance(v, Func)]
        for cls in list(frame.classes):
            # __init__/build first: they define the layer attributes.
            order = sorted(
                cls.methods.values(),
                key=lambda f: f.node.name not in ("__init__", "build"),
            )
            for func in order:
                self._standalone(func)
        for func in pending:
            self._standalone(func)

    def _standalone(self, func: Func) -> None:
        if id(func.node) in self.analyzed:
            return
        self.analyzed.add(id(func.node))
        if not self._may_matter(func):
            return
        parent = func.env if isinstance(func.env, Frame) else self.module
        frame = Frame(func.node, parent=parent, via_call=False, cls=func.cls)
        params = self._params(func.node)
        bound: dict[str, object] = {}
        for i, (name, default) in enumerate(params):
            if i == 0 and func.cls is not None:
                bound[name] = Instance(func.cls)
                continue
            bound[name] = self._default_value(func, name, default)
        frame.vars.update(bound)
        self._run_function(func, frame)

    def _params(self, fn) -> list[tuple[str, ast.expr | None]]:
        a = fn.args
        positional = a.posonlyargs + a.args
        defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
        out = list(zip([p.arg for p in positional], defaults))
        out += [(p.arg, d) for p, d in zip(a.kwonlyargs, a.kw_defaults)]
        return out

    def _default_value(self, func: Func, name: str, default):
        """A parameter's default, trusted only when no in-module caller
        passes something else for it."""
        if default is None:
            return None
        value = self.ev(default, self.module)
        if value is None:
            return None
        key = func.node.name
        called = func.cls.node.name if key == "__init__" and func.cls is not None else key
        if self.index.count(called + "(") <= 1:
            return value  # only its own ``def``/``class`` line: no caller here
        if func.cls is not None:
            callers = self.callers(key, method=True)
            if key == "__init__":
                callers = callers + self.callers(func.cls.node.name)
        else:
            callers = self.callers(key)
        params = [p for p, _ in self._params(func.node)]
        offset = 1 if func.cls is not None else 0
        for call in callers:
            if any(isinstance(a, ast.Starred) for a in call.args) or any(
                k.arg is None for k in call.keywords
            ):
                return None
            passed = None
            for k in call.keywords:
                if k.arg == name:
                    passed = k.value
            idx = params.index(name) - offset
            if passed is None and 0 <= idx < len(call.args):
                passed = call.args[idx]
            if passed is not None and not same(self.ev(passed, self.module), value):
                return None
        return value

    def _run_function(self, func: Func, frame: Frame):
        self.stack.append(id(func.node))
        try:
            self.exec_block(func.node.body, frame)
            self._analyze_pending(frame)
        finally:
            self.stack.pop()
        if self.index.is_generator(func.node):
            return None
        return _merge_values(frame.returns) if frame.returns else None

    def call_function(self, func: Func, call: ast.Call, args, kws, bound_self=None):
        if id(func.node) in self.stack or len(self.stack) >= _MAX_DEPTH:
            return None
        params = self._params(func.node)
        bound: dict[str, object] = {}
        names = [p for p, _ in params]
        pos = list(args)
        if bound_self is not None and names:
            bound[names[0]] = bound_self
            names_iter = names[1:]
        else:
            names_iter = names
        for name, val in zip(names_iter, pos):
            bound[name] = val
        for k, v in kws.items():
            if k in names:
                bound[k] = v
        for name, default in params:
            if name not in bound:
                bound[name] = self.ev(default, self.module) if default is not None else None
        if not any(_significant(v) for v in bound.values()):
            # Nothing tracked flows in: the standalone analysis covers it.
            self._standalone(func)
            return self._summary(func)
        key = (id(func.node), tuple(sorted(bound.items(), key=lambda kv: kv[0])))
        try:
            hash(key)
        except TypeError:
            return None
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = None
        parent = func.env if isinstance(func.env, Frame) else self.module
        frame = Frame(func.node, parent=parent, via_call=True, cls=func.cls)
        frame.vars.update(bound)
        result = self._run_function(func, frame)
        self.memo[key] = result
        return result

    def _may_matter(self, func: Func) -> bool:
        """Whether a function, run with untracked arguments, could reach a
        site or return a tracked value: its text must name a conv/batch-norm
        API, ``self``, or something the module defines or binds."""
        if not self.skip_unrelated or self.index.text is None or not self._module_done:
            return True
        if self._related is None:
            names = {k for k, v in self.module.vars.items() if v is not None and k.isidentifier()} | {
                s.name
                for s in self.tree.body
                if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            }
            words = "|".join(sorted(map(re.escape, names)))
            self._related = re.compile(_RELATED_TOKENS + (rf"|\b(?:{words})\b" if words else ""))
        lines = self.index.lines
        start = min([func.node.lineno] + [d.lineno for d in func.node.decorator_list])
        text = "".join(lines[start - 1 : func.node.end_lineno])
        return self._related.search(text) is not None

    def _summary(self, func: Func):
        """Return value of a function whose arguments carry no tensor:
        its own convs, e.g. ``def conv_block(): return Conv2D(...)``."""
        key = (id(func.node), "summary")
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = None
        parent = func.env if isinstance(func.env, Frame) else self.module
        frame = Frame(func.node, parent=parent, via_call=False, cls=func.cls)
        for name, default in self._params(func.node):
            frame.vars[name] = self._default_value(func, name, default)
        self.stack.append(id(func.node))
        try:
            # Sites were recorded by the standalone run; record nothing new.
            saved, self.sites = self.sites, Sites()
            self.exec_block(func.node.body, frame)
        finally:
            self.sites = saved
            self.stack.pop()
        result = _merge_values(frame.returns) if frame.returns else None
        self.memo[key] = result
        return result
