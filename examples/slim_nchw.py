"""A TF-Slim tower for GPUs in NCHW."""
import tensorflow as tf

slim = tf.contrib.slim


def tower(images, is_training):
    with tf.variable_scope("tower"):
        net = slim.conv2d(images, 64, [3, 3], data_format="NCHW",
                          normalizer_fn=slim.batch_norm,
                          normalizer_params={"is_training": is_training})
        net = slim.conv2d(net, 64, [3, 3], data_format="NCHW", activation_fn=None)
        net = slim.batch_norm(net, is_training=is_training)
        net = slim.conv2d(net, 128, [3, 3], normalizer_fn='batch_norm')
    return net
