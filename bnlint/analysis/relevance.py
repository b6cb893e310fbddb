"""Which functions are worth running: a cheap test on their text and the
names they use, so the interpreter skips code that cannot matter.

Two questions, one mechanism: whether a function may *return* a tracked
value to a caller (``RETURNS``: it must touch a conv, a batch norm, a
format or ``self``), and whether running it with its defaults may *record*
a site (``RECORDS``: it must reach a batch norm, moments, a normalizer or a
parameter).  Either is true when the function's text spells such a word,
names an imported API spelled so (``BN`` for ``BatchNormalization``), or
names a value that may (a project function or class, recursively; a
module; a tensor or a layer)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bnlint.analysis.frame import Frame
from bnlint.analysis.layout import is_format_string
from bnlint.analysis.values import ApiRef, ClassInfo, Func, Instance, Int, ModuleRef, NoneConst, Str


@dataclass(frozen=True)
class Question:
    words: re.Pattern
    formats_count: bool  # a format string it names is enough
    whole_class: bool  # a method is judged by its class's text (``self.bn`` set in ``__init__``)


RETURNS = Question(
    re.compile(
        r"onv|moments|atch_norm|BatchNorm|normaliz|self\b|Sequential|set_image|Variable|variable"
        r"|add_weight|assign|TimeDistributed|arg_scope|global\b|nonlocal\b"
    ),
    formats_count=True,
    whole_class=False,
)
RECORDS = Question(
    re.compile(
        r"moments|atch_norm|BatchNorm|normaliz|Sequential|Variable|variable|add_weight|assign"
        r"|TimeDistributed|arg_scope|global\b|nonlocal\b"
    ),
    formats_count=False,
    whole_class=True,
)


class Relevance:
    """Answers one ``Question`` for the functions of a session, memoised."""

    def __init__(self, question: Question):
        self.question = question
        self._functions: dict[int, bool] = {}
        self._texts: dict[int, tuple[bool, set[str]]] = {}
        self._modules: dict[int, bool] = {}

    def function(self, func: Func) -> bool:
        key = id(func.node)
        if key in self._functions:
            return self._functions[key]
        self._functions[key] = False  # a recursion is decided by the rest
        interp = func.interp
        home = func.defining_class if self.question.whole_class else None
        spelled, words = self._text(interp, home.node if home is not None else func.node)
        result = spelled
        if not result:
            scopes = [interp.frame.vars]
            env = func.env
            while isinstance(env, Frame):  # a closure's names, and the arg_scopes it runs under
                if env.arg_scopes:
                    self._functions.pop(key)  # in force only while the ``with`` runs
                    return True
                scopes.append(env.vars)
                env = env.parent
            if func.cls is not None:
                scopes.append(func.cls.attrs)
            result = any(self.value(scope[w]) for scope in scopes for w in words if w in scope)
        self._functions[key] = result
        return result

    def value(self, value) -> bool:
        """Whether a value a function names could lead it there."""
        if value is None or isinstance(value, (Int, NoneConst)):
            return False
        if isinstance(value, Str):
            return self.question.formats_count and is_format_string(value.value)
        if isinstance(value, Func):
            return self.function(value)
        if isinstance(value, (ClassInfo, Instance)):
            cls = value if isinstance(value, ClassInfo) else value.cls
            return any(self.function(m) for m in cls.methods.values())
        if isinstance(value, ApiRef):  # ``norm = BatchNormalization``: as if spelled
            return self.question.words.search(value.name) is not None
        if isinstance(value, ModuleRef):
            return value.interp is not None and self._module(value.interp)
        return True  # tensors, layers, models, parameters, collections of them

    def _module(self, interp) -> bool:
        key = id(interp)
        if key not in self._modules:
            self._modules[key] = False  # import cycles
            self._modules[key] = any(self.value(v) for v in list(interp.frame.vars.values()))
        return self._modules[key]

    def _text(self, interp, node) -> tuple[bool, set[str]]:
        """(whether a def's or class's text spells a word, its words)."""
        key = id(node)
        if key not in self._texts:
            index = interp.module.index
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            text = "".join(index.lines[start - 1 : node.end_lineno])
            words = index.words_in(start, node.end_lineno)
            aliases = interp.module.imports.aliases
            pattern = self.question.words
            spelled = pattern.search(text) is not None or any(
                pattern.search(aliases.get(w) or "") for w in words
            )
            self._texts[key] = (spelled, words)
        return self._texts[key]
