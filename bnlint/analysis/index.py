"""What several passes need to find in a module (imports, calls, yields,
string literals), each collected by at most one walk, and only when the
source text shows it can be there: walking every node of every file is
most of what a lint run would otherwise cost."""

from __future__ import annotations

import ast
import bisect
import re

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")
_WORD = re.compile(r"[A-Za-z_]\w*")
# ``<obj>.name = ...`` (not ``==``); the owner is read back from the dot
_ATTR_STORE = re.compile(r"\.\s*([A-Za-z_]\w*)\s*=(?!=)")
_LEAVES = (ast.expr_context, ast.Name, ast.operator, ast.cmpop, ast.unaryop, ast.boolop)


def _nested(stmt) -> list:
    """The statements directly inside a compound statement (a ``case``'s
    body stands for the case, which has no line of its own)."""
    out = []
    for field in _BLOCKS:
        for child in getattr(stmt, field, ()):
            if isinstance(child, ast.match_case):
                out.extend(child.body)
            else:
                out.append(child)
    return out


def statements_in(body):
    """Every statement, nested blocks included (no expressions)."""
    todo = list(body)
    while todo:
        stmt = todo.pop()
        yield stmt
        todo.extend(_nested(stmt))


_IMPORT_LINE = re.compile(r"^[ \t]*(?:from|import)\b", re.M)


def _inline_import(text: str) -> bool:
    """Whether some ``import`` may follow a ``;`` or ``:`` on its line."""
    i = text.find("import")
    while i >= 0:
        start = text.rfind("\n", 0, i) + 1
        before = text[start:i]
        if (";" in before or ":" in before) and before.lstrip()[:1] != "#":
            return True
        i = text.find("import", i + 6)
    return False


def _imports(tree: ast.Module, text: str | None) -> list:
    """The import statements (in ``_statements`` order); the text says
    which lines start one, so only the blocks around them are walked."""
    if text is None or "\r" in text or _inline_import(text):
        # ``x = 1; import y``, ``if y: import z``, other line ends: walk everything
        return [s for s in statements_in(tree.body) if isinstance(s, (ast.Import, ast.ImportFrom))]
    lines = []
    line, pos = 1, 0
    for m in _IMPORT_LINE.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        lines.append(line)
    found = []
    todo = list(tree.body)
    while todo:
        stmt = todo.pop()
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            found.append(stmt)
            continue
        i = bisect.bisect_left(lines, stmt.lineno)
        if i < len(lines) and lines[i] <= stmt.end_lineno:
            todo.extend(_nested(stmt))
    return found


class ModuleIndex:
    def __init__(self, tree: ast.Module, text: str | None = None):
        self.tree = tree
        self.text = text
        self.imports = _imports(tree, text)
        self._walked = False
        self._calls: list[ast.Call] = []
        self._strings: list[ast.Constant] = []
        self._yields: list[int] = []
        self._yields_sorted = False
        self._def_ranges: list[tuple[int, int]] | None = None
        self._mentions: dict[str, bool] = {}
        self._changes: dict[str, bool] = {}  # dict name -> stored into
        self._counts: dict[str, int] = {}
        self._words: dict[tuple[int, int], frozenset[str]] = {}
        self._outside_stores: set[str] | None = None
        self._lines: list[str] | None = None
        self._newlines: list[int] | None = None
        self._line_calls: dict[int, list[int]] | None = None
        self._functions: list | None = None

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = (self.text or "").splitlines(keepends=True)
        return self._lines

    def mentions(self, word: str) -> bool:
        """Whether the source contains ``word`` (True if unknown)."""
        if self.text is None:
            return True
        if word not in self._mentions:
            self._mentions[word] = word in self.text
        return self._mentions[word]

    def _walk(self) -> None:
        """One pass over the tree; leaves that hold nothing we collect
        (names, contexts, operators) are not visited: ast.walk's cost."""
        if self._walked:
            return
        self._walked = True
        Call, Constant, AST = ast.Call, ast.Constant, ast.AST
        calls, strings, yields = self._calls, self._strings, self._yields
        stack = [self.tree]
        pop, push = stack.pop, stack.append
        while stack:
            node = pop()
            t = type(node)
            if t is Call:
                calls.append(node)
            elif t is Constant:
                if type(node.value) is str:
                    strings.append(node)
                continue
            elif t is ast.Yield or t is ast.YieldFrom:
                yields.append(node.lineno)
            for field in node._fields:
                value = getattr(node, field, None)
                if type(value) is list:
                    for item in value:
                        if isinstance(item, AST) and not isinstance(item, _LEAVES):
                            push(item)
                elif isinstance(value, AST) and not isinstance(value, _LEAVES):
                    push(value)

    @property
    def calls(self) -> list[ast.Call]:
        self._walk()
        return self._calls

    @property
    def strings(self) -> list[ast.Constant]:
        self._walk()
        return self._strings

    def calls_on_lines_of(self, word: str) -> list[ast.Call]:
        """The calls that span a line where ``word`` occurs."""
        if self.text is None:
            return self.calls
        if self._newlines is None:
            self._newlines = [m.start() for m in re.finditer("\n", self.text)]
        lines = set()
        start = self.text.find(word)
        while start >= 0:
            lines.add(bisect.bisect_left(self._newlines, start) + 1)
            start = self.text.find(word, start + 1)
        if not lines:
            return []
        self._walk()  # one walk serves every question about lines
        by_line = self._calls_by_line()
        found = sorted({i for line in lines for i in by_line.get(line, ())})
        return [self._calls[i] for i in found]

    def _calls_by_line(self) -> dict[int, list[int]]:
        """Line -> the positions in ``calls`` of the calls spanning it."""
        if self._line_calls is None:
            self._line_calls = {}
            for i, c in enumerate(self._calls):
                for line in range(c.lineno, c.end_lineno + 1):
                    self._line_calls.setdefault(line, []).append(i)
        return self._line_calls

    def words_in(self, start: int, end: int) -> frozenset[str]:
        """The identifiers on lines ``start`` to ``end`` (1-based), read
        once per span: an inherited method's are asked for every subclass."""
        key = (start, end)
        if key not in self._words:
            self._words[key] = frozenset(_WORD.findall("".join(self.lines[start - 1 : end])))
        return self._words[key]

    def count(self, word: str) -> int:
        """Occurrences of ``word`` in the source (large if unknown)."""
        if self.text is None:
            return 1 << 30
        if word not in self._counts:
            self._counts[word] = self.text.count(word)
        return self._counts[word]

    def assigns_attribute(self, name: str) -> bool:
        """Whether the code assigns ``obj.name = ...`` for some ``obj``
        other than ``self`` (true when the text is unknown)."""
        if self.text is None:
            return True
        if self._outside_stores is None:
            # one pass for every name: a group asks this of each member
            self._outside_stores = set()
            text = self.text
            for m in _ATTR_STORE.finditer(text):
                end = m.start()
                while end > 0 and text[end - 1].isspace():
                    end -= 1
                start = end
                while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
                    start -= 1
                if start < end and text[start:end] != "self":
                    self._outside_stores.add(m.group(1))
        return name in self._outside_stores

    def written_once(self, name: str) -> bool:
        """Whether ``name`` is assigned in this module and never changed
        after as an object (``name[...] = ...``, ``name.update(...)``, any
        attribute of it): a dict so written is what its literal says."""
        if self.text is None:
            return False
        word = re.escape(name)
        return (
            re.search(rf"\b{word}\s*=[^=]", self.text) is not None
            and re.search(rf"\b{word}\s*[\[.]", self.text) is None
        )

    def changes_dict(self, name: str) -> bool:
        """Whether the code stores into a dict named ``name`` (``name[k] =
        v``, ``config.name.update(...)``); true when the text is unknown."""
        if self.text is None:
            return True
        if name not in self._changes:
            word = re.escape(name)
            self._changes[name] = (
                name in self.text
                and re.search(
                    rf"\b{word}\s*\[[^\]\n]*\]\s*[-+|]?=(?!=)|\b{word}\s*\.\s*(?:update|setdefault|pop|popitem|clear)\s*\(",
                    self.text,
                )
                is not None
            )
        return self._changes[name]

    def changed_within(self, name: str, node: ast.AST) -> bool:
        """Whether the lines of ``node`` rebind ``name`` or change it as an
        object (``name[...] = ...``, ``name.pop(...)``, ``name = ...``)."""
        text = "".join(self.lines[node.lineno - 1 : node.end_lineno])
        return re.search(rf"\b{re.escape(name)}\s*(?:[\[.]|[-+|]?=(?!=))", text) is not None

    def statements(self):
        """Every statement of the module, nested blocks included."""
        return statements_in(self.tree.body)

    @property
    def functions(self) -> list:
        """Every function and method, nested ones included, in line order."""
        if self._functions is None:
            found = [s for s in statements_in(self.tree.body) if isinstance(s, _FUNCTIONS)]
            self._functions = sorted(found, key=lambda f: (f.lineno, f.col_offset))
        return self._functions

    def globals_rebound(self) -> set[str]:
        """Names declared ``global`` inside a function."""
        if not self.mentions("global"):
            return set()
        return {n for s in statements_in(self.tree.body) if isinstance(s, ast.Global) for n in s.names}

    def runs_at_import(self, node: ast.AST) -> bool:
        """Whether ``node`` is outside every function and class body."""
        if self._def_ranges is None:
            self._def_ranges = []
            for stmt in statements_in(self.tree.body):
                if isinstance(stmt, _DEFS):
                    start = min([stmt.lineno] + [d.lineno for d in stmt.decorator_list])
                    self._def_ranges.append((start, stmt.end_lineno))
        line = node.lineno
        return not any(a <= line <= b for a, b in self._def_ranges)

    def is_generator(self, fn: ast.AST) -> bool:
        if not self.mentions("yield"):
            return False
        self._walk()
        if not self._yields_sorted:
            self._yields.sort()
            self._yields_sorted = True
        i = bisect.bisect_left(self._yields, fn.lineno)
        return i < len(self._yields) and self._yields[i] <= fn.end_lineno
