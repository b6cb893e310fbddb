"""BN007: a TF1 train op that never runs the batch norm updates in UPDATE_OPS."""

from __future__ import annotations

import dataclasses

from bnlint.diagnostics import Fix, Related, WrapWith
from bnlint.rules.base import Rule, RuleContext, has_any
from bnlint.rules.tf1_training import (
    imported_closure,
    project_modules,
    reached_batch_norms,
    runs_updates,
    tf_prefix,
    train_op_callers,
    train_ops,
)


class UpdateOpsNotRun(Rule):
    code = "BN007"
    name = "update-ops-not-run"
    summary = "train op built without the batch norm updates in UPDATE_OPS: moving statistics never change"
    needs_conv = False
    needs_analysis = False
    reaches_callers = True  # a train op built by solver.py, reported at train.py's call

    def may_fire(self, data: bytes) -> bool:
        # the train op is built here; the batch norm may be in another module
        return has_any(data, b"minimize", b"apply_gradients") and b"ptimizer" in data

    def check(self, ctx: RuleContext):
        ops = train_ops(ctx)
        if not ops:
            return []
        modules = project_modules(ctx)
        calls = train_op_callers(ctx, ops)
        callers = list({id(m): m for m, _ in calls}.values())
        # the updates may be run around the call (``with control_dependencies(...): get_train_op(loss)``)
        if any(runs_updates(m.source.data if m.source else b"") for m in modules + callers):
            return []
        if callers:
            modules = imported_closure(ctx.session, modules + callers)
        norms = reached_batch_norms(ctx.session, modules, [ctx.module] + callers)
        if not norms:
            return []
        module, bn, name_node = norms[0]
        bn_name = module.source.segment(name_node)
        where = f"line {bn.lineno}" if module is ctx.module else f"{module.path}:{bn.lineno}"
        prefix, v1 = tf_prefix(ctx)
        api = prefix if v1 else f"{prefix}.compat.v1"
        header = f"{api}.control_dependencies({api}.get_collection({api}.GraphKeys.UPDATE_OPS))"
        related = Related(
            module.path, module.source.span(bn), "this batch norm puts its updates in UPDATE_OPS"
        )
        out = []
        for op in ops:
            method = op.call.func.attr
            message = (
                f"`{method}` builds the train op without the batch norm updates in UPDATE_OPS "
                f"(`{bn_name}` at {where} runs in training mode): the moving mean and variance never "
                f"leave 0 and 1, so inference is broken; build it under "
                f"`tf.control_dependencies(update_ops)`"
            )
            fix = Fix(
                "Run the train op after the UPDATE_OPS updates",
                (WrapWith(ctx.source.span(op.statement), header),),
            )
            d = ctx.diagnostic(self.code, op.call, message, fix)
            # reported at the call that hands it the loss when only the caller is checked
            feeders = tuple(
                (Related(m.path, m.source.span(call), "hands the loss to the train op built here"),)
                for m, call in calls
            )
            out.append(dataclasses.replace(_with_related(d, related), feeders=feeders))
        return out


def _with_related(d, related):
    return dataclasses.replace(d, related=(related,) + d.related)
