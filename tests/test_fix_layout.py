"""Fixes that add an argument or a dict entry write it the way the code
around it is written, and keep every comment where it was."""

import pytest

from bnlint.run.linter import fix_source

CONV = 'x = layers.Conv2D(8, 3, data_format="channels_first")(x)\n'
HEAD = "from tensorflow.keras import layers\n\n"

CALLS = [
    ("layers.BatchNormalization()", "layers.BatchNormalization(axis=1)"),
    ("layers.BatchNormalization(momentum=0.9)", "layers.BatchNormalization(momentum=0.9, axis=1)"),
    ("layers.BatchNormalization(momentum=0.9, )", "layers.BatchNormalization(momentum=0.9, axis=1, )"),
    (
        "layers.BatchNormalization(\n    momentum=0.9,  # slow\n)",
        "layers.BatchNormalization(\n    momentum=0.9,  # slow\n    axis=1,\n)",
    ),
    (
        "layers.BatchNormalization(\n    momentum=0.9,\n    epsilon=1e-3  # small\n)",
        "layers.BatchNormalization(\n    momentum=0.9,\n    epsilon=1e-3,  # small\n    axis=1\n)",
    ),
    (
        "layers.BatchNormalization(momentum=0.9,  # inline\n                          epsilon=1e-3)",
        "layers.BatchNormalization(momentum=0.9,  # inline\n                          epsilon=1e-3, axis=1)",
    ),
    (
        "layers.BatchNormalization(\n    # why\n    momentum=0.9,  # m\n\n)",
        "layers.BatchNormalization(\n    # why\n    momentum=0.9,  # m\n    axis=1,\n\n)",
    ),
]


@pytest.mark.parametrize("before, after", CALLS)
def test_argument_added_in_style(before, after):
    src = HEAD + CONV + f"x = {before}(x)\n"
    fixed, count, result = fix_source("m.py", src.encode())
    assert count == 1 and result.diagnostics == []
    assert fixed.decode() == HEAD + CONV + f"x = {after}(x)\n"


SLIM = 'import tf_slim as slim\n\ny = slim.conv2d(x, 8, 3, data_format="NCHW", normalizer_fn=slim.batch_norm,\n    normalizer_params={})\n'

DICTS = [
    ("{}", '{"data_format": "NCHW"}'),
    ('{"decay": 0.9}', '{"decay": 0.9, "data_format": "NCHW"}'),
    (
        '{\n        "decay": 0.9,  # slow\n    }',
        '{\n        "decay": 0.9,  # slow\n        "data_format": "NCHW",\n    }',
    ),
    (
        '{"scale": True,\n     "decay": 0.9  # slow\n     }',
        '{"scale": True,\n     "decay": 0.9,  # slow\n     "data_format": "NCHW"\n     }',
    ),
]


@pytest.mark.parametrize("before, after", DICTS)
def test_dict_entry_added_in_style(before, after):
    src = SLIM.replace("{}", before)
    fixed, count, result = fix_source("m.py", src.encode())
    assert count == 1 and result.diagnostics == []
    assert fixed.decode() == SLIM.replace("{}", after)
