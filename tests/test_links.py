"""``fix`` writes through links: a symlink's target is fixed and the link
stays a link; a hard-linked file keeps its inode; a file met under two
names is fixed once."""

from __future__ import annotations

import json
import os
import stat

from click.testing import CliRunner

from bnlint.cli import main

BUGGY = """import tensorflow as tf


def f(x, w):
    conv = tf.nn.conv2d(x, w, 1, "SAME")
    mean, var = tf.nn.moments(conv, [0])
    return tf.nn.batch_normalization(conv, mean, var, None, None, 1e-3)
"""
FIXED = BUGGY.replace("[0])", "[0, 1, 2])")


def run(*args):
    return CliRunner().invoke(main, ["fix", "--no-cache", *args], catch_exceptions=False)


def test_symlink_target_is_fixed_and_link_kept(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "resnet.py").write_text(BUGGY)
    (tmp_path / "models").mkdir()
    os.symlink("../resnet.py", tmp_path / "models" / "alias.py")
    r = run("models/alias.py")
    assert r.exit_code == 0, r.output
    link = tmp_path / "models" / "alias.py"
    assert link.is_symlink() and os.readlink(link) == "../resnet.py"
    assert (tmp_path / "resnet.py").read_text() == FIXED


def test_symlink_keeps_target_mode(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "real.py"
    target.write_text(BUGGY)
    target.chmod(0o640)
    os.symlink("real.py", tmp_path / "link.py")
    assert run("link.py").exit_code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert not any(p.name.startswith(".bnlint-") for p in tmp_path.iterdir())


def test_hard_link_keeps_its_inode(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = tmp_path / "a.py"
    first.write_text(BUGGY)
    os.link(first, tmp_path / "b.py")
    inode = first.stat().st_ino
    assert run("a.py").exit_code == 0
    assert first.stat().st_ino == inode == (tmp_path / "b.py").stat().st_ino
    assert (tmp_path / "b.py").read_text() == FIXED


def test_hard_link_shorter_content_is_truncated(tmp_path):
    # Written in place, a shorter content must not keep the old tail.
    from bnlint.run.writer import write_atomic

    first = tmp_path / "a.py"
    first.write_text("x = 1  # a long line\n")
    os.link(first, tmp_path / "b.py")
    assert write_atomic(str(first), b"x = 2\n")
    assert (tmp_path / "b.py").read_bytes() == b"x = 2\n"
    assert not write_atomic(str(tmp_path / "b.py"), b"x = 2\n")  # unchanged: untouched


def test_directory_run_fixes_a_file_met_twice_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "resnet.py").write_text(BUGGY)
    os.symlink("resnet.py", tmp_path / "src" / "alias.py")
    os.link(tmp_path / "src" / "resnet.py", tmp_path / "src" / "zz_hard.py")
    r = run("src")
    assert "Fixed 1 problem" in r.output, r.output
    assert (tmp_path / "src" / "alias.py").is_symlink()
    assert (tmp_path / "src" / "resnet.py").read_text() == FIXED
    assert (tmp_path / "src" / "zz_hard.py").read_text() == FIXED


def test_regular_file_still_written_atomically(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "m.py"
    path.write_text(BUGGY)
    inode = path.stat().st_ino
    run("m.py")
    assert path.read_text() == FIXED
    assert path.stat().st_ino != inode  # renamed into place


NOTEBOOK_CELL = BUGGY.splitlines(keepends=True)


def _notebook() -> str:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
                "source": NOTEBOOK_CELL,
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1) + "\n"


def test_notebook_through_symlink_and_hard_link(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nb.ipynb").write_text(_notebook())
    os.symlink("nb.ipynb", tmp_path / "link.ipynb")
    os.link(tmp_path / "nb.ipynb", tmp_path / "hard.ipynb")
    inode = (tmp_path / "nb.ipynb").stat().st_ino
    assert run("link.ipynb").exit_code == 0
    assert (tmp_path / "link.ipynb").is_symlink()
    assert (tmp_path / "nb.ipynb").stat().st_ino == inode
    for name in ("nb.ipynb", "hard.ipynb"):
        cells = json.loads((tmp_path / name).read_text())["cells"]
        assert "".join(cells[0]["source"]) == FIXED
