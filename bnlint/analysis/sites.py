"""What the analysis hands to the rules.

A *site* is one place in the code where a batch norm (or its statistics or
parameters) meets a tensor; each analysis context that reaches it (the
function itself, or a helper analysed for one of its callers, in any
module) adds the layout it saw there.  Rules only read sites.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from bnlint.analysis.layout import Layout


@dataclass
class Context:
    layout: Layout | None  # None: the tensor here is not a tracked conv output
    via_call: bool  # reached through a helper called on a conv output
    # the invocation that reached the site (a node of the call graph)
    key: object = field(default=None, compare=False)
    # (ModuleFacts, node) of the conv whose output reached the site
    origin: tuple | None = field(default=None, compare=False)


@dataclass
class Site:
    kind: str
    node: ast.AST
    info: dict
    module: object = None  # the ModuleFacts the node belongs to
    contexts: list[Context] = field(default_factory=list)
    # every invocation that reached the site, layout by layout
    reached: list[Context] = field(default_factory=list)

    def layouts(self) -> list[Layout]:
        return [c.layout for c in self.contexts if c.layout is not None]


class Sites:
    def __init__(self) -> None:
        self._by_key: dict[tuple, Site] = {}

    def add(
        self,
        kind: str,
        node: ast.AST,
        layout,
        via_call: bool,
        module=None,
        key=None,
        origin=None,
        vary=None,
        **info,
    ) -> Site:
        """``vary``: what differs between contexts at this node (a constant
        a caller passes for the axis): each value is a site of its own."""
        skey = (kind, id(node), vary)
        site = self._by_key.get(skey)
        if site is None:
            site = self._by_key[skey] = Site(kind, node, dict(info), module)
        else:
            for k, v in info.items():
                site.info.setdefault(k, v)
        ctx = Context(layout, via_call, key, origin)
        if ctx not in site.contexts:
            site.contexts.append(ctx)
        if not any(c.key == key and c.layout == layout for c in site.reached):
            site.reached.append(ctx)
        return site

    def at(self, kind: str, node: ast.AST) -> list[Site]:
        """The sites of ``kind`` at ``node``, whatever their ``vary``; for
        a partial's call merged with one of its calls, the sites of every
        call of that partial (a fix in the partial is right for all or none)."""
        place = id(_place(node))
        return [s for (k, _, _), s in self._by_key.items() if k == kind and id(_place(s.node)) == place]

    def of_kind(self, kind: str) -> list[Site]:
        return [s for s in self._by_key.values() if s.kind == kind]

    def in_module(self, module) -> Sites:
        """The sites whose node belongs to ``module``."""
        out = Sites()
        out._by_key = {k: s for k, s in self._by_key.items() if s.module is module}
        return out

    def __iter__(self):
        return iter(self._by_key.values())


def _place(node: ast.AST) -> ast.AST:
    """The code a node stands for: a merged partial call is its partial's."""
    return getattr(node, "bnlint_place", node)
