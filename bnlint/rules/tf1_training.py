"""TF1 graph training, as the training-mode rules need it: where the train
op is built from a ``tf.train`` optimizer, which batch norms run in
training mode and leave their updates in ``UPDATE_OPS``, and whether the
code runs those updates.  Read from a module's syntax; the project's
other modules come from the analysis session."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from bnlint.analysis import catalog
from bnlint.analysis.constants import is_literal
from bnlint.analysis.index import statements_in
from bnlint.analysis.names import dotted
from bnlint.analysis.project import real
from bnlint.analysis.signature import bind
from bnlint.rules.base import RuleContext, innermost
from bnlint.rules.bn_config import dict_assigned, dict_value
from bnlint.rules.project_defs import function_def

_TRAIN_METHODS = ("minimize", "apply_gradients")
# Code that runs the collected updates, or builds a train op that does.
_RUNS_UPDATES = re.compile(
    rb"UPDATE_OPS|update_ops|create_train_op|learning\.train\b|\.fit\(|fit_generator|GradientTape"
)
_BATCH_NORMS = catalog.batch_norms()


@dataclass(frozen=True)
class TrainOp:
    call: ast.Call  # optimizer.minimize(...) / apply_gradients(...)
    statement: ast.stmt  # the statement that holds it


def _is_tf1_optimizer(ctx, node) -> bool:
    if not isinstance(node, ast.Call):
        return False
    name = ctx.imports.resolve(node.func) or ""
    return name.startswith("tf.train.") and name.endswith("Optimizer")


def _made_by_factory(ctx, node) -> bool:
    """``utils.get_optimizer(name, lr)``: a project function (of this
    module or another) that returns a ``tf.train`` optimizer."""
    if not isinstance(node, ast.Call):
        return False
    found = function_def(ctx, node.func)
    if found is None:
        return False
    module, fn = found
    for n in statements_in(fn.body):
        if isinstance(n, ast.Return) and isinstance(n.value, ast.Call):
            name = module.imports.resolve(n.value.func) or ""
            if name.startswith("tf.train.") and name.endswith("Optimizer"):
                return True
    return False


def _assigned_optimizers(ctx) -> set[str]:
    """Names (and ``self.x``) bound to a ``tf.train.*Optimizer(...)``, or
    to what a project function returning one gives."""
    out = set()
    for node in ctx.index.statements():
        if isinstance(node, ast.Assign) and (
            _is_tf1_optimizer(ctx, node.value) or _made_by_factory(ctx, node.value)
        ):
            for t in node.targets:
                key = dotted(t)
                if key:
                    out.add(key)
    return out


def train_ops(ctx) -> list[TrainOp]:
    """``opt.minimize(loss)`` / ``opt.apply_gradients(...)`` on a TF1 optimizer."""
    if not any(ctx.index.mentions(m) for m in _TRAIN_METHODS) or not ctx.index.mentions("ptimizer"):
        return []
    named = _assigned_optimizers(ctx)
    found = []
    for call in ctx.index.calls:
        f = call.func
        if not (isinstance(f, ast.Attribute) and f.attr in _TRAIN_METHODS):
            continue
        if _is_tf1_optimizer(ctx, f.value) or dotted(f.value) in named:
            found.append(call)
    if not found:
        return []
    holders = _statements_holding(ctx.index, found)
    return [TrainOp(c, holders[id(c)]) for c in found if id(c) in holders]


def _statements_holding(index, calls) -> dict[int, ast.stmt]:
    """call id -> the simple statement holding it (found by position:
    simple statements do not nest)."""
    simple = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Return)
    out = {}
    for stmt in index.statements():
        if not isinstance(stmt, simple):
            continue
        start, end = (stmt.lineno, stmt.col_offset), (stmt.end_lineno, stmt.end_col_offset)
        for call in calls:
            if start <= (call.lineno, call.col_offset) and (call.end_lineno, call.end_col_offset) <= end:
                out[id(call)] = stmt
    return out


def runs_updates(data: bytes) -> bool:
    return _RUNS_UPDATES.search(data) is not None


def _is_false(node) -> bool:
    return is_literal(node, False)


def _is_none(node) -> bool:
    return is_literal(node, None)


def update_ops_batch_norms(module, session) -> list[tuple[ast.Call, ast.expr]]:
    """Batch norms that may run in training mode and leave their moving
    statistics' updates in ``UPDATE_OPS``: (the call, the node naming the
    batch norm: the call's function, or a slim conv's ``normalizer_fn``).
    ``module``: a module's facts; ``session`` finds the project functions
    that build its arg_scopes."""
    out = []
    in_place = _scoped_in_place(module, session)
    for call in module.index.calls:
        name = module.imports.resolve(call.func)
        api = _BATCH_NORMS.get(name)
        if api is not None and api.roles.get("update_ops"):
            if api.effect == "bn_layer":
                continue  # a layer object: its call decides, not followed here
            b = bind(api.params, call, [None] * len(call.args), {})
            training = b.node(api.roles["training"])
            if training is None and b.star_kwargs:
                continue
            if (training is None and not api.roles["training_default"]) or _is_false(training):
                continue  # inference mode: no updates
            updates = api.roles.get("updates")
            if updates and (_is_none(b.node(updates)) or in_place):
                continue
            out.append((call, call.func))
        elif name is not None and name.startswith("slim."):
            fn = next((k.value for k in call.keywords if k.arg == "normalizer_fn"), None)
            if fn is None or module.imports.resolve(fn) != "slim.batch_norm" or in_place:
                continue
            params = next((k.value for k in call.keywords if k.arg == "normalizer_params"), None)
            d = dict_assigned(module, params.id) if isinstance(params, ast.Name) else params
            if params is not None and d is None:
                continue  # unknown params
            if d is not None and (
                _is_none(dict_value(d, "updates_collections")) or _is_false(dict_value(d, "is_training"))
            ):
                continue
            out.append((call, fn))
    return out


def reached_batch_norms(session, modules, roots) -> list[tuple]:
    """(module, call, name node) of the batch norms of ``modules`` that the
    code of ``roots`` (the modules building and feeding the train op) can
    run: every one of a root's own; in another module, those at its top
    level or inside a top-level function or class that the reached code
    names (``t.batch_norm(x)`` reaches modules.py's ``batch_norm``, and
    then what its body names).  A helper module's batch norm that the
    model never calls puts nothing in UPDATE_OPS."""
    root_ids = {id(m) for m in roots}
    words: set[str] = set()
    for m in roots:
        words |= m.index.words_in(1, len(m.index.lines))
    defs = [
        (m, d)
        for m in modules
        if id(m) not in root_ids
        for d in m.index.tree.body
        if isinstance(d, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    ]
    reached: set[int] = set()
    grew = True
    while grew:
        grew = False
        for m, d in defs:
            if id(d) not in reached and d.name in words:
                reached.add(id(d))
                words |= m.index.words_in(d.lineno, d.end_lineno)
                grew = True
    # ``with slim.arg_scope([slim.batch_norm], updates_collections=None):
    # logits = nets.net(images)``: the scope reaches the batch norms the
    # called code builds in other modules
    in_place_by_roots = any(_scoped_in_place(m, session) for m in roots)
    out = []
    for m in modules:
        if in_place_by_roots and id(m) not in root_ids:
            continue
        for call, name in update_ops_batch_norms(m, session):
            if id(m) in root_ids or _in_reached_def(m, call, reached):
                out.append((m, call, name))
    return out


def _in_reached_def(module, call, reached: set[int]) -> bool:
    for d in module.index.tree.body:
        if d.lineno <= call.lineno <= d.end_lineno and isinstance(
            d, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        ):
            return id(d) in reached
    return True  # runs at import


def _scoped_in_place(module, session) -> bool:
    """An ``arg_scope`` in the module gives batch_norm
    ``updates_collections=None``, or may: it is built by a project function
    that sets the updates' collection (``slim.arg_scope(net_arg_scope())``
    whose batch_norm params hold ``"updates_collections": None``), or by a
    call that passes one."""
    if not module.index.mentions("arg_scope"):
        return False
    for call in module.index.calls:
        name = module.imports.resolve(call.func) or ""
        if not name.endswith("arg_scope"):
            continue
        value = next((k.value for k in call.keywords if k.arg == "updates_collections"), None)
        if _is_none(value):
            return True
        for arg in call.args:
            if isinstance(arg, ast.Call) and _scope_sets_updates(arg, module, session):
                return True
    return False


def _scope_sets_updates(call: ast.Call, module, session) -> bool:
    if any(k.arg is None or "updates_collections" in k.arg for k in call.keywords):
        return True
    scope_ctx = RuleContext(module.source, module.tree, module.imports, None, module.index, module, session)
    found = function_def(scope_ctx, call.func)
    if found is None:
        return False
    facts, fn = found
    return "updates_collections" in facts.index.words_in(fn.lineno, fn.end_lineno)


def project_modules(ctx):
    """This module and the project modules it imports, transitively, as
    the analysis loaded them (ModuleFacts)."""
    session = ctx.session
    if session is None or session.project is None:
        return [ctx.module] if ctx.module is not None else []
    return imported_closure(session, [ctx.module])


def train_op_callers(ctx, ops) -> list:
    """(module, call) of the calls in other modules of the functions that
    build ``ops`` (``solver.get_train_op(loss)`` in train.py): the loss,
    and the model it comes from, are theirs."""
    session = ctx.session
    if session is None or session.project is None:
        return []
    functions = ctx.index.functions
    names = sorted({fn.name for op in ops if (fn := innermost(functions, op.call)) is not None})
    if not names:
        return []
    out = []
    here = real(ctx.module.path)
    for interp, call in session.callers_elsewhere(ctx.module, names):
        # the call is read by name: the caller must import this module
        if interp is not None and any(real(m.path) == here for m in session.imported_modules(interp.module)):
            out.append((interp.module, call))
    return out


def imported_closure(session, modules) -> list:
    """``modules`` and the project modules they import, transitively."""
    out, todo, seen = [], list(reversed(modules)), set()
    while todo:
        facts = todo.pop()
        if facts is None or id(facts) in seen:
            continue
        seen.add(id(facts))
        out.append(facts)
        todo.extend(session.imported_modules(facts))
    return out


def tf_prefix(ctx) -> tuple[str, bool]:
    """How this file names TensorFlow's v1 API: (prefix, whether the prefix
    is already v1).  ``tf`` + ``.compat.v1`` unless the file is TF1 style."""
    for local, qualified in ctx.imports.aliases.items():
        if qualified == "tensorflow.compat.v1":
            return local, True
    for local, qualified in ctx.imports.aliases.items():
        if qualified == "tensorflow":
            return local, False
    return "tf", False
