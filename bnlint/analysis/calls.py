"""Functions and methods: analysed standalone with their defaults, and
once per distinct set of tracked argument values their callers pass.

A function's body always runs in the interpreter of the module that
defines it, whichever module calls it; every call is an edge of the
session's call graph, so a finding can name the calls that lead to it."""

from __future__ import annotations

import ast
import dataclasses
import re

from bnlint.analysis.frame import Frame, _merge_values, _significant
from bnlint.analysis.layout import is_format_string
from bnlint.analysis.sites import Sites
from bnlint.analysis.values import ClassInfo, Func, Instance, Int, IntList, ModuleRef, NoneConst, Str, same

_MAX_DEPTH = 8
# Words a function needs to touch convs, batch norms or their parameters.
_RELATED = re.compile(
    r"onv|moments|atch_norm|BatchNorm|normaliz|self\b|Sequential|set_image|Variable|variable"
    r"|add_weight|assign|TimeDistributed|arg_scope|global\b|nonlocal\b"
)


def params_of(fn) -> list[tuple[str, ast.expr | None]]:
    a = fn.args
    positional = a.posonlyargs + a.args
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    out = list(zip([p.arg for p in positional], defaults))
    out += [(p.arg, d) for p, d in zip(a.kwonlyargs, a.kw_defaults)]
    return out


def _as_passed(value):
    """A constant a caller passes is fixed at the call, not in the helper."""
    if isinstance(value, (Int, IntList)) and value.module is not None and not value.passed:
        return dataclasses.replace(value, passed=True)
    return value


class FunctionCalls:
    """Runs function bodies for the whole session (every module)."""

    def __init__(self, session):
        self.session = session
        self.memo: dict = {}
        self.stack: list = []
        self.analyzed: set[int] = set()
        self._reaching: dict[int, bool] = {}  # function node -> may reach a site
        self._offering: dict[int, bool] = {}  # interpreter -> a module value may

    # --- entry points ---------------------------------------------------------
    def analyze_pending(self, interp, frame: Frame) -> None:
        """Analyse, with default arguments, the functions and methods a
        scope defines that no caller reached."""
        pending = [v for v in list(frame.vars.values()) if isinstance(v, Func) and v.interp is interp]
        for cls in list(frame.classes):
            # __init__/build first: they define the layer attributes.
            order = sorted(cls.methods.values(), key=lambda f: f.node.name not in ("__init__", "build"))
            for func in order:
                self.standalone(func)
        for func in pending:
            self.standalone(func)

    def standalone(self, func: Func) -> None:
        if id(func.node) in self.analyzed:
            return
        self.analyzed.add(id(func.node))
        interp = func.interp
        if not self._may_matter(func):
            return
        parent = func.env if isinstance(func.env, Frame) else interp.frame
        frame = Frame(
            func.node, parent=parent, via_call=False, cls=func.cls, key=("standalone", id(func.node))
        )
        bound: dict[str, object] = {}
        for i, (name, default) in enumerate(params_of(func.node)):
            if i == 0 and func.cls is not None:
                bound[name] = Instance(func.cls)
                continue
            bound[name] = self._default_value(func, name, default)
        frame.vars.update(bound)
        self._run(func, frame)

    def call(self, func: Func, call: ast.Call, args, kws, bound_self, caller, caller_frame: Frame):
        """The value of ``call``, a call of ``func`` from ``caller`` (an
        interpreter) in ``caller_frame``."""
        if id(func.node) in self.stack or len(self.stack) >= _MAX_DEPTH:
            return None
        interp = func.interp
        params = params_of(func.node)
        bound: dict[str, object] = {}
        names = [p for p, _ in params]
        if bound_self is not None and names:
            bound[names[0]] = bound_self
            names_iter = names[1:]
        else:
            names_iter = names
        for name, val in zip(names_iter, args):
            bound[name] = _as_passed(val)
        for k, v in kws.items():
            if k in names:
                bound[k] = _as_passed(v)
        for name, default in params:
            if name not in bound:
                bound[name] = interp.ev(default, interp.frame) if default is not None else None
        if not any(_significant(v) for v in bound.values()):
            # Nothing tracked flows in: the standalone analysis covers it.
            if not self._may_matter(func):
                return None
            self.standalone(func)
            return self._summary(func)
        key = (id(func.node), tuple(sorted(bound.items(), key=lambda kv: kv[0])))
        try:
            hash(key)
        except TypeError:
            return None
        self.session.add_edge(key, caller.module, call, caller_frame.key)
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = None
        parent = func.env if isinstance(func.env, Frame) else interp.frame
        frame = Frame(func.node, parent=parent, via_call=True, cls=func.cls, key=key)
        frame.vars.update(bound)
        result = self._run(func, frame)
        self.memo[key] = result
        return result

    # --- helpers ----------------------------------------------------------------
    def _run(self, func: Func, frame: Frame):
        interp = func.interp
        self.stack.append(id(func.node))
        try:
            interp.exec_block(func.node.body, frame)
            self.analyze_pending(interp, frame)
        finally:
            self.stack.pop()
        if interp.module.index.is_generator(func.node):
            return None
        return _merge_values(frame.returns) if frame.returns else None

    def _default_value(self, func: Func, name: str, default):
        """A parameter's default, trusted only when no caller in its module
        passes something else for it."""
        if default is None:
            return None
        interp = func.interp
        value = interp.ev(default, interp.frame)
        if value is None:
            return None
        module = interp.module
        key = func.node.name
        called = func.cls.node.name if key == "__init__" and func.cls is not None else key
        if module.index.count(called + "(") <= 1:
            return value  # only its own ``def``/``class`` line: no caller here
        if func.cls is not None:
            callers = module.callers(key, method=True)
            if key == "__init__":
                callers = callers + module.callers(func.cls.node.name)
        else:
            callers = module.callers(key)
        params = [p for p, _ in params_of(func.node)]
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
            if passed is not None and not same(interp.ev(passed, interp.frame), value):
                return None
        return value

    def _may_matter(self, func: Func) -> bool:
        """Whether a function, run with untracked arguments, could reach a
        site or return a tracked value: its text must name a conv or batch
        norm API, ``self``, or something its module binds that could."""
        index = func.interp.module.index
        if not self.session.skip_unrelated or index.text is None or not func.interp.module_done:
            return True
        return self._reaches(func)

    def _reaches(self, func: Func) -> bool:
        key = id(func.node)
        if key in self._reaching:
            return self._reaching[key]
        self._reaching[key] = False  # a recursion is decided by the rest
        interp = func.interp
        index = interp.module.index
        start = min([func.node.lineno] + [d.lineno for d in func.node.decorator_list])
        text = "".join(index.lines[start - 1 : func.node.end_lineno])
        result = _RELATED.search(text) is not None
        if not result:
            bound = interp.frame.vars
            result = any(
                self._interesting(bound[w]) for w in index.words_in(start, func.node.end_lineno) if w in bound
            )
        self._reaching[key] = result
        return result

    def _interesting(self, value) -> bool:
        """Whether a value a function names could lead it to a site."""
        if value is None or isinstance(value, (Int, NoneConst)):
            return False
        if isinstance(value, Str):
            return is_format_string(value.value)
        if isinstance(value, Func):
            return self._reaches(value)
        if isinstance(value, (ClassInfo, Instance)):
            cls = value if isinstance(value, ClassInfo) else value.cls
            return any(self._reaches(m) for m in cls.methods.values())
        if isinstance(value, ModuleRef):
            return value.interp is not None and self._module_offers(value.interp)
        return True  # tensors, layers, models, parameters, collections of them

    def _module_offers(self, interp) -> bool:
        key = id(interp)
        if key not in self._offering:
            self._offering[key] = False  # import cycles
            self._offering[key] = any(self._interesting(v) for v in list(interp.frame.vars.values()))
        return self._offering[key]

    def _summary(self, func: Func):
        """Return value of a function whose arguments carry no tensor:
        its own convs, e.g. ``def conv_block(): return Conv2D(...)``."""
        key = (id(func.node), "summary")
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = None
        interp = func.interp
        parent = func.env if isinstance(func.env, Frame) else interp.frame
        frame = Frame(func.node, parent=parent, via_call=False, cls=func.cls, key=("summary", id(func.node)))
        for name, default in params_of(func.node):
            frame.vars[name] = self._default_value(func, name, default)
        self.stack.append(id(func.node))
        session = self.session
        try:
            # Sites were recorded by the standalone run; record nothing new.
            saved, session.sites = session.sites, Sites()
            interp.exec_block(func.node.body, frame)
        finally:
            session.sites = saved
            self.stack.pop()
        result = _merge_values(frame.returns) if frame.returns else None
        self.memo[key] = result
        return result
