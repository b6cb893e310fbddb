"""Jupyter notebooks: one module across cells, cell-numbered findings,
fixes that touch only the changed cells."""

from __future__ import annotations

import json

from click.testing import CliRunner

from bnlint.cli import main


def _nb(cells, indent=1):
    nb = {
        "cells": [
            {
                "cell_type": kind,
                "execution_count": None,
                "metadata": {"tags": ["t"]},
                "outputs": [{"name": "stdout", "output_type": "stream", "text": ["hi\n"]}]
                if kind == "code"
                else [],
                "source": src,
            }
            if kind == "code"
            else {"cell_type": kind, "metadata": {}, "source": src}
            for kind, src in cells
        ],
        "metadata": {"kernelspec": {"name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=indent, ensure_ascii=False, sort_keys=True) + "\n"


CELLS = [
    ("markdown", ["# A model\n", "with batch norm"]),
    ("code", ["%matplotlib inline\n", "from tensorflow.keras import layers\n", "!pip install tensorflow"]),
    ("code", ["def block(x):\n", "    return x\n"]),
    (
        "code",
        [
            "x = layers.Conv2D(8, 3, data_format='channels_first')(inp)\n",
            "x = layers.BatchNormalization()(x)\n",
            "files = !ls",
        ],
    ),
]


def test_findings_name_the_cell(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_text(_nb(CELLS))
    r = CliRunner().invoke(main, ["check", "--no-cache", str(path)])
    assert r.exit_code == 1
    assert f"{path}:cell 4:2:5: BN003" in r.output
    r = CliRunner().invoke(main, ["check", "--no-cache", "--output-format", "json", str(path)])
    assert json.loads(r.output)[0]["cell"] == 4


def test_fix_touches_only_changed_cells(tmp_path):
    path = tmp_path / "nb.ipynb"
    original = _nb(CELLS)
    path.write_text(original)
    r = CliRunner().invoke(main, ["fix", "--no-cache", str(path)])
    assert r.exit_code == 0, r.output
    fixed = json.loads(path.read_text())
    before = json.loads(original)
    assert fixed["cells"][3]["source"] == [
        "x = layers.Conv2D(8, 3, data_format='channels_first')(inp)\n",
        "x = layers.BatchNormalization(axis=1)(x)\n",
        "files = !ls",
    ]
    for i in (0, 1, 2):
        assert fixed["cells"][i] == before["cells"][i]
    assert fixed["cells"][3]["outputs"] == before["cells"][3]["outputs"]
    assert fixed["metadata"] == before["metadata"]
    # same JSON layout: only the changed line differs
    diff = [(a, b) for a, b in zip(original.splitlines(), path.read_text().splitlines()) if a != b]
    assert len(diff) == 1 and path.read_text().endswith("}\n")


def test_invalid_notebooks_are_reported(tmp_path):
    (tmp_path / "broken.ipynb").write_text("{not json")
    (tmp_path / "nocells.ipynb").write_text('{"metadata": {}}')
    (tmp_path / "odd.ipynb").write_text('{"cells": [{"cell_type": "code", "source": 5}]}')
    r = CliRunner().invoke(main, ["check", "--no-cache", str(tmp_path)])
    assert r.exit_code == 1
    assert r.output.count("BN900") == 3
    assert "Traceback" not in r.output


def test_shell_command_continued_with_backslash_is_masked_whole(tmp_path):
    """``!python train.py \\`` then indented ``--flag`` lines, inside an
    ``if``: one shell command, not an indentation error; a fix elsewhere in
    the cell keeps every line of it."""
    cell = [
        "if RUN:\n",
        "  !python train.py \\\n",
        "        --data_format=channels_first \\\n",
        "        --epochs=1\n",
        "  out = !ls \\\n",
        "      -l\n",
        "x = layers.Conv2D(8, 3, data_format='channels_first')(inp)\n",
        "x = layers.BatchNormalization()(x)\n",
    ]
    path = tmp_path / "nb.ipynb"
    path.write_text(_nb([("code", ["from tensorflow.keras import layers\n"]), ("code", cell)]))
    r = CliRunner().invoke(main, ["check", "--no-cache", str(path)])
    assert "BN900" not in r.output
    assert f"{path}:cell 2:8:5: BN003" in r.output
    r = CliRunner().invoke(main, ["fix", "--no-cache", str(path)])
    assert r.exit_code == 0, r.output
    fixed = json.loads(path.read_text())["cells"][1]["source"]
    assert fixed == cell[:-1] + ["x = layers.BatchNormalization(axis=1)(x)\n"]


def test_percent_continuing_a_statement_is_code_not_a_magic(tmp_path):
    """``print("%d"\\n      % n)``: the second line is the operator; masking
    it as a magic left the call unclosed and the notebook unread (BN900)."""
    cells = [
        ("code", ["%matplotlib inline\n", "import tensorflow as tf\n"]),
        (
            "code",
            [
                "def bn(conv):\n",
                "    mean, var = tf.nn.moments(conv, [0])\n",
                '    print("moments of %s: %d axes"\n',
                "          % (conv.name, 1))\n",
                '    doc = """\n',
                "%s is not a magic here\n",
                '"""\n',
                "    return tf.nn.batch_normalization(conv, mean, var, None, None, 1e-3)\n",
                "\n",
                "y = bn(tf.nn.conv2d(x, w, 1, 'SAME'))\n",
            ],
        ),
    ]
    path = tmp_path / "nb.ipynb"
    path.write_text(_nb(cells))
    r = CliRunner().invoke(main, ["check", "--no-cache", str(path)])
    assert "BN900" not in r.output
    assert f"{path}:cell 2:2:17: BN001" in r.output


def test_python2_notebook_is_read(tmp_path):
    cells = [
        ("code", ["import tensorflow as tf\n", 'print "TF", tf.__version__\n']),
        (
            "code",
            [
                "conv = tf.nn.conv2d(x, w, 1, 'SAME')\n",
                "mean, var = tf.nn.moments(conv, [0])\n",
                "out = tf.nn.batch_normalization(conv, mean, var, None, None, 1e-3)\n",
            ],
        ),
    ]
    path = tmp_path / "nb.ipynb"
    original = _nb(cells)
    path.write_text(original)
    r = CliRunner().invoke(main, ["check", "--no-cache", str(path)])
    assert f"{path}:cell 2:2:13: BN001" in r.output and "0 fixable" in r.output
    CliRunner().invoke(main, ["fix", "--no-cache", str(path)])
    assert path.read_text() == original
