"""BN009: a PyTorch-style batch norm momentum (or slim decay) below 0.5."""

from __future__ import annotations

import ast
import dataclasses
import decimal
import os

from bnlint.analysis.calls import params_of
from bnlint.analysis.names import dotted
from bnlint.diagnostics import Diagnostic, Fix, Related, Replace
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

    def may_fire(self, data: bytes) -> bool:
        return has_any(data, b"momentum", b"decay") and (
            has_any(data, b"BatchNorm", b"batch_norm", b"batch_normalization")
            # a hand-written batch norm's moving average of its moments
            or (b"moments" in data and has_any(data, b"MovingAverage", b"moving_average"))
        )

    def may_configure(self, data: bytes) -> bool:
        return has_any(data, b"momentum", b"MOMENTUM", b"Momentum", b"decay", b"DECAY")

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
        out.extend(self._traced(ctx, seen))
        return out

    def _traced(self, ctx: RuleContext, seen: set) -> list:
        """Momentums the analysis followed to where they are written: a
        constant of another module, a helper's default, a number a caller
        passes.  One finding per number, reported and fixed where it is;
        from a module not checked, at each batch norm that takes it."""
        uses: dict[int, list] = {}  # the number's node -> the sites it reaches
        for site in ctx.sites.of_kind("bn_momentum"):
            value, arg = site.info["number"], site.info["arg"]
            home, node = value.module, value.node
            if (node is arg and not site.info.get("literal")) or not 0 < value.value < _LIMIT:
                continue  # a number written in the call itself is the syntax's to report
            if id(node) in seen or home.source is None:
                continue
            if _is_test_file(home.path) or _is_test_file(site.module.path):
                continue
            uses.setdefault(id(node), []).append(site)
        return [self._number_finding(sites) for sites in uses.values()]

    def _number_finding(self, sites: list) -> Diagnostic:
        first = sites[0]
        value = first.info["number"]
        home, node = value.module, value.node
        text = home.source.segment(node)
        fixed = complement(text)
        layer = first.info["api"].rsplit(".", 1)[1]
        name = first.info["name"]
        # the same words from every module that uses the number: one finding
        spelled = _spelled(home.tree, node, text, value.passed)
        if not spelled.startswith(f"`{layer}("):  # the call says what the number is
            spelled = f"{spelled}, the {name} of `{layer}`,"
        message = (
            f"{spelled} keeps only "
            f"{text} of the moving average per step, so the moving statistics follow the last batch "
            f"(PyTorch's momentum convention); TF's {name} is the weight of the old average: use "
            f"{fixed or f'1 - {text}'}"
        )
        fix = Fix(f"Use {fixed}", (Replace(home.source.span(node), fixed),)) if fixed else None
        links = tuple(
            Related(
                s.module.path,
                s.module.source.span(s.info["arg"]),
                f"the `{s.info['api'].rsplit('.', 1)[1]}` takes its {name} here",
            )
            for s in sites
        )
        return Diagnostic(
            self.code,
            message,
            home.path,
            home.source.span(node),
            fix,
            related=links,
            feeders=tuple((u,) for u in links),
        )


def _spelled(tree, node, text: str, passed: bool) -> str:
    """How the number is written: ``BN_MOMENTUM = 0.1``, ``'bn_momentum':
    0.1`` in a dict, the default ``momentum=0.1`` of ``bn``, ``momentum=0.1``
    passed to ``bn``."""
    owners = {}  # a method -> its class: ``__init__``'s default is the class's
    for n in ast.walk(tree):
        if isinstance(n, ast.ClassDef):
            owners.update((id(m), n.name) for m in n.body)
    for n in ast.walk(tree):
        if isinstance(n, ast.AnnAssign) and n.value is node and isinstance(n.target, ast.Name):
            return f"`{n.target.id} = {text}`"  # a dataclass field: ``bn_momentum: float = 0.1``
        if isinstance(n, ast.Assign) and n.value is node and len(n.targets) == 1:
            target = n.targets[0]
            if isinstance(target, ast.Name):
                return f"`{target.id} = {text}`"
            if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                # a dict's entry set after it was built: ``params["decay"] = 0.1``
                key = target.slice
                shown = repr(key.value) if isinstance(key, ast.Constant) else "..."
                return f"`{target.value.id}[{shown}] = {text}`"
            if isinstance(target, ast.Attribute):
                # a config object's path as written (``__C.TRAIN.BN_MOMENTUM``), not ``self.``
                shown = dotted(target)
                shown = target.attr if shown is None or shown.startswith("self.") else shown
                return f"`{shown} = {text}`"
        elif isinstance(n, ast.Dict) and any(v is node for v in n.values):
            key = next(k for k, v in zip(n.keys, n.values) if v is node)
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                return f"`{key.value!r}: {text}`"
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            param = _defaulted(n, node)
            if param is not None:
                owner = owners.get(id(n)) if n.name == "__init__" else None
                return f"the default `{param}={text}` of `{owner or n.name}`"
        elif passed and isinstance(n, ast.Call):
            for k in n.keywords:
                if k.value is node:
                    return f"`{k.arg}={text}` passed to `{dotted(n.func) or 'the helper'}`"
            if any(a is node for a in n.args):
                return f"`{text}` passed to `{dotted(n.func) or 'the helper'}`"
        elif isinstance(n, ast.Call) and (any(k.value is node for k in n.keywords) or node in n.args):
            # written in the call: ``ExponentialMovingAverage(decay=0.1)``
            callee = (dotted(n.func) or "").rsplit(".", 1)[-1]
            spelled = next((f"{k.arg}={text}" for k in n.keywords if k.value is node), text)
            return f"`{callee}({spelled})`" if callee else f"`{text}`"
    return f"`{text}`"


def _defaulted(fn, node) -> str | None:
    """The parameter of ``fn`` whose default is ``node``."""
    return next((name for name, default in params_of(fn) if default is node), None)
