"""Abstract values the layout graph tracks for expressions.

``None`` stands for "not tracked": not a conv output, or a layout that
cannot be known statically.  Unknown is silent.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from bnlint.analysis import catalog
from bnlint.analysis.index import statements_in
from bnlint.analysis.layout import Layout


@dataclass(frozen=True)
class Tensor:
    """A tensor derived from a conv output without changing its layout."""

    layout: Layout
    # (x - mean) or derived from it: a product/sum with it involves
    # batch norm parameters.
    normalized: bool = False
    # where the conv that produced it is: (ModuleFacts, node); informational
    origin: tuple | None = field(default=None, compare=False, hash=False)
    # a conv's output itself, nothing done to it yet
    fresh: bool = field(default=False, compare=False, hash=False)
    # ... with a bias added: (ModuleFacts, the call that adds it, how:
    # "use_bias" | "bias" (Keras 1) | "slim" | "bias_add" | "plus_right" / "plus_left"
    # (``conv + b`` / ``b + conv``, the call being that addition)
    bias_of: tuple | None = field(default=None, compare=False, hash=False)
    # the run that produced it (``Frame.run``): a bias is redundant only
    # where that run hands it on to the batch norm, not where it returns it
    made_in: tuple | None = field(default=None, compare=False, hash=False)
    # its format is Keras' global image_data_format (no data_format given)
    keras_default: bool = field(default=False, compare=False, hash=False)

    def keep(self, normalized: bool | None = None) -> Tensor:
        """The same layout (and origin) after a layout-preserving op."""
        return Tensor(
            self.layout,
            self.normalized if normalized is None else normalized,
            self.origin,
            keras_default=self.keras_default,
        )


@dataclass(frozen=True)
class Str:
    value: str


@dataclass(frozen=True)
class NoneConst:
    pass


@dataclass(frozen=True)
class Bool:
    """``True`` / ``False``, or a test whose outcome is known (a flag a
    caller passes, a format compared with a string)."""

    value: bool


@dataclass(frozen=True)
class Int:
    value: int
    # the literal it came from, and its module: a constant a caller passes
    # into a helper is fixed where it is written
    node: ast.expr | None = field(default=None, compare=False, hash=False)
    module: object = field(default=None, compare=False, hash=False)
    passed: bool = field(default=False, compare=False, hash=False)  # a caller's argument


@dataclass(frozen=True)
class Float:
    """A float literal (a batch norm's momentum), with where it is written
    (as ``Int``): a constant is reported where its value is spelled."""

    value: float
    node: ast.expr | None = field(default=None, compare=False, hash=False)
    module: object = field(default=None, compare=False, hash=False)
    passed: bool = field(default=False, compare=False, hash=False)  # a caller's argument


@dataclass(frozen=True)
class IntList:
    """A literal list/tuple of ints, e.g. moments axes."""

    values: tuple[int, ...]
    node: ast.expr = field(compare=False, hash=False)
    module: object = field(default=None, compare=False, hash=False)
    passed: bool = field(default=False, compare=False, hash=False)  # a caller's argument


@dataclass(frozen=True)
class Layer:
    """A Keras/tf.layers layer object, or a TimeDistributed wrapper.

    kind: 'conv' (layout = output layout), 'bn' (node = the constructor),
    'preserve', 'formatted' (layout kept when formats agree), 'td'
    (inner = the wrapped layer), 'permute' (``perm``).
    """

    kind: str
    node: ast.Call
    layout: Layout | None = None
    fmt: Layout | None = None
    inner: Layer | None = None
    bias: tuple | None = field(default=None, compare=False, hash=False)  # a conv's, as Tensor.bias_of
    keras_default: bool = field(default=False, compare=False, hash=False)  # format from image_data_format
    # the interpreter of the module whose code built it, and the frame it was
    # built in: a layer applied in another module is still that module's code
    interp: object = field(default=None, compare=False, hash=False)
    env: object = field(default=None, compare=False, hash=False)
    api: str | None = field(default=None, compare=False, hash=False)  # the catalog class built
    perm: tuple | None = None  # 'permute': the axes' new order, batch axis included
    # built from a class callers choose (an ApiRef's ``chosen``)
    chosen: bool = field(default=False, compare=False, hash=False)


@dataclass(frozen=True)
class KerasInput:
    """``keras.Input(...)`` / ``InputLayer``: the start of a model, which
    a Sequential model's layer list may begin with."""


@dataclass(frozen=True)
class Sequential:
    """A Keras Sequential model being built; ``layout`` is its output."""

    node: ast.AST
    layout: Layout | None
    last: Tensor | None = field(default=None, compare=False, hash=False)  # the output, as tracked


@dataclass(frozen=True)
class ShapeOf:
    """``x.shape`` / ``x.get_shape()`` (``.as_list()``) of a tracked tensor."""

    tensor: Tensor


@dataclass(frozen=True)
class ShapeDim:
    """``x.get_shape()[-1]`` (``int(...)``, ``.value``): one dimension of a
    tracked tensor's shape, the channel count only at its channel axis."""

    tensor: Tensor
    index: int


@dataclass(frozen=True)
class ShapeSlice:
    """``x.get_shape()[1:]`` and the like, kept in a variable: a shape
    read off a tracked tensor (``node`` is the subscript)."""

    tensor: Tensor
    node: ast.Subscript = field(compare=False, hash=False)


@dataclass(frozen=True)
class Param:
    """A variable created with a readable literal or dynamic shape."""

    node: ast.Call
    shape: ast.expr  # the shape expression to check / rewrite
    dynamic_of: Tensor | None = None  # x.shape[1:] style: shape of this tensor
    # ``[x.get_shape()[-1]]``: the one dimension a one-element shape reads
    lone_dim: ShapeDim | None = field(default=None, compare=False, hash=False)
    interp: object = field(default=None, compare=False, hash=False)  # whose code created it

    def owner(self, default):
        """The interpreter a site about this parameter belongs to."""
        return self.interp if self.interp is not None else default


@dataclass(frozen=True)
class Moments:
    """The (mean, variance) pair from tf.nn.moments."""

    node: ast.Call
    tensor: Tensor | None


@dataclass(frozen=True)
class MovingAverage:
    """``tf.train.ExponentialMovingAverage(decay)``: its ``apply`` of a
    moments' output makes the decay a batch norm momentum."""

    api: object
    call: ast.Call
    decay_node: ast.expr | None
    decay: object  # its value


@dataclass(frozen=True)
class Func:
    """A function defined in the module (or nested)."""

    node: ast.FunctionDef | ast.AsyncFunctionDef
    env: object = field(default=None, compare=False, hash=False)
    cls: ClassInfo | None = None
    # the interpreter of the module that defines it: its body runs there
    interp: object = field(default=None, compare=False, hash=False)
    # an inherited method: the class whose body defines it (``cls`` is the
    # subclass whose instances run it)
    home: object = field(default=None, compare=False, hash=False)

    @property
    def defining_class(self):
        return self.home if self.home is not None else self.cls

    @property
    def binding(self) -> str | None:
        """What a method's first parameter receives: "self" (the object),
        "class" (a ``@classmethod``'s class), "static" (nothing: a
        ``@staticmethod``); None for a function."""
        if self.cls is None:
            return None
        for d in self.node.decorator_list:
            if isinstance(d, ast.Name) and d.id in _BINDINGS:
                return _BINDINGS[d.id]
        return "self"


_BINDINGS = {"staticmethod": "static", "classmethod": "class"}


@dataclass(frozen=True)
class DictLit:
    node: ast.expr  # ast.Dict or a dict(...) call
    items: tuple = field(default=(), compare=False, hash=False)  # (str key, value) pairs
    # every key is a string written out (no ``**other``, no computed key)
    complete: bool = field(default=False, compare=False, hash=False)
    nodes: tuple = field(default=(), compare=False, hash=False)  # (str key, value node) pairs
    # the statements that changed it since it was built (``params[k] = v``):
    # a dict changed in one branch only is not the dict of the other
    changes: tuple = ()
    # the dicts it copies or spreads, as they were (``dict(params)``)
    built_from: tuple = ()

    def entry(self, key: str):
        """(value node, value) of ``key``; (None, None) when it has none."""
        for (k, value), (_, node) in zip(self.items, self.nodes):
            if k == key:
                return node, value
        return None, None


@dataclass(eq=False)
class Namespace:
    """An attribute-dict config object built at a module's top level
    (``__C = edict()``, ``__C.MODEL = edict()``, ``__C.MODEL.DATA_FORMAT =
    "NCHW"``): the values its module assigns to its attributes.  One object,
    shared by every name bound to it (``cfg = __C``).  ``trusted`` is False
    when the module may change it at run time (it is merged from a file,
    passed to a function, ...): then it holds nothing."""

    node: ast.expr
    module: object = None  # the ModuleFacts that builds it
    trusted: bool = True
    entries: dict = field(default_factory=dict)  # attribute -> value (None: ambiguous)

    def get(self, name: str):
        return self.entries.get(name) if self.trusted else None

    def set(self, name: str, value) -> None:
        """A second, different assignment makes the attribute ambiguous."""
        self.entries[name] = None if name in self.entries and not same(self.entries[name], value) else value


def _self_stores(fn: ast.FunctionDef) -> frozenset:
    """The attributes ``fn`` assigns on its first parameter, kept on the
    node: a library's base class methods are inherited by hundreds of
    classes."""
    found = getattr(fn, "bnlint_self_stores", None)
    if found is None:
        args = fn.args.posonlyargs + fn.args.args
        me = args[0].arg if args else None
        stores = set()
        for n in statements_in(fn.body):
            targets = n.targets if isinstance(n, ast.Assign) else [getattr(n, "target", None)]
            for t in targets:
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == me:
                    stores.add(t.attr)
        found = fn.bnlint_self_stores = frozenset(stores)
    return found


@dataclass(eq=False)
class ClassInfo:
    node: ast.ClassDef
    interp: object = None
    attrs: dict = field(default_factory=dict)  # name -> value (None: ambiguous)
    methods: dict = field(default_factory=dict)
    # what calling an instance runs: ``__call__``, or a Keras layer's ``call``
    called: object = None
    bases: tuple = ()  # the project's classes it subclasses, in order
    class_vars: dict = field(default_factory=dict)  # ``data_format = "channels_first"`` in its body
    keras_layer: bool = False  # a Keras Layer or Model, directly or through its bases
    # ``class BatchNorm(KL.BatchNormalization)`` that keeps the base's
    # constructor: the catalog layer it is (its canonical name)
    catalog_layer: str | None = None
    # ``class BatchNorm2d(layers.BatchNormalization)`` whose ``__init__``
    # hands its arguments on with ``super().__init__(axis=1, ...)``: that
    # catalog layer, built by that call
    forwards_to: str | None = None
    # the catalog layer the class behaves as, whatever a call passes: it
    # renames it, or hands its ``**kwargs`` on and sets nothing a rule reads
    stands_for: str | None = None
    _stored: set | None = field(default=None, repr=False)  # the attributes its methods assign on self

    def attr(self, name: str, default=None):
        """``self.name`` as this class's code, or its bases', sets it."""
        return self._nearest("attrs", name, default)

    def class_var(self, name: str, default=None):
        """``Cls.name``: a constant its body, or a base's, assigns."""
        return self._nearest("class_vars", name, default)

    def stores_self(self, name: str) -> bool:
        """Whether a method of this class, or one it inherits, assigns
        ``self.name`` (a ``__post_init__``, a setter): then the class
        body's value may not be an object's."""
        if self._stored is None:
            # ``methods`` holds the inherited ones too: each is read once per run
            self._stored = set().union(*(_self_stores(m.node) for m in self.methods.values()))
        return name in self._stored

    def class_var_names(self) -> set[str]:
        """The constants this class's body, or a base's, assigns."""
        out = set(self.class_vars)
        for base in self.bases:
            out |= base.class_var_names()
        return out

    def _nearest(self, table: str, name: str, default):
        """``name`` in this class's ``table``, else its bases' (depth first)."""
        own = getattr(self, table)
        if name in own:
            return own[name]
        for base in self.bases:
            value = base._nearest(table, name, _UNSET)
            if value is not _UNSET:
                return value
        return default

    def inherited(self, name: str, home=None):
        """The method ``name`` as the bases define it, bound to this class;
        ``home``: as ``super()`` in a method ``home`` defines finds it (its
        bases, depth first: the MRO of single inheritance)."""
        for base in (home or self).bases:
            method = base.methods.get(name)
            if method is not None:
                return Func(method.node, method.env, self, method.interp, method.defining_class)
        return None


@dataclass(frozen=True)
class Instance:
    """An object of a project class: one built at a known construction
    (``made``: that call in its context) has the attributes its own
    ``__init__`` gave it; the class-wide one (``made`` None) those every
    construction agrees on."""

    cls: ClassInfo
    made: object = None
    attrs: dict | None = field(default=None, compare=False, hash=False)

    def attribute(self, name: str):
        if self.attrs is not None and name in self.attrs:
            return self.attrs[name]
        value = self.cls.attr(name, _UNSET)
        if value is _UNSET:
            if self.cls.stores_self(name):
                return None  # set by a method this object may have run
            value = self.cls.class_var(name, _UNSET)
        return self.cls.methods.get(name) if value is _UNSET else value


_UNSET = object()


@dataclass(frozen=True)
class Seq:
    """A literal list/tuple of tracked values (e.g. ``Add()([a, b])``)."""

    items: tuple
    node: ast.expr | None = field(default=None, compare=False, hash=False)


@dataclass(frozen=True)
class Partial:
    """``functools.partial(target, *args, **kws)``: ``target`` is a catalog
    API's canonical name or a project function; the values bound."""

    target: object
    call: ast.Call = field(compare=False, hash=False)
    args: tuple = ()
    kws: tuple = ()  # (name, value) pairs
    # where it was made: its call's names are looked up there
    interp: object = field(default=None, compare=False, hash=False)
    env: object = field(default=None, compare=False, hash=False)


@dataclass(frozen=True)
class ScopedArg:
    """A keyword an ``arg_scope`` gives its ops: where it is written, its
    value there, and the canonical API it names (for ``normalizer_fn``)."""

    node: ast.expr = field(compare=False, hash=False)
    value: object = field(compare=False, hash=False)
    name: str | None = None
    module: object = field(default=None, compare=False, hash=False)
    scope_call: ast.Call | None = field(default=None, compare=False, hash=False)  # the arg_scope(...)


@dataclass(frozen=True)
class Scope:
    """One ``slim.arg_scope(ops, **kwargs)``."""

    ops: frozenset
    kws: tuple  # (keyword, ScopedArg) pairs
    node: ast.Call = field(compare=False, hash=False)

    def get(self, kw: str):
        return dict(self.kws).get(kw)


@dataclass(frozen=True)
class ArgScope:
    """The scope ``with slim.arg_scope(...) as sc`` yields (every scope in
    force), as a function returns it for ``with slim.arg_scope(fn()):``."""

    scopes: tuple


@dataclass(frozen=True)
class ApiRef:
    """A catalog class or function held as a value, not called where it is
    named: ``norm = tf.keras.layers.BatchNormalization`` then ``norm(axis=1)``,
    ``def conv_bn(x, norm_layer=BatchNormalization)``, ``self._norm =
    SyncBatchNormalization if sync else BatchNormalization``."""

    name: str  # its canonical name
    # a caller may pass another class for it (a parameter a caller passes,
    # or whose default some caller overrides): a fix at the call it builds
    # would change what those callers build too
    chosen: bool = False

    def as_chosen(self) -> ApiRef:
        return self if self.chosen else ApiRef(self.name, True)


@dataclass(frozen=True)
class ModuleRef:
    """A project module bound by ``import ops`` / ``from . import ops``."""

    interp: object = field(compare=False, hash=False)
    path: str = ""


@dataclass(frozen=True)
class Each:
    """A collection of unknown length whose elements are among ``items``
    (``[BatchNormalization(axis=1) for _ in range(n)]``, a list filled by
    ``append`` in a loop): any element, when indexed or iterated.

    ``start``: a list a loop appends to in order, one block per iteration
    (``for f in filters: body.append(Conv2D(f, 3)); body.append(BN())``): the
    items before ``start`` came first, the rest repeat in order, any number
    of times, and those from ``end`` on were appended after the loop;
    None when the order is not known.  ``depth``: how many loops were open
    when the block was appended."""

    items: tuple
    start: int | None = None
    depth: int = 0
    end: int | None = None

    def in_order(self) -> list | None:
        """The items as a loop over the list meets them, with the block
        twice (its last item feeds its first); None when the order is not
        known."""
        if self.start is None:
            return None
        end = len(self.items) if self.end is None else self.end
        block = list(self.items[self.start : end])
        return list(self.items[: self.start]) + 2 * block + list(self.items[end:])


def join_refs(refs) -> ApiRef | None:
    """One class held in several branches or objects
    (``SyncBatchNormalization if sync else BatchNormalization``): the first,
    when every one is a row of one signature and effect; chosen by callers
    when any is."""
    if not catalog.interchangeable([r.name for r in refs]):
        return None
    return ApiRef(refs[0].name, any(r.chosen for r in refs))


def same(a, b) -> bool:
    return a is b or (a is not None and a == b)


def agree(a, b, depth: int = 0) -> bool:
    """Whether a class-wide attribute holding ``a`` and then ``b`` still
    holds one thing: the same value, or objects built by the same
    construction (run in two contexts: ``Net.__init__`` standalone and for
    ``net = Net()``) whose attributes agree."""
    if same(a, b):
        return True
    if depth > 3:
        return False
    if isinstance(a, Seq) and isinstance(b, Seq):
        return len(a.items) == len(b.items) and all(agree(x, y, depth + 1) for x, y in zip(a.items, b.items))
    if isinstance(a, ApiRef) and isinstance(b, ApiRef):
        return join_refs((a, b)) is not None
    if not (isinstance(a, Instance) and isinstance(b, Instance)) or a.cls is not b.cls:
        return False
    if not (a.made and b.made and a.made[0] == b.made[0]) or a.attrs is None or b.attrs is None:
        return False
    return a.attrs.keys() == b.attrs.keys() and all(agree(a.attrs[k], b.attrs[k], depth + 1) for k in a.attrs)
