"""Binding a call's arguments to a catalog signature, once, generically
(the way ``inspect.Signature.bind`` does, but over abstract values and
tolerant of what static code cannot tell)."""

from __future__ import annotations

import ast
from dataclasses import dataclass

# TF1 and TF2 spell the input tensor differently (``value`` / ``input`` /
# ``x`` / ``features``): any of them given by keyword binds the input.
_INPUT_SPELLINGS = ("x", "input", "inputs", "value", "features", "t", "values", "tensors")


@dataclass
class Bound:
    """Arguments of one call: parameter name -> (abstract value, node)."""

    params: tuple[str, ...]
    given: dict  # name -> (value, node)
    star_args: bool  # *args: positions past the first star are unknown
    star_kwargs: bool  # **kwargs: any parameter not given may still be passed

    def has(self, name: str) -> bool:
        return name in self.given

    def value(self, name: str):
        return self.given.get(name, (None, None))[0]

    def node(self, name: str) -> ast.expr | None:
        return self.given.get(name, (None, None))[1]

    @property
    def opaque(self) -> bool:
        return self.star_args or self.star_kwargs

    def role(self, api, role: str) -> str | None:
        """The parameter name playing ``role`` for ``api``."""
        p = api.roles.get(role)
        if isinstance(p, int):
            return self.params[p] if p < len(self.params) else None
        return p

    def input(self, api, role: str = "input"):
        """The value of the input-tensor parameter, under any spelling."""
        name = self.role(api, role)
        if name is not None and name in self.given:
            return self.given[name][0]
        for spelling in _INPUT_SPELLINGS:
            if spelling in self.given and spelling not in self.params:
                return self.given[spelling][0]
        return None


def bind(params: tuple[str, ...], call: ast.Call, args: list, kws: dict, spellings=None) -> Bound:
    """``args`` / ``kws`` are the abstract values of ``call``'s positional
    and keyword arguments, in order; ``spellings`` maps older keyword names
    the API still accepts to its parameters."""
    given: dict = {}
    star_args = False
    for i, node in enumerate(call.args):
        if isinstance(node, ast.Starred):
            star_args = True
            break
        if i < len(params):
            given[params[i]] = (args[i], node)
    star_kwargs = False
    for k in call.keywords:
        if k.arg is None:
            star_kwargs = True
        else:
            given[(spellings or {}).get(k.arg, k.arg)] = (kws.get(k.arg), k.value)
    return Bound(params, given, star_args, star_kwargs)


def positional_after(call: ast.Call, args: list, start: int):
    """(value, node) pairs of the positional arguments from ``start`` on,
    stopping at a star; for TF1 signatures that put a parameter later."""
    out = []
    for i in range(start, len(call.args)):
        node = call.args[i]
        if isinstance(node, ast.Starred):
            return out, True
        out.append((args[i], node))
    return out, False
