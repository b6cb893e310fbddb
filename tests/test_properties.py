"""Property-based tests: model code generated in many styles (layouts,
import aliases, helpers, formatting, comments) never crashes bnlint, its
fixes parse, remove every finding, and are idempotent; code without convs
and batch norms is never changed."""

from __future__ import annotations

import ast

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bnlint.run.linter import fix_source, lint_source
from bnlint.run.settings import Settings

EVERYTHING = Settings(select=("BN",), unsafe_fixes=True)

IMPORTS = {
    "tf.keras.layers": "import tensorflow as tf\nL = tf.keras.layers\n",
    "from tensorflow.keras import layers as L": "from tensorflow.keras import layers as L\nimport tensorflow as tf\n",
    "import keras": "import keras\nfrom keras import layers as L\nimport tensorflow as tf\n",
    "tf_keras": "import tf_keras\nL = tf_keras.layers\nimport tensorflow.compat.v1 as tf\n",
}

space = st.sampled_from(["", " "])
comment = st.sampled_from(["", "  # conv block", "  # TODO: tune"])


@st.composite
def call(draw, func, args, kwargs):
    """A call written in one of several layouts."""
    parts = list(args) + [f"{k}={v}" for k, v in kwargs]
    if draw(st.booleans()) and len(parts) > 1:
        inner = ",\n        ".join(parts) + ("," if draw(st.booleans()) else "")
        return f"{func}(\n        {inner}\n    )"
    sep = "," + draw(space)
    return f"{func}({sep.join(parts)})"


@st.composite
def keras_block(draw, i):
    fmt = draw(st.sampled_from([None, "channels_first", "channels_last"]))
    conv_kwargs = [("padding", "'same'")]
    if fmt:
        conv_kwargs.append(("data_format", repr(fmt)))
    conv = draw(call("L.Conv2D", ["8", "3"], conv_kwargs))
    axis = draw(st.sampled_from([None, "1", "-1", "3", "[1, 2, 3]", "bn_axis"]))
    bn = draw(call("L.BatchNormalization", [], [("axis", axis)] if axis else []))
    act = draw(st.sampled_from(["", "    x = L.Activation('relu')(x)\n", "    x = L.Dropout(0.1)(x)\n"]))
    flat = draw(st.sampled_from(["", "    x = L.Flatten()(x)\n", "    x = L.GlobalAveragePooling2D()(x)\n"]))
    return (
        f"def block_{i}(x, bn_axis=-1):{draw(comment)}\n"
        f"    x = {conv}(x)\n{act}{flat}    x = {bn}(x)\n    return x\n\n\n"
    )


@st.composite
def lowlevel_block(draw, i):
    fmt = draw(st.sampled_from(["NHWC", "NCHW"]))
    axes = draw(
        st.sampled_from(["[0]", "[0, 1, 2]", "[0, 2, 3]", "(0,)", "[0, 1, 2, 3]", "[1, 2, 3]", "axes"])
    )
    keep = draw(st.sampled_from(["", ", keepdims=True", ", keep_dims=False"]))
    shape = draw(
        st.sampled_from(["[32]", "[28, 28, 32]", "[32, 1, 1]", "conv.get_shape()[1:]", "conv.shape[-1:]"])
    )
    helper = draw(st.booleans())
    conv = f"tf.nn.conv2d(x, w, 1, 'SAME', data_format='{fmt}')"
    if helper:
        return (
            f"def bn_{i}(t, axes=[0]):\n"
            f"    mean, var = tf.nn.moments(t, {axes}{keep})\n"
            f"    return tf.nn.batch_normalization(t, mean, var, None, None, 1e-3)\n\n\n"
            f"def net_{i}(x, w):\n"
            f"    conv = {conv}{draw(comment)}\n"
            f"    return bn_{i}(tf.nn.relu(conv))\n\n\n"
        )
    return (
        f"def net_{i}(x, w, axes=[0]):\n"
        f"    conv = {conv}\n"
        f"    mean, var = tf.nn.moments(conv, {axes}{keep}){draw(comment)}\n"
        f"    gamma = tf.Variable(tf.ones({shape}))\n"
        f"    return gamma * (conv - mean) / tf.sqrt(var + 1e-3)\n\n\n"
    )


@st.composite
def slim_block(draw, i):
    fmt = draw(st.sampled_from([None, "'NCHW'", "'NHWC'"]))
    kwargs = [("activation_fn", draw(st.sampled_from(["None", "tf.nn.relu"])))]
    if fmt:
        kwargs.append(("data_format", fmt))
    style = draw(st.sampled_from(["separate", "normalizer", "string"]))
    if style == "normalizer":
        kwargs.append(("normalizer_fn", "slim.batch_norm"))
        if draw(st.booleans()):
            kwargs.append(("normalizer_params", "{'is_training': training}"))
    if style == "string":
        kwargs.append(("normalizer_fn", "'batch_norm'"))
    conv = draw(call("slim.conv2d", ["x", "16", "[3, 3]"], kwargs))
    body = f"    net = {conv}\n"
    if style == "separate":
        bn_fmt = draw(st.sampled_from([None, "'NCHW'", "'NHWC'"]))
        bn_kwargs = [("is_training", "training")] + ([("data_format", bn_fmt)] if bn_fmt else [])
        body += f"    net = {draw(call('slim.batch_norm', ['net'], bn_kwargs))}\n"
    return f"def slim_{i}(x, training):\n{body}    return net\n\n\n"


@st.composite
def model_source(draw):
    header = IMPORTS[draw(st.sampled_from(sorted(IMPORTS)))]
    header += "import tf_slim as slim\n"
    if draw(st.booleans()):
        header += "tf.keras.backend.set_image_data_format('channels_first')\n"
    header += "\n\n"
    kinds = draw(st.lists(st.sampled_from(["keras", "low", "slim"]), min_size=1, max_size=4))
    blocks = []
    for i, kind in enumerate(kinds):
        strategy = {"keras": keras_block, "low": lowlevel_block, "slim": slim_block}[kind]
        blocks.append(draw(strategy(i)))
    return header + "".join(blocks)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model_source())
def test_fix_parses_removes_findings_and_is_idempotent(source):
    data = source.encode()
    first = lint_source("gen.py", data, EVERYTHING)
    assert first.error is None
    fixed, count, after = fix_source("gen.py", data, EVERYTHING)
    ast.parse(fixed)
    fixable = [d for d in first.diagnostics if d.fix is not None]
    if fixable:
        assert count > 0
    # whatever had a fix is gone; what had none is still reported
    assert all(d.fix is None for d in after.diagnostics)
    again, count_again, _ = fix_source("gen.py", fixed, EVERYTHING)
    assert again == fixed and count_again == 0
    if not first.diagnostics:
        assert fixed == data


plain_statement = st.sampled_from(
    [
        "x = compute(a, b)",
        "result = [i * 2 for i in range(10)]",
        "if flag:\n        value = normalize(value)",
        "for batch in loader:\n        total += batch.mean(axis=0)",
        "axis = 1  # the channel axis",
        "mean, var = stats(x, [0])",
        "data_format = 'channels_first'",
        "norm = 'batch_norm'",
        "with open(path) as f:\n        text = f.read()",
    ]
)


@settings(max_examples=80, deadline=None)
@given(st.lists(plain_statement, min_size=1, max_size=12), st.sampled_from(["\n", "\r\n"]))
def test_code_without_conv_or_bn_is_never_changed(statements, newline):
    body = "".join(f"    {s}\n" for s in statements)
    source = ("import numpy as np\n\n\ndef step(a, b, x, value, loader, flag, path):\n" + body).replace(
        "\n", newline
    )
    data = source.encode()
    fixed, count, result = fix_source("plain.py", data, EVERYTHING)
    assert fixed == data and count == 0 and result.diagnostics == []
