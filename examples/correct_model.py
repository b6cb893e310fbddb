"""The same kinds of model, written correctly: bnlint reports nothing here."""
import tensorflow as tf
from tensorflow.keras import layers


def conv_bn(images, kernel):
    conv = tf.nn.conv2d(images, kernel, strides=[1, 1, 1, 1], padding="SAME")
    mean, variance = tf.nn.moments(conv, axes=[0, 1, 2])
    return tf.nn.batch_normalization(conv, mean, variance, None, None, 1e-3)


def keras_block(x):
    x = layers.Conv2D(32, 3, padding="same", data_format="channels_first")(x)
    x = layers.BatchNormalization(axis=1)(x)
    return layers.ReLU()(x)
