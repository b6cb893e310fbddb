"""The interpreter: runs one module's statements and expressions over
abstract values (pytype's "shadow interpreter" idea).

Statements run in order inside each scope; branches merge (a name that
differs between branches becomes unknown, ``None``); loops run once and
merge with the state before them.  What a call does is decided by what is
called: a layer object, a Sequential model, a function or class of the
project (run by the session's ``FunctionCalls``), a project module's
attribute, or a catalog API (``Effects``).  Whatever cannot be known is
``None`` and produces no site, so rules stay silent.
"""

from __future__ import annotations

import ast
import dataclasses

from bnlint.analysis import catalog, constants, dicts, namespaces
from bnlint.analysis.calls import params_of
from bnlint.analysis.classes import Classes
from bnlint.analysis.effects import Effects, apply_layer, thread
from bnlint.analysis.formats import Formats, scope_key, takes_arg_scope
from bnlint.analysis.frame import _OPAQUE, Frame, _int_const, _merge_values, _merge_vars, _target_key
from bnlint.analysis.layout import Layout
from bnlint.analysis.names import dotted
from bnlint.analysis.partials import PARTIALS, Partials
from bnlint.analysis.python_builtins import BUILTINS, any_of
from bnlint.analysis.records import Records
from bnlint.analysis.values import (
    ApiRef,
    ArgScope,
    Bool,
    ClassInfo,
    DictLit,
    Each,
    Float,
    Func,
    Instance,
    Int,
    IntList,
    Layer,
    ModuleRef,
    Moments,
    MovingAverage,
    Namespace,
    NoneConst,
    Param,
    Partial,
    Seq,
    Sequential,
    ShapeDim,
    ShapeOf,
    ShapeSlice,
    Str,
    Tensor,
    agree,
    join_refs,
    same,
)

# Expressions whose value is never a tracked tensor and whose insides run
# later or elsewhere (lambdas, comprehensions).
_OPAQUE_EXPRS = (ast.SetComp, ast.DictComp, ast.GeneratorExp)
_PARAM_METHODS = ("assign", "assign_sub", "assign_add")
_COPIES = catalog.of_effect("copy")
# Keras Model methods that run the model's ``call`` on the data they are given
_RUNS_CALL = ("fit", "evaluate", "predict", "train_on_batch", "test_on_batch", "predict_on_batch", "build")


class Interpreter:
    """One module's interpreter.  Collaborators: ``module`` (the facts of
    the source), ``session`` (sites, function calls and the project's
    other modules), and the ``formats``, ``records``, ``effects``,
    ``classes`` and ``partials`` it builds for this module."""

    def __init__(self, module, session):
        self.module = module
        self.session = session
        self.frame = Frame(module.tree)
        self.formats = Formats(module, self)
        self.records = Records(self)
        self.effects = Effects(self)
        self.classes = Classes(self)
        self.keras_default = session.keras_default(module)
        self.module_done = False  # module-level names are all bound
        self.loaded = False
        self.partials = Partials(self)
        self._lambdas: dict = {}  # lambda node -> its FunctionDef

    # --- running the module ---------------------------------------------------
    def load(self) -> None:
        """Run the module-level statements (what importing it does)."""
        if self.loaded:
            return
        self.loaded = True
        self.exec_block(self.module.tree.body, self.frame)
        self.module_done = True
        # A name some function rebinds with ``global`` has no one value.
        for name in self.module.index.globals_rebound():
            self.frame.vars[name] = None

    def analyse(self) -> None:
        """Load the module, then analyse every function no caller reached."""
        self.load()
        self.session.calls.analyze_pending(self, self.frame)

    def export(self, name: str):
        """The value a module-level name has for importers."""
        return self.frame.vars.get(name)

    def record(self, kind: str, node, value, frame: Frame, **info):
        """A site: ``value`` (a Tensor, a Layout or None) meets ``node``."""
        origin = None
        if isinstance(value, Tensor):
            layout, origin = value.layout, value.origin
        else:
            layout = value if isinstance(value, Layout) else None
        return self.session.sites.add(
            kind, node, layout, frame.via_call, module=self.module, key=frame.key, origin=origin, **info
        )

    # --- statements -------------------------------------------------------------
    def exec_block(self, stmts, frame: Frame) -> None:
        for i, stmt in enumerate(stmts):
            self.exec_stmt(stmt, frame)
            if i + 1 < len(stmts):
                self.records.conv_then_bn(stmt, stmts[i + 1], stmts[i + 2 :], frame)

    def exec_stmt(self, stmt, frame: Frame) -> None:
        t = type(stmt)
        if t is ast.Assign:
            value = self.ev(stmt.value, frame)
            if isinstance(value, Namespace) and value.node is stmt.value and frame is self.frame:
                # ``__C = edict()`` at the top level: trusted if only ever read
                value.trusted = all(isinstance(t, ast.Name) for t in stmt.targets) and namespaces.unchanging(
                    self.module.tree, stmt
                )
            for target in stmt.targets:
                if isinstance(target, ast.Subscript):
                    self._store_item(target, value, stmt.value, frame)
                else:
                    self.bind(target, value, frame)
        elif t is ast.AnnAssign:
            if stmt.value is not None:
                self.bind(stmt.target, self.ev(stmt.value, frame), frame)
        elif t is ast.AugAssign and isinstance(stmt.target, ast.Subscript):
            self.ev(stmt.value, frame)
            self._store_item(stmt.target, None, None, frame)
        elif t is ast.AugAssign:
            left = self.lookup(stmt.target, frame) if _target_key(stmt.target) else None
            if frame.open_loops and isinstance(stmt.op, ast.Add) and isinstance(left, (Seq, Each)):
                # ``layers += [Conv2D(f, 3), BatchNormalization()]`` in a loop
                right = self.ev(stmt.value, frame)
                value = _appended(left, right.items, frame) if isinstance(right, Seq) else None
            else:
                value = self._binop(ast.BinOp(left=stmt.target, op=stmt.op, right=stmt.value), frame)
            self.bind(stmt.target, value, frame)
        elif t is ast.Expr:
            self.ev(stmt.value, frame)
        elif t is ast.Return:
            frame.returns.append(self.ev(stmt.value, frame) if stmt.value else None)
        elif t is ast.If:
            taken = constants.truth(self.ev(stmt.test, frame))
            if taken is None:
                self._branches([stmt.body, stmt.orelse], frame)
            else:  # a flag or format this context knows decides it
                self.exec_block(stmt.body if taken else stmt.orelse, frame)
        elif t in (ast.For, ast.AsyncFor, ast.While):
            self._loop(stmt, frame)
        elif t in (ast.With, ast.AsyncWith):
            self._with(stmt, frame)
        elif t is ast.Try or t.__name__ == "TryStar":
            self.exec_block(stmt.body, frame)
            self._branches([[]] + [h.body for h in stmt.handlers], frame)
            self.exec_block(stmt.orelse, frame)
            self.exec_block(stmt.finalbody, frame)
        elif t in (ast.FunctionDef, ast.AsyncFunctionDef):
            frame.vars[stmt.name] = Func(stmt, env=frame, cls=None, interp=self)
        elif t is ast.ClassDef:
            info = self.classes.define(stmt, frame)
            frame.vars[stmt.name] = info
            frame.classes.append(info)
        elif t is ast.Delete:
            for target in stmt.targets:
                owner = self.lookup(target.value, frame) if isinstance(target, ast.Subscript) else None
                if isinstance(owner, DictLit) and _target_key(target.value):
                    changed = dicts.without(owner, self.ev(target.slice, frame), stmt)
                    self._changed_dict(target.value, owner, changed, frame)
                k = _target_key(target)
                if k:
                    frame.vars[k] = None
        elif t in (ast.Import, ast.ImportFrom):
            self.session.imports.execute(self, stmt, frame)
        elif t.__name__ == "Match":
            self.ev(stmt.subject, frame)
            self._branches([[]] + [c.body for c in stmt.cases], frame)

    def _loop(self, stmt, frame: Frame) -> None:
        iterable = None
        if type(stmt) is ast.While:
            self.ev(stmt.test, frame)
        else:
            iterable = self.ev(stmt.iter, frame)
        items, limit, exact = None, _UNROLL, True
        if isinstance(iterable, IntList):
            items = [Int(v) for v in iterable.values]
        elif isinstance(iterable, Seq) and None not in iterable.items:
            items = list(iterable.items)
        elif isinstance(iterable, Each) and iterable.start is not None:
            # a list a loop filled block by block: the blocks in order, and
            # perhaps no block at all
            items, limit, exact = iterable.in_order(), 2 * _UNROLL, False
        if items and len(items) <= limit and not _jumps(stmt.body):
            # a known, short sequence: each iteration in turn, as Python runs them
            before = None if exact else dict(frame.vars)
            for item in items:
                self.bind(stmt.target, item, frame)
                self.exec_block(stmt.body, frame)
            if before is not None:
                frame.vars = _merge_vars([before, frame.vars])
        else:
            if type(stmt) is not ast.While:
                element = (
                    any_of(iterable.items) if isinstance(iterable, (Seq, Each)) and iterable.items else None
                )
                self.bind(stmt.target, element, frame)
            before = dict(frame.vars)
            frame.open_loops += 1
            try:
                self.exec_block(stmt.body, frame)
            finally:
                frame.open_loops -= 1
            frame.vars = _merge_vars([before, frame.vars])
        self.exec_block(stmt.orelse, frame)

    def _with(self, stmt, frame: Frame) -> None:
        pushed = 0
        for item in stmt.items:
            scopes = self.formats.arg_scope(item.context_expr, frame)
            if scopes is not None:
                frame.arg_scopes.extend(scopes)
                pushed += len(scopes)
            else:
                self.ev(item.context_expr, frame)
            if item.optional_vars is not None:
                # ``with slim.arg_scope(...) as sc``: the scopes in force
                value = ArgScope(self.formats.in_force(frame)) if scopes is not None else None
                self.bind(item.optional_vars, value, frame)
        self.exec_block(stmt.body, frame)
        for _ in range(pushed):
            frame.arg_scopes.pop()

    def _branches(self, bodies, frame: Frame) -> None:
        start = dict(frame.vars)
        results = []
        for body in bodies:
            frame.vars = dict(start)
            self.exec_block(body, frame)
            results.append(frame.vars)
        frame.vars = _merge_vars(results)

    def bind(self, target, value, frame: Frame) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            elts = target.elts
            if isinstance(value, Seq) and len(value.items) == len(elts):
                for t, v in zip(elts, value.items):
                    self.bind(t, v, frame)
            else:
                for t in elts:
                    self.bind(t, value if isinstance(value, Moments) else None, frame)
            return
        if isinstance(target, ast.Starred):
            self.bind(target.value, None, frame)
            return
        key = _target_key(target)
        if key is None:
            if isinstance(target, ast.Attribute):
                owner = self.lookup(target.value, frame)
                if isinstance(owner, Namespace):  # ``__C.MODEL.DATA_FORMAT = "NCHW"``
                    if isinstance(value, Namespace) and value.module is owner.module:
                        value.trusted = owner.trusted  # ``__C.MODEL = edict()``
                    owner.set(target.attr, value)
            return
        if isinstance(value, Moments):
            for site in self.session.sites.at("moments", value.node):
                site.info.setdefault("targets", set()).add(key)
        frame.vars[key] = value
        if key.startswith("self.") and key.count(".") == 1 and frame.cls is not None:
            name = key[5:]
            for attrs in self.classes.attr_stores(frame):
                old = attrs.get(name)
                if isinstance(old, ApiRef) and isinstance(value, ApiRef):
                    attrs[name] = join_refs((old, value))  # one class, chosen if any is
                elif name in attrs and not agree(old, value):
                    attrs[name] = None
                else:
                    attrs[name] = value

    def _store_item(self, target: ast.Subscript, value, value_node, frame: Frame) -> None:
        """``params["data_format"] = df``, ``params[k] += 1`` (no value node)."""
        owner = self.lookup(target.value, frame) if _target_key(target.value) else None
        key = self.ev(target.slice, frame)
        if isinstance(owner, DictLit):
            if value_node is None:
                changed = dicts.with_entry(owner, key, None, target, target)
            else:
                changed = dicts.with_entry(owner, key, value, value_node, target)
            self._changed_dict(target.value, owner, changed, frame)

    def _escaped_dicts(self, callee: Func, node: ast.Call, frame: Frame) -> None:
        """Dicts handed to a project function that stores into its
        parameters hold what it put there: unknown."""
        if not dicts.stores_into_params(callee.node):
            return
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            held = self.lookup(arg, frame) if _target_key(arg) else None
            if isinstance(held, DictLit):
                self._changed_dict(arg, held, dicts.unknown(held, node), frame)

    def _changed_dict(self, target, old: DictLit, new: DictLit, frame: Frame) -> None:
        """The dict ``target`` names was changed in place: it and every
        other local name for the same dict (``p = params``) hold ``new``."""
        self._mutated(target, new, frame)
        for key, value in list(frame.vars.items()):
            if value is old:
                frame.vars[key] = new

    def _mutated(self, target, value, frame: Frame) -> None:
        """The list ``target`` names now holds ``value`` (``append``): the
        same object, so a ``self.`` attribute takes it without conflict."""
        key = _target_key(target)
        frame.vars[key] = value
        if key.startswith("self.") and key.count(".") == 1 and frame.cls is not None:
            for attrs in self.classes.attr_stores(frame):
                attrs[key[5:]] = value

    # --- expressions ---------------------------------------------------------------
    def lookup(self, node, frame: Frame):
        key = _target_key(node)
        if key is None:
            if isinstance(node, ast.Attribute) and isinstance(node.value, (ast.Name, ast.Attribute)):
                owner = self.lookup(node.value, frame)
                if isinstance(owner, ModuleRef):  # ops.bn, config.DATA_FORMAT
                    value = self.session.imports.attribute(owner, node.attr)
                    return self._global_dict(value, node, frame) if isinstance(value, DictLit) else value
                if isinstance(owner, (ClassInfo, Instance)):  # Config.DATA_FORMAT, cfg.data_format
                    return self.classes.attribute(owner, node.attr)
                if isinstance(owner, Namespace):  # cfg.MODEL.DATA_FORMAT
                    return self.classes.namespace_value(owner, node.attr)
            return None
        if frame.has(key):
            return frame.lookup(key)
        if key.startswith("self."):
            inst = frame.lookup("self")
            if isinstance(inst, Instance):
                return inst.attribute(key[5:])
        return None

    def dict_changed(self, node) -> bool:
        """Whether a dict read as ``CFG[...]`` / ``config.CFG`` is stored into
        by this module or another analysed with it (``config.CFG["data_format"]
        = args.df`` in train.py): then its literal is not what it holds."""
        name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)
        if name is None:
            return False
        return any(m.index.changes_dict(name) for m in self.session.analysed_with(self.module))

    def ev(self, node, frame: Frame):
        if node is None:
            return None
        handler = _HANDLERS.get(type(node))
        if handler is not None:
            return handler(self, node, frame)
        if isinstance(node, _OPAQUE_EXPRS):
            return None
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.ev(child, frame)
        return None

    def _ev_name(self, node, frame: Frame):
        value = self.lookup(node, frame)
        if value is None:
            ref = self._api_ref(node)  # a cached lookup: most names are no API
            if ref is not None and not frame.has(node.id):
                return ref
        if isinstance(value, DictLit):
            return self._global_dict(value, node, frame)
        return value

    def _global_dict(self, value: DictLit, node, frame: Frame) -> DictLit:
        """A dict ``node`` reads.  A module's dict read from elsewhere (a
        function, another module) is unknown when code stores into it
        anywhere (``config.BN_PARAMS["data_format"] = df`` in train.py, a
        ``setup()`` function): that may have run first.  The interpreter
        follows what this scope does to its own dicts."""
        if isinstance(node, ast.Name) and node.id in frame.vars:
            return value
        return dicts.unknown(value, node) if self.dict_changed(node) else value

    def _ev_attribute(self, node, frame: Frame):
        if node.attr == "value" and _reads_shape(node.value):
            base = self.ev(node.value, frame)
            if isinstance(base, ShapeDim):
                return base  # ``x.get_shape()[-1].value``: TF1's Dimension
        if node.attr in _SHAPE_ATTRS:
            base = self.ev(node.value, frame)
            if node.attr == "shape" and isinstance(base, Tensor):
                return ShapeOf(base)
            if node.attr in ("ndims", "rank") and isinstance(base, ShapeOf) and base.tensor.layout.rank:
                return Int(base.tensor.layout.rank)
            return None
        if isinstance(node.value, ast.Call):
            self.ev(node.value, frame)
        value = self.lookup(node, frame)
        if value is None:
            ref = self._api_ref(node)
            if ref is not None and _root_untracked(node, frame):
                return ref
        return value

    def _api_ref(self, node):
        """A batch norm or conv API named, not called (``norm =
        layers.BatchNormalization``): the value it is, when the catalog knows it."""
        name = self.module.imports.resolve(node)
        return ApiRef(name) if name in catalog.HELD_AS_VALUES else None

    def _ev_constant(self, node, frame: Frame):
        value = node.value
        if isinstance(value, bool):
            return Bool(value)
        if isinstance(value, str):
            return Str(value)
        if value is None:
            return NoneConst()
        if type(value) is int:
            return Int(value, node, self.module)
        if type(value) is float:
            return Float(value, node, self.module)
        return None

    def _ev_unary(self, node, frame: Frame):
        v = _int_const(node)
        if v is not None:
            return Int(v, node, self.module)
        operand = self.ev(node.operand, frame)
        if isinstance(node.op, ast.Not):
            t = constants.truth(operand)
            return None if t is None else Bool(not t)
        return None

    def _ev_boolop(self, node, frame: Frame):
        """``a and b`` / ``a or b``: the operand Python would return, when
        the truth of those before it is known."""
        is_and = isinstance(node.op, ast.And)
        values = [self.ev(v, frame) for v in node.values]
        for value in values[:-1]:
            t = constants.truth(value)
            if t is None:
                return None
            if t is not is_and:
                return value
        return values[-1]

    def _ev_compare(self, node, frame: Frame):
        left = self.ev(node.left, frame)
        rights = [self.ev(c, frame) for c in node.comparators]
        if len(node.ops) != 1:
            return None
        return constants.compare(node.ops[0], left, rights[0])

    def _ev_sequence(self, node, frame: Frame):
        items = []
        for e in node.elts:
            if isinstance(e, ast.Starred):
                spliced = self.ev(e.value, frame)  # [*conv_bn(32), ...]
                if not isinstance(spliced, Seq):
                    return Seq((None,), node)
                items.extend(spliced.items)
            else:
                items.append(self.ev(e, frame))
        items = tuple(items)
        if items and all(isinstance(i, Int) for i in items):
            return IntList(tuple(i.value for i in items), node, self.module)
        return Seq(items, node)

    def _ev_dict(self, node, frame: Frame):
        parts = []
        for k, v in zip(node.keys, node.values):
            value = self.ev(v, frame)
            if k is None:  # ``{**BN_PARAMS, "is_training": t}``
                parts.append(value if isinstance(value, DictLit) else None)
            elif isinstance(k, ast.Constant) and isinstance(k.value, str):
                parts.append((k.value, value, v))
            else:
                parts.append((None, None, None))
        return dicts.merged(node, parts)

    def _ev_subscript(self, node, frame: Frame):
        """``layers[i]``, ``self.norms[i]``, ``self.parts["bn"]``."""
        base = self.ev(node.value, frame)
        index = self.ev(node.slice, frame)
        if isinstance(base, DictLit) and isinstance(index, Str):
            return None if self.dict_changed(node.value) else dict(base.items).get(index.value)
        if (
            isinstance(base, IntList)
            and isinstance(index, Int)
            and -len(base.values) <= index.value < len(base.values)
        ):
            return Int(base.values[index.value])
        if isinstance(base, Seq) and base.items and not isinstance(node.slice, ast.Slice):
            if isinstance(index, Int):
                n = len(base.items)
                return base.items[index.value] if -n <= index.value < n else None
            return any_of(base.items)
        if isinstance(base, Each) and not isinstance(node.slice, ast.Slice):
            return any_of(base.items)
        if isinstance(base, ShapeOf) and isinstance(node.slice, ast.Slice):
            return ShapeSlice(base.tensor, node)
        if isinstance(base, ShapeOf) and isinstance(index, Int):
            return ShapeDim(base.tensor, index.value)
        return None

    def _ev_ifexp(self, node, frame: Frame):
        taken = constants.truth(self.ev(node.test, frame))
        if taken is not None:
            return self.ev(node.body if taken else node.orelse, frame)
        return _merge_values([self.ev(node.body, frame), self.ev(node.orelse, frame)])

    def _ev_listcomp(self, node, frame: Frame):
        """``[i for i in range(rank) if i != axis]`` over a known sequence."""
        if len(node.generators) != 1 or node.generators[0].is_async:
            return None
        gen = node.generators[0]
        iterable = self.ev(gen.iter, frame)
        if isinstance(iterable, IntList):
            items = [Int(v) for v in iterable.values]
        elif isinstance(iterable, Seq) and None not in iterable.items:
            items = list(iterable.items)
        else:
            return self._ev_listcomp_unknown(node, gen, frame)
        inner = Frame(frame.scope, parent=frame, via_call=frame.via_call, cls=frame.cls)
        out = []
        for item in items:
            self.bind(gen.target, item, inner)
            tests = [constants.truth(self.ev(cond, inner)) for cond in gen.ifs]
            if None in tests:
                return None
            if all(tests):
                out.append(self.ev(node.elt, inner))
        if out and all(isinstance(v, Int) for v in out):
            return IntList(tuple(v.value for v in out), node, self.module)
        return Seq(tuple(out), node)

    def _ev_listcomp_unknown(self, node, gen, frame: Frame):
        """``[Conv2D(w, 3) for w in widths]`` over what cannot be read: layers
        whose layout does not hang on the loop variable are still known, as
        a list of unknown length (numbers, axes, are not)."""
        inner = Frame(frame.scope, parent=frame, via_call=frame.via_call, cls=frame.cls)
        self.bind(gen.target, None, inner)
        value = self.ev(node.elt, inner)
        # its one element repeats in order (a loop appending later does not
        # extend that block: depth -1)
        return Each((value,), 0, -1) if isinstance(value, (Layer, Sequential)) else None

    def _ev_named(self, node, frame: Frame):
        value = self.ev(node.value, frame)
        self.bind(node.target, value, frame)
        return value

    def _binop(self, node: ast.BinOp, frame: Frame):
        left = self.ev(node.left, frame)
        right = self.ev(node.right, frame)
        lt, rt = isinstance(left, Tensor), isinstance(right, Tensor)
        if isinstance(left, Seq) and isinstance(right, Seq) and isinstance(node.op, ast.Add):
            return Seq(left.items + right.items)  # layer lists: conv_bn(32) + conv_bn(64)
        if isinstance(node.op, ast.Add) and (joined := _concat_ordered(left, right)) is not None:
            return joined  # [InputLayer(...)] + blocks a loop filled
        if isinstance(left, IntList) and isinstance(right, IntList) and isinstance(node.op, ast.Add):
            return IntList(left.values + right.values, node, self.module)  # [0] + list(range(2, rank))
        number = constants.arithmetic(node.op, left, right)
        if number is not None:
            return number
        if not (lt or rt):
            return None
        if lt and rt:
            if left.layout != right.layout:
                return None
            return left.keep(left.normalized or right.normalized)
        tensor, other = (left, right) if lt else (right, left)
        if isinstance(node.op, ast.Sub) and lt and isinstance(other, (Moments, Param)):
            return tensor.keep(True)  # x - mean
        if tensor.normalized and isinstance(node.op, (ast.Mult, ast.Add, ast.Div)):
            if isinstance(other, Param):
                other.owner(self).record("param", other.shape, tensor, frame, param=other)
        if (
            isinstance(node.op, ast.Add)
            and tensor.fresh
            and tensor.bias_of is None
            and _channel_bias(tensor, other)
        ):
            # ``tf.nn.conv2d(x, W, ...) + b``: the conv's bias, as tf.nn.bias_add adds it
            side = "plus_right" if lt else "plus_left"
            return Tensor(
                tensor.layout,
                origin=tensor.origin,
                bias_of=(self.module, node, side),
                made_in=frame.run,
            )
        if isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
            return tensor.keep()
        return None

    def call_object(self, obj: Instance, node: ast.Call, args, kws, frame: Frame):
        """``obj(x)`` for an object whose class defines ``__call__`` or a
        Keras ``call``; a Keras layer is built for its input first."""
        build = obj.cls.methods.get("build") if obj.cls.keras_layer else None
        if build is not None and args and isinstance(args[0], Tensor):
            # Keras builds it for this input: ``add_weight(shape=input_shape[1:])``
            self.session.calls.call(build, node, [ShapeOf(args[0])], {}, obj, self, frame)
        return self.session.calls.call(obj.cls.called, node, args, kws, obj, self, frame)

    def _ev_lambda(self, node: ast.Lambda, frame: Frame):
        """A lambda is a one-line function: ``lambda: layers.BatchNormalization(axis=1)``."""
        fn = self._lambdas.get(id(node))
        if fn is None:
            fn = ast.FunctionDef(
                name="<lambda>", args=node.args, body=[ast.Return(node.body)], decorator_list=[]
            )
            ast.copy_location(fn, node)
            ast.copy_location(fn.body[0], node.body)
            fn.end_lineno, fn.end_col_offset = node.end_lineno, node.end_col_offset
            fn.body[0].end_lineno, fn.body[0].end_col_offset = node.body.end_lineno, node.body.end_col_offset
            self._lambdas[id(node)] = fn
        return Func(fn, env=frame, cls=None, interp=self)

    def _scoped_kwargs(self, func: Func, args, kws: dict, frame: Frame) -> dict:
        """``@add_arg_scope def conv_bn(x, data_format="NHWC")`` called under
        ``arg_scope([conv_bn], data_format="NCHW")``: the scope's values for
        the parameters this call leaves out."""
        names = [p for p, _ in params_of(func.node)]
        out = dict(kws)
        for name in names[len(args) :]:
            if name in out:
                continue
            arg = Formats.scoped_arg(frame, scope_key(func), name)
            if arg is not None and arg is not _OPAQUE:
                out[name] = arg.value
        return out

    def _method_call(self, node: ast.Call, func: ast.Attribute, frame: Frame):
        """A method called on a tracked value (``model.add(...)``,
        ``layers.append(...)``, ``x.get_shape()``, ``ema.apply([...])``, ...):
        (handled, its value, the project object whose method it is when
        that object is built right there: ``Net(data_format="NCHW").build(x)``)."""
        owner = self.lookup(func.value, frame)
        attr = func.attr
        if isinstance(owner, Sequential) and attr == "add":
            layer = self.ev(node.args[0], frame) if node.args else None
            if _target_key(func.value):
                self.bind(func.value, thread(self, owner, layer, owner.node, frame, node), frame)
            return True, None, None
        if (
            attr in ("append", "extend")
            and len(node.args) == 1
            and _target_key(func.value)
            and isinstance(owner, (Seq, Each))
        ):
            # a list filled in a loop: see ``_appended``; in order when every
            # iteration is known (``for i in range(2)``, unrolled)
            arg = self.ev(node.args[0], frame)
            items = (arg,) if attr == "append" else arg.items if isinstance(arg, Seq) else None
            self._mutated(func.value, _appended(owner, items, frame) if items is not None else None, frame)
            return True, None, None
        if isinstance(owner, DictLit) and attr == "get" and 1 <= len(node.args) <= 2:
            return True, self._dict_get(owner, func, node, frame), None
        if isinstance(owner, DictLit) and attr == "copy" and not node.args:
            return True, dicts.merged(node, [self._global_dict(owner, func.value, frame)]), None
        if isinstance(owner, DictLit) and attr in dicts.MUTATORS and _target_key(func.value):
            # ``params.update(is_training=t)``: the name holds the changed dict
            args = [None if isinstance(a, ast.Starred) else self.ev(a, frame) for a in node.args]
            kws = {k.arg: self.ev(k.value, frame) for k in node.keywords if k.arg}
            changed, value = dicts.changed_by_method(owner, attr, args, node.args, kws, node)
            self._changed_dict(func.value, owner, changed, frame)
            return True, value, None
        if attr == "assign" and len(node.args) == 1:
            # ``self.moving_mean.assign(self.moving_mean * m + mean * (1 - m))``
            self.effects.written_out_update(node, func.value, node.args[0], frame)
        if isinstance(owner, Param) and attr in _PARAM_METHODS:
            self.records.assign_param(owner, node.args[0] if node.args else None, frame)
        if attr in ("get_shape", "as_list") and not node.args:
            if isinstance(owner, Tensor) and attr == "get_shape":
                return True, ShapeOf(owner), None
            if isinstance(owner, ShapeOf):
                return True, owner, None
            if isinstance(func.value, ast.Call):
                shape = self.ev(func.value, frame)
                return True, (shape if isinstance(shape, ShapeOf) and attr == "as_list" else None), None
        if owner is None and not isinstance(func.value, (ast.Name, ast.Attribute)):
            owner = self.ev(func.value, frame)  # ``EMA(0.1).apply(...)``, ``Net(...).build(x)``
            if isinstance(owner, Instance) and isinstance(owner.attribute(attr), Func):
                return False, None, owner
        if (
            attr in _RUNS_CALL
            and isinstance(owner, Instance)
            and owner.cls.keras_layer
            and owner.cls.called is not None
            and owner.attrs is not None
        ):
            # ``net = Net("channels_first"); net.fit(x, y)``: Keras runs this
            # object's ``call`` on data whose layout the convs inside decide
            self.call_object(owner, node, [None], {}, frame)
            return True, None, None
        if isinstance(owner, MovingAverage) and attr == "apply":
            args = [self.ev(a, frame) for a in node.args if not isinstance(a, ast.Starred)]
            self.effects.apply_moving_average(owner, node, args, frame)
            return True, None, None
        return False, None, None

    def _dict_get(self, owner: DictLit, func: ast.Attribute, node: ast.Call, frame: Frame):
        """``PARAMS.get("data_format", "channels_last")``, as ``PARAMS["data_format"]``."""
        if self.dict_changed(func.value):
            return None
        key = self.ev(node.args[0], frame)
        entries = dict(owner.items)
        if isinstance(key, Str) and key.value in entries:
            return entries[key.value]
        if isinstance(key, Str) and owner.complete and len(node.args) == 2:
            return self.ev(node.args[1], frame)
        return None

    def bound_self(self, callee: Func, func: ast.expr, receiver, frame: Frame):
        """What ``callee``, reached through ``func`` (``self._bn``,
        ``Base.method``, ``super().__init__``), gets for its first
        parameter; None when the call's first argument is it."""
        bound = receiver
        if receiver is None and callee.cls is not None and isinstance(func, ast.Attribute):
            owner = func.value
            if isinstance(owner, ast.Call):  # super().__init__(...)
                owner = ast.Name(id="self", ctx=ast.Load())
            bound = self.lookup(owner, frame)
        return _bound_first(callee, bound)

    def _call_held(self, ref: ApiRef, node: ast.Call, args, kws, frame: Frame):
        """``norm(axis=1)`` for a variable holding a catalog class: that
        class's call.  A class callers choose builds a layer that says so
        (its fix would change what they build too)."""
        func = node.func
        if (
            not ref.chosen
            and isinstance(func, ast.Name)
            and self.session.calls.callers_may_pass(frame.scope, frame.cls, self, func.id)
        ):
            ref = ref.as_chosen()  # ``if norm_layer is None: norm_layer = ...``
        if not ref.chosen:
            return self.effects.apply(ref.name, node, args, kws, frame)
        if catalog.lookup(ref.name).effect != "bn_layer":
            return None  # an op run right here: its sites could not tell
        layer = self.effects.apply(ref.name, node, args, kws, frame)
        return dataclasses.replace(layer, chosen=True) if isinstance(layer, Layer) else layer

    def _call(self, node: ast.Call, frame: Frame):
        func = node.func
        callee = None
        receiver = None  # the object a method is called on, when built right there
        if isinstance(func, (ast.Name, ast.Attribute)):
            callee = self.lookup(func, frame)
            if isinstance(func, ast.Attribute) and callee is None:
                handled, value, receiver = self._method_call(node, func, frame)
                if handled:
                    return value
                if receiver is not None:
                    callee = receiver.attribute(func.attr)
        else:
            callee = self.ev(func, frame)
        args = [None if isinstance(a, ast.Starred) else self.ev(a, frame) for a in node.args]
        kws = {k.arg: self.ev(k.value, frame) for k in node.keywords if k.arg}
        if callee is None and dotted(func) in PARTIALS and node.args and not frame.has(dotted(func)):
            return self.partials.make(node, args, kws, frame)
        if isinstance(callee, Partial):
            return self.partials.call(callee, node, args, kws, frame)
        if isinstance(callee, ApiRef):
            return self._call_held(callee, node, args, kws, frame)
        if isinstance(callee, Layer):
            return apply_layer(self, callee, args[0] if args else kws.get("inputs"), frame, node)
        if isinstance(callee, Each) and all(isinstance(i, Layer) for i in callee.items):
            x = args[0] if args else kws.get("inputs")
            return _merge_values([apply_layer(self, layer, x, frame, node) for layer in callee.items])
        if isinstance(callee, Sequential):
            return Tensor(callee.layout) if callee.layout else None
        if callee is None and self.classes.is_super(func, frame):
            callee = self.classes.super_method(func.attr, frame)
        if isinstance(callee, Func) and callee.interp is not None and takes_arg_scope(callee):
            kws = self._scoped_kwargs(callee, args, kws, frame)
        if isinstance(callee, Func):
            bound_self = self.bound_self(callee, func, receiver, frame)
            result = self.session.calls.call(callee, node, args, kws, bound_self, self, frame)
            if any(isinstance(v, DictLit) for v in args + list(kws.values())):
                self._escaped_dicts(callee, node, frame)
            return result
        if isinstance(callee, Instance) and callee.cls.called is not None:
            # ``self.bn1 = batch_norm(name="bn1")`` ... ``self.bn1(h)``: a
            # helper class (DCGAN's ops.batch_norm) used as a function, or a
            # Keras layer subclass applied to a tensor
            return self.call_object(callee, node, args, kws, frame)
        if isinstance(callee, ClassInfo) and callee.catalog_layer is not None:
            # ``BatchNorm(name="bn1")`` for ``class BatchNorm(KL.BatchNormalization)``
            return self.effects.apply(callee.catalog_layer, node, args, kws, frame)
        if isinstance(callee, ClassInfo) and callee.forwards_to is not None:
            # ``BatchNorm2d(64)`` for a class that builds its catalog base
            # with ``super().__init__(axis=1, ...)``
            layer = self.classes.forwarded(callee, node, args, kws, frame)
            if layer is not None:
                return layer
        if isinstance(callee, ClassInfo):
            if namespaces.empty_class(callee.node) and not node.args and not node.keywords:
                # ``class Options: pass`` ... ``opts = Options(); opts.data_format = "NCHW"``
                return Namespace(node, self.module, trusted=False)
            init = callee.methods.get("__init__")
            if init is None:
                fields = self.classes.fields(callee)
                if fields is not None and (node.args or node.keywords):
                    return self.classes.built_from_fields(callee, fields, node, args, kws, frame)
                return Instance(callee)
            obj = Instance(callee, made=(id(node), frame.key), attrs={})
            self.session.calls.call(init, node, args, kws, obj, self, frame)
            build = callee.methods.get("build") if callee.keras_layer else None
            if build is not None:
                # Keras builds the layer before its first call: the layers
                # ``build`` makes are this object's too
                self.session.calls.call(build, node, [None], {}, obj, self, frame)
            return obj
        if callee is not None:
            return None
        name = self.module.imports.resolve(func)
        if name is None and isinstance(func, ast.Name) and func.id in BUILTINS and not frame.has(func.id):
            return BUILTINS[func.id](args) if not kws else None
        if name is None and isinstance(func, ast.Name) and func.id == "dict" and not frame.has("dict"):
            # dict(padding="same", data_format=DF), dict(BN_PARAMS, is_training=t)
            if len(node.args) > 1 or any(k.arg is None for k in node.keywords):
                return None
            base = [args[0] if isinstance(args[0], DictLit) else None] if node.args else []
            return dicts.merged(node, base + [(k.arg, kws.get(k.arg), k.value) for k in node.keywords])
        if name in _COPIES and len(node.args) == 1 and isinstance(args[0], DictLit):
            return dicts.merged(node, [args[0]])
        if name is None:
            if isinstance(func, ast.Attribute) and func.attr == "add_weight":
                shape = next((k.value for k in node.keywords if k.arg == "shape"), None)
                return self.records.param_shape(node, shape, frame) if shape is not None else None
            return None
        return self.effects.apply(name, node, args, kws, frame)


def _root_untracked(node: ast.Attribute, frame: Frame) -> bool:
    """Whether the name ``node`` starts from holds nothing the interpreter
    tracks (a module alias: ``tf``, ``layers``, ``slim``)."""
    root = node.value
    while isinstance(root, ast.Attribute):
        root = root.value
    return isinstance(root, ast.Name) and frame.lookup(root.id) is None


def _bound_first(method: Func, owner):
    """What a method called on ``owner`` (an object or a class) gets for
    its first parameter, or None when the call's first argument is it."""
    if method.binding == "static":
        return None
    if method.binding == "class":
        return owner.cls if isinstance(owner, Instance) else owner
    if method.binding == "self" and isinstance(owner, ClassInfo):
        return None  # ``Base.method(self, x)``: unbound, the caller passes self
    return owner


_SHAPE_ATTRS = ("shape", "ndims", "rank")


def _appended(owner, items: tuple, frame: Frame):
    """``owner`` (a list) after ``items`` are appended to it: in order when
    no loop with unknown iterations is open; in a loop, the block each
    iteration appends repeats in order (while every append is at one loop
    depth), and what is appended after the loop is its tail; otherwise any
    of them.  A layer not known (None) keeps its place in an ordered list
    of blocks; a written-out list or any-of list holding one is unknown."""
    unknown = None in owner.items + items
    ordered = isinstance(owner, Each) and owner.start is not None
    if not frame.open_loops:
        if isinstance(owner, Seq):
            return None if unknown else Seq(owner.items + items)
        if ordered:  # after the loop: a tail
            end = len(owner.items) if owner.end is None else owner.end
            return Each(owner.items + items, owner.start, owner.depth, end)
    elif isinstance(owner, Seq):
        return Each(owner.items + items, len(owner.items), frame.open_loops)
    elif ordered and owner.depth == frame.open_loops and owner.end is None:
        return Each(owner.items + items, owner.start, owner.depth)
    return None if unknown else _any(owner, items)


def _concat_ordered(left, right) -> Each | None:
    """``[head] + blocks`` or ``blocks + [tail]`` of a written-out list and
    a list a loop filled block by block, still in order; None for others."""
    if isinstance(left, Seq) and isinstance(right, Each) and right.start is not None:
        n = len(left.items)
        end = None if right.end is None else right.end + n
        return Each(left.items + right.items, right.start + n, right.depth, end)
    if isinstance(left, Each) and isinstance(right, Seq) and left.start is not None:
        end = len(left.items) if left.end is None else left.end
        return Each(left.items + right.items, left.start, left.depth, end)
    return None


def _any(owner, items: tuple) -> Each:
    """Any of ``owner``'s items and ``items``, in no known order."""
    new = tuple(i for i in items if not any(same(i, o) for o in owner.items))
    return Each(owner.items + new)


def _reads_shape(node) -> bool:
    """``x.shape[i]`` / ``x.get_shape()[i]`` / ``x.get_shape().as_list()[i]``."""
    if not isinstance(node, ast.Subscript):
        return False
    base = node.value
    if isinstance(base, ast.Call) and isinstance(base.func, ast.Attribute):
        return base.func.attr in ("get_shape", "as_list")
    return isinstance(base, ast.Attribute) and base.attr == "shape"


_UNROLL = 8  # loops over known sequences up to this long run iteration by iteration


def _jumps(body) -> bool:
    """Whether a loop body may leave an iteration early."""
    for stmt in body:
        for n in ast.walk(stmt):
            if isinstance(n, (ast.Break, ast.Continue, ast.Return, ast.Raise)):
                return True
    return False


def _channel_bias(tensor: Tensor, other) -> bool:
    """Whether ``other`` is a variable of one dimension added to a
    channels-last conv output: one value per channel, broadcast over the rest."""
    return (
        tensor.layout.last is True
        and isinstance(other, Param)
        and isinstance(other.shape, (ast.List, ast.Tuple))
        and len(other.shape.elts) == 1
    )


_HANDLERS = {
    ast.Name: Interpreter._ev_name,
    ast.Attribute: Interpreter._ev_attribute,
    ast.Constant: Interpreter._ev_constant,
    ast.UnaryOp: Interpreter._ev_unary,
    ast.List: Interpreter._ev_sequence,
    ast.Tuple: Interpreter._ev_sequence,
    ast.Dict: Interpreter._ev_dict,
    ast.BinOp: Interpreter._binop,
    ast.Call: Interpreter._call,
    ast.IfExp: Interpreter._ev_ifexp,
    ast.BoolOp: Interpreter._ev_boolop,
    ast.Compare: Interpreter._ev_compare,
    ast.ListComp: Interpreter._ev_listcomp,
    ast.Lambda: Interpreter._ev_lambda,
    ast.Subscript: Interpreter._ev_subscript,
    ast.NamedExpr: Interpreter._ev_named,
}
