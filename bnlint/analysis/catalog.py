"""The catalog: what bnlint knows about TensorFlow, Keras and slim, as data.

One ``Api`` row per API (or per family of APIs sharing a signature): its
canonical names (as ``names.canonical`` spells them), its parameters in the
real signature's order (TF 2.21, tf-keras, tf-slim 1.1; ``self`` left out
of layer classes), and its *effect*: what the interpreter does with a call
(``effects.py`` has one handler per effect).  ``roles`` say which parameter
plays which part in that effect (the input tensor, the batch norm axis, the
data_format, ...).  Adding an API is adding a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Api:
    name: str
    params: tuple[str, ...]
    effect: str
    roles: dict = field(default_factory=dict, compare=False, hash=False)
    rank: int | None = None  # conv output rank; None: decided by data_format
    default_format: str = "last"  # "last", "keras" (Keras' image_data_format), or "none"
    # TF1 signatures put data_format later (use_cudnn_on_gpu, rate): a format
    # string at or after the role's position is the data_format.
    format_scan: bool = False
    slim: bool = False  # accepts normalizer_fn / normalizer_params
    # Older keyword spellings the API still accepts, old name -> parameter.
    spellings: dict = field(default_factory=dict, compare=False, hash=False)


def read_params(api: Api) -> frozenset[str]:
    """The parameters some rule reads a value of (an axis, a format, a
    momentum, ...): not the tensor nor the training flag, which are values
    to follow rather than fix targets."""
    kept = [v for k, v in api.roles.items() if k not in ("input", "training")]
    named = {v for v in kept if isinstance(v, str)}
    return frozenset(named | {api.params[v] for v in kept if type(v) is int and v < len(api.params)})


def _p(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_ROWS: list[Api] = []


def _add(names, params, effect, roles=None, **kw) -> None:
    for name, extra in names.items() if isinstance(names, dict) else ((n, {}) for n in names):
        _ROWS.append(Api(name, _p(params), effect, dict(roles or {}), **{**kw, **extra}))


def _ranked(prefix: str, table: dict) -> dict:
    return {f"{prefix}.{n}": {"rank": r} for n, r in table.items()}


CONV = {"input": 0, "data_format": "data_format"}

# Keras 1 names of conv layer arguments, which Keras 2's legacy interfaces
# still convert (``Convolution2D(64, 3, 3, border_mode="same", bias=False)``).
# dim_ordering is not here: its values differ ('th' / 'tf'), formats.py reads it.
KERAS1_CONV = {"bias": "use_bias", "nb_filter": "filters", "subsample": "strides", "border_mode": "padding"}

# --- convolutions -----------------------------------------------------------
_add(
    _ranked("tf.nn", {"conv1d": 3, "conv2d": 4, "conv3d": 5, "conv1d_transpose": 3, "atrous_conv2d": 4}),
    "input filters strides padding data_format dilations name",
    "conv",
    CONV,
    format_scan=True,
)
_add(
    _ranked("tf.nn", {"convolution": None}),
    "input filters strides padding data_format dilations name",
    "conv",
    CONV,
    format_scan=True,
    default_format="none",
)
_add(
    _ranked("tf.nn", {"depthwise_conv2d": 4, "depthwise_conv2d_native": 4}),
    "input filter strides padding data_format dilations name",
    "conv",
    CONV,
    format_scan=True,
)
_add(
    _ranked("tf.nn", {"separable_conv2d": 4}),
    "input depthwise_filter pointwise_filter strides padding data_format dilations name",
    "conv",
    CONV,
    format_scan=True,
)
_add(
    _ranked("tf.nn", {"conv2d_transpose": 4, "conv3d_transpose": 5}),
    "input filters output_shape strides padding data_format dilations name",
    "conv",
    CONV,
    format_scan=True,
)
_add(
    _ranked(
        "tflayers",
        {"conv1d": 3, "conv2d": 4, "conv3d": 5, "separable_conv1d": 3, "separable_conv2d": 4},
    ),
    "inputs filters kernel_size strides padding data_format dilation_rate activation use_bias",
    "conv",
    {**CONV, "use_bias": True},
    format_scan=True,
)
_add(
    _ranked("tflayers", {"conv2d_transpose": 4, "conv3d_transpose": 5}),
    "inputs filters kernel_size strides padding data_format activation use_bias",
    "conv",
    {**CONV, "use_bias": True},
    format_scan=True,
)
_add(
    _ranked(
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
    ),
    "filters kernel_size strides padding data_format dilation_rate activation use_bias",
    "conv_layer",
    {"data_format": "data_format", "use_bias": True},
    format_scan=True,
)
_add(
    _ranked(
        "keras.layers",
        {
            "Conv1D": 3,
            "Conv2D": 4,
            "Conv3D": 5,
            "Convolution1D": 3,
            "Convolution2D": 4,
            "Convolution3D": 5,
            "SeparableConv1D": 3,
            "SeparableConv2D": 4,
            "SeparableConvolution1D": 3,
            "SeparableConvolution2D": 4,
        },
    ),
    "filters kernel_size strides padding data_format dilation_rate",
    "conv_layer",
    {"data_format": "data_format", "use_bias": True},
    default_format="keras",
    format_scan=True,
    spellings=KERAS1_CONV,
)
_add(
    _ranked("keras.layers", {"DepthwiseConv1D": 3, "DepthwiseConv2D": 4}),
    "kernel_size strides padding depth_multiplier data_format dilation_rate",
    "conv_layer",
    {"data_format": "data_format", "use_bias": True},
    default_format="keras",
    format_scan=True,
)
_add(
    _ranked(
        "keras.layers",
        {
            "Conv1DTranspose": 3,
            "Conv2DTranspose": 4,
            "Conv3DTranspose": 5,
            "Convolution2DTranspose": 4,
            "Convolution3DTranspose": 5,
            # Keras 2's own aliases
            "Deconvolution2D": 4,
            "Deconv2D": 4,
            "Deconvolution3D": 5,
            "Deconv3D": 5,
        },
    ),
    "filters kernel_size strides padding output_padding data_format dilation_rate",
    "conv_layer",
    {"data_format": "data_format", "use_bias": True},
    default_format="keras",
    format_scan=True,
    spellings=KERAS1_CONV,
)
_SLIM_CONV = {"input": 0, "data_format": "data_format", "normalizer_fn": "normalizer_fn"}
_add(
    _ranked(
        "slim",
        {
            "conv1d": 3,
            "conv2d": 4,
            "conv3d": 5,
            "convolution1d": 3,
            "convolution2d": 4,
            "convolution3d": 5,
        },
    ),
    "inputs num_outputs kernel_size stride padding data_format rate activation_fn "
    "normalizer_fn normalizer_params",
    "conv",
    _SLIM_CONV,
    format_scan=True,
    slim=True,
)
_add(
    _ranked("slim", {"convolution": None}),
    "inputs num_outputs kernel_size stride padding data_format rate activation_fn "
    "normalizer_fn normalizer_params",
    "conv",
    _SLIM_CONV,
    format_scan=True,
    slim=True,
    default_format="none",
)
_add(
    _ranked(
        "slim",
        {
            "conv2d_transpose": 4,
            "convolution2d_transpose": 4,
            "conv3d_transpose": 5,
            "convolution3d_transpose": 5,
        },
    ),
    "inputs num_outputs kernel_size stride padding data_format activation_fn normalizer_fn normalizer_params",
    "conv",
    _SLIM_CONV,
    format_scan=True,
    slim=True,
)
_add(
    _ranked("slim", {"separable_conv2d": 4, "separable_convolution2d": 4}),
    "inputs num_outputs kernel_size depth_multiplier stride padding data_format rate activation_fn "
    "normalizer_fn normalizer_params",
    "conv",
    _SLIM_CONV,
    format_scan=True,
    slim=True,
)
# Recurrent convolutions: rank without / with return_sequences.
_add(
    {
        "keras.layers.ConvLSTM1D": {"rank": 3},
        "keras.layers.ConvLSTM2D": {"rank": 4},
        "keras.layers.ConvLSTM3D": {"rank": 5},
    },
    "filters kernel_size strides padding data_format dilation_rate",
    "conv_rnn",
    {"data_format": "data_format", "sequences": "return_sequences"},
    default_format="keras",
)

# --- batch norms --------------------------------------------------------------
_BN_LAYER = "axis momentum epsilon center scale"
_BN_ROLES = {"axis": "axis", "momentum": "momentum", "center": "center"}
_add(
    ["keras.layers.BatchNormalization", "keras.layers.SyncBatchNormalization"],
    _BN_LAYER,
    "bn_layer",
    _BN_ROLES,
)
# tf.layers' layer: its moving-statistics updates go to UPDATE_OPS in graph mode
_add(["tflayers.BatchNormalization"], _BN_LAYER, "bn_layer", {**_BN_ROLES, "update_ops": True})
_add(
    ["tflayers.batch_normalization"],
    "inputs axis momentum epsilon center scale beta_initializer gamma_initializer "
    "moving_mean_initializer moving_variance_initializer beta_regularizer gamma_regularizer "
    "beta_constraint gamma_constraint training trainable name reuse renorm",
    "bn_axis_op",
    # training defaults to False: inference mode
    {"input": "inputs", **_BN_ROLES, "training": "training", "training_default": False, "update_ops": True},
)
_add(
    ["slim.batch_norm"],
    "inputs decay center scale epsilon activation_fn param_initializers param_regularizers "
    "updates_collections is_training reuse variables_collections outputs_collections trainable "
    "batch_weights fused data_format zero_debias_moving_mean",
    "bn_format_op",
    {
        "input": "inputs",
        "data_format": "data_format",
        "momentum": "decay",
        "center": "center",
        "training": "is_training",
        "training_default": True,
        "updates": "updates_collections",  # None: updated in place
        "update_ops": True,
    },
)
_add(
    ["tf.nn.fused_batch_norm"],
    "x scale offset mean variance epsilon data_format is_training name",
    "bn_format_op",
    {"input": "x", "data_format": "data_format", "returns_triple": True},
)
_add(
    ["tf.nn.moments", "keras.ops.moments", "keras.backend.moments"],
    "x axes shift keepdims name",
    "moments",
    {"input": "x", "axes": "axes"},
)
_add(
    ["tf.nn.batch_normalization"],
    "x mean variance offset scale variance_epsilon name",
    "batch_normalization",
    {"input": "x", "params": ("mean", "variance", "offset", "scale")},
)

# --- ops that keep the layout of a tensor argument ------------------------------
_add(
    [
        f"tf.nn.{n}"
        for n in "relu relu6 crelu elu selu gelu silu swish leaky_relu sigmoid tanh softplus softsign".split()
    ]
    + [f"tf.{n}" for n in "sigmoid tanh abs square stop_gradient identity".split()]
    + [
        f"keras.activations.{n}"
        for n in "relu relu6 elu selu gelu silu swish sigmoid tanh leaky_relu".split()
    ]
    + ["keras.backend.relu"],
    "features",
    "preserve",
    {"input": 0},
)
_add(["tf.nn.dropout"], "x rate noise_shape seed name", "preserve", {"input": "x"})
_add(["tf.nn.bias_add"], "value bias data_format name", "preserve", {"input": "value", "adds_bias": True})
_add(
    ["tf.nn.lrn", "tf.nn.local_response_normalization"],
    "input depth_radius bias alpha beta name",
    "preserve",
    {"input": "input"},
)
_add(
    [f"tf.{n}" for n in "add maximum minimum multiply subtract".split()],
    "x y name",
    "preserve",
    {"input": "x"},
)
_add(["tf.clip_by_value"], "t clip_value_min clip_value_max name", "preserve", {"input": "t"})
_add(["tf.where"], "condition x y name", "preserve", {"input": "x"})
_add(
    ["tf.add_n"] + [f"keras.layers.{n}" for n in "add average maximum minimum multiply subtract".split()],
    "inputs",
    "preserve",
    {"input": "inputs"},
)
_add(
    ["slim.dropout", "tflayers.dropout"],
    "inputs keep_prob noise_shape is_training",
    "preserve",
    {"input": "inputs"},
)
_add(["slim.bias_add"], "inputs activation_fn initializer", "preserve", {"input": "inputs"})
_add(
    ["tf.concat", "keras.layers.concatenate", "keras.backend.concatenate"],
    "values axis name",
    "concat",
    {"input": "values"},
)

# --- pooling: keeps the layout when its data_format matches the tensor's ---------
_add(
    [
        f"tf.nn.{n}"
        for n in "max_pool avg_pool max_pool2d avg_pool2d max_pool1d avg_pool1d max_pool3d avg_pool3d".split()
    ],
    "input ksize strides padding data_format name",
    "pool",
    {"input": 0, "data_format": "data_format"},
)
_add(
    ["tf.nn.pool"],
    "input window_shape pooling_type strides padding data_format",
    "pool",
    {"input": 0, "data_format": "data_format"},
)
_add(
    [
        f"tflayers.{n}"
        for n in "max_pooling1d max_pooling2d max_pooling3d average_pooling1d average_pooling2d average_pooling3d".split()
    ],
    "inputs pool_size strides padding data_format name",
    "pool",
    {"input": 0, "data_format": "data_format"},
)
_add(
    [f"slim.{n}" for n in "max_pool2d avg_pool2d max_pool3d avg_pool3d".split()],
    "inputs kernel_size stride padding data_format",
    "pool",
    {"input": 0, "data_format": "data_format"},
)

# --- Keras layers -----------------------------------------------------------------
_add(["keras.layers.Permute"], "dims", "permute_layer", {"dims": "dims"})
_add(
    [
        f"keras.layers.{n}"
        for n in (
            "Activation ReLU LeakyReLU PReLU ELU ThresholdedReLU Softmax Dropout "
            "GaussianNoise GaussianDropout AlphaDropout ActivityRegularization "
            "Add Subtract Multiply Average Maximum Minimum Concatenate Identity"
        ).split()
    ],
    "",
    "preserve_layer",
)
_add(
    [
        f"keras.layers.{n}"
        for n in (
            "MaxPooling1D MaxPooling2D MaxPooling3D AveragePooling1D AveragePooling2D "
            "AveragePooling3D MaxPool1D MaxPool2D MaxPool3D AvgPool1D AvgPool2D AvgPool3D"
        ).split()
    ],
    "pool_size strides padding data_format",
    "formatted_layer",
    {"data_format": "data_format"},
    default_format="keras",
)
_add(
    [
        f"keras.layers.{n}"
        for n in (
            "ZeroPadding1D ZeroPadding2D ZeroPadding3D UpSampling1D UpSampling2D UpSampling3D "
            "Cropping1D Cropping2D Cropping3D SpatialDropout1D SpatialDropout2D SpatialDropout3D"
        ).split()
    ],
    "size data_format",
    "formatted_layer",
    {"data_format": "data_format"},
    default_format="keras",
)
_add(
    [
        f"tflayers.{n}"
        for n in "MaxPooling1D MaxPooling2D MaxPooling3D AveragePooling1D AveragePooling2D AveragePooling3D".split()
    ],
    "pool_size strides padding data_format",
    "formatted_layer",
    {"data_format": "data_format"},
)
_add(["keras.layers.TimeDistributed"], "layer", "time_distributed", {"layer": "layer"})
_add(["keras.Input", "keras.layers.Input", "keras.layers.InputLayer"], "shape batch_size", "model_input")
_add(
    ["keras.layers.Lambda"], "function output_shape mask arguments", "lambda_layer", {"function": "function"}
)
_add(["keras.Sequential", "keras.models.Sequential"], "layers name", "sequential", {"layers": "layers"})

# --- Keras' global image format -----------------------------------------------------
_add(
    ["keras.backend.set_image_data_format", "keras.config.set_image_data_format"],
    "data_format",
    "format_setter",
    {"value": "data_format"},
)
_add(["keras.backend.set_image_dim_ordering"], "dim_ordering", "ordering_setter", {"value": "dim_ordering"})
_add(["keras.backend.image_data_format", "keras.config.image_data_format"], "", "format_getter")
_add(["keras.backend.image_dim_ordering"], "", "format_getter", {"ordering": True})  # Keras 1: 'th' / 'tf'

# --- variables and their shapes -----------------------------------------------------
_add(["tf.Variable"], "initial_value trainable", "variable", {"initial_value": "initial_value"})
_add(["tf.get_variable"], "name shape dtype initializer", "variable", {"shape": "shape"})
_add(
    [
        "numpy.ones",
        "numpy.zeros",
        "numpy.full",
        "tf.ones",
        "tf.zeros",
        "tf.fill",
        "tf.random_normal",
        "tf.random.normal",
        "tf.truncated_normal",
        "tf.random.truncated_normal",
        "tf.random_uniform",
        "tf.random.uniform",
    ],
    "shape",
    "shaped_initializer",
    {"shape": "shape"},
)
_add(["tf.constant"], "value dtype shape name", "shaped_initializer", {"shape": "shape"})
# ``momentum``: a moving-average update written out, ``ref * decay + mean * (1 - decay)``
_add(
    ["tf.assign", "tf.assign_sub", "tf.assign_add"],
    "ref value",
    "assign",
    {"ref": "ref", "value": "value", "momentum": "decay"},
)

# --- config objects: attribute dicts that start empty ---------------------------
# (``__C = edict()``; namespaces.py says when their values can be trusted).
# yacs' CfgNode and ml_collections' ConfigDict are left out: they exist to be
# merged from files and flags at run time.
_add(
    ["easydict.EasyDict", "attrdict.AttrDict", "munch.Munch", "types.SimpleNamespace", "addict.Dict"],
    "",
    "namespace",
)

# --- record classes: a decorator or base whose classes take their fields ---------
# from the constructor (``Config(data_format="channels_last")`` overrides
# the class body's default), read by classes.py; no call effect of their own.
_add(
    [
        "dataclasses.dataclass",
        "attr.s",
        "attr.attrs",
        "attr.define",
        "attr.frozen",
        "attr.mutable",
        "attrs.define",
        "attrs.frozen",
        "attrs.mutable",
        "typing.NamedTuple",
        "pydantic.BaseModel",
    ],
    "",
    "record_class",
)
# a record class's field with a default: ``data_format: str = field(default="NCHW")``,
# ``model: ModelConfig = field(default_factory=ModelConfig)``
_add(["dataclasses.field", "attr.ib", "attr.attrib", "attr.field", "attrs.field"], "", "record_field")

# --- copies: a copy of a settings dict holds what it holds ---------------------
# (``params = copy.deepcopy(BN_PARAMS)``; dicts.py follows what is done to it)
_add(["copy.copy", "copy.deepcopy"], "x", "copy")

# --- moving averages of a hand-written batch norm's statistics ---------------------
# Their decay is a batch norm momentum when what they average is a moments'
# output: ``ema.apply([batch_mean, batch_var])`` (the effect records it then).
_add(
    ["tf.train.ExponentialMovingAverage"],
    "decay num_updates zero_debias name",
    "moving_average",
    {"momentum": "decay"},
)
_add(
    ["tf.python.training.moving_averages.assign_moving_average"],
    "variable value decay zero_debias name",
    "assign_moving_average",
    {"momentum": "decay", "value": "value"},
)
_add(
    ["keras.backend.moving_average_update"],
    "x value momentum",
    "assign_moving_average",
    {"momentum": "momentum", "value": "value"},
)
_add(["tf.shape"], "input out_type name", "shape_of", {"input": "input"})
# moves the channel axis where ``perm`` puts it (NHWC -> NCHW and back)
_add(["tf.transpose"], "a perm conjugate name", "transpose", {"input": "a", "perm": "perm"})
# keeps the layout only when reshaped to its own shape (a DCGAN idiom)
_add(["tf.reshape"], "tensor shape name", "reshape", {"input": "tensor", "shape": "shape"})

# --- slim's repeat and stack: the layer applied to the input, with the rest ----------
_add(["slim.repeat"], "inputs repetitions layer", "repeat", {"input": "inputs", "layer": "layer"})
_add(
    ["slim.stack"],
    "inputs layer stack_args",
    "stack",
    {"input": "inputs", "layer": "layer", "each": "stack_args"},
)

# --- known, with no effect on layouts ------------------------------------------------
_add(["slim.arg_scope"], "list_ops_or_scope", "arg_scope", {"ops": "list_ops_or_scope"})
_add(["slim.fully_connected", "slim.layer_norm", "slim.instance_norm", "slim.group_norm"], "inputs", "opaque")

CATALOG: dict[str, Api] = {row.name: row for row in _ROWS}

# keras.applications models built with batch norm (VGG has none, ConvNeXt
# uses layer norm): called without ``training`` they run it in inference mode.
_BN_APPLICATIONS = (
    "ResNet50 ResNet101 ResNet152 ResNet50V2 ResNet101V2 ResNet152V2 InceptionV3 InceptionResNetV2 "
    "Xception MobileNet MobileNetV2 MobileNetV3Small MobileNetV3Large DenseNet121 DenseNet169 "
    "DenseNet201 NASNetMobile NASNetLarge "
    + " ".join(f"EfficientNetB{i}" for i in range(8))
    + " EfficientNetV2B0 EfficientNetV2B1 EfficientNetV2B2 EfficientNetV2B3 EfficientNetV2S "
    "EfficientNetV2M EfficientNetV2L"
).split()


def is_bn_application(name: str | None) -> bool:
    """``keras.applications.ResNet50`` / ``keras.applications.resnet50.ResNet50``."""
    return (
        bool(name) and name.startswith("keras.applications.") and name.rsplit(".", 1)[1] in _BN_APPLICATIONS
    )


# Keras base classes whose ``__call__`` runs the subclass's ``call()``.
CALLS_CALL = frozenset({"keras.layers.Layer", "keras.Layer", "keras.Model", "keras.models.Model"})


def lookup(name: str | None) -> Api | None:
    return CATALOG.get(name) if name else None


def of_effect(*effects: str) -> frozenset[str]:
    """Canonical names of the APIs with these effects."""
    return frozenset(n for n, row in CATALOG.items() if row.effect in effects)


def batch_norms() -> dict[str, Api]:
    """Every batch norm API (layer, op or function) by canonical name."""
    return {n: r for n, r in CATALOG.items() if r.effect in ("bn_layer", "bn_axis_op", "bn_format_op")}


def outside_libraries() -> frozenset[str]:
    """The catalog's names outside TensorFlow and Keras (``easydict.EasyDict``)
    and the modules that hold them (``import types``): the import tables
    track these too."""
    names = of_effect("namespace", "record_class", "record_field", "copy")
    return names | frozenset(n.rsplit(".", 1)[0] for n in names)


def interchangeable(names) -> bool:
    """Whether these APIs are one row of the catalog (``BatchNormalization``
    and ``SyncBatchNormalization``): one signature, one effect."""
    rows = [CATALOG.get(n) for n in names]
    first = rows[0]
    return first is not None and all(
        r is not None and (r.params, r.effect, r.roles) == (first.params, first.effect, first.roles)
        for r in rows[1:]
    )


def is_known(name: str) -> bool:
    """Whether a canonical name is an API the catalog knows."""
    return name in CATALOG


# APIs a variable can hold and call later (``norm = layers.BatchNormalization``):
# the batch norms and the convs
HELD_AS_VALUES = of_effect("bn_layer", "bn_axis_op", "bn_format_op", "conv", "conv_layer")
