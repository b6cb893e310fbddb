"""BN004: batch_norm / fused_batch_norm data_format is not the conv's."""

from __future__ import annotations

import ast
import dataclasses

from bnlint.analysis import catalog, dicts
from bnlint.analysis.calls import params_of
from bnlint.analysis.frame import _OPAQUE
from bnlint.analysis.layout import parse_format
from bnlint.analysis.values import DictLit, NoneConst, Str
from bnlint.diagnostics import Fix, Related, Replace, SetArg, SetKey
from bnlint.rules.base import (
    Rule,
    RuleContext,
    format_param,
    innermost,
    mentions_channels_first,
    mentions_conv,
    node_contexts,
    param_default,
)


def bn_format_wrong(site):
    """The first conv layout this batch norm op disagrees with, if any."""
    value = site.info.get("df_value")
    if (site.info.get("df_node") is None and not site.info.get("scoped")) or isinstance(value, NoneConst):
        last = True
    elif isinstance(value, Str) and parse_format(value.value, None) is not None:
        last = parse_format(value.value, None).last
    else:
        return None
    for layout in site.layouts():
        if layout.last != last:
            return layout
    return None


def _slim_format_param(scope) -> str | None:
    """The enclosing function's data-format parameter when its default is
    written the way batch_norm takes it (``data_format="NHWC"``)."""
    param = format_param(scope)
    if param is None:
        return None
    default = dict(params_of(scope)).get(param)
    if isinstance(default, ast.Constant) and default.value in ("NHWC", "NCHW"):
        return param
    return None


def _followed_format(ctx: RuleContext, call: ast.Call) -> str | None:
    """The helper parameter a slim conv takes its data_format from
    (``data_format=data_format``), when the helper's default is written
    the way batch_norm takes it."""
    keyword = next((k.value for k in call.keywords if k.arg == "data_format"), None)
    if not isinstance(keyword, ast.Name):
        return None
    param = _slim_format_param(innermost(ctx.index.functions, call))
    return param if param == keyword.id else None


def _scope_for_batch_norm(ctx: RuleContext, conv_format):
    """(last op node, ``slim.batch_norm`` as this module spells it) when the
    conv's data_format comes from an ``arg_scope([slim.conv2d, ...],
    data_format=...)`` of this module that could also list batch_norm:
    every keyword it passes is a batch_norm parameter."""
    if conv_format is None or conv_format is _OPAQUE or conv_format.module is not ctx.module:
        return None
    call = conv_format.scope_call
    ops = call.args[0] if call is not None and call.args else None
    if not isinstance(ops, (ast.List, ast.Tuple)) or not ops.elts:
        return None
    bn = catalog.lookup("slim.batch_norm")
    if any(k.arg is None or k.arg not in bn.params for k in call.keywords):
        return None  # ``padding="SAME"`` would reach batch_norm too
    for op in ops.elts:
        if ctx.imports.resolve(op) == "slim.batch_norm":
            return None
    prefix = next(
        (
            op.value.id
            for op in ops.elts
            if isinstance(op, ast.Attribute)
            and isinstance(op.value, ast.Name)
            and (ctx.imports.resolve(op) or "").startswith("slim.")
        ),
        None,
    )
    if prefix is None:
        return None
    return ops.elts[-1], f"{prefix}.batch_norm"


def _slim_format(layout) -> str:
    return "NHWC" if layout.last else "NCHW"


def _settable(params: DictLit) -> bool:
    """Whether the fix can give the dict its entry where it is written:
    a display or ``dict(...)`` that no later statement changes."""
    return params.node is not None and dicts.writable(params) and not params.changes


def _dict_format(params: DictLit):
    """('absent' | 'unknown' | Layout-side bool) for a normalizer_params dict."""
    node, _ = params.entry("data_format")
    if node is None:
        return "absent" if params.complete else "unknown"  # ``**other`` may carry it
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        fmt = parse_format(node.value, None)
        return fmt.last if fmt else "unknown"
    return "unknown"


class DataFormat(Rule):
    code = "BN004"
    name = "bn-data-format"
    summary = "batch_norm / fused_batch_norm data_format differs from the conv's"

    def may_fire(self, data: bytes) -> bool:
        # one side of a mismatch is channels_first, and says so
        return b"batch_norm" in data and mentions_conv(data) and mentions_channels_first(data)

    def check(self, ctx: RuleContext):
        return self._direct(ctx) + self._normalizers(ctx)

    def _direct(self, ctx: RuleContext):
        out = []
        for site in ctx.sites.of_kind("bn_format"):
            layout = bn_format_wrong(site)
            if layout is None:
                continue
            op = site.info["api"]
            fmt = _slim_format(layout) if op == "slim.batch_norm" else layout.format_name()
            got = site.info["df_value"].value if isinstance(site.info.get("df_value"), Str) else "NHWC"
            shown = "`batch_norm`" if op == "slim.batch_norm" else "`fused_batch_norm`"
            how = (
                "runs with the default data_format='NHWC'"
                if site.info.get("df_node") is None
                else f"has data_format='{got}'"
            )
            message = (
                f"{shown} {how}, but its input is a {layout.describe()} conv output; pass data_format='{fmt}'"
            )
            fix = None
            df_node = site.info.get("df_node")
            default = param_default(ctx, site, df_node.id) if isinstance(df_node, ast.Name) else None
            # a fix at the node is right for every context reaching it (every
            # call of a partial, every value a caller passes)
            contexts = node_contexts(ctx, site)
            if len({c.layout.last for c in contexts if c.layout}) == 1 and not site.info.get("scoped"):
                q = ctx.quote(df_node)
                if (
                    isinstance(default, ast.Constant)
                    and default.value == got
                    and not _passed_by_a_caller(ctx, site, df_node.id)
                ):
                    # ``def bn(x, data_format="NHWC")``: the default is what every caller
                    # here uses; one passing its own keeps it
                    q = ctx.quote(default)
                    fix = Fix(
                        f"Use the default data_format={q}{fmt}{q}",
                        (Replace(ctx.source.span(default), f"{q}{fmt}{q}"),),
                    )
                else:
                    fix = Fix(
                        f"Use data_format={q}{fmt}{q}",
                        (
                            SetArg(
                                ctx.source.span(site.node),
                                "data_format",
                                f"{q}{fmt}{q}",
                                site.info["df_index"],
                            ),
                        ),
                    )
            elif site.info.get("df_node") is None and not site.info.get("scoped"):
                # a helper whose callers pass different formats: follow its own parameter
                param = _slim_format_param(site.info.get("scope"))
                if param is not None:
                    fix = Fix(
                        f"Use the helper's data_format ({param})",
                        (SetArg(ctx.source.span(site.node), "data_format", param, site.info["df_index"]),),
                    )
            target = site.info.get("df_node") or site.node
            out.append(ctx.diagnostic(self.code, target, message, fix, site=site, layouts=[layout]))
        return out

    def _normalizers(self, ctx: RuleContext):
        out = []
        for site in ctx.sites.of_kind("normalizer"):
            if site.info.get("fn") != "slim.batch_norm":
                continue
            layouts = [c.layout for c in node_contexts(ctx, site) if c.layout is not None]
            # ``slim.conv2d(..., data_format=data_format)`` in a helper: its
            # normalizer can take the same parameter, right for every caller
            follow = _followed_format(ctx, site.node)
            if any(site.info.get(k) is not None for k in ("bn_format", "fn_scope", "params_scope")):
                follow = None  # the edit would land outside the helper
            if follow is not None and len({lay.last for lay in layouts}) > 1:
                layouts = [lay for lay in layouts if not lay.last]
            if len({lay.last for lay in layouts}) != 1:
                continue
            layout = layouts[0]
            params_node = site.info.get("params_node")
            params = site.info.get("params")
            bn_format = site.info.get("bn_format")
            if params_node is None:
                state = "absent"
            elif isinstance(params, DictLit):
                state = _dict_format(params)
            else:
                state = "unknown"
            if state == "absent" and bn_format is not None:
                # an arg_scope over batch_norm gives it its data_format
                fmt_value = (
                    parse_format(bn_format.value.value, None) if isinstance(bn_format.value, Str) else None
                )
                state = fmt_value.last if fmt_value is not None else "unknown"
            if state == "unknown" or (state == "absent" and layout.last) or state is layout.last:
                continue
            fmt = _slim_format(layout)
            q = ctx.quote()
            value = f"{q}{fmt}{q}"
            conv_format = site.info.get("conv_format")
            scope = site.info.get("params_scope")
            fn_scope = site.info.get("fn_scope")
            scope_follows = _scope_format(scope, conv_format)
            # the arg_scope that gives these params (or, without params, the
            # one giving normalizer_fn) gives the conv its data_format (a
            # parameter, ``config.DATA_FORMAT``): follow it, right for every caller
            followed = scope if scope_follows else None
            if params_node is None and bn_format is None and _scope_format(fn_scope, conv_format):
                followed = fn_scope
            if followed is not None:
                node = conv_format.node
                value = node.id if isinstance(node, ast.Name) else followed.module.source.segment(node)
            elif follow is not None:
                value = follow
            edit, target, where = self._normalizer_edit(ctx, site, params_node, params, bn_format, value)
            ran = "NCHW" if state is False else "NHWC"
            home = scope.module if scope is not None else None
            if (
                edit is None
                and scope_follows
                and home is not None
                and home is not ctx.module
                and isinstance(params, DictLit)
                and _settable(params)
            ):
                # ``with slim.arg_scope(nets_utils.resnet_arg_scope(data_format="NCHW"))``:
                # the arg_scope's function gives the conv its data_format
                # parameter, so its params dict can take the same one, right
                # for every caller; the finding goes there
                message = (
                    f"the `batch_norm` these normalizer_params configure runs with data_format='{ran}' "
                    f"after the {layout.describe()} convs of this arg_scope; "
                    f"pass 'data_format': {value} (the conv's)"
                )
                fix = Fix(
                    f"Set data_format={value} in normalizer_params",
                    (SetKey(home.source.span(params.node), "data_format", value),),
                )
                d = ctx.diagnostic(
                    self.code, params_node, message, fix, site=site, layouts=layouts, module=home
                )
                # reported at the conv when only this module is checked
                conv = Related(ctx.module.path, ctx.source.span(site.node), "the arg_scope covers this conv")
                out.append(dataclasses.replace(d, related=d.related + (conv,), feeders=((conv,), *d.feeders)))
                continue
            if bn_format is not None and params_node is None:
                message = (
                    f"the `batch_norm` normalizer of this {layout.describe()} conv gets "
                    f"data_format='{ran}' from an arg_scope over batch_norm; pass data_format='{fmt}' there"
                )
            else:
                message = (
                    f"the `batch_norm` normalizer of this {layout.describe()} conv runs with "
                    f"data_format='{ran}'; pass 'data_format': "
                    + (f"'{fmt}'" if value == f"{q}{fmt}{q}" else f"{value} (the conv's)")
                    + " in normalizer_params"
                )
            if any(s.info.get("fn_chosen") for s in ctx.sites.at(site.kind, site.node)):
                # ``normalizer_fn=normalizer_fn`` that callers may set to
                # another normalizer: its params would get a data_format too
                edit = None
            fix = Fix(f"Set data_format='{fmt}' in normalizer_params", (edit,)) if edit else None
            if edit is None and bn_format is None and state == "absent":
                # the params live in another module; this module's arg_scope
                # gives the conv its format: give it to batch_norm as well
                scoped = _scope_for_batch_norm(ctx, conv_format)
                if scoped is not None:
                    last, spelled = scoped
                    message = (
                        f"the `batch_norm` normalizer of this {layout.describe()} conv runs with "
                        f"data_format='{ran}': the arg_scope that makes the conv {fmt} does not "
                        f"cover batch_norm; add `{spelled}` to its list"
                    )
                    code = f"{ctx.source.segment(last)}, {spelled}"
                    fix = Fix(f"Add {spelled} to the arg_scope", (Replace(ctx.source.span(last), code),))
                    target = conv_format.scope_call
            out.append(
                ctx.diagnostic(self.code, target, message, fix, site=site, layouts=layouts, module=where)
            )
        return out

    @staticmethod
    def _normalizer_edit(ctx, site, params_node, params, bn_format, value):
        """(edit, node to report at, its module or None for this one): the
        fix goes where the setting is written, an arg_scope included, when
        that is in this module, or is the arg_scope of another module that
        gives the conv its normalizer_fn (``with slim.arg_scope(...)`` in
        train.py over a net another module builds)."""
        q = ctx.quote()
        local = lambda arg: arg is None or arg.module is ctx.module  # noqa: E731
        scope = site.info.get("params_scope")
        fn_scope = site.info.get("fn_scope")
        if bn_format is not None and params_node is None:
            if not local(bn_format):
                return None, site.node.func, None
            return Replace(ctx.source.span(bn_format.node), value), bn_format.node, None
        if params_node is None and fn_scope is not None and fn_scope.scope_call is not None:
            # normalizer_fn from an arg_scope: its params go there too
            home = fn_scope.module if fn_scope.module is not None else ctx.module
            source = home.source if home is not None and home.source is not None else ctx.source
            edit = SetArg(
                source.span(fn_scope.scope_call), "normalizer_params", f"{{{q}data_format{q}: {value}}}"
            )
            return edit, fn_scope.scope_call, None if local(fn_scope) else home
        if not local(scope) or not local(fn_scope):
            return None, site.node.func, None
        if params_node is None:
            return (
                SetArg(ctx.source.span(site.node), "normalizer_params", f"{{{q}data_format{q}: {value}}}"),
                site.node.func,
                None,
            )
        target = params_node if scope is not None else site.node.func
        if (
            isinstance(params, DictLit)
            and _settable(params)
            and (params_node is params.node or scope is not None)
        ):
            # the dict literal itself (in the arg_scope's function, say)
            return SetKey(ctx.source.span(params.node), "data_format", value), target, None
        if isinstance(params_node, ast.Name) and scope is None:
            code = f"{{**{params_node.id}, {q}data_format{q}: {value}}}"
            return SetArg(ctx.source.span(site.node), "normalizer_params", code), target, None
        return None, target, None


def _scope_format(params_scope, conv_format) -> bool:
    """Whether the conv's data_format comes from the arg_scope giving the
    normalizer_params, or from one nested in the same function, as a name
    or a constant read there (so the params can take the same expression)."""
    if params_scope is None or conv_format is None or conv_format is _OPAQUE:
        return False
    if conv_format.scope_call is params_scope.scope_call:
        return isinstance(conv_format.node, ast.Name)
    home = params_scope.module
    if home is None or conv_format.module is not home or params_scope.scope_call is None:
        return False
    if not isinstance(conv_format.node, (ast.Name, ast.Attribute, ast.Constant)):
        return False
    functions = home.index.functions
    where = innermost(functions, params_scope.scope_call)
    if where is None or innermost(functions, conv_format.scope_call) is not where:
        return False
    # a name the function assigns may not exist yet where the dict is built
    name = conv_format.node.id if isinstance(conv_format.node, ast.Name) else None
    return name is None or not any(
        isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store) for n in ast.walk(where)
    )


def _passed_by_a_caller(ctx, site, param: str) -> bool:
    """Whether a call of the function holding the site, in this module or
    another analysed with it, passes ``param`` (or may, through a star)."""
    fn = innermost(ctx.index.functions, site.node)
    names = [p for p, _ in params_of(fn)]
    index = names.index(param) if param in names else None
    calls = list(ctx.module.callers(fn.name)) if ctx.module is not None else []
    if ctx.session is not None:
        calls += [c for _, c in ctx.session.callers_elsewhere(ctx.module, [fn.name])]
    for call in calls:
        if any(k.arg in (param, None) for k in call.keywords) or any(
            isinstance(a, ast.Starred) for a in call.args
        ):
            return True
        if index is not None and len(call.args) > index:
            return True
    return False
