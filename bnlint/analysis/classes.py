"""Classes of the project: what a ``class`` statement defines (methods,
inherited ones bound to the subclass, class constants, whether Keras calls
its ``call``), where ``self.x = ...`` lands, what ``super()`` finds, and
whether ``obj.attr`` has one value.  A collaborator of one module's
interpreter, like ``Formats`` and ``Records``."""

from __future__ import annotations

import ast

from bnlint.analysis import catalog
from bnlint.analysis.frame import Frame
from bnlint.analysis.values import ClassInfo, Func, Instance

# Class-body values read as class constants (``data_format = "NCHW"``).
_CLASS_CONSTANTS = (ast.Constant, ast.Tuple, ast.List, ast.Name, ast.Attribute)


class Classes:
    def __init__(self, interp):
        self.interp = interp

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
        for base in info.bases:
            for name in base.methods:
                if name not in info.methods:
                    info.methods[name] = info.inherited(name)
        info.catalog_layer = self._catalog_layer(node, info)
        info.called = info.methods.get("__call__")
        if info.called is None and info.keras_layer:
            info.called = info.methods.get("call")
        return info

    def _catalog_layer(self, node: ast.ClassDef, info: ClassInfo) -> str | None:
        """The catalog's batch-norm layer class this one only renames: it
        subclasses it (or a project class that does), defines no
        ``__init__``, and a ``call`` it defines hands on to ``super()``."""
        found = None
        for base in node.bases:
            name = self.interp.module.imports.resolve(base)
            api = catalog.lookup(name)
            if api is not None and api.effect == "bn_layer":
                found = name
        if found is None:
            found = next((b.catalog_layer for b in info.bases if b.catalog_layer), None)
        if found is None or "__init__" in info.methods:
            return None
        call = info.methods.get("call")
        if (
            call is not None
            and call.home is None
            and not any(isinstance(n, ast.Name) and n.id == "super" for n in ast.walk(call.node))
        ):
            return None
        return found

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
        """``Config.DATA_FORMAT`` / ``cfg.data_format`` from outside the class."""
        cls = owner if isinstance(owner, ClassInfo) else owner.cls
        if self._set_from_outside(name, cls):
            return None
        return owner.class_var(name) if owner is cls else owner.attribute(name)

    def _set_from_outside(self, name: str, cls: ClassInfo) -> bool:
        """Whether this module, the class's or another analysed with them
        assigns ``<obj>.name = ...`` other than through ``self``
        (``cfg.data_format = args.format``): then it has no one value."""
        interp = self.interp
        project = interp.session.project
        members = project.members if project is not None else []
        return any(m.index.assigns_attribute(name) for m in (interp.module, cls.interp.module, *members))

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
