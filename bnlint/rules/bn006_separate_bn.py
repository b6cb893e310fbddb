"""BN006: slim conv followed by a separate batch_norm on its output."""

from __future__ import annotations

import ast

from bnlint.diagnostics import Fix, RemoveStatement, Replace, SetArg
from bnlint.rules.base import Rule, RuleContext, mentions_conv
from bnlint.rules.bn004_data_format import bn_format_wrong


class SeparateBatchNorm(Rule):
    code = "BN006"
    name = "conv-then-batch-norm"
    summary = "slim conv followed by a separate batch_norm: use normalizer_fn"
    default_enabled = False
    fix_safety = "unsafe"

    def may_fire(self, data: bytes) -> bool:
        return b"batch_norm" in data and mentions_conv(data)

    def check(self, ctx: RuleContext):
        formats = {id(s.node): s for s in ctx.sites.of_kind("bn_format")}
        out = []
        for site in ctx.sites.of_kind("conv_bn"):
            conv, bn = site.info["conv"], site.info["bn"]
            fmt_site = formats.get(id(bn))
            if fmt_site is not None and bn_format_wrong(fmt_site) is not None:
                continue  # BN004 fixes the format first
            fix = self._fix(ctx, site, conv, bn)
            if fix is None:
                continue  # no single conv call does the same
            conv_name = ctx.source.segment(conv.func)
            message = (
                f"`{ctx.source.segment(bn.func)}` applied to the output of `{conv_name}`; "
                f"pass it as `normalizer_fn` so batch norm runs before the activation "
                f"and the conv drops its redundant bias"
            )
            out.append(ctx.diagnostic(self.code, bn, message, fix))
        return out

    def _fix(self, ctx: RuleContext, site, conv: ast.Call, bn: ast.Call):
        seg = ctx.source.segment
        conv_act = next((k.value for k in conv.keywords if k.arg == "activation_fn"), None)
        bn_act = next((k.value for k in bn.keywords if k.arg == "activation_fn"), None)
        conv_span = ctx.source.span(conv)
        edits = [SetArg(conv_span, "normalizer_fn", seg(bn.func))]
        params = [
            f"{ctx.quote()}{k.arg}{ctx.quote()}: {seg(k.value)}"
            for k in bn.keywords
            if k.arg not in ("activation_fn", "inputs")
        ]
        if params:
            edits.append(SetArg(conv_span, "normalizer_params", "{" + ", ".join(params) + "}"))
        if bn_act is not None and not (isinstance(bn_act, ast.Constant) and bn_act.value is None):
            if not (isinstance(conv_act, ast.Constant) and conv_act.value is None):
                return None  # two activations: no single-call equivalent
            edits.append(SetArg(conv_span, "activation_fn", seg(bn_act)))
        stmt = site.node
        if stmt.targets[0].id == site.info["conv_stmt"].targets[0].id:
            edits.append(RemoveStatement(ctx.source.span(stmt)))
        else:
            edits.append(Replace(ctx.source.span(bn), site.info["conv_stmt"].targets[0].id))
        return Fix("Move batch_norm into the conv's normalizer_fn", tuple(edits), "unsafe")
