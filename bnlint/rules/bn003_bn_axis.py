"""BN003: a BatchNormalization layer whose axis is not the conv's channels."""

from __future__ import annotations

import ast
import re

from bnlint.diagnostics import Fix, Replace, SetArg
from bnlint.rules.base import (
    FIRST_FORMATS,
    Rule,
    RuleContext,
    has_any,
    mentions_channels_first,
    mentions_conv,
    mixed,
    node_contexts,
    param_default,
    site_format_param,
)

_BN = rb"(?:BatchNormalization|(?<!nn\.)batch_normalization)"  # not tf.nn's
# An axis given to a batch norm call: by keyword, or positionally (first
# argument of the layer, second of tf.layers.batch_normalization).
_BN_AXIS_ARG = re.compile(
    _BN + rb"\s*\((?:(?:[^()]|\([^()]*\))*?\baxis\b"
    rb"|\s*(?:[^,()=]+,\s*)?(?:-?\d|\[|\(|[A-Za-z_][\w.]*\s*[,)]))"
)
# Given its arguments by a dict: ``BatchNormalization(**bn_kwargs)``.
_BN_SPREAD = re.compile(_BN + rb"\s*\((?:[^()]|\([^()]*\))*?\*\*")
# Spelled under another name: the calls cannot be read from the text.
_BN_ALIAS = re.compile(_BN + rb"\s+as\b|=\s*[\w.]*" + _BN + rb"\s*(?:#|$|\))", re.M)


def _wrong(axis_values, layout) -> bool:
    if len(axis_values) != 1:
        return True  # one statistic per position over several axes
    return layout.axis_is_channel(axis_values[0]) is False


class BatchNormAxis(Rule):
    code = "BN003"
    name = "bn-axis"
    summary = "BatchNormalization axis is not the conv output's channel axis"

    def may_fire(self, data: bytes) -> bool:
        # a wrong axis is spelled out in the call, or the conv is channels_first
        if not (has_any(data, b"BatchNormalization", b"batch_normalization") and mentions_conv(data)):
            return False
        return (
            mentions_channels_first(data)
            or _BN_ALIAS.search(data) is not None
            or _BN_AXIS_ARG.search(data) is not None
            or _BN_SPREAD.search(data) is not None
        )

    def check(self, ctx: RuleContext):
        out = []
        for site in ctx.sites.of_kind("bn_axis"):
            axis = site.info.get("axis")
            if axis is None:
                continue
            wrong = [c.layout for c in site.contexts if c.layout and _wrong(axis.values, c.layout)]
            if not wrong:
                continue
            layout = wrong[0]
            want = layout.idiomatic_axis
            layer = site.info.get("spelled") or site.info["api"].rsplit(".", 1)[1]
            spread = site.info.get("axis_spread")
            if spread is not None:
                # ``BatchNormalization(**bn_kwargs)``: the dict may serve other
                # layers too, so this call alone overrides its axis
                got = axis.values[0] if len(axis.values) == 1 else list(axis.values)
                name = ctx.source.segment(spread)
                message = (
                    f"`{layer}(**{name})` takes axis={got} from `{name}`, which does not normalize per "
                    f"channel: the {layout.describe()} conv output has its channels on axis {want}"
                )
                fix = None
                if len({c.layout.idiomatic_axis for c in node_contexts(ctx, site) if c.layout}) == 1:
                    q = ctx.quote()
                    code = f"{{**{name}, {q}axis{q}: {want}}}"
                    fix = Fix(
                        f"Override axis={want} for this layer", (Replace(ctx.source.span(spread), code),)
                    )
                out.append(ctx.diagnostic(self.code, site.node, message, fix, site=site, layouts=wrong))
                continue
            if site.info["axis_node"] is None:
                message = (
                    f"`{layer}` uses the default axis=-1, but the conv output is "
                    f"{layout.describe()} with channels on axis {want}; pass axis={want}"
                )
            else:
                got = axis.values[0] if len(axis.values) == 1 else list(axis.values)
                # ``axis=config.BN_AXIS`` / ``axis=channel_axis``: say what it holds
                shown = ctx.source.segment(site.info["axis_node"])
                spelled = (
                    f"`{layer}(axis={got})`" if shown == str(got) else f"`{layer}(axis={shown})` (axis {got})"
                )
                message = (
                    f"{spelled} does not normalize per channel: the "
                    f"{layout.describe()} conv output has its channels on axis {want}"
                )
            fix = None
            param = site_format_param(ctx, site)
            contexts = node_contexts(ctx, site)
            if param and mixed(site, contexts) and len({c.layout.lead for c in contexts if c.layout}) == 1:
                lead = layout.lead
                code = f"{lead} if {param} in {FIRST_FORMATS} else -1"
                fix = Fix(
                    f"Use the channel axis that follows `{param}`",
                    (SetArg(ctx.source.span(site.node), "axis", code, site.info["index"]),),
                )
            elif site.info.get("keras_default") and ctx.module is not None and ctx.module.format_test:
                # a module written for both formats: follow its own test
                test, first_when_true = ctx.module.format_test
                lead = layout.lead
                code = f"{lead} if {test} else -1" if first_when_true else f"-1 if {test} else {lead}"
                fix = Fix(
                    "Use the channel axis that follows the image format",
                    (SetArg(ctx.source.span(site.node), "axis", code, site.info["index"]),),
                )
            elif (
                not axis.passed
                and _default_of_param(ctx, site, axis.node)
                and len({c.layout.idiomatic_axis for c in site.contexts if c.layout}) == 1
            ):
                # ``def bn(x, axis=-1): ... batch_normalization(x, axis=axis)``: the
                # default is what is wrong for every caller using it; a caller
                # passing its own keeps it
                fix = Fix(f"Use the default axis={want}", (Replace(ctx.source.span(axis.node), str(want)),))
            elif len({c.layout.idiomatic_axis for c in contexts if c.layout}) == 1:
                fix = Fix(
                    f"Use axis={want}",
                    (SetArg(ctx.source.span(site.node), "axis", str(want), site.info["index"]),),
                )
            target, module = site.info["axis_node"] or site.node, None
            if axis.passed and axis.node is not None:
                # a constant a caller passes: reported, and fixed, at the call
                target, module = axis.node, axis.module
                fix = None
                if len({c.layout.idiomatic_axis for c in site.contexts if c.layout}) == 1:
                    span = module.source.span(axis.node)
                    fix = Fix(f"Pass axis={want}", (Replace(span, str(want)),))
            if any(s.info.get("chosen") for s in ctx.sites.at(site.kind, site.node)):
                # ``norm_layer(axis=3)`` where callers may pass another norm
                # class: an axis right for batch norm may not be right for it
                fix = None
            out.append(
                ctx.diagnostic(self.code, target, message, fix, site=site, layouts=wrong, module=module)
            )
        return out


def _default_of_param(ctx, site, node) -> bool:
    """Whether ``node`` is the default of the parameter the batch norm's
    ``axis=`` names, in the function holding it."""
    axis_node = site.info.get("axis_node")
    if node is None or not isinstance(axis_node, ast.Name):
        return False
    return param_default(ctx, site, axis_node.id) is node
