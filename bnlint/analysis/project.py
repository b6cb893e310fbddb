"""The project model: where a module named by an import lives, found the
way Python would find it for that code (the importing file's folder, the
packages above it, the folder holding ``pyproject.toml`` / ``setup.py`` /
``setup.cfg``, and its ``src/``), and the parsed facts of each module,
read once.  What is outside the project (TensorFlow, Keras,
site-packages) is never read: its meaning is the catalog's.  A module that
cannot be found, or is found in two places, is unknown."""

from __future__ import annotations

import functools
import os

from bnlint.analysis.module import ModuleFacts
from bnlint.analysis.names import ROOTS
from bnlint.source import SourceFile

_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg")
_NEVER = set(ROOTS) | {"tensorflow_addons"}


@functools.cache
def _real(path: str, cwd: str) -> str:
    return os.path.realpath(os.path.join(cwd, path))


def real(path: str) -> str:
    """``os.path.realpath``, remembered (a relative path with the working
    folder it was resolved from): a run resolves the same paths many
    times, and links do not change under it."""
    return _real(path, "" if os.path.isabs(path) else os.getcwd())


def file_of(base: str) -> str | None:
    """``base.py`` or ``base/__init__.py``, whichever exists."""
    if os.path.isfile(base + ".py"):
        return base + ".py"
    init = os.path.join(base, "__init__.py")
    if os.path.isfile(init):
        return init
    return None


def package_inits(path: str) -> list[str]:
    """The ``__init__.py`` of the packages holding the module at ``path``
    (a real path), innermost first: importing ``net.blocks`` runs
    ``net/__init__.py`` before ``blocks.py``."""
    out = []
    folder = os.path.dirname(path)
    while os.path.isfile(init := os.path.join(folder, "__init__.py")):
        if init != path:
            out.append(init)
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return out


class Project:
    """Finds and parses the project's modules.  ``read(path)`` gives a
    file's bytes (the run's reader, so a file is read once)."""

    def __init__(self, read=None, shared: dict | None = None):
        self._read = read or _read_file
        self._facts: dict[str, ModuleFacts | None] = {}
        # (path, content) -> facts, kept by the caller across projects
        self._shared = shared
        self._roots: dict[str, tuple[str, ...]] = {}
        self._resolved: dict[tuple, str | None] = {}
        self.read_paths: set[str] = set()  # every module read: a result depends on them
        self.members: list[ModuleFacts] = []  # the modules analysed together, as added

    # --- resolution ---------------------------------------------------------------
    def roots_for(self, folder: str) -> tuple[str, ...]:
        """Folders an absolute import from a file in ``folder`` searches."""
        if folder not in self._roots:
            marker = self._marker(folder)
            roots = [folder, self._above_packages(folder)]
            if marker is not None:
                roots += [marker, os.path.join(marker, "src")]
            self._roots[folder] = tuple(dict.fromkeys(roots))
        return self._roots[folder]

    def root_of(self, folder: str) -> str:
        """The folder a project is rooted at: the one holding its
        ``pyproject.toml`` / ``setup.py`` / ``setup.cfg``, else the folder
        above its outermost package."""
        return self._marker(folder) or self._above_packages(folder)

    @staticmethod
    def _above_packages(folder: str) -> str:
        top = folder
        while os.path.isfile(os.path.join(top, "__init__.py")):
            top = os.path.dirname(top)
        return top

    @staticmethod
    def _marker(folder: str) -> str | None:
        cur = folder
        while True:
            if any(os.path.isfile(os.path.join(cur, m)) for m in _MARKERS):
                return cur
            parent = os.path.dirname(cur)
            if parent == cur:
                return None
            cur = parent

    def resolve(self, importer: str, module: str, level: int = 0) -> str | None:
        """The file of ``module`` as ``importer`` imports it (``level``
        leading dots), or None: outside the project, missing, ambiguous."""
        folder = os.path.dirname(os.path.abspath(importer))
        key = (folder, module, level)
        if key not in self._resolved:
            self._resolved[key] = self._resolve(folder, module, level)
        return self._resolved[key]

    def _resolve(self, folder: str, module: str, level: int) -> str | None:
        parts = [p for p in module.split(".") if p] if module else []
        if level:
            base = folder
            for _ in range(level - 1):
                base = os.path.dirname(base)
            return file_of(os.path.join(base, *parts)) if parts else file_of(base)
        if not parts or parts[0] in _NEVER:
            return None
        roots = self.roots_for(folder) + self._enclosing_root(folder, parts[0])
        found = {real(f) for root in roots if (f := file_of(os.path.join(root, *parts))) is not None}
        return found.pop() if len(found) == 1 else None

    @staticmethod
    def _enclosing_root(folder: str, top: str) -> tuple[str, ...]:
        """The folder above the nearest enclosing folder named ``top``:
        ``import awesome_gans.modules`` from awesome_gans/lsgan/ (folders
        without ``__init__.py``, run as ``python -m awesome_gans.lsgan.x``
        from above them) can only mean that folder's module."""
        cur = folder
        while True:
            parent = os.path.dirname(cur)
            if parent == cur:
                return ()
            if os.path.basename(cur) == top:
                return (parent,)
            cur = parent

    def package_dir(self, path: str) -> str | None:
        """The folder whose submodules ``path`` (an ``__init__.py``) holds."""
        return os.path.dirname(path) if os.path.basename(path) == "__init__.py" else None

    # --- reading --------------------------------------------------------------------
    def facts(self, path: str) -> ModuleFacts | None:
        """The parsed module at ``path``; None if it cannot be read or parsed."""
        path = real(path)
        if path not in self._facts:
            self._facts[path] = self._parse(path)
        return self._facts[path]

    def start_group(self) -> None:
        """A new analysis begins: its entries are the members (a project
        reused across files, as ``bnlint fix`` does, keeps no earlier ones)."""
        self.members = []

    def add(self, path: str, facts: ModuleFacts) -> None:
        """A module the run parsed itself (a member of the analysed group)."""
        self._facts[real(path)] = facts
        self.members.append(facts)

    def forget(self, path: str) -> None:
        """``path`` was rewritten: the next read parses its new content."""
        self._facts.pop(real(path), None)

    def _parse(self, path: str) -> ModuleFacts | None:
        try:
            data = self._read(path)
        except OSError:
            return None
        self.read_paths.add(path)
        key = (path, display_path(path), hash(data))  # the display follows the working folder
        if self._shared is not None and key in self._shared:
            return self._shared[key]
        try:
            source = SourceFile(path, data)
            tree = source.parse()
        except (SyntaxError, UnicodeDecodeError, LookupError, ValueError, RecursionError, MemoryError):
            facts = None
        else:
            facts = ModuleFacts(display_path(path), tree, source.text, source)
        if self._shared is not None:
            self._shared[key] = facts
        return facts


def display_path(path: str) -> str:
    """How findings name a module: relative to the working folder when inside it."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def _read_file(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()
