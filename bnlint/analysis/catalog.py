"""The catalog: which canonical API names are convs, batch norms, moments,
and which ops keep a tensor's layout.  Names are as ``names.canonical``
spells them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Conv:
    rank: int | None  # output rank; None: decided by data_format
    df_index: int  # first positional index data_format may sit at
    keras: bool = False  # default format follows Keras' image_data_format
    layer: bool = False  # a class: constructing it makes a layer object
    slim: bool = False  # accepts normalizer_fn / normalizer_params


def _family(prefix, names, **kw):
    return {f"{prefix}.{n}": Conv(**{**kw, "rank": r}) for n, r in names.items()}


CONVS: dict[str, Conv] = {}
CONVS.update(
    _family(
        "tf.nn",
        {
            "conv1d": 3,
            "conv2d": 4,
            "conv3d": 5,
            "convolution": None,
            "depthwise_conv2d": 4,
            "depthwise_conv2d_native": 4,
            "separable_conv2d": 4,
            "conv1d_transpose": 3,
            "conv2d_transpose": 4,
            "conv3d_transpose": 5,
            "atrous_conv2d": 4,
        },
        df_index=4,
    )
)
CONVS.update(
    _family(
        "tflayers",
        {
            "conv1d": 3,
            "conv2d": 4,
            "conv3d": 5,
            "separable_conv1d": 3,
            "separable_conv2d": 4,
            "conv2d_transpose": 4,
            "conv3d_transpose": 5,
        },
        df_index=5,
    )
)
CONVS.update(
    _family(
        "tflayers",
        {
            "Conv1D": 3,
            "Conv2D": 4,
            "Conv3D": 5,
            "SeparableConv1D": 3,
            "SeparableConv2D": 4,
            "Conv2DTranspose": 4,
            "Conv3DTranspose": 5,
        },
        df_index=4,
        layer=True,
    )
)
CONVS.update(
    _family(
        "keras.layers",
        {
            "Conv1D": 3,
            "Conv2D": 4,
            "Conv3D": 5,
            "Convolution1D": 3,
            "Convolution2D": 4,
            "Convolution3D": 5,
            "DepthwiseConv1D": 3,
            "DepthwiseConv2D": 4,
            "SeparableConv1D": 3,
            "SeparableConv2D": 4,
            "SeparableConvolution1D": 3,
            "SeparableConvolution2D": 4,
            "Conv1DTranspose": 3,
            "Conv2DTranspose": 4,
            "Conv3DTranspose": 5,
            "Convolution2DTranspose": 4,
            "Convolution3DTranspose": 5,
        },
        df_index=4,
        keras=True,
        layer=True,
    )
)
CONVS.update(
    _family(
        "slim",
        {
            "conv1d": 3,
            "conv2d": 4,
            "conv3d": 5,
            "convolution": None,
            "convolution1d": 3,
            "convolution2d": 4,
            "convolution3d": 5,
            "conv2d_transpose": 4,
            "convolution2d_transpose": 4,
            "conv3d_transpose": 5,
            "convolution3d_transpose": 5,
        },
        df_index=5,
        slim=True,
    )
)
CONVS.update(
    _family(
        "slim",
        {"separable_conv2d": 4, "separable_convolution2d": 4},
        df_index=6,
        slim=True,
    )
)

# Batch norm layers configured by ``axis``: name -> positional index of axis.
BN_AXIS_CLASSES = {
    "keras.layers.BatchNormalization": 0,
    "keras.layers.SyncBatchNormalization": 0,
    "tflayers.BatchNormalization": 0,
}
BN_AXIS_FUNCTIONS = {"tflayers.batch_normalization": 1}  # inputs first

# Batch norm ops configured by ``data_format``: name -> positional index.
BN_FORMAT_OPS = {
    "slim.batch_norm": 16,
    "tf.nn.fused_batch_norm": 6,
}

MOMENTS = {"tf.nn.moments", "keras.ops.moments", "keras.backend.moments"}
BATCH_NORMALIZATION = "tf.nn.batch_normalization"

# Ops whose output has the layout of their first tensor argument.
PRESERVING_FUNCTIONS = (
    {
        f"tf.nn.{n}"
        for n in (
            "relu relu6 crelu elu selu gelu silu swish leaky_relu sigmoid tanh "
            "softplus softsign dropout bias_add lrn local_response_normalization"
        ).split()
    }
    | {
        f"tf.{n}"
        for n in (
            "identity add add_n maximum minimum multiply subtract sigmoid tanh "
            "abs square clip_by_value stop_gradient where"
        ).split()
    }
    | {
        f"keras.activations.{n}"
        for n in "relu relu6 elu selu gelu silu swish sigmoid tanh leaky_relu".split()
    }
    | {f"keras.layers.{n}" for n in "add average maximum minimum multiply subtract".split()}
    | {
        "keras.backend.relu",
        "slim.dropout",
        "slim.bias_add",
        "tflayers.dropout",
    }
)
CONCAT_FUNCTIONS = {"tf.concat", "keras.layers.concatenate", "keras.backend.concatenate"}

# Pooling ops that keep the layout when their data_format matches the tensor.
POOL_FUNCTIONS = {
    **{
        f"tf.nn.{n}": 4
        for n in "max_pool avg_pool max_pool2d avg_pool2d max_pool1d avg_pool1d max_pool3d avg_pool3d pool".split()
    },
    **{
        f"tflayers.{n}": 5
        for n in "max_pooling1d max_pooling2d max_pooling3d average_pooling1d average_pooling2d average_pooling3d".split()
    },
    **{f"slim.{n}": 4 for n in "max_pool2d avg_pool2d max_pool3d avg_pool3d".split()},
}

# Keras layers that keep the layout of their input.
KERAS_PRESERVING = {
    f"keras.layers.{n}"
    for n in (
        "Activation ReLU LeakyReLU PReLU ELU ThresholdedReLU Softmax Dropout "
        "GaussianNoise GaussianDropout AlphaDropout ActivityRegularization "
        "Add Subtract Multiply Average Maximum Minimum Concatenate Identity"
    ).split()
}
# Keras layers that keep the layout when their data_format matches:
# name -> positional index of data_format.
KERAS_FORMATTED = {
    **{
        f"keras.layers.{n}": 3
        for n in (
            "MaxPooling1D MaxPooling2D MaxPooling3D AveragePooling1D "
            "AveragePooling2D AveragePooling3D MaxPool1D MaxPool2D MaxPool3D "
            "AvgPool1D AvgPool2D AvgPool3D"
        ).split()
    },
    **{
        f"keras.layers.{n}": 1
        for n in (
            "ZeroPadding1D ZeroPadding2D ZeroPadding3D UpSampling1D UpSampling2D "
            "UpSampling3D Cropping1D Cropping2D Cropping3D SpatialDropout1D "
            "SpatialDropout2D SpatialDropout3D"
        ).split()
    },
    **{
        f"tflayers.{n}": 3
        for n in (
            "MaxPooling1D MaxPooling2D MaxPooling3D AveragePooling1D AveragePooling2D AveragePooling3D"
        ).split()
    },
}
KERAS_TIME_DISTRIBUTED = "keras.layers.TimeDistributed"
KERAS_LAMBDA = "keras.layers.Lambda"
KERAS_SEQUENTIAL = {"keras.Sequential", "keras.models.Sequential"}
KERAS_FORMAT_SETTERS = {
    "keras.backend.set_image_data_format",
    "keras.config.set_image_data_format",
}
KERAS_ORDERING_SETTERS = {"keras.backend.set_image_dim_ordering"}
KERAS_FORMAT_GETTERS = {"keras.backend.image_data_format", "keras.config.image_data_format"}

# Variable constructors: name -> (positional index of the initial value or
# shape, whether that argument is the shape itself).
VARIABLE_FACTORIES = {"tf.Variable": (0, False), "tf.get_variable": (1, True)}
# Initial-value constructors whose shape we can read: name -> shape index.
SHAPED_INITIALIZERS = {
    "numpy.ones": 0,
    "numpy.zeros": 0,
    "numpy.full": 0,
    "tf.ones": 0,
    "tf.zeros": 0,
    "tf.fill": 0,
    "tf.random_normal": 0,
    "tf.random.normal": 0,
    "tf.truncated_normal": 0,
    "tf.random.truncated_normal": 0,
    "tf.random_uniform": 0,
    "tf.random.uniform": 0,
    "tf.constant": 2,
}
ASSIGN_FUNCTIONS = {"tf.assign", "tf.assign_sub", "tf.assign_add"}

# Recurrent convolutions: name -> (rank without / with return_sequences).
CONV_RNNS = {
    "keras.layers.ConvLSTM1D": (3, 4),
    "keras.layers.ConvLSTM2D": (4, 5),
    "keras.layers.ConvLSTM3D": (5, 6),
}


def is_known(name: str) -> bool:
    """Whether a canonical name is an API some rule or the graph knows."""
    return name in _KNOWN


_KNOWN = (
    set(CONVS)
    | set(BN_AXIS_CLASSES)
    | set(BN_AXIS_FUNCTIONS)
    | set(BN_FORMAT_OPS)
    | MOMENTS
    | {BATCH_NORMALIZATION}
    | PRESERVING_FUNCTIONS
    | CONCAT_FUNCTIONS
    | set(POOL_FUNCTIONS)
    | KERAS_PRESERVING
    | set(KERAS_FORMATTED)
    | {KERAS_TIME_DISTRIBUTED, KERAS_LAMBDA}
    | KERAS_SEQUENTIAL
    | KERAS_FORMAT_SETTERS
    | KERAS_ORDERING_SETTERS
    | KERAS_FORMAT_GETTERS
    | set(VARIABLE_FACTORIES)
    | set(SHAPED_INITIALIZERS)
    | ASSIGN_FUNCTIONS
    | set(CONV_RNNS)
    | {"slim.arg_scope", "slim.fully_connected", "slim.layer_norm", "slim.instance_norm", "slim.group_norm"}
)
