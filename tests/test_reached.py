"""The graph walk behind "a module imported at module level sets Keras'
format": values reached through nodes that hold none, cycles included."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bnlint.analysis.reached import Reached


class Node:
    def __init__(self, name, values=()):
        self.name = name
        self.values = frozenset(values)
        self.children: list[Node] = []


def reached(nodes):
    return Reached(lambda n: n.children, lambda n: n.values)


def brute_force(node):
    """Every node reachable through value-less nodes, walked afresh (as
    the session walked imports before: the start is not taken as seen)."""
    found, seen, todo = set(), set(), list(node.children)
    while todo:
        n = todo.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if n.values:
            found |= n.values
        else:
            todo.extend(n.children)
    return frozenset(found)


def test_stops_at_a_node_that_holds_values():
    a, b, c, d = Node("a"), Node("b", {"channels_first"}), Node("c"), Node("d", {"channels_last"})
    a.children, b.children, c.children = [b, c], [d], [a]
    r = reached([a, b, c, d])
    assert r.of(a) == {"channels_first"}  # d lies behind b, which sets a format
    assert r.of(c) == {"channels_first"}  # through the cycle back to a


def test_every_member_of_a_cycle_reaches_the_same():
    a, b, c = Node("a"), Node("b"), Node("c")
    x, y = Node("x", {1}), Node("y", {2})
    a.children, b.children, c.children = [b], [c, x], [a, y]
    r = reached([a, b, c])
    assert r.of(b) == {1, 2}
    assert r.of(a) == r.of(c) == {1, 2}


def test_a_component_reached_later_is_not_walked_again():
    calls = []
    a, b, c = Node("a"), Node("b"), Node("c", {"v"})
    a.children, b.children = [b], [c]

    def children(n):
        calls.append(n.name)
        return n.children

    r = Reached(children, lambda n: n.values)
    assert r.of(a) == {"v"}
    assert r.of(b) == {"v"}
    assert calls == ["a", "b"]


@given(
    st.integers(min_value=1, max_value=9).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=25),
            st.lists(st.integers(0, n - 1), max_size=4),
        )
    )
)
def test_same_as_walking_each_node_afresh(graph):
    n, edges, holders = graph
    nodes = [Node(str(i), {f"v{i}"} if i in holders else ()) for i in range(n)]
    for src, dst in edges:
        nodes[src].children.append(nodes[dst])
    r = reached(nodes)
    for node in nodes:
        assert r.of(node) == brute_force(node), node.name
