"""The project's import graph, read from the text of its files (no parse):
which files import which project modules, which files can matter to a
batch-norm finding at all, and which files must be analysed together.

This is what keeps the byte prefilter sound for a project: ``bn(conv2d(x),
axis=1)`` in ``model.py`` names no batch-norm API, but ``model.py``
imports ``ops.py``, which does, so ``model.py`` is analysed."""

from __future__ import annotations

import re

from bnlint.analysis.project import package_inits
from bnlint.analysis.project import real as real_path

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


# The libraries the catalog describes, as an import or alias spells them.
_LIBRARIES = re.compile(rb"tensorflow|keras|tf_slim")


def builds_train_op(data: bytes) -> bool:
    """Whether the text builds a train op (``opt.minimize(loss)``): its
    callers may hand it a loss from a model with batch norms."""
    return _TRAINS.search(data) is not None


def relevant(data: bytes) -> bool:
    return any(w in data for w in _RELEVANT)


def bindings(data: bytes) -> list[tuple[int, str, str | None]]:
    """(level, module, local name) for every import; the name is None for
    a star import, and the module's own binding for ``import a.b``."""
    if b"import" not in data:
        return []
    out = []
    for m in _IMPORT.finditer(data):
        if m.group(4) is not None:
            for part in m.group(4).split(b","):
                words = part.strip().split()
                if not words:
                    continue
                name = words[0].decode("ascii", "replace")
                local = words[2].decode("ascii", "replace") if len(words) == 3 and words[1] == b"as" else None
                out.append((0, name, local or name.split(".")[0]))
            continue
        level = len(m.group(1))
        module = m.group(2).decode("ascii", "replace")
        for part in m.group(3).split(b","):
            words = part.strip().strip(b"()").split()
            if not words:
                continue
            name = words[0].decode("ascii", "replace")
            if name == "*":
                out.append((level, module, None))
            elif name.isidentifier():
                local = words[2].decode("ascii", "replace") if len(words) == 3 and words[1] == b"as" else name
                out.append((level, f"{module}.{name}" if module else name, local))
                out.append((level, module, local))
    return out


class ImportGraph:
    """Edges between the project's files (real paths).  ``data_of(real)``
    gives a file's bytes (or None); ``project`` resolves imports."""

    def __init__(self, project, data_of):
        self.project = project
        self.data_of = data_of
        self._imports: dict[str, set[str]] = {}
        self._relevant: dict[str, bool] = {}
        self._interfaces: dict[str, frozenset[str]] = {}
        self._bindings: dict[str, list] = {}
        self._words: dict[str, set[str]] = {}
        self._format_constants: dict[str, set[str]] = {}
        self._own_format_constants: dict[str, set[str]] = {}
        self._uses: dict[tuple[str, str], bool] = {}
        self._format_setters: dict[str, bool] = {}
        self._raw: dict[str, list] = {}
        self._found: dict[tuple[bytes, str], bool] = {}
        self._no_library: set[str] = set()  # modules with no library in reach

    def _bound(self, real: str) -> list[tuple[str, str | None, str]]:
        """(resolved real path, local name or None for a star, module
        name) of every import of a project module in the file."""
        if real not in self._bindings:
            out = []
            for level, module, local in self._raw_bindings(real):
                target = self.project.resolve(real, module, level)
                if target is not None:
                    out.append((real_path(target), local, module))
            self._bindings[real] = out
        return self._bindings[real]

    def _raw_bindings(self, real: str) -> list:
        """``bindings`` of the file's text, read once."""
        if real not in self._raw:
            self._raw[real] = bindings(self.data_of(real) or b"")
        return self._raw[real]

    def words(self, real: str) -> set[str]:
        if real not in self._words:
            self._words[real] = _words(self.data_of(real) or b"")
        return self._words[real]

    def imports(self, real: str) -> set[str]:
        if real not in self._imports:
            self._imports[real] = set()  # a cycle sees it empty
            found = set()
            # ``from X import y``: X, and the submodule X.y when there is one
            for level, name in dict.fromkeys(
                (level, module) for level, module, _ in self._raw_bindings(real)
            ):
                target = self.project.resolve(real, name, level)
                if target is not None:
                    found.add(real_path(target))
            found.discard(real)
            self._imports[real] = found
        return self._imports[real]

    def reaches_library(self, reals) -> bool:
        """Whether one of these modules, or a project module they import
        (transitively), names TensorFlow or Keras: without that no API of
        the catalog is in reach, and the analysis can find nothing."""
        return self._reach(reals, self._no_library)[0]

    def library_reach(self, reals) -> tuple[bool, set[str]]:
        """``reaches_library``, and every module read to tell (what a
        cached answer depends on)."""
        return self._reach(reals, set())

    def _reach(self, reals, known_without: set[str]) -> tuple[bool, set[str]]:
        seen: set[str] = set()
        todo = list(reals)
        while todo:
            r = todo.pop()
            if r in seen or r in known_without:
                continue
            seen.add(r)
            if self._searched(_LIBRARIES, r):
                return True, seen
            todo.extend(self.imports(r))
        # everything these import has no library in reach either
        self._no_library |= seen
        return False, seen

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

    def interface(self, real: str) -> frozenset[str]:
        """The names a module offers that can carry a batch-norm finding
        into a caller: functions and classes whose text reaches a batch
        norm, its statistics or a format, or names something an imported
        project module offers; module constants that hold a format; and
        what it re-exports.  A caller that names none of them gains nothing
        from the module."""
        if real in self._interfaces:
            return self._interfaces[real]
        self._interfaces[real] = frozenset()  # cycles
        data = self.data_of(real) or b""
        exported, used = set(), set()
        for target, local, module in self._bound(real):
            offered = self.interface(target)
            if not offered:
                continue
            if local is None:
                exported |= offered  # a star import re-exports them
                used |= offered
            elif local in offered or module.rsplit(".", 1)[-1] == local:
                exported.add(local)
                used |= {local} | offered
        out = frozenset(_own_interface(data, used) | exported)
        self._interfaces[real] = out
        return out

    def uses(self, real: str, target: str) -> bool:
        """Whether ``real`` names something the project module ``target``
        (which it imports) offers, or star-imports it."""
        key = (real, target)
        if key not in self._uses:
            self._uses[key] = self._names_offered(real, target)
        return self._uses[key]

    def _names_offered(self, real: str, target: str) -> bool:
        if self._sets_format(target):
            return True  # importing it sets Keras' image format for the importer
        offered = self.interface(target)
        if not offered:
            return False
        wanted: set[str] = set()
        for resolved, local, _ in self._bound(real):
            if resolved != target:
                continue
            if local is None:
                return True
            wanted |= {local} | offered  # ``bn(...)``; ``import ops`` then ``ops.bn``
        return bool(wanted) and not wanted.isdisjoint(self.words(real))

    def _sets_format(self, real: str) -> bool:
        """Whether importing the module (or a project module it imports)
        runs ``set_image_data_format(...)``: text at the start of a line."""
        if real not in self._format_setters:
            self._format_setters[real] = False  # cycles: decided by the other members
            data = self.data_of(real) or b""
            self._format_setters[real] = _SETS_FORMAT.search(data) is not None or (
                b"import" in data and any(self._sets_format(t) for t in self.imports(real))
            )
        return self._format_setters[real]

    def packages_set_format(self, real: str) -> bool:
        """Whether the ``__init__.py`` of a package holding the module,
        which Python runs before it, sets Keras' image format."""
        return any(self._sets_format(init) for init in package_inits(real))

    def uses_interface(self, real: str) -> bool:
        """Whether the file names something a project module it imports
        offers, and has something of its own to hand it: a conv, a batch
        norm, a format (its own words, or a format constant it imports)."""
        targets = [t for t in self.imports(real) if self.uses(real, t)]
        return bool(targets) and self.contributes(real, targets)

    def contributes(self, real: str, targets=None) -> bool:
        """Whether the file has a conv, a batch norm or a format of its own
        to hand the project modules it calls (``targets``: those modules)."""
        if self._searched(_CONTRIBUTES, real):
            return True
        targets = self.imports(real) if targets is None else targets
        constants = set().union(set(), *(self._constants(t) for t in targets))
        if not constants.isdisjoint(self.words(real)):
            return True
        # a loss from its model handed to a train op another module builds
        return any(self._searched(_TRAINS, t) for t in targets)

    def _searched(self, pattern: re.Pattern, real: str) -> bool:
        """Whether the pattern occurs in the file, searched once per run."""
        key = (pattern.pattern, real)
        if key not in self._found:
            self._found[key] = pattern.search(self.data_of(real) or b"") is not None
        return self._found[key]

    def _constants(self, real: str) -> set[str]:
        """Format constants a module defines or re-exports (one level)."""
        if real not in self._format_constants:
            own = self._own_constants(real)
            reexported = {
                local for t, local, _ in self._bound(real) if local and local in self._own_constants(t)
            }
            self._format_constants[real] = own | reexported
        return self._format_constants[real]

    def _own_constants(self, real: str) -> set[str]:
        if real not in self._own_format_constants:
            data = self.data_of(real) or b""
            self._own_format_constants[real] = {
                m.group(1).decode() for m in _FORMAT_CONSTANT.finditer(data)
            } | _format_classes(data)
        return self._own_format_constants[real]


# A class body's format field: ``    data_format = "NCHW"`` / ``    data_format: str = "NCHW"``
_CLASS_FORMAT = re.compile(
    rb"^[ \t]+\w+[ \t]*(?::[^=\n]*)?=[ \t]*(?:[\w.]*field\((?:[^)\n]*,)?[ \t]*default[ \t]*=[ \t]*)?"
    rb"[rbuRBU]?['\"](?:channels_first|channels_last|NCHW|NHWC|NCW|NWC|NCDHW|NDHWC)['\"]",
    re.M,
)
# ``cfg = Config(...)`` at the top level
_TOP_INSTANCE = re.compile(rb"^(\w+)[ \t]*=[ \t]*(\w+)\(", re.M)


def _words(data: bytes) -> set[str]:
    # latin-1 maps bytes one to one: identifiers come out as they are spelled
    return set(_WORD.findall(data.decode("latin-1")))


_WORD = re.compile(r"[A-Za-z_]\w*")
# A train op built in a module's code (``opt.minimize(loss)``).
_TRAINS = re.compile(rb"\.minimize\(|\.apply_gradients\(")
# What a caller must have to hand a helper something that matters: a conv
# (or a conv helper spelled so), a batch norm, or a format.
_CONTRIBUTES = re.compile(
    rb"onv|atch_norm|BatchNorm|moments|ormaliz|channels_|NCHW|NHWC|NCW|NWC|NCDHW|NDHWC|data_format|dim_ordering"
    rb"|Sequential"  # threads layers another module made through each other
    rb"|arg_scope"  # its scopes reach the ops of the functions it calls
    rb"|" + _TRAINS.pattern  # trains a graph the modules it calls build
)
# A top-level ``def`` / ``class`` and its body, up to the next top-level line.
_TOP_BLOCK = re.compile(rb"^(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)(.*?)(?=^\S|\Z)", re.M | re.S)
_SITE_WORDS = re.compile(
    rb"atch_norm|BatchNorm|moments|ormaliz|channels_first|NCHW|NCW|NCDHW|data_format|set_image|arg_scope"
    rb"|transpose\(|Permute\("  # moves a conv output's channels: a helper ``to_nchw(x)``
    rb"|" + _TRAINS.pattern  # builds a train op: ``solver.get_train_op(loss)``
)
# A dict's batch-norm setting: ``{"momentum": 0.1}``, ``dict(decay=0.1)``
_BN_KEYS = re.compile(rb"['\"](?:momentum|decay|axis)['\"][ \t]*:|\b(?:momentum|decay|axis)[ \t]*=(?!=)")
# A top-level assignment and its continuation lines (a list of layers
# closes with a bracket in the first column).
_TOP_ASSIGN = re.compile(rb"^(\w+)[ \t]*=(?!=)(.*?)(?=^[^\s)\]}]|\Z)", re.M | re.S)
# ``K.set_image_data_format("channels_first")`` in a module's own code
_SETS_FORMAT = re.compile(rb"^[\w.]*set_image_(?:data_format|dim_ordering)\(", re.M)
# ``DATA_FORMAT = "NCHW"``, or an attribute of a config object
# (``__C.MODEL.DATA_FORMAT = "NCHW"``: the object is offered)
_FORMAT_CONSTANT = re.compile(
    rb"^(\w+)(?:\.\w+)*[ \t]*=[ \t]*[rbuRBU]?['\"](?:channels_first|channels_last|NCHW|NHWC|NCW|NWC|NCDHW|NDHWC)['\"]",
    re.M,
)


def _format_classes(data: bytes) -> set[str]:
    """Top-level config classes whose body gives a format
    (``data_format: str = "channels_first"``, or ``field(default=...)``),
    the classes of this module that subclass or hold one, and the
    module-level objects made from them (``cfg = Config()``)."""
    if b"class" not in data:
        return set()
    found: set[str] = set()
    others: dict[str, bytes] = {}  # the other classes' text
    for m in _TOP_BLOCK.finditer(data):
        if not m.group(0).startswith(b"class"):
            continue
        name = m.group(1).decode("latin-1")
        if _CLASS_FORMAT.search(m.group(2)):
            found.add(name)
        else:
            others[name] = m.group(2)
    # a subclass of one, or a class holding one (``field(default_factory=Model)``), is one too
    if found:
        _grow(found, {n: _words(t) for n, t in others.items()})
        found |= {
            m.group(1).decode("latin-1")
            for m in _TOP_INSTANCE.finditer(data)
            if m.group(2).decode("latin-1") in found
        }
    return found


def _grow(found: set[str], others: dict[str, set[str]]) -> None:
    """Add to ``found`` every name of ``others`` whose words name one
    already found, until nothing changes."""
    changed = True
    while changed:
        changed = False
        for name, words in others.items():
            if name not in found and not found.isdisjoint(words):
                found.add(name)
                changed = True


def _own_interface(data: bytes, used: set[str]) -> set[str]:
    """Top-level functions and classes whose text has a site word or names
    something in ``used`` (or another such function), and format constants."""
    names: set[str] = set()
    blocks: dict[str, set[str]] = {}  # the others, with their words
    for m in _TOP_BLOCK.finditer(data):
        name = m.group(1).decode("latin-1")
        if _SITE_WORDS.search(m.group(0)):
            names.add(name)
        else:
            words = _words(m.group(0))
            if used.isdisjoint(words):
                blocks[name] = words
            else:
                names.add(name)
    _grow(
        names, {n: w for n, w in blocks.items() if n not in names}
    )  # a function calling one of those is one too
    names |= {m.group(1).decode() for m in _FORMAT_CONSTANT.finditer(data)}
    # module-level values built with a batch norm: ``STEM = [Conv2D(...), BatchNormalization()]``,
    # and batch-norm settings to spread: ``BN_PARAMS = {"momentum": 0.1}``
    names |= {
        m.group(1).decode("latin-1")
        for m in _TOP_ASSIGN.finditer(data)
        if _SITE_WORDS.search(m.group(2)) or _BN_KEYS.search(m.group(2))
    }
    # another name for one of those (``cfg = __C``)
    names |= {
        m.group(1).decode("latin-1")
        for m in _TOP_ASSIGN.finditer(data)
        if m.group(2).strip().decode("latin-1") in names
    }
    return names


def groups(members: list[str], graph: ImportGraph) -> list[list[str]]:
    """Members connected by imports, as lists (union-find).  Members that
    import the same project module go together too: one analysis then
    reads it once."""
    parent = {m: m for m in members}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    # a module a member imports joins the walk: ``import net`` reaches
    # net/layers/norm.py through the packages re-exporting it
    todo = list(members)
    while todo:
        m = todo.pop()
        for t in graph.imports(m):
            if t not in parent:
                if not graph.matters(t):
                    continue
                parent[t] = t
                todo.append(t)
            parent[find(m)] = find(t)
    out: dict[str, list[str]] = {}
    for m in members:
        out.setdefault(find(m), []).append(m)
    return list(out.values())
