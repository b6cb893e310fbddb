"""Training steps in eager code: the ``with tf.GradientTape() as tape``
blocks whose gradient is taken for a model's trainable variables."""

from __future__ import annotations

import ast

from bnlint.rules.base import innermost


def tapes(ctx):
    """(with statement, tape name) of every ``with tf.GradientTape() as tape``."""
    out = []
    for node in sorted(ctx.index.statements(), key=lambda s: s.lineno):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                expr = item.context_expr
                if (
                    isinstance(expr, ast.Call)
                    and (ctx.imports.resolve(expr.func) or "").endswith("GradientTape")
                    and isinstance(item.optional_vars, ast.Name)
                ):
                    out.append((node, item.optional_vars.id))
    return out


_TRAINABLE = ("trainable_variables", "trainable_weights")


def trains_variables(ctx, functions, with_node, tape: str) -> bool:
    """Whether the tape's gradient is taken for a model's trainable
    variables (a training step; a gradient for the input is an attack or a
    saliency map, which runs the model in inference mode on purpose)."""
    scope = innermost(functions, with_node) or ctx.tree
    for call in ast.walk(scope):
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "gradient"
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id == tape
            and len(call.args) >= 2
        ):
            if any(isinstance(n, ast.Attribute) and n.attr in _TRAINABLE for n in ast.walk(call.args[1])):
                return True
            if isinstance(call.args[1], ast.Name) and _names_trainable(scope, call.args[1].id):
                return True
    return False


def _names_trainable(scope, name: str) -> bool:
    """``variables = model.trainable_variables`` then ``tape.gradient(loss, variables)``."""
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            if any(isinstance(n, ast.Attribute) and n.attr in _TRAINABLE for n in ast.walk(node.value)):
                return True
    return False
