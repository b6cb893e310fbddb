"""Tensor layouts: rank and where the channel axis is."""

from __future__ import annotations

from dataclasses import dataclass

_LAST = {"NWC": 3, "NHWC": 4, "NDHWC": 5, "channels_last": None}
_FIRST = {"NCW": 3, "NCHW": 4, "NCDHW": 5, "channels_first": None}


@dataclass(frozen=True)
class Layout:
    """Layout of a conv output.

    ``rank`` may be None when only the side of the channel axis is known
    (``tf.nn.convolution`` without a format).  ``lead`` is the number of
    leading non-spatial axes: 1 (batch), or 2 under ``TimeDistributed``;
    it is where a channels_first tensor keeps its channels.
    """

    rank: int | None
    last: bool
    lead: int = 1

    @property
    def channel_axis(self) -> int | None:
        """Non-negative index of the channel axis, None if unknowable."""
        if not self.last:
            return self.lead
        return None if self.rank is None else self.rank - 1

    @property
    def idiomatic_axis(self) -> int:
        """How users spell this layout's channel axis: -1 or 1."""
        return -1 if self.last else self.lead

    def reduce_axes(self) -> list[int] | None:
        """Per-channel moments axes: every axis but the channel axis."""
        if self.rank is None:
            return None
        c = self.channel_axis
        return [a for a in range(self.rank) if a != c]

    def axis_is_channel(self, axis: int) -> bool | None:
        """Whether ``axis`` names the channel axis; None if unknowable."""
        if self.rank is not None:
            if not -self.rank <= axis < self.rank:
                return False
            return axis % self.rank == self.channel_axis
        # Conv outputs have rank >= 3, which settles some cases.
        if self.last:
            if axis == -1:
                return True
            if axis in (0, 1) or axis == -2:
                return False
            return None
        if axis == self.lead:
            return True
        if axis in (0, -1) or (axis >= 0 and axis != self.lead and axis < 2):
            return False
        return None

    def format_name(self, style: str = "tf") -> str:
        """The data_format string for this layout: 'NHWC', 'NCDHW', ..."""
        if style == "keras":
            return "channels_last" if self.last else "channels_first"
        spatial = {3: "W", 4: "HW", 5: "DHW"}.get(self.rank or 4, "HW")
        return "N" + (spatial + "C" if self.last else "C" + spatial)

    def describe(self) -> str:
        if self.rank is None:
            return "channels_last" if self.last else "channels_first"
        if self.lead > 1:
            inner = Layout(self.rank - self.lead + 1, self.last)
            return f"time-distributed {inner.format_name()}"
        return self.format_name()

    def drop_time(self) -> Layout | None:
        """Inner layout seen by a TimeDistributed layer."""
        if self.lead < 2:
            return None
        return Layout(None if self.rank is None else self.rank - 1, self.last, self.lead - 1)

    def add_time(self) -> Layout:
        return Layout(None if self.rank is None else self.rank + 1, self.last, self.lead + 1)


def parse_format(value: str, rank: int | None) -> Layout | None:
    """Layout from a data_format string; None if the string is not one."""
    # The op's own rank wins: tf.nn.conv1d also accepts 'NHWC' for NWC.
    if value in _LAST:
        return Layout(rank or _LAST[value], True)
    if value in _FIRST:
        return Layout(rank or _FIRST[value], False)
    return None


def is_format_string(value: object) -> bool:
    return isinstance(value, str) and (value in _LAST or value in _FIRST)
