"""Runs fixtures' probe() in TensorFlow, one process per mode, importing
TensorFlow once: ``python worker.py eager|graph`` reads a JSON list of file
paths on stdin and writes one JSON verdict per path on stdout.

graph mode is TF1 style: legacy Keras (TF_USE_LEGACY_KERAS=1), graph
execution, tf_slim standing in for tf.contrib.layers / tf.contrib.slim, and
``tf.<v1 name>`` resolving to ``tf.compat.v1.<name>``."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import pkgutil
import sys
import traceback
import types

MODE = sys.argv[1]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
if MODE == "graph":
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")


def _graph_mode_shims() -> None:
    legacy = importlib.import_module("tf_keras.src.legacy_tf_layers")
    sys.modules["tf_keras.legacy_tf_layers"] = legacy
    for m in pkgutil.iter_modules(legacy.__path__):
        sys.modules[f"tf_keras.legacy_tf_layers.{m.name}"] = importlib.import_module(
            f"tf_keras.src.legacy_tf_layers.{m.name}"
        )
    import tf_slim

    contrib = types.ModuleType("tensorflow.contrib")
    contrib.layers = tf_slim
    contrib.slim = tf_slim
    contrib.framework = tf_slim
    sys.modules["tensorflow.contrib"] = contrib
    sys.modules["tensorflow.contrib.layers"] = tf_slim
    sys.modules["tensorflow.contrib.slim"] = tf_slim
    v1 = tf.compat.v1
    for name in dir(v1):
        if not name.startswith("_") and name not in ("nn", "layers", "keras"):
            if not hasattr(tf, name):
                setattr(tf, name, getattr(v1, name))
    tf.nn = v1.nn
    tf.layers = v1.layers
    tf.train = v1.train
    tf.contrib = contrib
    tf.compat.v1.disable_eager_execution()


if MODE == "graph":
    _graph_mode_shims()

from oracle import judge  # noqa: E402


def run(item) -> dict:
    """``item``: a fixture's path, or {"path", "sys_path", "root"} for a
    module of a project fixture, run with its project importable."""
    if isinstance(item, str):
        return _run(item)
    sys.path[:0] = item["sys_path"]
    try:
        return _run(item["path"], item.get("module"))
    finally:
        del sys.path[: len(item["sys_path"])]
        root = os.path.realpath(item["root"])
        for name, module in list(sys.modules.items()):
            file = getattr(module, "__file__", None)
            if file and os.path.realpath(file).startswith(root + os.sep):
                del sys.modules[name]


def _run(path: str, module_name: str | None = None) -> dict:
    name = module_name or "fixture_" + str(abs(hash(path)))
    if MODE == "graph":
        tf.compat.v1.reset_default_graph()
    else:
        import keras

        keras.backend.clear_session()
        keras.config.set_image_data_format("channels_last")
    tf.random.set_seed(0)
    np.random.seed(0)
    try:
        if module_name:  # a module of a package: its relative imports need it
            module = importlib.import_module(module_name)
        else:
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        result = module.probe()
    except Exception as exc:
        return {
            "path": path,
            "ran": False,
            "ok": False,
            "why": f"{type(exc).__name__}: {exc}",
            "trace": traceback.format_exc(limit=3),
        }
    try:
        ok, why = judge(result)
    except Exception as exc:
        return {
            "path": path,
            "ran": True,
            "ok": False,
            "why": f"bad probe result: {type(exc).__name__}: {exc}",
        }
    verdict = {"path": path, "ran": True, "ok": ok, "why": why}
    if "output" in result:  # compared between the original and the fixed code
        verdict["output"] = np.asarray(result["output"], dtype=float).tolist()
    return verdict


if __name__ == "__main__":
    paths = json.load(sys.stdin)
    out = [run(p) for p in paths]
    sys.stdout.write(json.dumps(out))
