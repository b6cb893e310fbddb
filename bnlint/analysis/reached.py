"""What a node of a directed graph reaches: the values of the nodes that
hold one, found through nodes that hold none, once per strongly connected
component (Tarjan), so that asking it of every node costs one walk."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable


class Reached:
    """``children(node)`` lists a node's successors and ``own(node)`` the
    values it holds; a node that holds values stops the walk there.
    Nodes are told apart by ``id``: they are the analysis's own objects."""

    def __init__(self, children: Callable[[object], Iterable], own: Callable[[object], frozenset]):
        self._children = children
        self._own = own
        self._done: dict[int, frozenset] = {}

    def of(self, node) -> frozenset:
        """The values held by the nodes ``node`` reaches through nodes that
        hold none (``node``'s own only when a cycle leads back to it)."""
        if id(node) not in self._done:
            self._component(node, {}, [], {})
        return self._done[id(node)]

    def _component(self, node, order: dict[int, int], stack: list, low: dict[int, int]) -> set:
        key = id(node)
        order[key] = low[key] = len(order)
        stack.append(node)
        found: set[Hashable] = set()
        for child in self._children(node):
            values = self._own(child)
            if values:
                found |= values
                continue
            ckey = id(child)
            if ckey in self._done:
                found |= self._done[ckey]
            elif ckey not in order:
                found |= self._component(child, order, stack, low)
                if ckey in low:  # not a component of its own: ``node``'s
                    low[key] = min(low[key], low[ckey])
            elif ckey in low:  # on the stack: the same component
                low[key] = min(low[key], order[ckey])
        if low[key] == order[key]:
            # ``node`` roots a component: every member reaches what any does
            members = []
            while True:
                member = stack.pop()
                members.append(member)
                if member is node:
                    break
            done = frozenset(found)
            for member in members:
                self._done[id(member)] = done
                del low[id(member)]
        return found
