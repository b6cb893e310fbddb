"""BN002: gamma/beta (or moving statistics) shaped like the activation."""

from __future__ import annotations

import ast
import re

from bnlint.diagnostics import Fix, Replace
from bnlint.rules.base import Rule, RuleContext, mentions_conv

_IMPORTED_BN = re.compile(rb"import[^\n]*\bbatch_normalization\b")


def _is_one(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == 1


def _per_activation(param, layout) -> bool | None:
    r = layout.rank
    if r is None:
        return None
    if param.dynamic_of is not None:
        s = param.shape.slice
        lower = s.lower
        return isinstance(lower, ast.Constant) and lower.value == 1 and s.upper is None and s.step is None
    elts = param.shape.elts
    n = len(elts)
    if n == 1 and not layout.last and layout.channel_axis < r - 1:
        # [C] broadcasts along the last (spatial) axis of a channels_first tensor
        return not _is_one(elts[0]) and not isinstance(elts[0], ast.Starred)
    if n < 2 or n > r or any(isinstance(e, ast.Starred) for e in elts):
        return None
    for i, e in enumerate(elts):
        axis = r - n + i
        if axis not in (0, layout.channel_axis) and not _is_one(e):
            return True
    return False


class ParamShape(Rule):
    code = "BN002"
    name = "per-activation-params"
    summary = "batch norm gamma/beta or moving statistics shaped like the activation, not [C]"

    def may_fire(self, data: bytes) -> bool:
        # parameters meet a conv in tf.nn.batch_normalization or after moments
        return (
            b"moments" in data or b"nn.batch_normalization" in data or _IMPORTED_BN.search(data) is not None
        ) and mentions_conv(data)

    def check(self, ctx: RuleContext):
        out = []
        for site in ctx.sites.of_kind("param"):
            param = site.info["param"]
            wrong = [c.layout for c in site.contexts if c.layout and _per_activation(param, c.layout)]
            if not wrong:
                continue
            layout = wrong[0]
            code = self._fixed(ctx, param, layout)
            shape_text = " ".join(ctx.source.segment(param.shape).split())
            spatial = _spatial_dim(param, layout)
            if spatial is not None:
                why = f"takes the size of axis {spatial}, a spatial one, and broadcasts along the last axis"
            elif param.dynamic_of is None and len(param.shape.elts) == 1:
                why = "broadcasts along the last (spatial) axis, not the channels"
            else:
                why = "is per activation"
            message = (
                f"batch norm parameter of shape {shape_text} on a {layout.describe()} conv "
                f"output {why}; per-channel batch norm needs {code or 'one value per channel'}"
            )
            fix = None
            if code and len({(c.layout.last, c.layout.rank) for c in site.contexts if c.layout}) == 1:
                fix = Fix(f"Use shape {code}", (Replace(ctx.source.span(param.shape), code),))
            out.append(ctx.diagnostic(self.code, param.shape, message, fix, site=site, layouts=wrong))
        return out

    @staticmethod
    def _fixed(ctx: RuleContext, param, layout) -> str | None:
        ones = layout.rank - 1 - layout.channel_axis if not layout.last else 0
        if param.dynamic_of is not None:
            base = ctx.source.segment(param.shape.value)
            if layout.last:
                return f"{base}[-1:]"
            return "[" + ", ".join([f"{base}[{layout.channel_axis}]"] + ["1"] * ones) + "]"
        elts = param.shape.elts
        n = len(elts)
        # right-aligned, as broadcasting aligns it; a lone [C] is the channel
        index = 0 if n == 1 else layout.channel_axis - (layout.rank - n)
        if not 0 <= index < n:
            return None
        channel = ctx.source.segment(elts[index])
        if _spatial_dim(param, layout) is not None:
            # ``[x.get_shape()[-1]]`` of a channels_first tensor is its width
            channel = _reindexed(ctx, elts[0], layout.channel_axis)
            if channel is None:
                return None
        items = [channel] + ["1"] * ones
        if isinstance(param.shape, ast.Tuple):
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        return "[" + ", ".join(items) + "]"


def _spatial_dim(param, layout) -> int | None:
    """The axis a one-element shape reads off a tensor laid out like the
    normalized one, when that is not the channel axis (``[x.get_shape()[-1]]``
    on NCHW: the width)."""
    dim = param.lone_dim
    if dim is None or param.dynamic_of is not None:
        return None
    own = dim.tensor.layout
    if own.rank != layout.rank or own.last != layout.last or own.lead != layout.lead or layout.rank is None:
        return None
    if not -layout.rank <= dim.index < layout.rank:
        return None
    axis = dim.index % layout.rank
    return None if axis == layout.channel_axis else axis


def _reindexed(ctx: RuleContext, node: ast.expr, axis: int) -> str | None:
    """``node`` (a shape read, perhaps in ``int(...)`` or with ``.value``)
    reading ``axis`` instead; None when the read is elsewhere (a variable)."""
    if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice):
        return f"{ctx.source.segment(node.value)}[{axis}]"
    if isinstance(node, ast.Attribute) and node.attr == "value":
        inner = _reindexed(ctx, node.value, axis)
        return f"{inner}.value" if inner is not None else None
    if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
        inner = _reindexed(ctx, node.args[0], axis)
        return f"{ctx.source.segment(node.func)}({inner})" if inner is not None else None
    return None
