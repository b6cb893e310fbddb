"""Classes of the project: what a ``class`` statement defines (methods,
inherited ones bound to the subclass, class constants, whether Keras calls
its ``call``), where ``self.x = ...`` lands, what ``super()`` finds, and
whether ``obj.attr`` has one value.  A collaborator of one module's
interpreter, like ``Formats`` and ``Records``."""

from __future__ import annotations

import ast

from bnlint.analysis import catalog
from bnlint.analysis.calls import params_of
from bnlint.analysis.frame import Frame
from bnlint.analysis.values import ClassInfo, Func, Instance

# Catalog layers a project class may stand for: renamed, or built through super().__init__.
_FORWARDABLE = ("bn_layer", "conv_layer")
# Decorators and bases whose classes take their fields from the constructor.
_RECORD_CLASSES = frozenset(catalog.lookup(n) for n in catalog.of_effect("record_class"))
# Class-body values read as class constants (``data_format = "NCHW"``, ``bn_axis = -1``).
_CLASS_CONSTANTS = (ast.Constant, ast.UnaryOp, ast.Tuple, ast.List, ast.Name, ast.Attribute)


class Classes:
    def __init__(self, interp):
        self.interp = interp
        self._stripped: dict[int, tuple] = {}  # super().__init__ call -> (it, a copy without **kwargs)

    def define(self, node: ast.ClassDef, frame: Frame) -> ClassInfo:
        interp = self.interp
        info = ClassInfo(node, interp)
        bases = [interp.ev(b, frame) for b in node.bases]
        info.bases = tuple(b for b in bases if isinstance(b, ClassInfo))
        info.keras_layer = any(b.keras_layer for b in info.bases) or any(
            interp.module.imports.resolve(b) in catalog.CALLS_CALL for b in node.bases
        )
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                info.methods[item.name] = Func(item, env=frame, cls=info, interp=interp)
            elif isinstance(item, (ast.Assign, ast.AnnAssign)) and isinstance(item.value, _CLASS_CONSTANTS):
                targets = item.targets if isinstance(item, ast.Assign) else [item.target]
                value = interp.ev(item.value, frame)
                for t in targets:
                    if isinstance(t, ast.Name):
                        info.class_vars[t.id] = value
            elif (
                isinstance(item, ast.AnnAssign)
                and isinstance(item.target, ast.Name)
                and item.value is not None
            ):
                field_default = self._field_default(item.value, frame)
                if field_default is not None:
                    info.class_vars[item.target.id] = field_default
        for base in info.bases:
            for name in base.methods:
                if name not in info.methods:
                    info.methods[name] = info.inherited(name)
        info.catalog_layer, info.forwards_to = self._catalog_layer(node, info)
        info.stands_for = info.catalog_layer or (info.forwards_to if _passes_on(info) else None)
        info.called = info.methods.get("__call__")
        if info.called is None and info.keras_layer:
            info.called = info.methods.get("call")
        return info

    def _catalog_layer(self, node: ast.ClassDef, info: ClassInfo) -> tuple[str | None, str | None]:
        """(the catalog batch-norm layer this class only renames, the catalog
        layer its ``__init__`` builds through ``super().__init__(...)``).
        Renaming: it subclasses the layer (or a project class that does) and
        defines no ``__init__``; either way a ``call`` it defines hands on
        to ``super()``."""
        found = None
        for base in node.bases:
            name = self.interp.module.imports.resolve(base)
            api = catalog.lookup(name)
            if api is not None and api.effect in _FORWARDABLE:
                found = name
        if found is None:
            found = next((b.catalog_layer for b in info.bases if b.catalog_layer), None)
        if found is None:
            return None, None
        call = info.methods.get("call")
        if (
            call is not None
            and call.home is None
            and not any(isinstance(n, ast.Name) and n.id == "super" for n in ast.walk(call.node))
        ):
            return None, None
        init = info.methods.get("__init__")
        if init is None:
            return (found if catalog.lookup(found).effect == "bn_layer" else None), None
        if init.home is None and _super_init(init.node) is not None:
            return None, found
        return None, None

    def _without_star(self, call: ast.Call) -> ast.Call:
        """``call`` without its ``**kwargs``, one node per call (sites key on it)."""
        if id(call) not in self._stripped:
            self._stripped[id(call)] = (call, _copy_without_star(call))
        return self._stripped[id(call)][1]

    def forwarded(self, cls: ClassInfo, call: ast.Call, args, kws, frame: Frame):
        """``BatchNorm2d(64)``: the catalog layer ``cls.__init__`` builds with
        its ``super().__init__(...)``, its parameters bound to this call's
        arguments; the layer is the class's code (its node is that call)."""
        init = cls.methods["__init__"]
        interp = init.interp
        params = params_of(init.node)[1:]  # without self
        inner = Frame(
            init.node,
            parent=init.env if isinstance(init.env, Frame) else interp.frame,
            via_call=frame.via_call,
            cls=cls,
            key=frame.key,
        )
        for (name, _), value in zip(params, args):
            inner.vars[name] = value
        for name, default in params:
            if name in kws:
                inner.vars[name] = kws[name]
            elif name not in inner.vars:
                inner.vars[name] = interp.ev(default, interp.frame) if default is not None else None
        sup = _super_init(init.node)
        if any(isinstance(a, ast.Starred) for a in sup.args):
            return None
        extra = init.node.args.kwarg
        if any(k.arg is None for k in sup.keywords):
            # ``super().__init__(..., **kwargs)``: empty when this call passes
            # nothing beyond the named parameters
            names = {n for n, _ in params}
            stars = [k for k in sup.keywords if k.arg is None]
            if (
                any(isinstance(a, ast.Starred) for a in call.args)
                or extra is None
                or any(not (isinstance(k.value, ast.Name) and k.value.id == extra.arg) for k in stars)
            ):
                return None
            # what reaches the ``**kwargs``: keywords of no named parameter, and dicts spread
            passed = [k for k in call.keywords if k.arg is None or k.arg not in names]
            if passed:
                return self._passed_on(cls, sup, call, passed, kws, frame)
            sup = interp.classes._without_star(sup)
        sargs = [interp.ev(a, inner) for a in sup.args]
        skws = {k.arg: interp.ev(k.value, inner) for k in sup.keywords if k.arg}
        return interp.effects.apply(cls.forwards_to, sup, sargs, skws, inner)

    def _passed_on(self, cls: ClassInfo, sup: ast.Call, call: ast.Call, passed: list, kws, frame: Frame):
        """``TpuBatchNorm(axis=3, momentum=m)`` for an ``__init__`` that hands
        its ``**kwargs`` to ``super().__init__``: the catalog layer built
        with the keywords this call passes on (and the dicts it spreads), at
        this call (where a fix of them goes).  Unknown unless the class
        ``stands_for`` that layer."""
        if cls.stands_for is None:
            return None
        key = (id(call), id(sup))
        if key not in self._stripped:
            merged = ast.Call(func=sup.func, args=[], keywords=passed)
            ast.copy_location(merged, call)
            merged.end_lineno, merged.end_col_offset = call.end_lineno, call.end_col_offset
            self._stripped[key] = (call, merged)
        merged = self._stripped[key][1]
        given = {k.arg: kws.get(k.arg) for k in passed if k.arg is not None}
        return self.interp.effects.apply(cls.forwards_to, merged, [], given, frame)

    def _field_default(self, value: ast.expr, frame: Frame):
        """A record field's default written through ``field(...)``:
        ``default=`` a constant, or ``default_factory=`` a project record
        class (an object with its class's defaults); None otherwise."""
        if not isinstance(value, ast.Call):
            return None
        api = catalog.lookup(self.interp.module.imports.resolve(value.func))
        if api is None or api.effect != "record_field":
            return None
        for k in value.keywords:
            if k.arg == "default" and isinstance(k.value, _CLASS_CONSTANTS):
                return self.interp.ev(k.value, frame)
            if k.arg in ("default_factory", "factory") and isinstance(k.value, (ast.Name, ast.Attribute)):
                made = self.interp.ev(k.value, frame)
                if isinstance(made, ClassInfo) and made.methods.get("__init__") is None:
                    return Instance(made)
        return None

    def fields(self, cls: ClassInfo) -> list[str] | None:
        """The constructor's fields of a record class (a dataclass, an
        attrs class, a NamedTuple, a pydantic model), in order, its bases'
        first; None for any other class."""
        imports = cls.interp.module.imports  # the class's own module
        marks = [d.func if isinstance(d, ast.Call) else d for d in cls.node.decorator_list] + cls.node.bases
        own = [
            item.target.id
            for item in cls.node.body
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
        ]
        of_bases = [f for base in cls.bases if (f := base.interp.classes.fields(base)) is not None]
        # a subclass of a record class is one too (its own fields after the bases')
        if not of_bases and not any(catalog.lookup(imports.resolve(m)) in _RECORD_CLASSES for m in marks):
            return None
        inherited = [name for fields in of_bases for name in fields]
        return [f for f in dict.fromkeys(inherited) if f not in own] + own

    def built_from_fields(self, cls: ClassInfo, fields: list[str], node: ast.Call, args, kws, frame: Frame):
        """``Config("channels_last", momentum=0.9)``: an object whose fields
        are the arguments given, the class body's defaults for the rest."""
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            return None  # ``Config(**yaml.safe_load(f))``: any field may be set
        if len(node.args) > len(fields):
            return None
        attrs = dict(zip(fields, args))
        attrs.update(kws)
        return Instance(cls, made=(id(node), frame.key), attrs=attrs)

    @staticmethod
    def attr_stores(frame: Frame) -> list[dict]:
        """Where ``self.x = ...`` lands: the class (all its objects) and,
        for an object built at a known call, that object."""
        stores = [frame.cls.attrs]
        inst = frame.lookup("self")
        if isinstance(inst, Instance) and inst.attrs is not None:
            stores.append(inst.attrs)
        return stores

    def attribute(self, owner, name: str):
        """``Config.DATA_FORMAT`` / ``cfg.data_format`` / ``Ops.bn`` from outside the class."""
        cls = owner if isinstance(owner, ClassInfo) else owner.cls
        if self._set_from_outside(name, cls):
            return None
        if owner is not cls:
            return owner.attribute(name)
        # ``Ops.bn(x)``: a constant of the class body, else a method
        return owner.class_var(name, cls.methods.get(name))

    def namespace_value(self, owner, name: str):
        """``cfg.MODEL.DATA_FORMAT`` of a top-level config object: unknown
        when another module analysed with it stores ``<obj>.DATA_FORMAT``."""
        modules = self.interp.session.analysed_with(self.interp.module)
        if any(m is not owner.module and m.index.assigns_attribute(name) for m in modules):
            return None
        return owner.get(name)

    def _set_from_outside(self, name: str, cls: ClassInfo) -> bool:
        """Whether this module, the class's or another analysed with them
        assigns ``<obj>.name = ...`` other than through ``self``
        (``cfg.data_format = args.format``): then it has no one value."""
        modules = self.interp.session.analysed_with(self.interp.module, cls.interp.module)
        return any(m.index.assigns_attribute(name) for m in modules)

    @staticmethod
    def is_super(func, frame: Frame) -> bool:
        """``super().m`` or ``super(Cls, self).m`` inside a method."""
        return (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Call)
            and isinstance(func.value.func, ast.Name)
            and func.value.func.id == "super"
            and not frame.has("super")
            and frame.cls is not None
        )

    @staticmethod
    def super_method(name: str, frame: Frame):
        """The method ``super()`` finds from the method ``frame`` runs."""
        home = _defining(frame.cls, frame.scope)
        return frame.cls.inherited(name, home) if home is not None else None


def _defining(cls: ClassInfo, method_node) -> ClassInfo | None:
    """The class among ``cls`` and its bases whose body defines ``method_node``."""
    todo = [cls]
    while todo:
        c = todo.pop(0)
        if any(item is method_node for item in c.node.body):
            return c
        todo.extend(c.bases)
    return None


def _copy_without_star(call: ast.Call) -> ast.Call:
    out = ast.Call(func=call.func, args=call.args, keywords=[k for k in call.keywords if k.arg is not None])
    return ast.copy_location(out, call)


def _passes_on(info: ClassInfo) -> bool:
    """Whether the class's own ``__init__`` hands its ``**kwargs`` to
    ``super().__init__`` and sets no parameter a rule reads, there or in
    the dict."""
    init = info.methods.get("__init__")
    if init is None or init.home is not None or info.forwards_to is None:
        return False
    sup, rest = _super_init(init.node), init.node.args.kwarg
    if sup is None or rest is None or sup.args:
        return False
    read = catalog.read_params(catalog.lookup(info.forwards_to))
    for k in sup.keywords:
        if k.arg in read or (
            k.arg is None and not (isinstance(k.value, ast.Name) and k.value.id == rest.arg)
        ):
            return False
    return not _changes(init.node, rest.arg, read)


def _changes(fn, name: str, keys: set) -> bool:
    """Whether ``fn`` rebinds its ``**name`` dict or sets, pops or updates
    one of ``keys`` in it (``kwargs["name"] = ...`` does not count)."""
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store):
            return True
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id == name
            and isinstance(node.ctx, (ast.Store, ast.Del))
        ):
            key = node.slice
            if not (isinstance(key, ast.Constant) and key.value not in keys):
                return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == name
            and node.func.attr in ("update", "setdefault", "pop", "clear", "popitem")
        ):
            key = node.args[0] if node.args else None
            if node.func.attr in ("update", "clear", "popitem") or not (
                isinstance(key, ast.Constant) and key.value not in keys
            ):
                return True
    return False


def _super_init(fn) -> ast.Call | None:
    """The one ``super().__init__(...)`` statement of an ``__init__``."""
    found = [
        s.value
        for s in fn.body
        if isinstance(s, ast.Expr)
        and isinstance(s.value, ast.Call)
        and isinstance(s.value.func, ast.Attribute)
        and s.value.func.attr == "__init__"
        and isinstance(s.value.func.value, ast.Call)
        and isinstance(s.value.func.value.func, ast.Name)
        and s.value.func.value.func.id == "super"
    ]
    return found[0] if len(found) == 1 else None
