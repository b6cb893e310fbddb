"""The project's import graph, read from the text of its files (no parse):
which files import which project modules, which files can matter to a
batch-norm finding at all, and which files must be analysed together.

This is what keeps the byte prefilter sound for a project: ``bn(conv2d(x),
axis=1)`` in ``model.py`` names no batch-norm API, but ``model.py``
imports ``ops.py``, which does, so ``model.py`` is analysed."""

from __future__ import annotations

import os
import re

# ``from .pkg import a, b`` / ``import a.b as c, d``, at any indentation.
_IMPORT = re.compile(
    rb"^[ \t]*(?:from[ \t]+(\.*)[ \t]*([\w.]*)[ \t]+import[ \t]+\(?([^\n#;]*)|import[ \t]+([^\n#;]+))",
    re.M,
)
# Words a module needs to contribute to a finding: a conv, a batch norm,
# its statistics or a format.
_RELEVANT = (
    b"onv",
    b"atch_norm",
    b"BatchNorm",
    b"moments",
    b"ormaliz",
    b"channels_",
    b"NCHW",
    b"NHWC",
    b"NCW",
    b"NWC",
    b"NCDHW",
    b"NDHWC",
    b"data_format",
    b"arg_scope",
    b"set_image",
    b"dim_ordering",
)


def relevant(data: bytes) -> bool:
    return any(w in data for w in _RELEVANT)


def imported_names(data: bytes) -> list[tuple[int, str]]:
    """(level, dotted module) for every module an import may name,
    submodules of ``from X import y`` included."""
    if b"import" not in data:
        return []
    out = []
    for m in _IMPORT.finditer(data):
        if m.group(4) is not None:
            for part in m.group(4).split(b","):
                name = part.strip().split(b" ")[0].decode("ascii", "replace")
                if name:
                    out.append((0, name))
            continue
        level = len(m.group(1))
        module = m.group(2).decode("ascii", "replace")
        if module or level:
            out.append((level, module))
        for part in m.group(3).split(b","):
            name = part.strip().strip(b"()").split(b" ")[0].decode("ascii", "replace")
            if name and name != "*" and name.isidentifier():
                out.append((level, f"{module}.{name}" if module else name))
    return out


class ImportGraph:
    """Edges between the project's files (real paths).  ``data_of(real)``
    gives a file's bytes (or None); ``project`` resolves imports."""

    def __init__(self, project, data_of):
        self.project = project
        self.data_of = data_of
        self._imports: dict[str, set[str]] = {}
        self._relevant: dict[str, bool] = {}

    def imports(self, real: str) -> set[str]:
        if real not in self._imports:
            self._imports[real] = set()  # a cycle sees it empty
            data = self.data_of(real)
            found = set()
            for level, name in imported_names(data or b""):
                target = self.project.resolve(real, name, level)
                if target is not None:
                    found.add(os.path.realpath(target))
            found.discard(real)
            self._imports[real] = found
        return self._imports[real]

    def matters(self, real: str) -> bool:
        """Whether the file, or a project module it imports (transitively),
        has anything a finding needs."""
        if real in self._relevant:
            return self._relevant[real]
        self._relevant[real] = False  # cycles: decided by the other members
        data = self.data_of(real)
        result = data is not None and relevant(data)
        if not result:
            result = any(self.matters(t) for t in self.imports(real))
        self._relevant[real] = result
        return result

    def imports_relevant(self, real: str) -> bool:
        return any(self.matters(t) for t in self.imports(real))


def groups(members: list[str], graph: ImportGraph) -> list[list[str]]:
    """Members connected by imports, as lists (union-find)."""
    parent = {m: m for m in members}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for m in members:
        for t in graph.imports(m):
            if t in parent:
                parent[find(m)] = find(t)
    out: dict[str, list[str]] = {}
    for m in members:
        out.setdefault(find(m), []).append(m)
    return list(out.values())
