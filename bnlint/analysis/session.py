"""One analysis: the modules it has loaded, the sites they record, the
function calls between them, and the call graph that ties a finding to
the calls that lead to it."""

from __future__ import annotations

import ast
import os

from bnlint.analysis.calls import FunctionCalls
from bnlint.analysis.interpreter import Interpreter
from bnlint.analysis.project import file_of, package_inits, real
from bnlint.analysis.reached import Reached
from bnlint.analysis.sites import Sites
from bnlint.analysis.values import ModuleRef

_UNREADABLE = object()  # a format set on import that cannot be read


class Session:
    """``project`` (a ``Project``, or None for a lone file) finds the
    modules the analysed code imports."""

    def __init__(self, project=None, skip_unrelated: bool = True):
        self.project = project
        self.skip_unrelated = skip_unrelated
        self.sites = Sites()
        self.calls = FunctionCalls(self)
        self.imports = ProjectImports(self)
        self.interps: dict[str, Interpreter] = {}
        # callee invocation key -> [(caller module, call node, caller key)]
        self.edges: dict[object, list] = {}
        self._shared: dict[object, object] = {}
        self._imported: dict[tuple[int, bool], list] = {}
        self._callers_elsewhere: dict[tuple, list] = {}
        self._packages: dict[str, list] = {}  # real path -> its packages' __init__ facts
        self._set_on_import = Reached(self._imported_at_import, lambda m: frozenset(m.keras_format_settings))

    def shared(self, kind, make):
        """The one object of ``kind`` a rule keeps for this analysis, made
        by ``make()`` on first use: what it learns about the loaded modules
        holds for every module checked in the session."""
        if kind not in self._shared:
            self._shared[kind] = make()
        return self._shared[kind]

    def interpreter(self, facts) -> Interpreter:
        path = real(facts.path)
        interp = self.interps.get(path)
        if interp is None:
            interp = self.interps[path] = Interpreter(facts, self)
        return interp

    def analyse(self, facts) -> Interpreter:
        """Analyse a module as an entry: its module code and every function."""
        interp = self.interpreter(facts)
        interp.analyse()
        return interp

    def keras_default(self, module) -> str | None:
        """Keras' image format for a module's code: its own setting, or the
        default; unknown (None) when another module analysed with it sets
        the process-wide format to something else (``train.py`` calling
        ``set_image_data_format("channels_first")`` before building the
        model ``model.py`` defines)."""
        own = module.keras_default
        if module.keras_format_settings or self.project is None:
            return own
        on_import = self._format_on_import(module)
        if on_import is _UNREADABLE:
            return None
        if on_import is not None:
            # ``import setup_keras`` whose module code sets channels_first
            own = on_import
        members = self.project.members
        others = {v for m in members if m is not module for v in m.keras_format_settings}
        if module.format_test is not None and on_import is None:
            # written for both formats, and another module picks one at run
            # time (``K.set_image_data_format(fmt)`` after reading flags): a
            # layer wrong under the default is wrong, as in the module alone;
            # and when the project sets another format, the module's code for
            # that format runs there: read it so
            others.discard(None)
            picked = sorted(others - {own})
            if picked:
                return picked[0]
        return own if others <= {own} else None

    def imported_modules(self, module, at_import: bool = False) -> list:
        """The project modules (ModuleFacts) ``module``'s import statements
        name, submodules of ``from pkg import sub`` included (``at_import``:
        only the imports its module code runs)."""
        key = (id(module), at_import)
        if key not in self._imported:
            out = []
            for stmt in module.index.imports:
                if at_import and not module.index.runs_at_import(stmt):
                    continue
                names = [a.name for a in stmt.names] if isinstance(stmt, ast.Import) else [stmt.module or ""]
                if isinstance(stmt, ast.ImportFrom):
                    names += [f"{stmt.module}.{a.name}" if stmt.module else a.name for a in stmt.names]
                for name in names:
                    path = self.project.resolve(module.path, name, getattr(stmt, "level", 0) or 0)
                    if path is not None:
                        interp = self.interps.get(real(path))
                        facts = interp.module if interp is not None else self.project.facts(path)
                        if facts is not None and all(f is not facts for f in out):
                            out.append(facts)
            self._imported[key] = out
        return self._imported[key]

    def _format_on_import(self, module):
        """The image format the project modules that ``module`` imports at
        module level set when imported (transitively, through modules that
        set none): None when none does, _UNREADABLE when one sets something
        unreadable or two disagree."""
        found = self._set_on_import.of(module)
        if not found:
            return None
        if len(found) > 1 or None in found:
            return _UNREADABLE
        return next(iter(found))

    def _imported_at_import(self, module) -> list:
        return self.imported_modules(module, at_import=True) + self._packages_of(module)

    def _packages_of(self, module) -> list:
        """The ``__init__`` modules of the packages holding ``module``."""
        here = real(module.path)
        if here not in self._packages:
            inits = (self.project.facts(init) for init in package_inits(here))
            self._packages[here] = [facts for facts in inits if facts is not None]
        return self._packages[here]

    def loaded(self, path: str) -> Interpreter | None:
        """The interpreter of the project module at ``path``, its module
        code run (what importing it does); None if it cannot be read.  An
        import cycle sees the module as far as it has run."""
        key = real(path)
        if key in self.interps:
            return self.interps[key]
        facts = self.project.facts(key) if self.project is not None else None
        if facts is None:
            return None
        interp = self.interpreter(facts)
        interp.load()
        return interp

    def imported_from(self, module, local: str):
        """(facts of the project module, the name there) that ``from m import
        name [as local]`` in ``module`` binds ``local`` to; None when no such
        import names a project module that can be read."""
        if self.project is None:
            return None
        for stmt in module.index.imports:
            if isinstance(stmt, ast.ImportFrom):
                for alias in stmt.names:
                    if alias.name != "*" and (alias.asname or alias.name) == local:
                        path = self.project.resolve(module.path, stmt.module or "", stmt.level or 0)
                        facts = self.project.facts(path) if path is not None else None
                        return (facts, alias.name) if facts is not None else None
        return None

    def analysed_with(self, *modules) -> tuple:
        """``modules`` and every other module analysed in this session: where
        a store that changes a config value may be written."""
        members = self.project.members if self.project is not None else []
        return (*modules, *members)

    def callers_elsewhere(self, module, names) -> list:
        """(interpreter or None, call) of the calls ``name(...)`` /
        ``ops.name(...)`` of one of ``names`` in the other modules analysed
        with ``module``: read from their code, whether or not the analysis
        ran them per call."""
        project = self.project
        if project is None:
            return []
        # the calls, read once; their interpreters as they are now (the
        # analysis loads modules as it goes)
        key = (id(module), tuple(names))
        if key not in self._callers_elsewhere:
            self._callers_elsewhere[key] = self._calls_elsewhere(project, module, names)
        return [(self.interps.get(path), call) for path, call in self._callers_elsewhere[key]]

    def _calls_elsewhere(self, project, module, names) -> list:
        """(real path of the calling module, call) for ``callers_elsewhere``."""
        # a module that imports this one names it (``import ops``, ``from .ops import``)
        stem = os.path.splitext(os.path.basename(module.path))[0]
        if stem == "__init__":
            stem = os.path.basename(os.path.dirname(module.path))
        out = []
        for other in project.members:
            if other is module or not other.index.mentions(stem):
                continue
            for name in names:
                if other.index.mentions(name + "("):
                    path = real(other.path)
                    out += [(path, call) for call in other.calls_from_outside(name)]
        return out

    def add_edge(self, key, caller_module, call: ast.Call, caller_key) -> None:
        edges = self.edges.setdefault(key, [])
        entry = (caller_module, call, caller_key)
        if not any(e[1] is call and e[2] == caller_key for e in edges):
            edges.append(entry)

    def callers_of(self, key) -> list:
        return self.edges.get(key, [])


class ProjectImports:
    """What an import statement binds when it names a project module."""

    def __init__(self, session: Session):
        self.session = session

    def execute(self, interp, stmt, frame) -> None:
        project = self.session.project
        if project is None:
            return
        importer = interp.module.path
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                name = alias.name if alias.asname else alias.name.split(".")[0]
                ref = self._module(project.resolve(importer, name))
                if ref is not None:
                    frame.vars[alias.asname or name] = ref
            return
        base = project.resolve(importer, stmt.module or "", stmt.level)
        source = self._module(base)
        for alias in stmt.names:
            if alias.name == "*":
                if source is not None and source.interp is not None:
                    self._star(interp, source.interp, frame)
                continue
            value = self.attribute(source, alias.name) if source is not None else None
            if value is None and source is None and stmt.module:
                # a namespace package (no __init__.py): the name is a submodule
                value = self._module(project.resolve(importer, f"{stmt.module}.{alias.name}", stmt.level))
            if value is not None:
                frame.vars[alias.asname or alias.name] = value
            elif source is not None and source.interp is not None:
                interp.module.imports.adopt(source.interp.module.imports, {alias.name})

    def attribute(self, ref: ModuleRef, name: str):
        """``ops.name``: a module-level value, else a submodule."""
        if ref.interp is not None:
            value = ref.interp.export(name)
            if value is not None:
                return value
        folder = self.session.project.package_dir(ref.path) if ref.path else None
        if folder is not None:
            return self._module(file_of(os.path.join(folder, name)))
        return None

    def _module(self, path: str | None) -> ModuleRef | None:
        if path is None:
            return None
        interp = self.session.loaded(path)
        return ModuleRef(interp, path) if interp is not None else None

    @staticmethod
    def _star(interp, source, frame) -> None:
        """``from ops import *``: what the module exports (``__all__``)."""
        exported = _all_names(source.module.tree)
        for name, value in source.frame.vars.items():
            if "." in name or (exported is None and name.startswith("_")):
                continue
            if exported is not None and name not in exported:
                continue
            frame.vars[name] = value
        interp.module.imports.adopt(source.module.imports, exported)


def _all_names(tree: ast.Module) -> set[str] | None:
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in stmt.targets)
            and isinstance(stmt.value, (ast.List, ast.Tuple))
        ):
            return {
                e.value for e in stmt.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
            }
    return None
