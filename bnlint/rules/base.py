"""What every rule is: a code, a name, a one-line summary, a default, and a
``check`` that turns layout-graph sites into diagnostics."""

from __future__ import annotations

import ast
from collections import deque
from dataclasses import dataclass

from bnlint.analysis.index import ModuleIndex
from bnlint.analysis.names import Imports
from bnlint.analysis.sites import Sites
from bnlint.diagnostics import Diagnostic, Fix, Related
from bnlint.source import SourceFile

_MAX_TRAIL = 8


@dataclass
class RuleContext:
    source: SourceFile
    tree: ast.Module
    imports: Imports
    sites: Sites
    index: ModuleIndex
    module: object = None  # the ModuleFacts of ``source``
    session: object = None  # the analysis: its call graph gives the trail

    def diagnostic(
        self,
        code: str,
        node: ast.AST,
        message: str,
        fix: Fix | None = None,
        site=None,
        layouts=(),
        module=None,
        at_conv=False,
    ) -> Diagnostic:
        """A finding at ``node`` (in ``module``, by default this one).
        ``site`` and the wrong ``layouts`` give its trail: the conv, and
        the calls that carried its output into a helper.  ``at_conv``: the
        finding is the conv itself, which no caller calls (its message
        names none)."""
        module = module if module is not None else self.module
        source = module.source if module is not None and module.source is not None else self.source
        path = module.path if module is not None else source.path
        related, feeders, caller = (), (), None
        if site is not None and self.session is not None:
            related, feeders, caller = self._trail(site, layouts, path)
            caller = None if at_conv else caller
        return Diagnostic(
            code, message, path, source.span(node), fix, related=related, feeders=feeders, caller=caller
        )

    def _trail(self, site, layouts, path):
        """(related locations, chains of feeding calls, the caller to name)."""
        wanted = [c for c in site.reached if c.layout is not None and (not layouts or c.layout in layouts)]
        chains = []
        for ctx in wanted:
            chains.extend(self._chains(ctx.key))
        related = []
        first = wanted[0] if wanted else None
        if first is not None and first.origin is not None:
            conv_module, conv_node = first.origin
            related.append(
                Related(
                    conv_module.path,
                    conv_module.source.span(conv_node),
                    f"the {first.layout.describe()} conv output comes from here",
                )
            )
        best = chains[0] if chains else ()
        related.extend(best)
        caller = None
        if first is not None and best and best[0].path != path:
            call = best[0]
            caller = f"{call.path}:{call.span[0][0]} with a {first.layout.describe()} conv output"
        return tuple(related), tuple(dict.fromkeys(chains)), caller

    def _chains(self, key) -> list[tuple[Related, ...]]:
        """Every chain of calls (nearest first) that reaches invocation ``key``."""
        out = []
        todo = deque([(key, ())])  # breadth first: the nearest, earliest calls first
        while todo and len(out) < 32:
            k, chain = todo.popleft()
            edges = self.session.callers_of(k) if k is not None else []
            if not edges or len(chain) >= _MAX_TRAIL:
                if chain:
                    out.append(chain)
                continue
            for module, call, caller_key in edges:
                link = Related(
                    module.path, module.source.span(call), "passes the tensor into the helper here"
                )
                if link in chain:
                    continue
                todo.append((caller_key, chain + (link,)))
        return out

    def quote(self, *nodes) -> str:
        """The quote character of these string nodes, else the one most
        of the file's strings use."""
        for node in nodes:
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = self.source.segment(node)
                if text[:1] in "'\"":
                    return text[0]
        if not hasattr(self, "_quote"):
            counts = {"'": 0, '"': 0}
            for node in self.index.strings[:200]:
                first = self.source.segment(node)[:1]
                if first in counts:
                    counts[first] += 1
            self._quote = '"' if counts['"'] > counts["'"] else "'"
        return self._quote


_FORMAT_PARAMS = ("data_format", "data_fmt", "dataformat", "image_data_format")
FIRST_FORMATS = '("NCHW", "NCW", "NCDHW", "channels_first")'


def format_param(scope) -> str | None:
    """The enclosing function's data-format parameter, when it has one:
    a fix inside a format-generic helper must depend on it."""
    args = getattr(scope, "args", None)
    if args is None:
        return None
    for a in args.posonlyargs + args.args + args.kwonlyargs:
        if a.arg in _FORMAT_PARAMS:
            return a.arg
    return None


def site_format_param(ctx, site) -> str | None:
    """The data-format parameter a fix at the site's node can follow: the
    applying function's, or, for a layer built in one method and applied in
    another (``__init__`` / ``call``), the building function's."""
    scope = site.info.get("scope")
    param = format_param(scope)
    if param is None and not _holds(scope, site.node):
        param = format_param(innermost(ctx.index.functions, site.node))
    return param


def _holds(scope, node) -> bool:
    return hasattr(scope, "lineno") and scope.lineno <= node.lineno and node.end_lineno <= scope.end_lineno


def innermost(functions, node):
    """The innermost of ``functions`` whose lines hold ``node``."""
    inner = None
    for f in functions:
        if f.lineno <= node.lineno <= f.end_lineno and (inner is None or f.lineno >= inner.lineno):
            inner = f
    return inner


def param_default(ctx, site, name: str):
    """The default node of parameter ``name`` of the function holding the
    site (``def bn(x, axis=-1)``), or None."""
    fn = innermost(ctx.index.functions, site.node) if site.module is ctx.module else None
    if fn is None:
        return None
    args = fn.args
    positional = args.posonlyargs + args.args
    pairs = list(zip(positional[len(positional) - len(args.defaults) :], args.defaults))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
    return next((d for a, d in pairs if a.arg == name), None)


def node_contexts(ctx, site) -> list:
    """Every context reaching the site's node, whatever value a caller
    passed there (a fix at the node must be right for all of them)."""
    return [c for s in ctx.sites.at(site.kind, site.node) for c in s.contexts]


def mixed(site, contexts=None) -> bool:
    """Whether the contexts reaching a site disagree, or some does not know
    the layout (a helper whose callers pass different formats)."""
    layouts = {c.layout for c in (site.contexts if contexts is None else contexts)}
    return len(layouts) > 1


class Rule:
    code: str = ""
    name: str = ""
    summary: str = ""
    default_enabled: bool = True
    fix_safety: str = "safe"
    needs_conv: bool = True  # its findings need a conv spelled in the file
    needs_analysis: bool = True  # reads the layout analysis' sites (not only the syntax)
    # a syntax rule whose findings in a module read only for others can
    # still reach a checked caller (through their feeders)
    reaches_callers: bool = False

    def check(self, ctx: RuleContext) -> list[Diagnostic]:
        raise NotImplementedError

    def may_fire(self, data: bytes) -> bool:
        """A cheap test on the raw bytes: False only when this rule cannot
        fire on the file, so the file need not even be parsed."""
        return True

    def may_configure(self, data: bytes) -> bool:
        """Whether a module with this text may hold a setting this rule
        follows into the modules that import it (a config module's
        ``BN_MOMENTUM = 0.1``): such a module is analysed with them."""
        return False


def has_any(data: bytes, *words: bytes) -> bool:
    return any(w in data for w in words)


def mentions_conv(data: bytes) -> bool:
    return b"conv" in data or b"Conv" in data


# Text that any channels_first layout needs somewhere in the file.
# words a channels-first tensor needs written somewhere: a format, Keras'
# global one, or an op that moves a conv output's channels (tf.transpose, Permute)
CHANNELS_FIRST_WORDS = (
    b"channels_first",
    b"NCHW",
    b"NCW",
    b"NCDHW",
    b"set_image",
    b"dim_ordering",
    b"transpose(",
    b"Permute(",
)


def mentions_channels_first(data: bytes) -> bool:
    return has_any(data, *CHANNELS_FIRST_WORDS)
