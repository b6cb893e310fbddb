"""Bad input is reported and left alone; fixes never corrupt a file."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
from click.testing import CliRunner

from bnlint.cli import main
from bnlint.fix import apply as fixes
from bnlint.rules import BY_CODE

MODEL = """import tensorflow as tf


def f(x, w):
    conv = tf.nn.conv2d(x, w, 1, "SAME")  # é
    mean, var = tf.nn.moments(conv, [0])
    return tf.nn.batch_normalization(conv, mean, var, None, None, 1e-3)
"""
FIXED = MODEL.replace("[0])", "[0, 1, 2])")


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.py").write_text(MODEL)
    return tmp_path


BROKEN = {
    # Python 2 that is broken in Python 2 too
    "py2.py": b'import tensorflow as tf\nconv = tf.nn.conv2d(x, w, 1, "SAME")\nprint "moments"\ndef f(:\n',
    "syntax.py": b"from keras.layers import Conv2D, BatchNormalization\nbn = BatchNormalization(axis=1\n",
    "badutf8.py": b"# conv BatchNormalization\nx = '\xff\xfe'\n",
    "binary.py": bytes(range(256)) * 8,
    "deep.py": b"import tensorflow as tf  # conv moments\nx = " + b"(" * 400 + b"1" + b")" * 400 + b"\n",
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_unparsable_files_are_reported_and_left_alone(folder, name):
    data = BROKEN[name]
    (folder / name).write_bytes(data)
    r = run("check", "--no-cache", ".")
    lines = [line for line in r.output.splitlines() if line.startswith(name)]
    assert len(lines) == 1 and f"{name}:" in lines[0] and " BN900 SyntaxError: " in lines[0], r.output
    assert "good.py:6:17: BN001" in r.output  # the other files go on
    assert "Traceback" not in r.output
    r = run("fix", "--no-cache", ".")
    assert (folder / name).read_bytes() == data
    assert (folder / "good.py").read_text() == FIXED


def test_files_that_cannot_have_findings_are_not_parsed(folder):
    """Files with no conv/batch norm are never parsed (speed), so their
    syntax errors are left to other tools; undecodable ones are reported."""
    (folder / "plain.py").write_bytes(b"def f(:\n    pass\n")
    (folder / "latin.py").write_bytes(b"# -*- coding: bogus -*-\nx = 1\n")
    r = run("check", "--no-cache", ".")
    assert "plain.py" not in r.output
    assert "latin.py:1:1: BN900 SyntaxError: cannot decode file" in r.output


def test_python2_error_position(folder):
    """A file that the Python 2 reading cannot parse either: Python 3's
    first error is the one shown."""
    (folder / "py2.py").write_bytes(BROKEN["py2.py"])
    r = run("check", "--no-cache", "py2.py")
    assert r.output.startswith("py2.py:3:1: BN900 SyntaxError: Missing parentheses")


# the body indented by 8 spaces and, on one line, by a tab (the same to Python 2)
PY2_MODEL = (
    MODEL.replace("\n    ", "\n        ")
    .replace("def f(x, w):", "def f(x, w):\n        print 'building', x")
    .replace("        mean, var", "\tmean, var")
)


def test_python2_file_is_analysed_and_left_alone(folder):
    """Python 2 (print statement, a tab among spaces) is read through a
    rewrite: the finding at its own line and column, no fix, the file kept."""
    (folder / "py2.py").write_text(PY2_MODEL)
    r = run("check", "--no-cache", "py2.py")
    assert r.output.startswith("py2.py:7:14: BN001 "), r.output
    assert "BN900" not in r.output and "0 fixable" in r.output
    run("fix", "--no-cache", ".")
    assert (folder / "py2.py").read_text() == PY2_MODEL
    assert (folder / "good.py").read_text() == FIXED


ENCODINGS = {
    "latin1.py": ("# -*- coding: latin-1 -*-\n" + MODEL).encode("latin-1"),
    "bom.py": b"\xef\xbb\xbf" + MODEL.encode(),
    "crlf.py": MODEL.replace("\n", "\r\n").encode(),
    "mixed.py": MODEL.replace("\n", "\r\n", 3).encode(),
    "tabs.py": MODEL.replace("    ", "\t").encode(),
    "no_newline.py": MODEL.rstrip("\n").encode(),
}


@pytest.mark.parametrize("name", sorted(ENCODINGS))
def test_encoding_and_layout_kept(tmp_path, name):
    path = tmp_path / name
    data = ENCODINGS[name]
    path.write_bytes(data)
    assert run("fix", "--no-cache", str(path)).exit_code == 0
    assert path.read_bytes() == data.replace(b"[0])", b"[0, 1, 2])")


def test_symlink_loop_and_special_files(folder):
    os.symlink(".", folder / "loop")
    os.mkfifo(folder / "pipe.py")
    os.symlink(folder / "missing.py", folder / "dangling.py")
    r = run("check", "--no-cache", ".")
    assert r.exit_code == 2
    assert "good.py:6:17: BN001" in r.output
    assert "pipe.py: not a regular file" in r.output
    assert "dangling.py: broken symlink" in r.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file(folder):
    bad = folder / "secret.py"
    bad.write_text(MODEL)
    bad.chmod(0)
    r = run("check", "--no-cache", ".")
    assert r.exit_code == 2 and "secret.py" in r.output and "good.py:6:17" in r.output


def test_large_file_is_linear(tmp_path):
    body = MODEL.replace("def f(", "def f_{i}(")
    big = "".join(body.split("\n", 2)[2].replace("{i}", str(i)) for i in range(6000))
    path = tmp_path / "big.py"
    path.write_text("import tensorflow as tf\n\n" + big)
    assert path.stat().st_size > 1_000_000
    r = run("check", "--no-cache", "--statistics", str(path))
    assert "6000\tBN001" in r.output


def test_internal_error_names_rule_and_file(folder, monkeypatch):
    (folder / "other.py").write_text(MODEL)

    def boom(ctx):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(BY_CODE["BN003"], "check", boom)
    r = run("check", "--no-cache", ".")
    assert r.exit_code == 2
    assert "BN901 internal error in BN003 (RuntimeError: kaboom)" in r.output
    assert "good.py:6:17: BN001" in r.output and "other.py:6:17: BN001" in r.output


def test_fix_that_would_not_parse_is_refused(folder, monkeypatch):
    real = fixes.cst.parse_expression

    def broken(code):
        # a valid identifier, and a keyword: the fixed file would not parse
        return fixes.cst.Name("lambda") if code.startswith("[") else real(code)

    monkeypatch.setattr(fixes.cst, "parse_expression", broken)
    fixes._expression.cache_clear()
    r = CliRunner().invoke(main, ["fix", "--no-cache", "good.py"])
    assert r.exit_code == 2
    assert "bnlint bug: a fix was refused" in r.output
    assert "good.py:6:17: BN001" in r.output and "1 remaining" in r.output
    assert (folder / "good.py").read_text() == MODEL
    fixes._expression.cache_clear()


def test_write_is_atomic_keeps_mode_and_skips_unchanged(folder):
    path = folder / "good.py"
    path.chmod(0o640)
    (folder / "clean.py").write_text("import os\n")
    before = os.stat(folder / "clean.py").st_mtime_ns
    assert run("fix", "--no-cache", ".").exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert os.stat(folder / "clean.py").st_mtime_ns == before
    assert not [p for p in os.listdir(folder) if p.endswith(".tmp")]


def test_checked_code_is_never_executed(tmp_path):
    marker = tmp_path / "ran"
    (tmp_path / "evil.py").write_text(
        f"import tensorflow as tf\nopen({str(marker)!r}, 'w').write('x')\n"
        "conv = tf.nn.conv2d(a, b, 1, 'SAME')\nm, v = tf.nn.moments(conv, [0])\n"
        "y = tf.nn.batch_normalization(conv, m, v, None, None, 1e-3)\n"
    )
    subprocess.run([sys.executable, "-m", "bnlint", "fix", "--no-cache", str(tmp_path)], capture_output=True)
    assert not marker.exists()


def test_internal_error_in_the_analysis_is_contained(folder, monkeypatch):
    from bnlint.analysis.interpreter import Interpreter

    def boom(self):
        raise KeyError("bad node")

    monkeypatch.setattr(Interpreter, "analyse", boom)
    r = run("check", "--no-cache", ".")
    assert r.exit_code == 2
    assert "good.py:1:1: BN901 internal error in the analysis (KeyError" in r.output
    assert "Traceback" not in r.output


def test_internal_error_in_one_module_spares_the_others(folder, monkeypatch):
    """Modules analysed together (one imports the other) keep their
    findings when the analysis of another one breaks."""
    from bnlint.analysis.interpreter import Interpreter

    real = Interpreter.analyse

    def boom(self):
        if self.module.path.endswith("bad.py"):
            raise KeyError("bad node")
        return real(self)

    monkeypatch.setattr(Interpreter, "analyse", boom)
    (folder / "bad.py").write_text("import tensorflow as tf\nimport good\n\nconv = tf.nn.conv2d\n")
    r = run("check", "--no-cache", ".")
    assert "bad.py:1:1: BN901 internal error in the analysis (KeyError" in r.output, r.output
    assert "good.py:6:17: BN001" in r.output, r.output


def test_fixes_that_undo_each_other_leave_the_file_alone(monkeypatch):
    """A rule whose fix the next round undoes (a bug) must not leave the
    file at whichever state the last round reached."""
    from bnlint.diagnostics import Diagnostic, Fix, Replace
    from bnlint.run import linter

    real = linter.lint_source
    source = b"axis = 1\n"

    def flipping(path, data, *args, **kwargs):
        result = real(path, data, *args, **kwargs)
        other = "-1" if b"= 1\n" in data else "1"
        span = ((1, 7), (1, len(data.decode().rstrip("\n"))))
        fix = Fix("flip", (Replace(span, other),))
        result.diagnostics = [Diagnostic("BN003", "flip", path, span, fix)]
        return result

    monkeypatch.setattr(linter, "lint_source", flipping)
    data, fixed, result = linter.fix_source("m.py", source)
    assert data == source and fixed == 0
    assert [d.message for d in result.diagnostics] == ["flip"]


def test_match_statements_are_analysed(folder):
    """``case`` blocks have no line of their own: the walks that find a
    helper's callers by line step into their bodies."""
    (folder / "ops.py").write_text(
        "import tensorflow as tf\n\n\n"
        "def bn(x):\n"
        "    mean, var = tf.nn.moments(x, [0])\n"
        "    return tf.nn.batch_normalization(x, mean, var, None, None, 1e-3)\n"
    )
    (folder / "model.py").write_text(
        "import tensorflow as tf\nfrom ops import bn\n\n\n"
        "def net(x, w, kind):\n"
        "    match kind:\n"
        "        case 'conv':\n"
        "            return bn(tf.nn.conv2d(x, w, 1, 'SAME'))\n"
        "        case _:\n"
        "            return x\n"
    )
    r = run("check", "--no-cache", ".")
    assert "BN901" not in r.output, r.output
    assert "ops.py:5:17: BN001" in r.output and "called from model.py:8" in r.output, r.output


def test_project_without_tensorflow_is_not_analysed(folder):
    """Modules that import each other and name convs and normalizing, with
    no TensorFlow or Keras in reach, cannot have findings: not parsed."""
    (folder / "convert.py").write_text(
        "from normalize import normalize\n\n\ndef convert(x):\n    return normalize(x)\n"
    )
    (folder / "normalize.py").write_bytes(b"import convert\n\n\ndef normalize(x:\n    return x\n")
    r = run("check", "--no-cache", ".")
    assert "convert.py" not in r.output and "normalize.py" not in r.output, r.output
    assert "good.py:6:17: BN001" in r.output


def test_module_gaining_tensorflow_rechecks_its_importers(folder):
    """A file left unanalysed for want of TensorFlow is checked again when
    a module it imports (not itself checked) starts naming it."""
    (folder / "pkg").mkdir()
    (folder / "pkg" / "model.py").write_text(
        "from common import tf\n\n\n"
        "def f(x, w):\n"
        "    conv = tf.nn.conv2d(x, w, 1, 'SAME')\n"
        "    mean, var = tf.nn.moments(conv, [0])\n"
        "    return tf.nn.batch_normalization(conv, mean, var, None, None, 1e-3)\n"
    )
    common = folder / "pkg" / "common.py"
    common.write_text("tf = None\n")
    assert "All checks passed" in run("check", "pkg/model.py").output
    common.write_text("import tensorflow as tf\n")
    r = run("check", "pkg/model.py")
    assert "pkg/model.py:6:17: BN001" in r.output, r.output
