"""A small Keras classifier for NCHW data (as exported from a PyTorch
pipeline): the convs say channels_first, the batch norms do not."""
from tensorflow import keras
from tensorflow.keras import layers


def conv_block(x, filters):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, data_format="channels_first")(x)
    x = layers.BatchNormalization()(x)
    return layers.Activation("relu")(x)


def build(num_classes=10):
    inputs = keras.Input(shape=(3, 32, 32))
    x = conv_block(inputs, 32)
    x = conv_block(x, 64)
    x = layers.MaxPooling2D(data_format="channels_first")(x)
    x = layers.GlobalAveragePooling2D(data_format="channels_first")(x)
    x = layers.BatchNormalization()(x)  # after pooling: 2-D, axis=-1 is right
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)
