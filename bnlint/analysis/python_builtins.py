"""The Python builtins the interpreter runs when a module does not rebind
them: the ones that compute axes (``len``, ``range``, ``list``) and walk
collections of layers (``zip``, ``enumerate``)."""

from __future__ import annotations

from bnlint.analysis import constants
from bnlint.analysis.values import Each, Int, IntList, Seq, ShapeDim, ShapeOf, same


def _len(args):
    if len(args) == 1:
        if isinstance(args[0], ShapeOf) and args[0].tensor.layout.rank:
            return Int(args[0].tensor.layout.rank)
        if isinstance(args[0], IntList):
            return Int(len(args[0].values))
        if isinstance(args[0], Seq):  # a list written out, or filled in known steps
            return Int(len(args[0].items))
    return None


def _int(args):
    """``int(x.get_shape()[-1])`` is that dimension still."""
    return args[0] if len(args) == 1 and isinstance(args[0], ShapeDim) else None


def _as_list(args):
    return args[0] if len(args) == 1 and isinstance(args[0], (IntList, Seq)) else None


def _zip(args):
    if args and all(isinstance(a, Seq) for a in args) and len({len(a.items) for a in args}) == 1:
        return Seq(tuple(Seq(items) for items in zip(*(a.items for a in args))))
    if args and all(isinstance(a, (Each, Seq)) and a.items for a in args):
        # zip(self.convs, self.bns) of lists filled in a loop: pairs of any
        pools = [any_of(a.items) for a in args]
        if None not in pools and not any(isinstance(p, Each) for p in pools):
            return Each((Seq(tuple(pools)),))
    return None


def _enumerate(args):
    if len(args) == 1 and isinstance(args[0], Seq):
        return Seq(tuple(Seq((Int(i), item)) for i, item in enumerate(args[0].items)))
    if len(args) == 1 and isinstance(args[0], Each):
        return Each(tuple(Seq((None, item)) for item in args[0].items))
    return None


def any_of(items):
    """One element of a collection, not knowing which."""
    distinct = []
    for item in items:
        if item is None:
            return None
        if not any(same(item, d) for d in distinct):
            distinct.append(item)
    return distinct[0] if len(distinct) == 1 else Each(tuple(distinct))


# Builtins that compute axes and walk collections, when the module does not rebind them.
BUILTINS = {
    "len": _len,
    "int": _int,
    "range": constants.int_range,
    "list": _as_list,
    "tuple": _as_list,
    "zip": _zip,
    "enumerate": _enumerate,
}
