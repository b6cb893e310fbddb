"""BN009: a PyTorch-style batch norm momentum (or slim decay) below 0.5."""

from __future__ import annotations

import ast
import dataclasses
import decimal
import os

from bnlint.diagnostics import Fix, Replace
from bnlint.rules.base import Rule, RuleContext, has_any
from bnlint.rules.bn_config import number, settings

_LIMIT = 0.5  # GAN code uses 0.8 or 0.9 on purpose; below one half is a port


def complement(text: str) -> str | None:
    """``1 - value`` written the way ``text`` writes numbers: '0.1' -> '0.9',
    '.05' -> '.95', '1e-1' -> '0.9'."""
    try:
        value = decimal.Decimal(text.replace("_", ""))
    except decimal.InvalidOperation:
        return None
    out = decimal.Decimal(1) - value
    if "e" in text.lower():
        return format(out.normalize(), "f")
    s = format(out, "f")
    if text.startswith(".") and s.startswith("0."):
        s = s[1:]
    return s


def _module_numbers(tree) -> dict:
    """Module-level names assigned a number exactly once: name -> the literal."""
    found: dict = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name = stmt.targets[0].id
            found[name] = stmt.value if name not in found and number(stmt.value) is not None else False
    return {k: v for k, v in found.items() if v is not False}


def _is_test_file(path: str) -> bool:
    name = os.path.basename(path)
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


def _test_functions(tree) -> list:
    return [
        n
        for n in ast.walk(tree)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name.startswith("test")
    ]


class PytorchMomentum(Rule):
    code = "BN009"
    name = "pytorch-momentum"
    summary = "batch norm momentum/decay below 0.5: PyTorch's convention, the moving statistics follow the last batch"
    needs_conv = False
    needs_analysis = False

    def may_fire(self, data: bytes) -> bool:
        return has_any(data, b"momentum", b"decay") and has_any(
            data, b"BatchNorm", b"batch_norm", b"batch_normalization"
        )

    def check(self, ctx: RuleContext):
        if _is_test_file(ctx.source.path):
            return []  # tests use a short decay on purpose, to see the averages move
        out = []
        seen = set()
        tests = None
        constants = None
        for s in settings(ctx, "momentum"):
            constant = None
            if isinstance(s.node, ast.Name):
                constant = s.node.id
                # BN_MOMENTUM = 0.1 at module level: reported, and fixed, there
                if constants is None:
                    constants = _module_numbers(ctx.tree)
                node = constants.get(s.node.id)
                if node is None:
                    continue
                s = dataclasses.replace(s, node=node)
            value = number(s.node)
            if value is None or not 0 < value < _LIMIT or id(s.node) in seen:
                continue
            if tests is None:
                tests = _test_functions(ctx.tree)
            if any(f.lineno <= s.node.lineno <= f.end_lineno for f in tests):
                continue
            seen.add(id(s.node))
            text = ctx.source.segment(s.node)
            fixed = complement(text)
            layer = s.api.name.rsplit(".", 1)[1]
            where = {
                "call": f"`{constant} = {text}`, the {s.name} of `{layer}`,"
                if constant
                else f"`{layer}({s.name}={text})`",
                "partial": f"`partial({layer}, {s.name}={text})`",
                "arg_scope": f"`arg_scope([{layer}], {s.name}={text})`",
                "normalizer_params": f"`normalizer_params` `{s.name}: {text}`",
            }[s.where]
            message = (
                f"{where} keeps only {text} of the moving average per step, so the moving statistics "
                f"follow the last batch (PyTorch's momentum convention); TF's {s.name} is the weight "
                f"of the old average: use {fixed or f'1 - {text}'}"
            )
            fix = Fix(f"Use {s.name}={fixed}", (Replace(ctx.source.span(s.node), fixed),)) if fixed else None
            out.append(ctx.diagnostic(self.code, s.node, message, fix))
        return out
