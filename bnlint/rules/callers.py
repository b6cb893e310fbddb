"""The calls into a helper, followed outward: the nearest one whose code
says something a rule needs (a training flag in scope, a train op built
over the result), in this module or in the modules analysed with it."""

from __future__ import annotations

import ast

from bnlint.analysis.index import statements_in
from bnlint.rules.base import RuleContext, innermost

# A caller's answer that ends the search along its chain.
STOP = object()
_MAX_DEPTH = 3


def nearest_caller(ctx: RuleContext, helper, found_in, depth: int = 0):
    """(module, call, answer) of the nearest call into the function
    ``helper`` for which ``found_in(caller_ctx, functions, call)`` answers
    (not None, not STOP): calls in this module by name, the analysis' calls
    from other modules, and the calls other analysed modules make that did
    not run per call; through the functions holding calls it has no answer
    for (None), up to four levels."""
    if depth > _MAX_DEPTH or ctx.module is None:
        return None
    calls = [(ctx.module, c) for c in ctx.module.callers(helper.name)]
    if ctx.session is not None:
        for key, edges in ctx.session.edges.items():
            if isinstance(key, tuple) and key and key[0] == id(helper):
                calls += [(m, c) for m, c, _ in edges if m is not ctx.module]
        seen = {id(c) for _, c in calls}
        for interp, c in ctx.session.callers_elsewhere(ctx.module, [helper.name]):
            if interp is not None and id(c) not in seen:
                calls.append((interp.module, c))
    for module, call in calls:
        caller_ctx = (
            ctx
            if module is ctx.module
            else RuleContext(
                module.source, module.tree, module.imports, None, module.index, module, ctx.session
            )
        )
        functions = module.index.functions
        answer = found_in(caller_ctx, functions, call)
        if answer is not None and answer is not STOP:
            return module, call, answer
        outer = innermost(functions, call)
        if answer is None and outer is not None and outer is not helper:
            found = nearest_caller(caller_ctx, outer, found_in, depth + 1)
            if found is not None:
                return found
    return None


def gradient_stopped(ctx: RuleContext, functions, call: ast.Call) -> bool:
    """Whether ``call``'s result goes through ``tf.stop_gradient``, directly
    or through the name it is assigned in the same function."""
    scope = innermost(functions, call)
    names = set()
    for stmt in statements_in(scope.body) if scope is not None else ctx.index.statements():
        if isinstance(stmt, ast.Assign) and stmt.value is call:
            names |= {t.id for t in stmt.targets if isinstance(t, ast.Name)}
    for c in ctx.index.calls:
        if c.args and (ctx.imports.resolve(c.func) or "").endswith("stop_gradient"):
            arg = c.args[0]
            if any(n is call for n in ast.walk(arg)) or (isinstance(arg, ast.Name) and arg.id in names):
                return True
    return False
