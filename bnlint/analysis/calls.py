"""Functions and methods: analysed standalone with their defaults, and
once per distinct set of tracked argument values their callers pass.

A function's body always runs in the interpreter of the module that
defines it, whichever module calls it; every call is an edge of the
session's call graph, so a finding can name the calls that lead to it."""

from __future__ import annotations

import ast
import dataclasses
import re

from bnlint.analysis import catalog
from bnlint.analysis.formats import Formats
from bnlint.analysis.frame import Frame, _merge_values, _significant
from bnlint.analysis.index import statements_in
from bnlint.analysis.layout import is_format_string
from bnlint.analysis.names import dotted
from bnlint.analysis.relevance import RECORDS, RETURNS, Relevance
from bnlint.analysis.sites import Sites
from bnlint.analysis.values import (
    ApiRef,
    ClassInfo,
    DictLit,
    Float,
    Func,
    Instance,
    Int,
    IntList,
    Scope,
    Str,
    Tensor,
    same,
)

_MAX_DEPTH = 8
# a helper's parameter that holds a batch norm's momentum (slim: decay)
_MOMENTUM_NAME = re.compile(r"momentum|decay", re.I)
# defaults a caller's leaving out can make matter: axes, momentums, formats
_CONSTANTS = (Int, IntList, Float, Str)
_AXIS_NAME = re.compile(r"ax[ie]s|dim", re.I)
_VARIABLES = catalog.of_effect("variable")  # tf.Variable, tf.get_variable


def params_of(fn) -> list[tuple[str, ast.expr | None]]:
    a = fn.args
    positional = a.posonlyargs + a.args
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    out = list(zip([p.arg for p in positional], defaults))
    out += [(p.arg, d) for p, d in zip(a.kwonlyargs, a.kw_defaults)]
    return out


def _as_passed(value):
    """A constant a caller passes is fixed at the call, not in the helper;
    a class a caller passes is the caller's choice."""
    if isinstance(value, (Int, IntList, Float)) and value.module is not None and not value.passed:
        return dataclasses.replace(value, passed=True)
    if isinstance(value, ApiRef):
        return value.as_chosen()
    return value


def _holds_momentum(value) -> bool:
    """An object built at a known call that keeps a number as its momentum
    (``self.momentum = momentum`` in DCGAN's ``batch_norm`` class)."""
    return (
        isinstance(value, Instance)
        and value.attrs is not None
        and any(isinstance(v, Float) and _MOMENTUM_NAME.search(k) for k, v in value.attrs.items())
    )


def _forwarded(call: ast.Call, extra: dict) -> DictLit:
    """What a ``**kwargs`` parameter holds for this call: the keywords no
    other parameter took, complete when the call spreads no dict itself."""
    nodes = tuple((k.arg, k.value) for k in call.keywords if k.arg in extra)
    complete = not any(k.arg is None for k in call.keywords)
    return DictLit(call, tuple(extra.items()), complete, nodes)


def _keyed(item, rest: str | None):
    """A bound parameter as part of a memo key: the ``**kwargs`` dict by
    what it holds (one call site can pass it different values), a conv
    output with its bias by the conv."""
    name, value = item
    if name == rest and isinstance(value, DictLit):
        return name, (id(value.node), value.items)
    if isinstance(value, Tensor) and value.bias_of is not None:
        # each biased conv handed to a batch-norm helper is a site of its own
        return name, (value, id(value.bias_of[1]))
    return item


def _scope_key(scope):
    """An arg_scope in force at a call, as part of a memo key: where it is
    written and the values it gives (one ``arg_scope`` in a scope function
    gives what each caller passes)."""
    if not isinstance(scope, Scope):
        return id(scope)  # an opaque one: the one object
    kws = []
    for kw, arg in scope.kws:
        value = arg.value
        try:
            hash(value)
        except TypeError:
            value = id(value)
        kws.append((kw, id(arg.node), arg.name, value))
    return id(scope.node), scope.ops, tuple(kws)


def _ident(func: Func):
    """Which run of a body a standalone analysis is: a method a subclass
    inherits runs again for it, as its ``self`` has other attributes."""
    return id(func.node) if func.home is None else (id(func.node), id(func.cls))


def _constructed_by(init: Func, interp) -> list[str]:
    """Names of the module's classes whose construction runs ``init``."""
    out = [init.defining_class.node.name]
    for value in interp.frame.vars.values():
        if isinstance(value, ClassInfo) and value is not init.defining_class:
            own = value.methods.get("__init__")
            if own is not None and own.node is init.node:
                out.append(value.node.name)
    return out


class FunctionCalls:
    """Runs function bodies for the whole session (every module)."""

    def __init__(self, session):
        self.session = session
        self.memo: dict = {}
        self.stack: list = []
        self.runs: list = []  # ``Frame.run`` of the runs under way, innermost last
        self.analyzed: set = set()  # _ident of the functions run standalone
        self._returns = Relevance(RETURNS)
        self._records = Relevance(RECORDS)

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
        ident = _ident(func)
        if ident in self.analyzed:
            return
        self.analyzed.add(ident)
        interp = func.interp
        if func.home is not None and not self._changed_for(func):
            return  # the base's own run covers it
        if not self._may_record(func):
            return
        parent = func.env if isinstance(func.env, Frame) else interp.frame
        frame = Frame(func.node, parent=parent, via_call=False, cls=func.cls, key=("standalone", ident))
        frame.vars.update(self._defaults(func))
        result = self._run(func, frame)
        # The same run as ``_summary`` makes (defaults, no caller), so its
        # return value is the summary: the body is not run a second time.
        if not interp.module.index.is_generator(func.node):
            self.memo.setdefault((ident, "summary"), result)

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
        passed = set(bound)
        for name, default in params:
            if name not in bound:
                bound[name] = interp.ev(default, interp.frame) if default is not None else None
                if isinstance(bound[name], ApiRef) and self._distrusted(func, name, default):
                    bound[name] = bound[name].as_chosen()  # some caller passes another
        rest = func.node.args.kwarg
        spreads = False
        if rest is not None:
            bound[rest.arg] = _forwarded(call, {k: v for k, v in kws.items() if k not in names})
            # a conv given ``**kwargs`` has the format this call passes, or its
            # default: the standalone run, not knowing them, records nothing
            spreads = bound[rest.arg].complete and self._spreads_to_conv(func, rest.arg)
        # slim's arg_scopes in force at the call reach the ops the body runs
        scopes = Formats.in_force(caller_frame)
        if (
            not spreads
            and not any(_significant(v) for v in bound.values())
            and not self._configures(func, bound, passed)
        ):
            if not self._may_matter(func):
                return None
            if not scopes:
                # Nothing tracked flows in: the standalone analysis covers it.
                self.standalone(func)
                return self._summary(func)
        rest_name = rest.arg if rest is not None else None
        key = (
            id(func.node),
            tuple(sorted((_keyed(kv, rest_name) for kv in bound.items()), key=lambda kv: kv[0])),
        )
        if scopes:
            key += tuple(_scope_key(s) for s in scopes)
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
        frame.caller_scopes = scopes
        frame.vars.update(bound)
        result = self._run(func, frame)
        self.memo[key] = result
        return result

    # --- helpers ----------------------------------------------------------------
    def _run(self, func: Func, frame: Frame):
        interp = func.interp
        self.stack.append(id(func.node))
        self.runs.append(frame.run)
        try:
            interp.exec_block(func.node.body, frame)
            self.analyze_pending(interp, frame)
        finally:
            self.stack.pop()
            self.runs.pop()
        if interp.module.index.is_generator(func.node):
            return None
        return _merge_values(frame.returns) if frame.returns else None

    def _default_value(self, func: Func, name: str, default):
        """A parameter's default, trusted only when no caller in its module
        passes something else for it."""
        if default is None:
            return None
        if name == "training" and func.node.name == "call" and func.cls is not None and func.cls.keras_layer:
            return None  # Keras passes it at run time: ``if training:`` may go either way
        # The same for every class that inherits the method: its callers are
        # those of the module and class that define it.
        key = (id(func.node), id(func.defining_class), "default value", name)
        if key not in self.memo:
            self.memo[key] = self._trusted_default(func, name, default)
        return self.memo[key]

    def _trusted_default(self, func: Func, name: str, default):
        interp = func.interp
        value = interp.ev(default, interp.frame)
        if value is None:
            return None
        module = interp.module
        key = func.node.name
        home = func.defining_class
        # an ``__init__`` runs for its class and the subclasses that inherit it
        classes = _constructed_by(func, interp) if key == "__init__" and home is not None else []
        called = [c + "(" for c in classes] or [key + "("]
        elsewhere = (
            self.session.callers_elsewhere(module, classes or [key]) if home is None or classes else []
        )
        if sum(module.index.count(c) for c in called) <= len(called) and not elsewhere:
            return value  # only their own ``def``/``class`` lines: no caller here
        if home is not None:
            callers = module.callers(key, method=True)
            for c in classes:
                callers = callers + module.callers(c)
        else:
            callers = module.callers(key)
        callers = [(interp, c) for c in callers] + elsewhere
        params = [p for p, _ in params_of(func.node)]
        offset = 1 if func.cls is not None else 0
        for caller, call in callers:
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
            if passed is not None and (caller is None or not same(caller.ev(passed, caller.frame), value)):
                return None
        return value

    def _changed_for(self, func: Func) -> bool:
        """Whether an inherited method may do something else for the
        subclass: it (or a method of the class it calls, transitively)
        names a method the subclass overrides, or an attribute the subclass
        sets otherwise."""
        cls, home = func.cls, func.home
        seen, todo = {id(func.node)}, [func]
        while todo:
            f = todo.pop()
            for name in f.interp.module.index.words_in(f.node.lineno, f.node.end_lineno):
                method = cls.methods.get(name)
                if method is not None and method.defining_class is not home:
                    return True
                if name in cls.attrs and not same(cls.attrs[name], home.attr(name)):
                    return True
                if method is not None and id(method.node) not in seen:
                    seen.add(id(method.node))
                    todo.append(method)
        return False

    def _spreads_to_conv(self, func: Func, rest: str) -> bool:
        """Whether a function that may record a site hands its ``**rest``
        to a call that names a conv (``layers.Conv2D(f, 3, **kwargs)``, not
        ``super().__init__(**kwargs)``)."""
        key = (id(func.node), "spreads")
        if key not in self.memo:
            index = func.interp.module.index
            text = "".join(index.lines[func.node.lineno - 1 : func.node.end_lineno])
            self.memo[key] = (
                "**" + rest in text
                and "onv" in text
                and any(
                    "onv" in (dotted(c.func) or "")
                    and any(
                        k.arg is None and isinstance(k.value, ast.Name) and k.value.id == rest
                        for k in c.keywords
                    )
                    for c in index.calls_on_lines_of("**" + rest)
                    if func.node.lineno <= c.lineno <= func.node.end_lineno
                )
                and self._may_record(func)
            )
        return self.memo[key]

    def _configures(self, func: Func, bound: dict, passed: set) -> bool:
        """Whether a caller passes a number (a momentum) into a function
        that builds a batch norm, or leaves out a constant (an axis, a
        momentum, a format) whose default other callers override, so the
        standalone run cannot trust it: it is run for that value too."""
        if any(isinstance(v, Float) and v.passed for v in bound.values()):
            return self._may_record(func)
        if any(_holds_momentum(v) for v in bound.values()):
            return self._may_record(func)  # ``self.momentum`` of the object it is called on
        if any(isinstance(bound.get(n), Str) for n in passed) and self._picks_class(func):
            return True  # ``_get_norm_layer("batch_norm")``: which class depends on the name
        if any(isinstance(bound.get(n), IntList) for n in passed) and self._makes_variable(func):
            return True  # ``bias_variable([64])``: the variable has the shape the caller gives
        for name, default in params_of(func.node):
            value = bound.get(name)
            if name in passed or default is None or not isinstance(value, _CONSTANTS):
                continue
            if isinstance(value, Str) and not is_format_string(value.value):
                continue  # a name or a scope: nothing a site reads
            if isinstance(value, (Int, IntList)) and not _AXIS_NAME.search(name):
                continue  # a width, a stride, a kernel size
            if isinstance(value, Float) and not _MOMENTUM_NAME.search(name):
                continue  # an epsilon, a rate
            if self._distrusted(func, name, default):
                return self._may_record(func)
        return False

    def callers_may_pass(self, fn, cls, interp, name: str) -> bool:
        """Whether ``name`` is a parameter of ``fn`` (a def node) that some
        caller passes a value for, other than its default: then a class it
        ends up holding (``norm_layer = norm_layer or BatchNormalization``)
        is the callers' choice."""
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False
        for param, default in params_of(fn):
            if param == name:
                return default is None or self._distrusted(Func(fn, None, cls, interp), name, default)
        return False

    def _makes_variable(self, func: Func) -> bool:
        """Whether ``func`` creates a variable (``tf.Variable``,
        ``tf.get_variable``): a factory whose shape its callers give."""
        key = (id(func.node), "variable")
        if key not in self.memo:
            imports = func.interp.module.imports
            self.memo[key] = any(
                isinstance(n, ast.Call) and imports.resolve(n.func) in _VARIABLES for n in ast.walk(func.node)
            )
        return self.memo[key]

    def _picks_class(self, func: Func) -> bool:
        """Whether ``func`` returns a batch norm or conv class it names
        (``if norm == "batch_norm": return layers.BatchNormalization``)."""
        key = (id(func.node), "picks")
        if key not in self.memo:
            imports = func.interp.module.imports
            self.memo[key] = any(
                isinstance(n, ast.Return)
                and isinstance(n.value, (ast.Name, ast.Attribute))
                and imports.resolve(n.value) in catalog.HELD_AS_VALUES
                for n in statements_in(func.node.body)
            )
        return self.memo[key]

    def _distrusted(self, func: Func, name: str, default) -> bool:
        """Whether the standalone run leaves a parameter's default unknown
        (some caller passes another value), once per function and name."""
        key = (_ident(func), "default", name)
        if key not in self.memo:
            self.memo[key] = self._default_value(func, name, default) is None
        return self.memo[key]

    def _may_matter(self, func: Func) -> bool:
        """Whether a function, run with untracked arguments, could reach a
        site or return a tracked value."""
        return self._worth(func, self._returns)

    def _may_record(self, func: Func) -> bool:
        """Whether a function run with its defaults could record a site."""
        return self._worth(func, self._records)

    def _worth(self, func: Func, relevance: Relevance) -> bool:
        index = func.interp.module.index
        if not self.session.skip_unrelated or index.text is None or not func.interp.module_done:
            return True
        return relevance.function(func)

    def _defaults(self, func: Func) -> dict:
        """The parameters of a run no caller reached: a method's ``self``
        is the class-wide object (the attributes every construction agrees
        on), the others their defaults."""
        bound: dict[str, object] = {}
        binding = func.binding
        for i, (name, default) in enumerate(params_of(func.node)):
            if i == 0 and binding == "self":
                bound[name] = Instance(func.cls)
            elif i == 0 and binding == "class":
                bound[name] = func.cls
            else:
                bound[name] = self._default_value(func, name, default)
        return bound

    def _summary(self, func: Func):
        """Return value of a function whose arguments carry no tensor:
        its own convs, e.g. ``def conv_block(): return Conv2D(...)``."""
        key = (_ident(func), "summary")
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = None
        interp = func.interp
        parent = func.env if isinstance(func.env, Frame) else interp.frame
        frame = Frame(func.node, parent=parent, via_call=False, cls=func.cls, key=("summary", _ident(func)))
        frame.vars.update(self._defaults(func))
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
