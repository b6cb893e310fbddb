"""Attribute-dict config objects are read only when nothing can change them
at run time."""

from __future__ import annotations

import ast

import pytest

from bnlint.analysis.namespaces import unchanging

HEAD = "from easydict import EasyDict as edict\n__C = edict()\ncfg = __C\n__C.MODEL = edict()\n"


@pytest.mark.parametrize(
    "rest, expected",
    [
        ("__C.MODEL.DATA_FORMAT = 'NCHW'\nX = cfg.MODEL.DATA_FORMAT\n", True),
        ("__C.MODEL.DATA_FORMAT = 'NCHW'\ndef f():\n    return cfg.MODEL.DATA_FORMAT\n", True),
        # merged from a file, handed to a function, changed in a function
        ("def load(d):\n    _merge(d, __C)\n", False),
        ("cfg.merge_from_file('a.yaml')\n", False),
        ("__C.MODEL.update({'DATA_FORMAT': 'NHWC'})\n", False),
        ("def set_format(f):\n    cfg.MODEL.DATA_FORMAT = f\n", False),
        ("__C['MODEL'] = edict()\n", False),
        ("setattr(cfg, 'X', 1)\n", False),
        ("print(cfg)\n", False),
        ("other = [cfg]\n", False),
    ],
)
def test_unchanging(rest, expected):
    tree = ast.parse(HEAD + rest)
    assert unchanging(tree, tree.body[1]) is expected
