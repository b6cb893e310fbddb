"""The layout graph: follows every conv output, with its layout, through a
module to the batch norms, moments and parameters that consume it.

It is an abstract interpreter over ``ast``: statements run in order inside
each scope, branches merge (a name that differs between branches becomes
unknown), helper functions are analysed once per distinct set of argument
values their callers pass, and layer objects are followed through
variables, ``self.`` attributes and ``Sequential`` models.  Whatever it
cannot know becomes ``None`` and produces no site, so rules stay silent.
"""

from __future__ import annotations

import ast

from bnlint.graph.apis import Apis
from bnlint.graph.expressions import Expressions
from bnlint.graph.formats import Formats
from bnlint.graph.frame import Frame
from bnlint.graph.functions import Functions
from bnlint.graph.layers import Layers
from bnlint.graph.prescan import Prescan
from bnlint.graph.recorders import Recorders
from bnlint.graph.statements import Statements
from bnlint.analysis.index import ModuleIndex
from bnlint.analysis.names import Imports
from bnlint.analysis.sites import Sites

__all__ = ["Graph"]


class Graph(Prescan, Functions, Statements, Expressions, Apis, Layers, Formats, Recorders):
    def __init__(
        self,
        tree: ast.Module,
        imports: Imports | None = None,
        index: ModuleIndex | None = None,
        skip_unrelated: bool = True,
    ):
        self.tree = tree
        # skip functions whose text cannot lead to a site (a speed-up; the
        # tests check that findings are the same without it)
        self.skip_unrelated = skip_unrelated
        self._related = None
        self._module_done = False
        self.index = index or ModuleIndex(tree)
        self.imports = imports or Imports(tree, self.index.imports)
        self.sites = Sites()
        self.memo: dict = {}
        self.stack: list = []
        self.analyzed: set[int] = set()
        self.module = Frame(tree)
        self.keras_default = self._keras_default()
        self._call_args: dict | None = None
