"""BN005: ``normalizer_fn`` given as a string."""

from __future__ import annotations

import ast
import re

from bnlint.analysis.names import canonical
from bnlint.diagnostics import AddImport, Fix, Replace
from bnlint.rules.base import Rule, RuleContext

# (a backslash may escape the quote: notebooks are JSON)
_STRING_NORMALIZER = re.compile(rb"normalizer_fn\s*=\s*[rbuRBU]*\\?['\"]")


def normalizer_for(text: str) -> str | None:
    """The slim function a normalizer string means: 'batch_norm',
    'slim.batch_norm', 'BatchNorm', 'batch_normalization', ..."""
    key = text.rsplit(".", 1)[-1].lower().replace("_", "")
    for words, target in (
        (("batchnorm", "batchnormalization", "bn"), "slim.batch_norm"),
        (("layernorm", "layernormalization"), "slim.layer_norm"),
        (("instancenorm", "instancenormalization"), "slim.instance_norm"),
        (("groupnorm", "groupnormalization"), "slim.group_norm"),
    ):
        if key in words:
            return target
    return None


def spell(ctx: RuleContext, call: ast.Call, target: str):
    """How this file spells ``target`` (a canonical ``slim.*`` name), and
    the import to add when it has none: (code, AddImport | None)."""
    fn = target.rsplit(".", 1)[1]
    aliases = ctx.imports.aliases
    for local, q in aliases.items():
        if q and canonical(q) == target:
            return local, None
    func = call.func
    if isinstance(func, ast.Attribute) and ctx.imports.resolve(func.value) == "slim":
        return f"{ctx.source.segment(func.value)}.{fn}", None
    for local, q in sorted(aliases.items()):
        if q and canonical(q) == "slim":
            return f"{local}.{fn}", None
    qualified = ctx.imports.qualify(func)
    if qualified and "." in qualified:
        module = qualified.rsplit(".", 1)[0]
        return fn, AddImport(module, fn)
    return None, None


class NormalizerString(Rule):
    code = "BN005"
    name = "normalizer-fn-string"
    summary = "normalizer_fn passed as a string instead of the function"
    needs_conv = False  # normalizer_fn= says there is one
    needs_analysis = False

    def may_fire(self, data: bytes) -> bool:
        return _STRING_NORMALIZER.search(data) is not None

    def check(self, ctx: RuleContext):
        out = []
        if not ctx.index.mentions("normalizer_fn"):
            return out
        for node in ctx.index.calls:
            name = ctx.imports.resolve(node.func)
            if name is None or not name.startswith("slim."):
                continue
            for k in node.keywords:
                if k.arg != "normalizer_fn":
                    continue
                v = k.value
                if not (isinstance(v, ast.Constant) and isinstance(v.value, str)):
                    continue
                target = normalizer_for(v.value)
                fix = None
                shown = target.rsplit(".", 1)[1] if target else "the normalizer function"
                if target:
                    code, imp = spell(ctx, node, target)
                    if code:
                        shown = code
                        edits = (Replace(ctx.source.span(v), code),) + ((imp,) if imp else ())
                        fix = Fix(f"Pass the function `{code}`", edits)
                message = (
                    f"`normalizer_fn={ctx.source.segment(v)}` is a string; slim calls "
                    f"normalizer_fn, so building the graph fails: pass the function `{shown}`"
                )
                out.append(ctx.diagnostic(self.code, v, message, fix))
        return out
