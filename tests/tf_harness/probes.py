"""Helpers fixtures' ``probe()`` functions use to hand the harness a batch
norm's input and output.  Only the TensorFlow test worker imports this."""

import numpy as np
import tensorflow as tf


def run_graph(fetches, feed=None):
    """Initialise the default graph's variables and run ``fetches``."""
    with tf.compat.v1.Session() as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        sess.run(tf.compat.v1.local_variables_initializer())
        return sess.run(fetches, feed_dict=feed)


def fused_bn_io():
    """(input, output) tensors of every fused batch norm op in the graph."""
    out = []
    for op in tf.compat.v1.get_default_graph().get_operations():
        if op.type.startswith("FusedBatchNorm") and "Grad" not in op.type:
            out.append((op.inputs[0], op.outputs[0]))
    return out


def keras_probe(model, x, axis):
    """A probe result for every BatchNormalization layer of a Keras model:
    input/output pairs in training mode, and the shapes of its parameters."""
    params = []
    for layer in model.layers:
        if "BatchNormalization" in type(layer).__name__:
            params += [tuple(w.shape) for w in layer.weights]
    return {"pairs": keras_bn_io(model, x), "axis": axis, "params": params}


def graph_bn_params():
    """Shapes of the batch norm variables in the default graph."""
    return [
        tuple(v.shape.as_list())
        for v in tf.compat.v1.global_variables()
        if "BatchNorm" in v.name or "batch_normalization" in v.name
    ]


def keras_bn_io(model, x):
    """(input, output) arrays of each BatchNormalization layer of a
    functional or Sequential Keras model, in training mode."""
    import keras

    pairs = []
    for layer in model.layers:
        if "BatchNormalization" in type(layer).__name__:
            sub = keras.Model(model.inputs, [layer.input, layer.output])
            a, b = sub(x, training=True)
            pairs.append((np.asarray(a), np.asarray(b)))
    return pairs


def normal(shape, seed=0, mean=0.5):
    """Random input whose channels have different means and scales."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=shape) * (1.0 + rng.random(shape[-1:])) + mean).astype("float32")


def moved_fraction(moving_mean, conv_out, channel_axis=-1):
    """A probe result: how far one training step moved the moving mean
    towards the batch's per-channel mean (``1 - momentum``)."""
    conv_out = np.moveaxis(np.asarray(conv_out), channel_axis, -1)
    target = conv_out.reshape(-1, conv_out.shape[-1]).mean(axis=0)
    return {"moved_fraction": float(np.median(np.asarray(moving_mean) / target))}


def keras_step_moved_fraction(build, shape=(6, 6, 3)):
    """``moved_fraction`` of the first batch norm of ``build(inputs)`` as a
    functional model, after one training step on data far from zero mean."""
    import keras

    inputs = tf.keras.Input(shape)
    model = tf.keras.Model(inputs, build(inputs))
    bn = next(layer for layer in model.layers if "BatchNormalization" in type(layer).__name__)
    data = np.random.default_rng(0).normal(3.0, 1.0, (16, *shape)).astype("float32")
    bn_input = keras.Model(model.inputs, bn.input)(data)
    model(data, training=True)
    return moved_fraction(bn.moving_mean, bn_input)
