"""BN004: batch_norm / fused_batch_norm data_format is not the conv's."""

from __future__ import annotations

import ast

from bnlint.analysis.layout import parse_format
from bnlint.analysis.values import DictLit, NoneConst, Str
from bnlint.diagnostics import Fix, SetArg, SetKey
from bnlint.rules.base import Rule, RuleContext, mentions_channels_first, mentions_conv


def bn_format_wrong(site):
    """The first conv layout this batch norm op disagrees with, if any."""
    value = site.info.get("df_value")
    if (site.info.get("df_node") is None and not site.info.get("scoped")) or isinstance(value, NoneConst):
        last = True
    elif isinstance(value, Str) and parse_format(value.value, None) is not None:
        last = parse_format(value.value, None).last
    else:
        return None
    for layout in site.layouts():
        if layout.last != last:
            return layout
    return None


def _slim_format(layout) -> str:
    return "NHWC" if layout.last else "NCHW"


def _dict_format(ctx: RuleContext, node: ast.expr):
    """('absent' | 'unknown' | Layout-side bool) for a normalizer_params dict."""
    if isinstance(node, ast.Dict):
        for k, v in zip(node.keys, node.values):
            if k is None:
                return "unknown"  # **other: may carry data_format
            if isinstance(k, ast.Constant) and k.value == "data_format":
                if isinstance(v, ast.Constant) and isinstance(v.value, str):
                    fmt = parse_format(v.value, None)
                    return fmt.last if fmt else "unknown"
                return "unknown"
        return "absent"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        if node.args or any(k.arg is None for k in node.keywords):
            return "unknown"
        for k in node.keywords:
            if k.arg == "data_format":
                v = k.value
                if isinstance(v, ast.Constant) and isinstance(v.value, str):
                    fmt = parse_format(v.value, None)
                    return fmt.last if fmt else "unknown"
                return "unknown"
        return "absent"
    return "unknown"


class DataFormat(Rule):
    code = "BN004"
    name = "bn-data-format"
    summary = "batch_norm / fused_batch_norm data_format differs from the conv's"

    def may_fire(self, data: bytes) -> bool:
        # one side of a mismatch is channels_first, and says so
        return b"batch_norm" in data and mentions_conv(data) and mentions_channels_first(data)

    def check(self, ctx: RuleContext):
        return self._direct(ctx) + self._normalizers(ctx)

    def _direct(self, ctx: RuleContext):
        out = []
        for site in ctx.sites.of_kind("bn_format"):
            layout = bn_format_wrong(site)
            if layout is None:
                continue
            op = site.info["api"]
            fmt = _slim_format(layout) if op == "slim.batch_norm" else layout.format_name()
            got = site.info["df_value"].value if isinstance(site.info.get("df_value"), Str) else "NHWC"
            shown = "`batch_norm`" if op == "slim.batch_norm" else "`fused_batch_norm`"
            how = (
                "runs with the default data_format='NHWC'"
                if site.info.get("df_node") is None
                else f"has data_format='{got}'"
            )
            message = (
                f"{shown} {how}, but its input is a {layout.describe()} conv output; pass data_format='{fmt}'"
            )
            fix = None
            if len({c.layout.last for c in site.contexts if c.layout}) == 1 and not site.info.get("scoped"):
                q = ctx.quote(site.info.get("df_node"))
                fix = Fix(
                    f"Use data_format={q}{fmt}{q}",
                    (
                        SetArg(
                            ctx.source.span(site.node), "data_format", f"{q}{fmt}{q}", site.info["df_index"]
                        ),
                    ),
                )
            target = site.info.get("df_node") or site.node
            out.append(ctx.diagnostic(self.code, target, message, fix, site=site, layouts=[layout]))
        return out

    def _normalizers(self, ctx: RuleContext):
        out = []
        for site in ctx.sites.of_kind("normalizer"):
            if site.info.get("fn") != "slim.batch_norm":
                continue
            layouts = site.layouts()
            if len({lay.last for lay in layouts}) != 1:
                continue
            layout = layouts[0]
            params_node = site.info.get("params_node")
            params = site.info.get("params")
            if params_node is None:
                state = "absent"
            elif isinstance(params, DictLit):
                state = _dict_format(ctx, params.node)
            else:
                state = "unknown"
            if state == "unknown" or (state == "absent" and layout.last) or state is layout.last:
                continue
            fmt = _slim_format(layout)
            conv_span = ctx.source.span(site.node)
            q = ctx.quote()
            value = f"{q}{fmt}{q}"
            if params_node is None:
                edit = SetArg(conv_span, "normalizer_params", f"{{{q}data_format{q}: {value}}}")
            elif params_node is params.node:
                edit = SetKey(ctx.source.span(params.node), "data_format", value)
            elif isinstance(params_node, ast.Name):
                edit = SetArg(
                    conv_span,
                    "normalizer_params",
                    f"{{**{params_node.id}, {q}data_format{q}: {value}}}",
                )
            else:
                edit = None
            message = (
                f"the `batch_norm` normalizer of this {layout.describe()} conv runs with "
                f"data_format='{'NCHW' if state is False else 'NHWC'}'; "
                f"pass 'data_format': '{fmt}' in normalizer_params"
            )
            fix = Fix(f"Set data_format='{fmt}' in normalizer_params", (edit,)) if edit else None
            out.append(ctx.diagnostic(self.code, site.node.func, message, fix, site=site, layouts=layouts))
        return out
