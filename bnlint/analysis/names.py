"""Import and alias resolution: local names -> canonical API names.

Every spelling of an API (``tf.compat.v1.nn.moments``, ``tensorflow.nn.moments``,
``from tensorflow.keras.layers import BatchNormalization as BN``, ``slim =
tf.contrib.slim``) is reduced to one canonical dotted name, so the catalog in
``api.py`` lists each API once.
"""

from __future__ import annotations

import ast

from bnlint.analysis.catalog import outside_libraries

# Applied repeatedly, longest match first, until nothing changes.
_PREFIXES = [
    ("tensorflow.compat.v1.", "tensorflow."),
    ("tensorflow.compat.v2.", "tensorflow."),
    ("tensorflow.python.keras.", "keras."),
    ("tensorflow.keras.", "keras."),
    ("tensorflow.contrib.slim.", "slim."),
    ("tensorflow.contrib.layers.", "slim."),
    ("tensorflow.contrib.framework.", "slim."),
    ("tensorflow.layers.", "tflayers."),
    ("tensorflow.math.", "tensorflow."),
    ("tensorflow.nn.", "tf.nn."),
    ("tensorflow.", "tf."),
    ("tf_keras.", "keras."),
    ("keras.api.", "keras."),
    ("keras.src.", "keras."),
    ("tf_slim.layers.", "slim."),
    ("tf_slim.", "slim."),
    ("slim.layers.", "slim."),
    ("slim.nets.", "slimnets."),
]
_EXACT = {
    "tensorflow": "tf",
    "tensorflow.compat.v1": "tf",
    "tensorflow.compat.v2": "tf",
    "tensorflow.keras": "keras",
    "tensorflow.python.keras": "keras",
    "tf_keras": "keras",
    "tensorflow.contrib.slim": "slim",
    "tensorflow.contrib.layers": "slim",
    "tf_slim": "slim",
    "tensorflow.layers": "tflayers",
    "tensorflow.nn": "tf.nn",
}
# Roots whose names we track; anything else is not an API we know.
ROOTS = ("tensorflow", "keras", "tf_keras", "tf_slim", "numpy")
_OUTSIDE = outside_libraries()


def canonical(qualified: str) -> str:
    """Reduce a fully qualified dotted name to its canonical spelling."""
    name = qualified
    while True:
        if name in _EXACT:
            return _EXACT[name]
        for old, new in _PREFIXES:
            if name.startswith(old):
                name = new + name[len(old) :]
                break
        else:
            break
    # keras.layers.<submodule>.Name -> keras.layers.Name
    if name.startswith("keras.layers.") and name.count(".") > 2:
        name = "keras.layers." + name.rsplit(".", 1)[1]
    return name


def dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


class Imports:
    """Maps local names to the fully qualified names they were bound to."""

    def __init__(self, tree: ast.Module, import_nodes=None):
        self.aliases: dict[str, str | None] = {}
        self._resolved: dict[int, str | None] = {}
        self.star_modules: list[str] = []  # ``from keras.layers import *``
        if import_nodes is None:
            import_nodes = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
        for node in import_nodes:
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        self._bind(a.asname, a.name)
                    else:
                        root = a.name.split(".")[0]
                        self._bind(root, root)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    if a.name != "*":
                        self._bind(a.asname or a.name, f"{node.module}.{a.name}")
                    elif node.module.startswith(ROOTS):
                        self.star_modules.append(node.module)
        # Module-level aliases such as ``slim = tf.contrib.slim``.
        for stmt in tree.body:
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
            ):
                q = self.qualify(stmt.value)
                if q is not None:
                    self._bind(stmt.targets[0].id, q)

    def _bind(self, local: str, qualified: str) -> None:
        if not qualified.startswith(ROOTS) and qualified not in _OUTSIDE:
            # A local name that shadows nothing we track; remember it
            # only to mark conflicts.
            if local in self.aliases:
                self.aliases[local] = None
            return
        prev = self.aliases.get(local, qualified)
        if prev is None or canonical(prev) != canonical(qualified):
            self.aliases[local] = None  # bound to two different things
        else:
            self.aliases[local] = qualified

    def adopt(self, other: Imports, names=None) -> None:
        """Take the external names another module binds (``from ops import
        *`` brings ops' ``tf``, ``slim``, ...); ``names``: only these.
        A name this module binds itself keeps its own meaning."""
        for local, qualified in other.aliases.items():
            if qualified is None or (names is not None and local not in names):
                continue
            if local not in self.aliases:
                self.aliases[local] = qualified
        if names is None:
            self.star_modules.extend(m for m in other.star_modules if m not in self.star_modules)
        self._resolved.clear()

    def qualify(self, node: ast.AST) -> str | None:
        """Fully qualified name of an expression, or None."""
        name = dotted(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        base = self.aliases.get(head)
        if base is None:
            return None
        return f"{base}.{rest}" if rest else base

    def resolve(self, node: ast.AST) -> str | None:
        """Canonical API name of an expression, or None."""
        key = id(node)
        if key in self._resolved:
            return self._resolved[key]
        q = self.qualify(node)
        out = canonical(q) if q else None
        if out is None and self.star_modules:
            out = self._from_star(node)
        self._resolved[key] = out
        return out

    def _from_star(self, node: ast.AST) -> str | None:
        """A name a star import may have brought in, when it names an API
        the catalog knows (so unrelated local names stay unresolved)."""
        from bnlint.analysis.catalog import is_known

        name = dotted(node)
        if name is None or name.split(".")[0] in self.aliases:
            return None
        for module in self.star_modules:
            candidate = canonical(f"{module}.{name}")
            if is_known(candidate):
                return candidate
        return None
