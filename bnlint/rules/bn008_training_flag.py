"""BN008: a batch norm left in inference mode where the model trains."""

from __future__ import annotations

import ast
import dataclasses

from bnlint.analysis import catalog
from bnlint.analysis.constants import is_literal
from bnlint.analysis.names import dotted
from bnlint.analysis.values import ClassInfo
from bnlint.diagnostics import Fix, Related, SetArg
from bnlint.rules.base import Rule, RuleContext, has_any, innermost
from bnlint.rules.bn_config import settings
from bnlint.rules.callers import STOP, gradient_stopped, nearest_caller
from bnlint.rules.keras_models import BatchNormReach, definitions
from bnlint.rules.project_defs import interp_of
from bnlint.rules.tapes import tapes, trains_variables
from bnlint.rules.tf1_training import tf_prefix, train_ops

# Names a training flag goes by, most explicit first.
FLAGS = ("is_training", "training", "is_train", "phase_train", "train_phase", "train", "isTrain", "mode")
# A caller's flag that can only mean the training phase (``train`` may be a
# dataset, ``mode`` a string, ``self.x`` another object's).
_CALLER_FLAGS = ("is_training", "training", "is_train", "phase_train", "train_phase", "isTrain")
_KERAS_BN = {n for n, r in catalog.batch_norms().items() if r.effect == "bn_layer" and n.startswith("keras.")}


def _params(fn) -> list[str]:
    a = fn.args
    return [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs]


def _only_frozen(ctx, functions, call) -> bool:
    """Whether every call of the function holding ``call`` in this module
    goes through ``tf.stop_gradient`` (and it has some)."""
    helper = innermost(functions, call)
    callers = ctx.module.callers(helper.name) if helper is not None and ctx.module is not None else []
    return bool(callers) and all(gradient_stopped(ctx, functions, c) for c in callers)


class TrainingFlagMissing(Rule):
    code = "BN008"
    name = "training-flag-missing"
    summary = "batch norm in inference mode (no training flag, or training=False) where the model trains"
    needs_conv = False  # reads the call graph for helpers whose callers have the flag

    def may_fire(self, data: bytes) -> bool:
        return b"batch_normalization" in data or b"GradientTape" in data

    def check(self, ctx: RuleContext):
        return self._default_inference(ctx) + self._frozen_in_tape(ctx) + self._model_in_tape(ctx)

    def _default_inference(self, ctx: RuleContext):
        out = []
        functions = None
        trains = None
        for s in settings(ctx, "training"):
            if s.where != "call" or s.node is not None or s.api.roles.get("training_default") is not False:
                continue
            if functions is None:
                functions = ctx.index.functions
            flag = self._flag(ctx, functions, s.call)
            shown = ctx.source.segment(s.call.func)
            if flag is None:
                d = self._flag_of_caller(ctx, functions, s.call, shown)
                if d is not None:
                    out.append(d)
                    continue
                if trains is None:
                    trains = bool(train_ops(ctx))
                if not trains:
                    d = self._trained_by_caller(ctx, functions, s.call, shown)
                    if d is not None:
                        out.append(d)
                    continue  # else maybe an inference-only graph: unknowable
                if _only_frozen(ctx, functions, s.call):
                    continue  # a feature extractor the module trains a head on
                message = (
                    f"`{shown}` without `training` runs in inference mode (training=False), but this "
                    f"module trains the graph: batch norm never uses batch statistics nor updates its "
                    f"averages; pass the model's training flag as `training=`"
                )
                out.append(ctx.diagnostic(self.code, s.call, message))
                continue
            message = (
                f"`{shown}` without `training` runs in inference mode (training=False) even while "
                f"the model trains: batch norm never uses batch statistics nor updates its averages; "
                f"pass `training={flag}`"
            )
            fix = Fix(f"Pass training={flag}", (SetArg(ctx.source.span(s.call), "training", flag),))
            out.append(ctx.diagnostic(self.code, s.call, message, fix))
        return out

    def _flag(self, ctx, functions, call) -> str | None:
        fn = innermost(functions, call)
        while fn is not None:
            names = _params(fn)
            for flag in FLAGS:
                if flag in names:
                    if flag == "mode":
                        prefix, _ = tf_prefix(ctx)
                        return f"(mode == {prefix}.estimator.ModeKeys.TRAIN)"
                    return flag
            if names[:1] == ["self"]:
                attr = self._self_flag(ctx)
                if attr:
                    return attr
            fn = innermost([f for f in functions if f is not fn and f.lineno < fn.lineno], fn)
        return self._module_flag(ctx)

    def _flag_of_caller(self, ctx, functions, call, shown):
        """A helper with no training flag of its own, called by code that has
        one (``bn(x)`` inside ``net(x, is_training)``, perhaps through other
        helpers or from another module): the flag cannot reach the batch
        norm.  Reported at the batch norm, naming the caller; the fix (a
        parameter threaded through) is left to the author."""
        helper = innermost(functions, call)
        if helper is None:
            return None
        found = self._caller_with_flag(ctx, helper)
        if found is None:
            return None
        module, caller_call, flag = found
        where = (
            f"line {caller_call.lineno}" if module is ctx.module else f"{module.path}:{caller_call.lineno}"
        )
        message = (
            f"`{shown}` without `training` runs in inference mode (training=False), and "
            f"`{helper.name}` has no training flag to pass it, though the code calling it at {where} "
            f"has `{flag}`; add a training parameter to `{helper.name}`, pass it as `training=`, "
            f"and hand it `{flag}`"
        )
        link = Related(
            module.path, module.source.span(caller_call), f"calls into `{helper.name}` with `{flag}` in scope"
        )
        d = ctx.diagnostic(self.code, call, message)
        return dataclasses.replace(d, related=(link,), feeders=((link,),))

    def _trained_by_caller(self, ctx, functions, call, shown):
        """A batch norm without ``training`` in a model module that builds
        no train op, called (directly or through helpers) from a module
        that does (``logits = net(images)`` then ``minimize`` in train.py)."""
        helper = innermost(functions, call)
        if helper is None:
            return None

        def trains(caller_ctx, fns, caller_call):
            if gradient_stopped(caller_ctx, fns, caller_call):
                return STOP  # a frozen feature extractor: inference mode on purpose
            return "trains" if train_ops(caller_ctx) else None

        found = nearest_caller(ctx, helper, trains)
        if found is None:
            return None
        module, caller_call, _ = found
        message = (
            f"`{shown}` without `training` runs in inference mode (training=False), but "
            f"{module.path}:{caller_call.lineno} builds this model into a graph it trains: batch norm "
            f"never uses batch statistics nor updates its averages; pass the model's training flag "
            f"as `training=`"
        )
        link = Related(module.path, module.source.span(caller_call), "builds the model it trains")
        d = ctx.diagnostic(self.code, call, message)
        return dataclasses.replace(d, related=(link,), feeders=((link,),))

    def _caller_with_flag(self, ctx, helper):
        """(module, call, flag) of the nearest call into ``helper`` whose
        function has a training flag in scope."""

        def flag_in_scope(caller_ctx, functions, caller_call):
            flag = self._flag(caller_ctx, functions, caller_call)
            return flag if flag is None or flag in _CALLER_FLAGS else STOP

        return nearest_caller(ctx, helper, flag_in_scope)

    @staticmethod
    def _module_flag(ctx) -> str | None:
        """``is_training = tf.placeholder(tf.bool)`` at module level."""
        for stmt in ctx.tree.body:
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
            ):
                if stmt.targets[0].id in FLAGS[:5]:
                    return stmt.targets[0].id
        return None

    @staticmethod
    def _self_flag(ctx) -> str | None:
        for node in sorted(ctx.index.statements(), key=lambda s: s.lineno):
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    key = dotted(t)
                    if key and key.startswith("self.") and key[5:] in FLAGS[:5]:
                        return key
        return None

    def _model_in_tape(self, ctx: RuleContext):
        """``model(images)`` without ``training`` inside the GradientTape of a
        training step, for a model that builds a batch norm (followed into
        the project's modules): Keras runs it in inference mode."""
        if not has_any(ctx.source.data, b"GradientTape") or has_any(ctx.source.data, b"set_learning_phase"):
            return []
        functions = ctx.index.functions
        reach = (
            ctx.session.shared(BatchNormReach, lambda: BatchNormReach(ctx.session))
            if ctx.session is not None
            else BatchNormReach(None)
        )
        out = []
        for with_node, tape in tapes(ctx):
            if not trains_variables(ctx, functions, with_node, tape):
                continue
            for stmt in with_node.body:
                for call in ast.walk(stmt):
                    if not isinstance(call, ast.Call) or len(call.args) != 1 or call.keywords:
                        continue
                    if not isinstance(call.func, (ast.Name, ast.Attribute)) or ctx.imports.resolve(call.func):
                        continue
                    if isinstance(call.func, ast.Name) and call.func.id == "self":
                        # ``self(x)`` in an overridden ``train_step`` of a Keras model
                        bn = self._own_model(ctx, call, reach)
                    else:
                        found = definitions(ctx.tree, functions, call)
                        if found is None:
                            continue
                        exprs, around = found
                        bn = next((b for e in exprs if (b := reach.of_expr(ctx.module, e, around))), None)
                    if bn is None:
                        continue
                    module, node = bn
                    where = f"line {node.lineno}" if module is ctx.module else f"{module.path}:{node.lineno}"
                    shown = ctx.source.segment(call)
                    message = (
                        f"`{shown}` inside the GradientTape of a training step runs without `training`: "
                        f"Keras runs the batch norm it builds (`{module.source.segment(node)}` at {where}) in "
                        f"inference mode, which normalizes with the moving statistics and never "
                        f"updates them; pass training=True"
                    )
                    fix = Fix("Pass training=True", (SetArg(ctx.source.span(call), "training", "True"),))
                    related = Related(
                        module.path, module.source.span(node), "the batch norm the model builds"
                    )
                    d = ctx.diagnostic(self.code, call, message, fix)
                    out.append(dataclasses.replace(d, related=(related,)))
        return out

    @staticmethod
    def _own_model(ctx: RuleContext, call: ast.Call, reach):
        """The batch norm that the Keras model whose method holds ``call``
        (``self(x)``) builds, when its ``call`` does not train by default."""
        interp = interp_of(ctx.session, ctx.module)
        if interp is None:
            return None
        for stmt in ctx.tree.body:
            if isinstance(stmt, ast.ClassDef) and stmt.lineno <= call.lineno <= stmt.end_lineno:
                info = interp.frame.vars.get(stmt.name)
                if isinstance(info, ClassInfo) and info.node is stmt and info.keras_layer:
                    return reach.of_value(info)
        return None

    def _frozen_in_tape(self, ctx: RuleContext):
        """``bn(x, training=False)`` on a Keras batch norm layer while a
        GradientTape records the training step."""
        if not has_any(ctx.source.data, b"GradientTape"):
            return []
        layers, attrs = set(), set()  # ``bn = ...``; ``self.bn = ...`` (used as ``net.bn``)
        for node in ctx.index.statements():
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                if ctx.imports.resolve(node.value.func) in _KERAS_BN:
                    for key in filter(None, map(dotted, node.targets)):
                        layers.add(key)
                        if key.startswith("self.") and key.count(".") == 1:
                            attrs.add(key[5:])
        if not layers:
            return []

        def is_bn_layer(func) -> bool:
            key = dotted(func)
            return key in layers or (isinstance(func, ast.Attribute) and func.attr in attrs)

        out = []
        for with_node in ctx.index.statements():
            if not isinstance(with_node, (ast.With, ast.AsyncWith)):
                continue
            if not any(
                isinstance(i.context_expr, ast.Call)
                and (ctx.imports.resolve(i.context_expr.func) or "").endswith("GradientTape")
                for i in with_node.items
            ):
                continue
            for stmt in with_node.body:
                for call in ast.walk(stmt):
                    if not isinstance(call, ast.Call) or not is_bn_layer(call.func):
                        continue
                    training = next((k.value for k in call.keywords if k.arg == "training"), None)
                    if is_literal(training, False):
                        message = (
                            f"`{dotted(call.func)}(..., training=False)` inside the GradientTape of a "
                            f"training step: the batch norm normalizes with its moving statistics and "
                            f"never updates them; pass training=True"
                        )
                        fix = Fix("Pass training=True", (SetArg(ctx.source.span(call), "training", "True"),))
                        out.append(ctx.diagnostic(self.code, training, message, fix))
        return out
