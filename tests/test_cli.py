"""The command line as a user meets it: exit codes, output formats,
selection, fix, --diff, stdin, rule docs."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from bnlint.cli import main
from bnlint.rules import RULES

BUGGY = """import tensorflow as tf
from tensorflow.keras import layers


def block(x):
    x = layers.Conv2D(8, 3, data_format="channels_first")(x)
    x = layers.BatchNormalization()(x)  # per channel?
    return x


def low(images, kernel):
    conv = tf.nn.conv2d(images, kernel, 1, "SAME")
    mean, var = tf.nn.moments(conv, [0])
    return tf.nn.batch_normalization(conv, mean, var, None, None, 1e-3)
"""
CLEAN = """from tensorflow.keras import layers


def block(x):
    x = layers.Conv2D(8, 3, data_format="channels_first")(x)
    return layers.BatchNormalization(axis=1)(x)
"""
SLIM = """import tf_slim as slim


def block(images, training):
    net = slim.conv2d(images, 64, [3, 3], activation_fn=None)
    net = slim.batch_norm(net, is_training=training)
    return net
"""


def run(*args, input=None, env=None):
    return CliRunner().invoke(main, list(args), input=input, env=env, catch_exceptions=False)


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.py").write_text(BUGGY)
    (tmp_path / "clean.py").write_text(CLEAN)
    return tmp_path


def test_check_reports_and_exits_1(project):
    r = run("check", "--no-cache", ".")
    assert r.exit_code == 1
    lines = r.output.splitlines()
    assert lines[0].startswith("model.py:7:9: BN003 ")
    assert lines[1].startswith("model.py:13:17: BN001 ")
    assert lines[-1] == "Found 2 problems (2 fixable)."


def test_clean_exits_0(project):
    r = run("check", "--no-cache", "clean.py")
    assert r.exit_code == 0
    assert r.output.strip() == "All checks passed!"


def test_missing_path_exits_2(project):
    r = run("check", "--no-cache", "nope.py")
    assert r.exit_code == 2
    assert "nope.py" in r.output


def test_usage_error_exits_2(project):
    assert run("check", "--output-format", "xml", ".").exit_code == 2
    assert run("check", "--bogus").exit_code == 2


def test_version():
    r = run("--version")
    assert r.exit_code == 0 and r.output.startswith("bnlint ")


def test_exit_zero_and_quiet(project):
    r = run("check", "--no-cache", "--exit-zero", "-q", ".")
    assert r.exit_code == 0
    assert "Found" not in r.output and "BN003" in r.output


def test_json_fields(project):
    r = run("check", "--no-cache", "--output-format", "json", "model.py")
    data = json.loads(r.output)
    assert {d["code"] for d in data} == {"BN001", "BN003"}
    d = next(d for d in data if d["code"] == "BN003")
    assert set(d) >= {"code", "message", "filename", "location", "end_location", "fix", "url", "cell"}
    assert d["location"] == {"row": 7, "column": 9}
    assert d["fix"]["applicability"] == "safe"
    edit = d["fix"]["edits"][0]
    assert edit["content"] == "axis=1" and edit["location"]["row"] == 7
    assert d["url"].startswith("file://") and d["url"].endswith("BN003.md")


def test_json_lines(project):
    r = run("check", "--no-cache", "--output-format", "json-lines", "model.py")
    rows = [json.loads(line) for line in r.output.splitlines()]
    assert len(rows) == 2


def test_github_format_escapes(project):
    r = run("check", "--no-cache", "--output-format", "github", "model.py")
    line = r.output.splitlines()[0]
    assert line.startswith("::error title=bnlint (BN003),file=model.py,line=7,col=9,")
    assert "\n" not in line and "::model.py:7:9: BN003" in line


def test_sarif(project):
    r = run("check", "--no-cache", "--output-format", "sarif", "model.py")
    doc = json.loads(r.output)
    assert doc["version"] == "2.1.0"
    driver = doc["runs"][0]["tool"]["driver"]
    ids = [rule["id"] for rule in driver["rules"]]
    assert ids == [r.code for r in RULES]
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["text"]
    res = doc["runs"][0]["results"]
    assert {x["ruleId"] for x in res} == {"BN001", "BN003"}
    region = res[0]["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] >= 1 and region["startColumn"] >= 1


def test_junit(project):
    r = run("check", "--no-cache", "--output-format", "junit", "model.py")
    root = ET.fromstring(r.output)
    assert root.tag == "testsuites" and root.get("failures") == "2"
    cases = root.findall(".//testcase")
    assert {c.get("name") for c in cases} == {"org.bnlint.BN001", "org.bnlint.BN003"}


def test_full_format_shows_source_and_fix(project):
    r = run("check", "--no-cache", "--output-format", "full", "model.py")
    assert "x = layers.BatchNormalization()(x)  # per channel?" in r.output
    assert "^^^" in r.output and "= help: Use axis=1" in r.output


def test_statistics(project):
    r = run("check", "--no-cache", "--statistics", ".")
    assert r.exit_code == 1
    assert "BN001" in r.output and "moments-axes" in r.output


def test_output_file(project):
    r = run("check", "--no-cache", "--output-format", "json", "--output-file", "out.json", "model.py")
    assert r.exit_code == 1
    assert len(json.loads((project / "out.json").read_text())) == 2


def test_no_color_when_not_a_tty(project):
    r = run("check", "--no-cache", "model.py")
    assert "\x1b[" not in r.output


def test_select_ignore_prefixes(project):
    assert "BN003" not in run("check", "--no-cache", "--select", "BN001", ".").output
    out = run("check", "--no-cache", "--ignore", "BN00", ".")
    assert out.exit_code == 0
    out = run("check", "--no-cache", "--ignore", "BN", "--extend-select", "BN003", ".")
    assert "BN003" in out.output and "BN001" not in out.output


def test_default_off_rule_needs_selecting(project):
    (project / "slim_model.py").write_text(SLIM)
    assert "BN006" not in run("check", "--no-cache", "slim_model.py").output
    r = run("check", "--no-cache", "--extend-select", "BN006", "slim_model.py")
    assert "BN006" in r.output
    assert "1 hidden fix can be enabled with the `--unsafe-fixes` option." in r.output


def test_fix_in_place_then_clean(project):
    r = run("fix", "--no-cache", "model.py")
    assert r.exit_code == 0, r.output
    assert "Fixed 2 problems" in r.output
    text = (project / "model.py").read_text()
    assert "BatchNormalization(axis=1)(x)  # per channel?" in text
    assert "tf.nn.moments(conv, [0, 1, 2])" in text
    again = run("fix", "--no-cache", "model.py")
    assert again.exit_code == 0 and "Fixed 0 problems" in again.output
    assert (project / "model.py").read_text() == text


def test_fix_rounds_run_only_on_files_with_a_fix(project, monkeypatch):
    """A file the first check finds nothing to fix in keeps that result:
    no fix rounds (each analyses the file's project again)."""
    from bnlint.run import runner

    real, seen = runner.fix_bytes, []

    def counting(path, *args, **kwargs):
        seen.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(runner, "fix_bytes", counting)
    r = run("fix", "--no-cache", ".")
    assert r.exit_code == 0, r.output
    assert "Fixed 2 problems; nothing left to report." in r.output
    assert [os.path.basename(p) for p in seen] == ["model.py"]


def test_fix_diff_writes_nothing(project):
    before = (project / "model.py").read_text()
    r = run("fix", "--no-cache", "--diff", "model.py")
    assert r.exit_code == 1
    assert "-    x = layers.BatchNormalization()(x)" in r.output
    assert "+    x = layers.BatchNormalization(axis=1)(x)" in r.output
    assert (project / "model.py").read_text() == before
    assert run("fix", "--no-cache", "--diff", "clean.py").exit_code == 0


def test_unsafe_fixes_held_back(project):
    (project / "slim_model.py").write_text(SLIM)
    r = run("fix", "--no-cache", "--extend-select", "BN006", "slim_model.py")
    assert r.exit_code == 1 and "hidden fix" in r.output
    assert (project / "slim_model.py").read_text() == SLIM
    r = run("fix", "--no-cache", "--extend-select", "BN006", "--unsafe-fixes", "slim_model.py")
    assert r.exit_code == 0
    assert "normalizer_fn=slim.batch_norm" in (project / "slim_model.py").read_text()


def test_stdin_check_and_fix(project):
    r = run("check", "-", "--stdin-filename", "pkg/net.py", input=BUGGY)
    assert r.exit_code == 1 and "pkg/net.py:7:9: BN003" in r.output
    r = CliRunner().invoke(main, ["fix", "-", "--stdin-filename", "net.py"], input=BUGGY)
    assert r.exit_code == 0
    assert "BatchNormalization(axis=1)" in r.stdout
    assert "Fixed 2 problems" not in r.stdout  # messages go to stderr


def test_rule_docs_commands():
    r = run("rule", "BN003")
    assert r.exit_code == 0 and r.output.startswith("# bn-axis (BN003)")
    assert "## Why is this bad?" in r.output
    assert run("rule", "XX999").exit_code == 2
    everything = run("rule", "--all").output
    assert all(f"({r.code})" in everything for r in RULES)
    listing = run("rules").output.splitlines()
    assert len(listing) == len(RULES) and listing[5].startswith("BN006  off")


def _run_in_terminal(args, env_extra):
    """Run bnlint with stdout on a pseudo-terminal; return what it printed."""
    import os
    import pty
    import subprocess
    import sys

    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(env_extra)
    proc = subprocess.Popen([sys.executable, "-m", "bnlint", *args], stdout=slave, stderr=slave, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait()
    os.close(master)
    return b"".join(chunks).decode()


def test_colour_on_a_terminal_unless_no_color(project):
    coloured = _run_in_terminal(["check", "--no-cache", "model.py"], {})
    assert "\x1b[" in coloured and "BN003" in coloured
    plain = _run_in_terminal(["check", "--no-cache", "model.py"], {"NO_COLOR": "1"})
    assert "\x1b[" not in plain and "BN003" in plain


def test_fix_with_json_output_keeps_stdout_json(project):
    r = CliRunner().invoke(main, ["fix", "--no-cache", "--output-format", "json", "model.py"])
    assert json.loads(r.stdout) == []
    assert "Fixed 2 problems" in r.stderr
