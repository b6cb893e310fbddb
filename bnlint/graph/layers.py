"""Keras layer objects applied to tensors, and Sequential models."""

from __future__ import annotations

from bnlint.graph.frame import (
    Frame,
)
from bnlint.analysis.values import (
    Layer,
    Seq,
    Sequential,
    Tensor,
)


class Layers:
    def apply_layer(self, layer: Layer, x, frame: Frame):
        if layer.kind == "conv":
            return Tensor(layer.layout)
        if layer.kind == "bn":
            self._bn_axis_site(layer.node, x, frame)
            return Tensor(x.layout) if isinstance(x, Tensor) else None
        if layer.kind == "preserve":
            if isinstance(x, Seq):
                return self._merge_tensors(x.items)
            return Tensor(x.layout) if isinstance(x, Tensor) else None
        if layer.kind == "formatted":
            if isinstance(x, Tensor) and layer.fmt is not None and layer.fmt.last == x.layout.last:
                return Tensor(x.layout)
            return None
        if layer.kind == "td":
            inner_in = None
            if isinstance(x, Tensor):
                inner_layout = x.layout.drop_time()
                inner_in = Tensor(inner_layout) if inner_layout else None
            out = self.apply_layer(layer.inner, inner_in, frame)
            return Tensor(out.layout.add_time()) if isinstance(out, Tensor) else None
        return None

    def _thread(self, layout, layer, node, frame: Frame) -> Sequential:
        """Append a layer to a Sequential model whose output is ``layout``."""
        if not isinstance(layer, Layer):
            return Sequential(node, None)
        out = self.apply_layer(layer, Tensor(layout) if layout else None, frame)
        return Sequential(node, out.layout if isinstance(out, Tensor) else None)

    def _merge_tensors(self, items):
        tensors = [i for i in items if isinstance(i, Tensor)]
        if not tensors:
            return None
        layouts = {t.layout for t in tensors}
        return Tensor(tensors[0].layout) if len(layouts) == 1 else None
