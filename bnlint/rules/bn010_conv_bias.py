"""BN010: a conv bias that the batch norm right after it subtracts again."""

from __future__ import annotations

from bnlint.analysis.constants import is_literal
from bnlint.diagnostics import Fix, Replace, SetArg
from bnlint.rules.base import Rule, RuleContext, has_any, mentions_conv

_ADDED = ("plus_right", "plus_left")  # ``conv + b`` / ``b + conv``
_FIXES = {
    "use_bias": ("use_bias", "False"),
    "bias": ("bias", "False"),
    "slim": ("biases_initializer", "None"),
}


class RedundantConvBias(Rule):
    code = "BN010"
    name = "redundant-conv-bias"
    summary = "conv bias straight into a centering batch norm: the batch norm subtracts it again"
    default_enabled = False
    fix_safety = "unsafe"

    def may_fire(self, data: bytes) -> bool:
        return mentions_conv(data) and has_any(data, b"BatchNorm", b"batch_norm", b"batch_normalization")

    def check(self, ctx: RuleContext):
        out = []
        seen = set()
        for site in ctx.sites.of_kind("conv_bias"):
            center = site.info.get("center")
            if center is not None and not is_literal(center, True):
                continue  # center=False (or unknown): the bias is not undone
            module, conv, how = site.info["bias_of"]
            if id(conv) in seen:
                continue
            seen.add(id(conv))
            bn = site.info["api"].rsplit(".", 1)[1]
            span = module.source.span(conv)
            if how in _ADDED:
                # ``conv + b``: the addition is the bias; the fix keeps the conv side
                kept, bias = (conv.left, conv.right) if how == "plus_right" else (conv.right, conv.left)
                shown = module.source.segment(bias)
                message = (
                    f"the bias `{shown}` added to the conv output is subtracted again by the `{bn}` right "
                    f"after it, which centers its input (center=True): a wasted parameter per channel; "
                    + (f"drop the `+ {shown}`" if how == "plus_right" else f"drop the `{shown} +`")
                )
                edit = Replace(span, module.source.segment(kept))
                fix = Fix("Drop the redundant bias", (edit,), "unsafe")
                out.append(
                    ctx.diagnostic(self.code, conv, message, fix, site=site, module=module, at_conv=True)
                )
                continue
            shown = module.source.segment(conv.func)
            message = (
                f"the bias `{shown}` adds is subtracted again by the `{bn}` right after it, which "
                f"centers its input (center=True): a wasted parameter per channel; "
                + {
                    "use_bias": "pass use_bias=False",
                    "bias": "pass bias=False",
                    "slim": "pass biases_initializer=None",
                    "bias_add": "drop the bias_add",
                }[how]
            )
            if how == "bias_add":
                edit = Replace(span, module.source.segment(conv.args[0])) if conv.args else None
            else:
                name, code = _FIXES[how]
                edit = SetArg(span, name, code)
            fix = Fix("Drop the redundant bias", (edit,), "unsafe") if edit else None
            out.append(ctx.diagnostic(self.code, conv, message, fix, site=site, module=module, at_conv=True))
        return out
