"""What one module says before any of its code runs: its source, index and
imports, Keras' image data format, and which calls pass what to each of
its functions."""

from __future__ import annotations

import ast
import re

from bnlint.analysis import catalog
from bnlint.analysis.index import ModuleIndex
from bnlint.analysis.names import Imports

# concatenate([...], axis=1) / Concatenate(axis=1)(...), one level of
# nested parentheses inside the call, not numpy's.
_KERAS_CONCAT_AXIS_1 = re.compile(
    r"(?<![\w.])(?:(?!np\.|numpy\.)[A-Za-z_][\w.]*\.)?[cC]oncatenate\s*\("
    r"(?:[^()]|\([^()]*\))*?\baxis\s*=\s*1\b"
)
# Reshape((-1, k)): feature maps flattened to (positions, channels), as
# channels_last detection heads do before concatenating them on axis 1.
_KERAS_RESHAPE_TO_POSITIONS = re.compile(r"(?<![\w])Reshape\s*\(\s*(?:target_shape\s*=\s*)?[(\[]\s*-1\s*,")
_SETTERS = catalog.of_effect("format_setter", "ordering_setter")
_GETTERS = catalog.of_effect("format_getter")
_ORDERING = {"th": "channels_first", "tf": "channels_last"}
_FORMATS = ("channels_first", "channels_last")


class ModuleFacts:
    """One parsed module: ``path`` names it in findings."""

    def __init__(self, path: str, tree: ast.Module, text: str | None, source=None):
        self.path = path
        self.tree = tree
        self.source = source  # the SourceFile, for spans; None for tests
        self.index = ModuleIndex(tree, text)
        self.imports = Imports(tree, self.index.imports)
        # a module written for both image formats tests Keras' format:
        # (the test's source, whether it is true for channels_first)
        self.format_test: tuple[str, bool] | None = None
        self._required: str | None = None  # the format it asserts or raises without
        self._read_format_tests()
        # what its own calls set Keras' image format to (None: unreadable)
        self.keras_format_settings: tuple = ()
        self.keras_default = self._keras_default()
        self._callers: dict[str, list[ast.Call]] = {}

    def _read_format_tests(self) -> None:
        if not (self.index.mentions("image_data_format") or self.index.mentions("image_dim_ordering")):
            return
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Compare) and len(node.ops) == 1:
                tested = self._tested_format(node)
                if tested is not None and self.format_test is None and self.source is not None:
                    self.format_test = (self.source.segment(node), tested == "channels_first")
            elif isinstance(node, ast.Assert) and isinstance(node.test, ast.Compare):
                self._required = self._tested_format(node.test) or self._required
            elif (
                isinstance(node, ast.If)
                and isinstance(node.test, ast.Compare)
                and node.body
                and isinstance(node.body[0], ast.Raise)
            ):
                tested = self._tested_format(node.test)
                if tested is not None:  # raises when the test holds: the other format
                    self._required = "channels_last" if tested == "channels_first" else "channels_first"

    def _tested_format(self, test: ast.Compare) -> str | None:
        """The format for which ``K.image_data_format() == 'x'`` (or ``!=``,
        or Keras 1's ``image_dim_ordering() == 'th'``) is true."""
        op = test.ops[0]
        if not isinstance(op, (ast.Eq, ast.NotEq)):
            return None
        sides = [test.left, test.comparators[0]]
        call = next((s for s in sides if isinstance(s, ast.Call)), None)
        const = next((s for s in sides if isinstance(s, ast.Constant) and isinstance(s.value, str)), None)
        if call is None or const is None or self.imports.resolve(call.func) not in _GETTERS:
            return None
        value = _ORDERING.get(const.value, const.value)
        if value not in _FORMATS:
            return None
        if isinstance(op, ast.NotEq):
            value = _FORMATS[1 - _FORMATS.index(value)]
        return value

    def _keras_default(self) -> str | None:
        """Keras' image_data_format for this module: channels_last unless
        module-level code sets it; None when it is set in a function or
        to something we cannot read."""
        found = []
        calls = self.index.calls if self.index.mentions("set_image_d") else ()
        for node in calls:
            name = self.imports.resolve(node.func)
            if name not in _SETTERS:
                continue
            arg = node.args[0] if node.args else None
            if arg is None:
                for k in node.keywords:
                    arg = k.value
            val = arg.value if isinstance(arg, ast.Constant) else None
            if catalog.CATALOG[name].effect == "ordering_setter":
                val = _ORDERING.get(val)
            found.append(val if self.index.runs_at_import(node) else None)
        self.keras_format_settings = tuple(found)
        if not found and self._required is not None:
            return self._required  # it asserts, or raises without, one format
        if not found and self.format_test is not None:
            # written for both formats: the ones wrong under the default are
            # wrong, whatever else hints at keras.json
            return "channels_last"
        if not found:
            # Concatenating along axis 1 is what channels_first code does
            # with feature maps: the global format is likely configured
            # elsewhere (keras.json), so do not assume the default.  Not
            # so once they are flattened to (positions, channels).
            if (self._concats_on_axis_1() and not self._flattens_to_positions()) or self._keras_1_era():
                return None
            return "channels_last"
        if any(v not in ("channels_first", "channels_last") for v in found) or len(set(found)) > 1:
            return None
        return found[0]

    def _keras_1_era(self) -> bool:
        """Keras 1 code (border_mode=, subsample=, nb_filter=) often ran
        with Theano ordering from keras.json: its default is unknowable."""
        return any(self.index.mentions(w) for w in ("border_mode", "subsample=", "nb_filter", "nb_row"))

    def _flattens_to_positions(self) -> bool:
        return (
            self.index.mentions("Reshape") and _KERAS_RESHAPE_TO_POSITIONS.search(self.index.text) is not None
        )

    def _concats_on_axis_1(self) -> bool:
        """Keras concatenation on axis 1 (numpy's does not count)."""
        return self.index.mentions("oncatenate") and _KERAS_CONCAT_AXIS_1.search(self.index.text) is not None

    def calls_from_outside(self, name: str) -> list[ast.Call]:
        """Calls ``name(...)`` and ``<module>.name(...)`` (not ``self.name``):
        how another module calls a function or class of one it imports."""
        key = "<outside>." + name
        if key not in self._callers:
            self._callers[key] = [
                node
                for node in self.index.calls_on_lines_of(name + "(")
                if (isinstance(node.func, ast.Name) and node.func.id == name)
                or (
                    isinstance(node.func, ast.Attribute)
                    and node.func.attr == name
                    and not (isinstance(node.func.value, ast.Name) and node.func.value.id == "self")
                )
            ]
        return self._callers[key]

    def callers(self, name: str, method: bool = False) -> list[ast.Call]:
        """Calls ``name(...)`` (or ``self.name(...)`` for a method), found
        on the lines where the text has ``name(``: no walk of the module."""
        key = ("self." if method else "") + name
        if key not in self._callers:
            found = []
            for node in self.index.calls_on_lines_of(name + "("):
                f = node.func
                if method:
                    if (
                        isinstance(f, ast.Attribute)
                        and f.attr == name
                        and isinstance(f.value, ast.Name)
                        and f.value.id == "self"
                    ):
                        found.append(node)
                elif isinstance(f, ast.Name) and f.id == name:
                    found.append(node)
            self._callers[key] = found
        return self._callers[key]
