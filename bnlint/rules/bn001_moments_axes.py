"""BN001: ``tf.nn.moments`` over the wrong axes of a conv output."""

from __future__ import annotations

import ast

from bnlint.analysis.layout import Layout
from bnlint.analysis.names import dotted
from bnlint.diagnostics import Fix, Replace, SetArg
from bnlint.rules.base import (
    FIRST_FORMATS,
    Rule,
    RuleContext,
    format_param,
    mentions_conv,
    mixed,
    node_contexts,
)

_NORMALIZERS = {"tf.nn.batch_normalization", "tf.nn.fused_batch_norm"}


def _mentions(node: ast.AST, names: set[str]) -> bool:
    for n in ast.walk(node):
        key = None
        if isinstance(n, ast.Name):
            key = n.id
        elif isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name):
            key = f"{n.value.id}.{n.attr}"
        if key in names:
            return True
    return False


def used_to_normalize(ctx: RuleContext, site) -> bool:
    """Whether the moments normalize the very tensor they were taken of
    (in batch_normalization, or as ``x - mean``), not just describe it."""
    x_node = site.info.get("x_node")
    if x_node is None:
        return False
    x_dump = ast.dump(x_node)
    targets = site.info.get("targets", set())
    for n in ast.walk(site.info["scope"]):
        if isinstance(n, ast.Call) and ctx.imports.resolve(n.func) in _NORMALIZERS:
            if n.args and ast.dump(n.args[0]) == x_dump:
                return True
            if targets and any(_mentions(a, targets) for a in n.args[1:3]):
                return True
        elif isinstance(n, ast.BinOp) and isinstance(n.op, ast.Sub):
            if ast.dump(n.left) == x_dump and (not targets or _mentions(n.right, targets)):
                return True
        elif isinstance(n, ast.Call) and ctx.imports.resolve(n.func) == "tf.subtract":
            if len(n.args) == 2 and ast.dump(n.args[0]) == x_dump:
                if not targets or _mentions(n.args[1], targets):
                    return True
    return False


def _excluded_axis(node):
    """(axis, rank) nodes of ``[i for i in range(rank) if i != axis]``."""
    if not isinstance(node, ast.ListComp) or len(node.generators) != 1:
        return None
    gen = node.generators[0]
    it = gen.iter
    if not (
        isinstance(gen.target, ast.Name)
        and isinstance(it, ast.Call)
        and isinstance(it.func, ast.Name)
        and it.func.id == "range"
        and len(it.args) == 1
        and len(gen.ifs) == 1
    ):
        return None
    test = gen.ifs[0]
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.NotEq)
        and isinstance(test.left, ast.Name)
        and test.left.id == gen.target.id
        and isinstance(test.comparators[0], (ast.Name, ast.Attribute))
    ):
        return test.comparators[0], it.args[0]
    return None


def _is_default(ctx: RuleContext, node) -> bool:
    """Whether ``node`` is a parameter's default in this module."""
    return any(node is d for fn in ctx.index.functions for d in fn.args.defaults + fn.args.kw_defaults)


def _wrong(axes, layout) -> bool | None:
    r = layout.rank
    if r is None or any(not -r <= a < r for a in axes):
        return None
    norm = sorted({a % r for a in axes})
    if 0 not in norm:
        return None  # layer or instance norm: not batch norm
    return norm != layout.reduce_axes()


class MomentsAxes(Rule):
    code = "BN001"
    name = "moments-axes"
    summary = "tf.nn.moments over axes that are not the conv output's non-channel axes"

    def may_fire(self, data: bytes) -> bool:
        return b"moments" in data and mentions_conv(data)

    def check(self, ctx: RuleContext):
        out = []
        for site in ctx.sites.of_kind("moments"):
            axes = site.info.get("axes")
            if axes is None:
                continue
            wrong = [c.layout for c in site.contexts if c.layout and _wrong(axes.values, c.layout)]
            if not wrong or not used_to_normalize(ctx, site):
                continue
            layout = wrong[0]
            expected = layout.reduce_axes()
            got = list(axes.values)
            if got == [0]:
                why = "gives per-activation statistics"
            elif layout.channel_axis in {a % layout.rank for a in got}:
                why = "also averages over the channels"
            else:
                missing = [a for a in expected if a not in {x % layout.rank for x in got}]
                why = f"leaves out axes {missing}, giving statistics per position along them"
            message = (
                f"`moments` over axes {got} of a {layout.describe()} conv output {why}; "
                f"per-channel batch norm needs axes {expected}"
            )
            if axes.passed and axes.node is not None:
                # axes a caller passes: reported, and fixed, at the call
                fix = None
                if len({c.layout for c in site.contexts}) == 1 and layout.last:
                    fix = Fix(
                        f"Pass axes {expected}",
                        (Replace(axes.module.source.span(axes.node), repr(expected)),),
                    )
                out.append(
                    ctx.diagnostic(
                        self.code, axes.node, message, fix, site=site, layouts=wrong, module=axes.module
                    )
                )
                continue
            out.append(
                ctx.diagnostic(
                    self.code, site.node, message, self._fix(ctx, site, axes), site=site, layouts=wrong
                )
            )
        return out

    def _fix(self, ctx: RuleContext, site, axes) -> Fix | None:
        excluded = _excluded_axis(axes.node)
        if excluded is not None:
            # ``[i for i in range(ndim) if i != axis]`` never excludes a
            # negative axis: compare with it taken modulo the rank
            axis, rank = excluded
            code = f"{ctx.source.segment(axis)} % {ctx.source.segment(rank)}"
            return Fix(f"Exclude the channel axis as {code}", (Replace(ctx.source.span(axis), code),))
        contexts = node_contexts(ctx, site)
        layouts = {c.layout for c in contexts if c.layout}
        param = format_param(site.info["scope"])
        if param and mixed(site, contexts) and len({(lay.rank, lay.lead) for lay in layouts}) == 1:
            return self._conditional_fix(ctx, site, axes, next(iter(layouts)), param)
        if len({(lay.last, lay.lead) for lay in layouts}) != 1:
            return None
        layout = next(iter(layouts))
        # one literal is right only when every context (callers included) agrees
        generic = len(layouts) > 1 or any(c.layout is None for c in contexts)
        if generic:
            x = dotted(site.info.get("x_node")) if site.info.get("x_node") is not None else None
            if x is None or layout.lead != 1:
                return None  # repeating an expression with effects is not safe
            if _is_default(ctx, axes.node):
                return None  # ``def bn(x, axes=[0, 1, 2])``: a default cannot name ``x``
            if layout.last:
                code = f"list(range(len({x}.shape) - 1))"
            else:
                code = f"[0] + list(range(2, len({x}.shape)))"
        else:
            code = repr(layout.reduce_axes())
            if isinstance(axes.node, ast.Tuple):
                code = "(" + code[1:-1] + ")"
        edits = [Replace(ctx.source.span(axes.node), code)]
        if not layout.last:
            edits += self._keep_dims(ctx, site)
        return Fix(f"Use axes {code}", tuple(edits))

    def _conditional_fix(self, ctx, site, axes, layout, param) -> Fix | None:
        """In a helper whose callers pass different formats, axes that
        follow its own data_format parameter."""
        if layout.rank is None or layout.lead != 1:
            return None
        first = Layout(layout.rank, False).reduce_axes()
        last = Layout(layout.rank, True).reduce_axes()
        code = f"{first} if {param} in {FIRST_FORMATS} else {last}"
        edits = [Replace(ctx.source.span(axes.node), code)] + self._keep_dims(ctx, site)
        return Fix(f"Use axes that follow `{param}`", tuple(edits))

    def _keep_dims(self, ctx, site) -> list:
        """channels_first statistics must keep their dims to broadcast."""
        if self._keeps_dims(site.node):
            return []
        kw = "keepdims"
        for k in site.node.keywords:
            if k.arg in ("keep_dims", "keepdims"):
                kw = k.arg
        return [SetArg(ctx.source.span(site.node), kw, "True")]

    @staticmethod
    def _keeps_dims(call: ast.Call) -> bool:
        return any(
            k.arg in ("keep_dims", "keepdims") and isinstance(k.value, ast.Constant) and k.value.value is True
            for k in call.keywords
        )
