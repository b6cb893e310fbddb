"""``functools.partial`` of a catalog API or a project function: made
once, called many times.  Its arguments count at every call, and a fix of
one of them goes into the partial's own call; a partial made in another
module is called there, with this call's arguments joining it only when the
rules can read them as written."""

from __future__ import annotations

import ast
import dataclasses

from bnlint.analysis import catalog
from bnlint.analysis.frame import Frame
from bnlint.analysis.values import ApiRef, Func, Partial

PARTIALS = ("partial", "functools.partial")


class Partials:
    """The partials of one interpreter's module, and the merged call nodes
    (the partial's call with a call's arguments) its calls give."""

    def __init__(self, interp):
        self.interp = interp
        self._merged: dict = {}  # (partial, call) -> the merged call node

    def make(self, node: ast.Call, args, kws, frame: Frame):
        """``partial(layers.BatchNormalization, axis=1)``: its arguments
        count at every call, and a fix goes into it."""
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            return None
        target = self.interp.module.imports.resolve(node.args[0])
        if target is None:
            target = (
                self.interp.lookup(node.args[0], frame)
                if isinstance(node.args[0], (ast.Name, ast.Attribute))
                else None
            )
            if isinstance(target, ApiRef):  # partial(norm_layer, axis=1)
                target = target.name
            elif not isinstance(target, Func):
                return None
        return Partial(target, node, tuple(args[1:]), tuple(kws.items()), self.interp, frame)

    def call(self, p: Partial, node: ast.Call, args, kws, frame: Frame, called_in=None):
        """Call the partial's target as ``target(*p.args, *args, **p.kws, **kws)``
        (``called_in``: the module of ``node``, when not this one)."""
        if p.interp is not None and p.interp is not self.interp:
            # made in another module: the merged call is that module's code
            # (its sites and fixes go there), so this call's arguments join
            # it only as _joins_elsewhere allows
            if not _joins_elsewhere(p, node):
                return None
            env = p.env if isinstance(p.env, Frame) else p.interp.frame
            # an invocation of its own in the call graph, like a helper's, so
            # a finding there names this call
            key = ("partial", id(p.call), id(node))
            self.interp.session.add_edge(key, self.interp.module, node, frame.key)
            inner = Frame(frame.scope, parent=env, via_call=True, key=key)
            return p.interp.partials.call(
                dataclasses.replace(p, interp=None), node, args, kws, inner, self.interp.module
            )
        key = (id(p.call), id(node))
        merged = self._merged.get(key)
        if merged is None:
            merged = ast.Call(
                func=p.call.args[0],
                args=p.call.args[1:] + node.args,
                keywords=p.call.keywords + node.keywords,
            )
            ast.copy_location(merged, p.call)
            merged.end_lineno, merged.end_col_offset = p.call.end_lineno, p.call.end_col_offset
            merged.bnlint_shift = 1  # positions in the partial's own call: after the function
            merged.bnlint_place = p.call  # its sites are the partial's, with every other call's
            # the call itself, where an argument for this call alone goes (use_bias=False)
            merged.bnlint_call = (called_in or self.interp.module, node)
            self._merged[key] = merged
        all_args = list(p.args) + list(args)
        all_kws = {**dict(p.kws), **kws}
        if isinstance(p.target, Func):
            return self.interp.session.calls.call(
                p.target, merged, all_args, all_kws, None, self.interp, frame
            )
        return self.interp.effects.apply(p.target, merged, all_args, all_kws, frame)


def _joins_elsewhere(p: Partial, node: ast.Call) -> bool:
    """Whether this module's call of another module's partial can be merged
    into the partial's own call: an argument bound to a parameter some rule
    reads (an axis, a format, a momentum, ...) must be a literal, as its
    node then stands in the other module's code."""
    if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
        return False
    if isinstance(p.target, Func):
        # a project function: its own code holds the sites, and a value a
        # caller passes carries where it is written
        return True
    api = catalog.lookup(p.target) if isinstance(p.target, str) else None
    if api is None:
        return all(_written_constant(a) for a in node.args + [k.value for k in node.keywords])
    read = catalog.read_params(api)
    first = len(p.call.args) - 1  # the partial's own positions come first
    for i, a in enumerate(node.args):
        param = api.params[first + i] if first + i < len(api.params) else None
        if (param is None or param in read) and not _written_constant(a):
            return False
    return all(k.arg not in read or _written_constant(k.value) for k in node.keywords)


def _written_constant(node) -> bool:
    """A literal, or a tuple/list/dict of them (``ast.literal_eval`` reads it)."""
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True
