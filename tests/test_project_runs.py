"""A project as users run bnlint on it: the cache follows the modules a
result depends on, related locations reach every output format, and
suppressions apply where a finding is reported."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bnlint.cli import main

OPS = """import tensorflow as tf


def conv(x, w):
    return tf.nn.conv2d(x, w, 1, "SAME")


def batch_norm(x):
    mean, var = tf.nn.moments(x, [0, 1, 2])
    return tf.nn.batch_normalization(x, mean, var, None, None, 1e-3)
"""
MODEL = """from ops import batch_norm, conv


def net(images, w):
    return batch_norm(conv(images, w))
"""


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "ops.py").write_text(OPS)
    (tmp_path / "model.py").write_text(MODEL)
    return tmp_path


def test_change_in_imported_module_rechecks_its_importer(project):
    assert run("check", "model.py").exit_code == 0  # fills the cache
    (project / "ops.py").write_text(OPS.replace("[0, 1, 2]", "[0]"))
    r = run("check", "model.py")
    assert r.exit_code == 1, r.output
    assert "model.py:5:12: BN001" in r.output and "(in ops.py:9; fix it there)" in r.output
    (project / "ops.py").write_text(OPS)
    assert run("check", "model.py").exit_code == 0


def test_new_caller_rechecks_the_helper(project):
    (project / "ops.py").write_text(OPS.replace("[0, 1, 2]", "[0]"))
    (project / "model.py").write_text("import ops\n")
    assert run("check", ".").exit_code == 0  # no conv reaches the helper yet
    (project / "model.py").write_text(MODEL)
    r = run("check", ".")
    assert "ops.py:9:17: BN001" in r.output, r.output


def test_related_locations_in_json_and_sarif(project):
    (project / "ops.py").write_text(OPS.replace("[0, 1, 2]", "[0]"))
    found = json.loads(run("check", "--no-cache", "--output-format", "json", ".").output)
    assert len(found) == 1
    related = found[0]["related"]
    assert [r["filename"].rsplit("/", 1)[1] for r in related] == ["ops.py", "model.py"]
    assert related[1]["location"] == {"row": 5, "column": 12}
    sarif = json.loads(run("check", "--no-cache", "--output-format", "sarif", ".").output)
    result = sarif["runs"][0]["results"][0]
    uris = [loc["physicalLocation"]["artifactLocation"]["uri"] for loc in result["relatedLocations"]]
    assert uris == ["ops.py", "model.py"]
    assert all("message" in loc for loc in result["relatedLocations"])
    full = run("check", "--no-cache", "--output-format", "full", ".").output
    assert "= note: model.py:5:12: passes the tensor into the helper here" in full


def test_noqa_and_ignores_apply_where_reported(project):
    (project / "ops.py").write_text(OPS.replace("[0, 1, 2]", "[0]"))
    r = run("check", "--no-cache", "model.py")
    assert "model.py:5:12: BN001" in r.output
    (project / "model.py").write_text(MODEL.replace("w))\n", "w))  # noqa: BN001\n"))
    assert run("check", "--no-cache", "model.py").exit_code == 0
    assert run("check", "--no-cache", "ops.py").exit_code == 1  # the helper's own line has no noqa
    r = run("check", "--no-cache", "--per-file-ignores", "ops.py:BN001", ".")
    assert r.exit_code == 0, r.output


def test_fix_edits_only_the_files_it_is_given(project):
    (project / "ops.py").write_text(OPS.replace("[0, 1, 2]", "[0]"))
    r = run("fix", "--no-cache", "model.py")
    assert (project / "ops.py").read_text() == OPS.replace("[0, 1, 2]", "[0]")
    assert (project / "model.py").read_text() == MODEL
    assert "(in ops.py:9; fix it there)" in r.output
    run("fix", "--no-cache", "ops.py")
    # right for every caller, and for a caller passing something else later
    assert "tf.nn.moments(x, list(range(len(x.shape) - 1)))" in (project / "ops.py").read_text()
    assert run("check", "--no-cache", ".").exit_code == 0


def test_fix_of_a_helper_after_its_caller_leaves_nothing_stale(project):
    """model.py's turn comes first and reports ops.py's finding at its call;
    once ops.py is fixed in its own turn, that report is gone."""
    (project / "ops.py").write_text(OPS.replace("[0, 1, 2]", "[0]"))
    r = run("fix", "--no-cache", "model.py", "ops.py")
    assert r.exit_code == 0, r.output
    assert "Fixed 1 problem; nothing left to report." in r.output
    assert run("check", "--no-cache", ".").exit_code == 0


def test_train_op_built_elsewhere_is_reported_at_the_checked_call(tmp_path, monkeypatch):
    """Pre-commit with only train.py staged: the train op solver.py builds
    for train.py's loss is reported at the call, naming solver.py."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.py").write_text(
        "import tensorflow as tf\n\n\ndef net(x, is_training):\n"
        "    x = tf.layers.conv2d(x, 8, 3, use_bias=False)\n"
        "    return tf.layers.batch_normalization(x, training=is_training)\n"
    )
    (tmp_path / "solver.py").write_text(
        "import tensorflow as tf\n\n\ndef get_train_op(loss):\n"
        "    return tf.train.AdamOptimizer(1e-3).minimize(loss)\n"
    )
    (tmp_path / "train.py").write_text(
        "import tensorflow as tf\n\nfrom model import net\nfrom solver import get_train_op\n\n\n"
        "def main(images):\n    loss = tf.reduce_mean(net(images, True))\n    return get_train_op(loss)\n"
    )
    r = run("check", "--no-cache", "train.py")
    assert "train.py:9:12: BN007" in r.output and "(in solver.py:5; fix it there)" in r.output, r.output
    whole = run("check", "--no-cache", ".")
    assert "solver.py:5:12: BN007" in whole.output and "train.py" not in whole.output, whole.output


def test_unresolvable_or_ambiguous_import_is_silent(project):
    (project / "sub").mkdir()
    (project / "sub" / "ops.py").write_text(OPS.replace("[0, 1, 2]", "[0]"))
    (project / "sub" / "model.py").write_text(MODEL)
    # sub/model.py finds sub/ops.py (its own folder) and ops.py (the project
    # root): which one Python takes depends on how it is run, so silent
    r = run("check", "--no-cache", "sub/model.py")
    assert r.exit_code == 0, r.output
    (project / "ops.py").unlink()  # now only sub/ops.py is found
    r = run("check", "--no-cache", "sub/model.py")
    assert "sub/model.py:5:12: BN001" in r.output, r.output


def test_whole_run_cache_follows_modules_outside_the_run(project):
    """``bnlint check app/`` reads ops.py, which it does not check: a change
    there must not be hidden by the cached result of the whole run."""
    (project / "app").mkdir()
    (project / "app" / "model.py").write_text(MODEL.replace("from ops import", "from ops import"))
    (project / "model.py").unlink()
    assert run("check", "app").exit_code == 0
    assert run("check", "app").exit_code == 0  # from the cache
    (project / "ops.py").write_text(OPS.replace("[0, 1, 2]", "[0]"))
    r = run("check", "app")
    assert r.exit_code == 1 and "(in ops.py:9; fix it there)" in r.output, r.output


def test_dataclass_field_momentum_is_named_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.py").write_text(
        "from dataclasses import dataclass\n\n\n@dataclass\nclass Config:\n    bn_momentum: float = 0.1\n"
    )
    (tmp_path / "model.py").write_text(
        "import tensorflow as tf\n\nfrom config import Config\n\n\ndef block(x, cfg=Config()):\n"
        "    x = tf.keras.layers.Conv2D(8, 3, use_bias=False)(x)\n"
        "    return tf.keras.layers.BatchNormalization(momentum=cfg.bn_momentum)(x)\n"
    )
    r = run("check", "--no-cache", ".")
    assert "config.py:6:26: BN009 `bn_momentum = 0.1`, the momentum of `BatchNormalization`" in r.output, (
        r.output
    )
