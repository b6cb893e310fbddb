"""What the layout graph hands to the rules.

A *site* is one place in the code where a batch norm (or its statistics or
parameters) meets a tensor; each analysis context that reaches it (the
function itself, or a helper analysed for one of its callers) adds the
layout it saw there.  Rules only read sites.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from bnlint.analysis.layout import Layout


@dataclass
class Context:
    layout: Layout | None  # None: the tensor here is not a tracked conv output
    via_call: bool  # reached through a helper called on a conv output


@dataclass
class Site:
    kind: str
    node: ast.AST
    info: dict
    contexts: list[Context] = field(default_factory=list)

    def layouts(self) -> list[Layout]:
        return [c.layout for c in self.contexts if c.layout is not None]


class Sites:
    def __init__(self) -> None:
        self._by_key: dict[tuple, Site] = {}

    def add(self, kind: str, node: ast.AST, layout, via_call: bool, **info) -> Site:
        key = (kind, id(node))
        site = self._by_key.get(key)
        if site is None:
            site = self._by_key[key] = Site(kind, node, dict(info))
        else:
            for k, v in info.items():
                site.info.setdefault(k, v)
        ctx = Context(layout, via_call)
        if ctx not in site.contexts:
            site.contexts.append(ctx)
        return site

    def of_kind(self, kind: str) -> list[Site]:
        return [s for s in self._by_key.values() if s.kind == kind]
