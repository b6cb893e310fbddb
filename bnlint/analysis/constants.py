"""What expressions over known constants come to: truthiness (so a branch
a caller's flag decides is the only one taken), comparisons, integer
arithmetic and the builtins that compute axes (``len``, ``range``,
``list``)."""

from __future__ import annotations

import ast
import operator

from bnlint.analysis.values import Bool, Int, IntList, NoneConst, Seq, Str, Tensor


def is_literal(node, value) -> bool:
    """Whether ``node`` is the literal ``True`` / ``False`` / ``None``."""
    return isinstance(node, ast.Constant) and node.value is value


def truth(value) -> bool | None:
    """Whether a value is true, when that is known."""
    if isinstance(value, Bool):
        return value.value
    if isinstance(value, NoneConst):
        return False
    if isinstance(value, (Str, Int)):
        return bool(value.value)
    if isinstance(value, (Tensor, IntList)):
        return True  # a tensor object, a non-empty literal
    return None


def plain(value):
    """The Python value of a constant, or a marker that there is none."""
    if isinstance(value, (Bool, Str, Int)):
        return value.value
    if isinstance(value, NoneConst):
        return None
    if isinstance(value, IntList):
        return value.values
    if isinstance(value, Seq) and all(isinstance(i, (Bool, Str, Int, NoneConst)) for i in value.items):
        return tuple(plain(i) for i in value.items)
    return _UNKNOWN


_UNKNOWN = object()
_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


def compare(op, left, right) -> Bool | None:
    """``left <op> right`` when both sides are known constants."""
    a, b = plain(left), plain(right)
    if isinstance(op, (ast.Is, ast.IsNot)):
        if isinstance(right, NoneConst) and (a is not _UNKNOWN or isinstance(left, Tensor)):
            result = a is None and not isinstance(left, Tensor)
            return Bool(result if isinstance(op, ast.Is) else not result)
        return None
    if a is _UNKNOWN or b is _UNKNOWN:
        return None
    if isinstance(op, (ast.In, ast.NotIn)):
        if not isinstance(b, tuple):
            return None
        return Bool((a in b) == isinstance(op, ast.In))
    fn = _COMPARE.get(type(op))
    if fn is None:
        return None
    try:
        return Bool(bool(fn(a, b)))
    except TypeError:
        return None


_ARITH = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}


def arithmetic(op, left, right) -> Int | None:
    if isinstance(left, Int) and isinstance(right, Int):
        fn = _ARITH.get(type(op))
        if fn is not None and not (isinstance(op, (ast.FloorDiv, ast.Mod)) and right.value == 0):
            return Int(fn(left.value, right.value))
    return None


def ints(values) -> IntList | None:
    if all(isinstance(v, int) for v in values):
        return IntList(tuple(values), None)
    return None


def int_range(args) -> IntList | None:
    """``range(...)`` over known ints (at most a few dozen: axes)."""
    if not args or len(args) > 3 or not all(isinstance(a, Int) for a in args):
        return None
    r = range(*[a.value for a in args])
    return IntList(tuple(r), None) if len(r) <= 64 else None
