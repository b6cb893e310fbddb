"""BN005: ``normalizer_fn`` given as a string."""

from __future__ import annotations

import ast
import re

from bnlint.analysis.names import canonical
from bnlint.diagnostics import AddImport, Fix, Replace
from bnlint.rules.base import Rule, RuleContext
from bnlint.rules.project_defs import function_def

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
            helper = None
            if name is None or not name.startswith("slim."):
                # ``ops.conv(x, 32, normalizer_fn="batch_norm")``: a project
                # helper that hands it to a slim layer
                helper = _slim_helper(ctx, node)
                if helper is None:
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
                via = ""
                if helper is not None:
                    module, fn = helper
                    where = fn.lineno if module is ctx.module else f"{module.path}:{fn.lineno}"
                    via = f", which `{fn.name}` ({where}) hands to a slim layer"
                message = (
                    f"`normalizer_fn={ctx.source.segment(v)}` is a string{via}; slim calls "
                    f"normalizer_fn, so building the graph fails: pass the function `{shown}`"
                )
                out.append(ctx.diagnostic(self.code, v, message, fix))
        return out


def _slim_helper(ctx: RuleContext, call: ast.Call):
    """(module, FunctionDef) of the project function ``call`` calls when it
    passes its ``normalizer_fn`` on to a slim layer: the parameter itself
    (``slim.conv2d(..., normalizer_fn=normalizer_fn)``) or its ``**kwargs``."""
    if not any(k.arg == "normalizer_fn" for k in call.keywords):
        return None
    found = function_def(ctx, call.func)
    if found is None:
        return None
    module, fn = found
    params = {a.arg for a in fn.args.args + fn.args.kwonlyargs}
    rest = fn.args.kwarg.arg if fn.args.kwarg is not None else None
    if "normalizer_fn" not in params and rest is None:
        return None
    handed = "normalizer_fn" if "normalizer_fn" in params else rest
    if _changed(fn, handed):
        return (
            None  # ``normalizer_fn = getattr(slim, normalizer_fn)``: it may turn the string into the function
        )
    for inner in ast.walk(fn):
        if not isinstance(inner, ast.Call):
            continue
        name = module.imports.resolve(inner.func)
        if name is None or not name.startswith("slim."):
            continue
        for k in inner.keywords:
            passed = isinstance(k.value, ast.Name) and (
                (k.arg == "normalizer_fn" and k.value.id == "normalizer_fn" and "normalizer_fn" in params)
                or (k.arg is None and k.value.id == rest and "normalizer_fn" not in params)
            )
            if passed:
                return module, fn
    return None


def _changed(fn, name: str) -> bool:
    """Whether ``fn`` rebinds ``name`` or changes it in place (a ``**kwargs``
    dict: ``kwargs["normalizer_fn"] = ...``, ``kwargs.update(...)``)."""
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, (ast.Store, ast.Del)):
            return True
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)):
            if isinstance(node.value, ast.Name) and node.value.id == name:
                return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if (
                isinstance(owner, ast.Name)
                and owner.id == name
                and node.func.attr in ("update", "pop", "setdefault")
            ):
                return True
    return False
