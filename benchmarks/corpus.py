"""A synthetic TensorFlow/Keras code base for the benchmark: many plain
modules (data pipelines, utilities, training loops) and a share of model
files that mention convolutions and batch norm, some of them buggy.

Deterministic for a given seed.  Sizes follow the real corpus the project
measured: ~270 lines per file, ~7% of files with a conv and a batch norm.
"""

from __future__ import annotations

import os
import random

_WORDS = (
    "data batch image label model layer feature score loss metric step epoch "
    "record shard cache path config param weight grad token mask frame clip "
    "sample anchor box point voxel signal window stride kernel block stage"
).split()


def _name(rng: random.Random) -> str:
    return "_".join(rng.sample(_WORDS, 2))


def _plain_function(rng: random.Random) -> str:
    n, a, b = _name(rng), _name(rng), _name(rng)
    body = [
        f"def {n}({a}, {b}=None, *, verbose=False):",
        f'    """Compute {n.replace("_", " ")} from {a}."""',
        "    result = []",
        f"    for i, item in enumerate({a}):",
        f"        if {b} is not None and i % {rng.randint(2, 9)} == 0:",
        f"            item = {b}(item)",
        "        value = sum(float(x) for x in item) / max(len(item), 1)",
        f"        result.append((i, value, str(item)[:{rng.randint(8, 40)}]))",
        "        if verbose:",
        '            print("step", i, value)',
        "    total = np.asarray([v for _, v, _ in result], dtype=np.float32)",
        "    return {",
        '        "mean": float(total.mean()) if total.size else 0.0,',
        '        "max": float(total.max()) if total.size else 0.0,',
        '        "items": result,',
        "    }",
        "",
        "",
    ]
    return "\n".join(body)


def _plain_class(rng: random.Random) -> str:
    cls = "".join(w.title() for w in rng.sample(_WORDS, 2))
    a, b = _name(rng), _name(rng)
    return f'''class {cls}:
    """Keeps {a} and {b} together."""

    def __init__(self, {a}, {b}=0.{rng.randint(1, 9)}):
        self.{a} = {a}
        self.{b} = {b}
        self._history = []

    def update(self, value):
        self._history.append(value)
        if len(self._history) > {rng.randint(10, 100)}:
            self._history.pop(0)
        return self

    @property
    def average(self):
        return sum(self._history) / len(self._history) if self._history else self.{b}

    def to_dict(self):
        return {{"{a}": self.{a}, "{b}": self.{b}, "history": list(self._history)}}


'''


_MODEL_TEMPLATES = [
    """def {fn}(x, filters, training=False):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization(axis={axis})(x)
    return layers.ReLU()(x)


""",
    """def {fn}(images, kernel):
    conv = tf.nn.conv2d(images, kernel, strides=[1, 1, 1, 1], padding="SAME")
    mean, var = tf.nn.moments(conv, {axes})
    return tf.nn.batch_normalization(conv, mean, var, None, None, 1e-3)


""",
    """def {fn}(inputs, filters):
    x = layers.Conv2D(filters, 3, padding="same", data_format="channels_first")(inputs)
    x = layers.BatchNormalization(axis={axis_cf})(x)
    return layers.Activation("relu")(x)


""",
    """class {cls}(keras.Model):
    def __init__(self, filters):
        super().__init__()
        self.conv = layers.Conv2D(filters, 3, padding="same")
        self.bn = layers.BatchNormalization()
        self.head = layers.Dense(10)

    def call(self, x, training=False):
        x = tf.nn.relu(self.bn(self.conv(x), training=training))
        return self.head(layers.GlobalAveragePooling2D()(x))


""",
]


def _model_file(rng: random.Random, buggy: bool) -> str:
    parts = [
        "import numpy as np\nimport tensorflow as tf\nfrom tensorflow import keras\n"
        "from tensorflow.keras import layers\n\n\n"
    ]
    for _ in range(rng.randint(3, 6)):
        parts.append(_plain_function(rng))
    for _ in range(rng.randint(2, 4)):
        t = rng.choice(_MODEL_TEMPLATES)
        parts.append(
            t.format(
                fn=_name(rng) + "_block",
                cls="".join(w.title() for w in rng.sample(_WORDS, 2)) + "Net",
                axis=rng.choice([1, 2]) if buggy else -1,
                axis_cf=rng.choice([-1, 3]) if buggy else 1,
                axes=rng.choice(["[0]", "[0, 1, 2, 3]"]) if buggy else "[0, 1, 2]",
            )
        )
    for _ in range(rng.randint(1, 3)):
        parts.append(_plain_class(rng))
    return "".join(parts)


def _plain_file(rng: random.Random) -> str:
    parts = ["import json\nimport os\nimport numpy as np\n\n\n"]
    # ~270 lines on average
    while sum(p.count("\n") for p in parts) < rng.randint(150, 400):
        parts.append(_plain_function(rng) if rng.random() < 0.7 else _plain_class(rng))
    return "".join(parts)


def build(root: str, files: int = 3000, model_share: float = 0.07, seed: int = 0) -> dict:
    """Write the corpus under ``root``; returns counts."""
    rng = random.Random(seed)
    lines = models = 0
    for i in range(files):
        pkg = os.path.join(root, f"pkg{i % 40:02d}", f"sub{(i // 40) % 8}")
        os.makedirs(pkg, exist_ok=True)
        if rng.random() < model_share:
            text = _model_file(rng, buggy=rng.random() < 0.3)
            models += 1
        else:
            text = _plain_file(rng)
        lines += text.count("\n")
        with open(os.path.join(pkg, f"mod_{i:05d}.py"), "w") as f:
            f.write(text)
    return {"files": files, "model_files": models, "lines": lines}
