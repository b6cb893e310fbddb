"""The per-channel property (see shared/GUIDE.md): in training mode, in every
channel, the batch norm output is one affine function of its input (the
same scale and shift at every position), with mean ~0 and variance ~1 over
the non-channel axes.  Per-activation and wrong-axis batch norm fail the
affine test; normalizing over the channels too fails the moments test."""

from __future__ import annotations

import numpy as np

AFFINE_TOL = 1e-3
MEAN_TOL = 0.05
VAR_TOL = 0.1


def per_channel(x, y, axis: int) -> tuple[bool, str]:
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        return False, f"shape changed: {x.shape} -> {y.shape}"
    x = np.moveaxis(x, axis, -1)
    y = np.moveaxis(y, axis, -1)
    channels = x.shape[-1]
    xs, ys = x.reshape(-1, channels), y.reshape(-1, channels)
    for c in range(channels):
        a = np.stack([xs[:, c], np.ones(len(xs))], axis=1)
        coef, *_ = np.linalg.lstsq(a, ys[:, c], rcond=None)
        resid = np.linalg.norm(ys[:, c] - a @ coef) / (np.linalg.norm(ys[:, c] - ys[:, c].mean()) + 1e-12)
        if resid > AFFINE_TOL:
            return False, f"channel {c}: not one affine map of its input (residual {resid:.3g})"
        mean, var = ys[:, c].mean(), ys[:, c].var()
        if abs(mean) > MEAN_TOL:
            return False, f"channel {c}: mean {mean:.3g}, not ~0"
        if abs(var - 1) > VAR_TOL:
            return False, f"channel {c}: variance {var:.3g}, not ~1"
    return True, "per channel"


def params_ok(shapes, channels: int) -> tuple[bool, str]:
    """Every parameter holds one value per channel."""
    for s in shapes:
        s = [int(d) for d in s]
        if int(np.prod(s)) != channels:
            return False, f"parameter of shape {s} is not one value per channel ({channels})"
    return True, "parameters per channel"


MOVED_TOL = 1e-3


def moving_statistics_move(moving) -> tuple[bool, str]:
    """After a few training steps on data with a non-zero mean, the moving
    mean has left its initial zeros (the update ops ran)."""
    moving = np.asarray(moving, dtype=np.float64)
    if moving.size == 0:
        return False, "the probe found no moving mean"
    if np.max(np.abs(moving)) <= MOVED_TOL:
        return False, "the moving mean never left 0: the batch norm updates did not run"
    return True, "moving statistics updated"


def moving_average_weight(fraction: float) -> tuple[bool, str]:
    """After one step towards data of known mean, the moving mean moved by
    ``1 - momentum`` of the way: under one half for a TF momentum, most of
    the way for a PyTorch-style one."""
    if fraction >= 0.5:
        return (
            False,
            f"the moving mean moved {fraction:.2f} of the way in one step: it follows the last batch",
        )
    return True, f"the moving mean moved {fraction:.2f} of the way in one step"


def judge(result: dict) -> tuple[bool, str]:
    """Apply the oracle to what a probe returned."""
    if "moving" in result:
        return moving_statistics_move(result["moving"])
    if "moved_fraction" in result:
        return moving_average_weight(float(result["moved_fraction"]))
    pairs = result["pairs"] if "pairs" in result else [(result["x"], result["y"])]
    if not pairs:
        return False, "the probe found no batch norm"
    axis = result["axis"]
    for x, y in pairs:
        ok, why = per_channel(x, y, axis)
        if not ok:
            return ok, why
        channels = np.asarray(x).shape[axis]
        ok, why = params_ok(result.get("params", []), channels)
        if not ok:
            return ok, why
    return True, "per channel"
