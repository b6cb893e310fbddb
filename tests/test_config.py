"""[tool.bnlint] configuration, suppressions, per-file-ignores, discovery."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner
from test_cli import BUGGY

from bnlint.cli import main


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def tree(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "model.py").write_text(BUGGY)
    return tmp_path


def test_nearest_pyproject_is_used(tree):
    (tree / "pyproject.toml").write_text('[tool.bnlint]\nignore = ["BN003"]\n')
    r = run("check", "--no-cache", "-v", "pkg")
    assert "BN003" not in r.output and "BN001" in r.output
    assert "Using configuration from" in r.output and "pyproject.toml" in r.output
    # a closer pyproject.toml wins for the files below it
    (tree / "pkg" / "pyproject.toml").write_text('[tool.bnlint]\nignore = ["BN001"]\n')
    r = run("check", "--no-cache", "pkg")
    assert "BN003" in r.output and "BN001" not in r.output


def test_pyproject_without_table_is_skipped(tree):
    (tree / "pyproject.toml").write_text('[tool.bnlint]\nselect = ["BN001"]\n')
    (tree / "pkg" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    r = run("check", "--no-cache", "pkg")
    assert "BN001" in r.output and "BN003" not in r.output


def test_flags_win_over_config(tree):
    (tree / "pyproject.toml").write_text('[tool.bnlint]\nselect = ["BN001"]\n')
    r = run("check", "--no-cache", "--select", "BN003", "pkg")
    assert "BN003" in r.output and "BN001" not in r.output


def test_explicit_config_and_isolated(tree):
    (tree / "pyproject.toml").write_text('[tool.bnlint]\nignore = ["BN001", "BN003"]\n')
    (tree / "other.toml").write_text('ignore = ["BN003"]\n')
    assert run("check", "--no-cache", "pkg").exit_code == 0
    r = run("check", "--no-cache", "--config", "other.toml", "pkg")
    assert "BN001" in r.output and "BN003" not in r.output
    r = run("check", "--no-cache", "--isolated", "pkg")
    assert "BN001" in r.output and "BN003" in r.output


def test_config_errors_name_file_and_key(tree):
    (tree / "pyproject.toml").write_text('[tool.bnlint]\nselct = ["BN001"]\n')
    r = run("check", "--no-cache", "pkg")
    assert r.exit_code == 2
    assert "pyproject.toml" in r.output and "selct" in r.output
    (tree / "pyproject.toml").write_text('[tool.bnlint]\nunsafe-fixes = "yes"\n')
    r = run("check", "--no-cache", "pkg")
    assert r.exit_code == 2 and "unsafe-fixes" in r.output
    (tree / "pyproject.toml").write_text("[tool.bnlint\n")
    assert run("check", "--no-cache", "pkg").exit_code == 2


def test_per_file_ignores(tree):
    (tree / "pyproject.toml").write_text('[tool.bnlint.per-file-ignores]\n"pkg/*.py" = ["BN003"]\n')
    r = run("check", "--no-cache", "pkg")
    assert "BN003" not in r.output and "BN001" in r.output
    r = run("check", "--no-cache", "--isolated", "--per-file-ignores", "model.py:BN001", "pkg")
    assert "BN001" not in r.output and "BN003" in r.output


def test_noqa_comments(tree):
    src = BUGGY.replace("# per channel?", "# noqa: BN003").replace(
        "tf.nn.moments(conv, [0])", "tf.nn.moments(conv, [0])  # noqa"
    )
    (tree / "pkg" / "model.py").write_text(src)
    assert run("check", "--no-cache", "pkg").exit_code == 0
    # an unknown code in a noqa comment is ignored, not an error
    (tree / "pkg" / "model.py").write_text(BUGGY.replace("# per channel?", "# noqa: XYZ123"))
    r = run("check", "--no-cache", "pkg")
    assert r.exit_code == 1 and "BN003" in r.output


def test_file_level_noqa(tree):
    (tree / "pkg" / "model.py").write_text("# bnlint: noqa\n" + BUGGY)
    assert run("check", "--no-cache", "pkg").exit_code == 0


def test_discovery_respects_gitignore_and_excludes(tree):
    for d in ("build", ".venv", "generated", "__pycache__"):
        (tree / d).mkdir()
        (tree / d / "model.py").write_text(BUGGY)
    (tree / ".gitignore").write_text("generated/\n")
    (tree / "stub.pyi").write_text(BUGGY)
    r = run("check", "--no-cache", ".")
    paths = {line.split(":")[0] for line in r.output.splitlines() if ": BN" in line}
    assert paths == {os.path.join("pkg", "model.py"), "stub.pyi"}
    r = run("check", "--no-cache", "--no-respect-gitignore", ".")
    assert "generated" in r.output
    r = run("check", "--no-cache", "--extend-exclude", "pkg", ".")
    assert "pkg" not in r.output


def test_named_files_are_checked_unless_force_exclude(tree):
    (tree / "build").mkdir()
    (tree / "build" / "model.py").write_text(BUGGY)
    assert run("check", "--no-cache", "build/model.py").exit_code == 1
    assert run("check", "--no-cache", "--force-exclude", "build/model.py").exit_code == 0


def test_cache_dir_and_clean(tree, monkeypatch):
    r = run("check", "--cache-dir", "cachedir", "pkg")
    assert r.exit_code == 1
    assert (tree / "cachedir" / "CACHEDIR.TAG").exists()
    assert (tree / "cachedir" / ".gitignore").read_text() == "*\n"
    again = run("check", "--cache-dir", "cachedir", "pkg")
    assert again.output == r.output
    monkeypatch.setenv("BNLINT_CACHE_DIR", str(tree / "envcache"))
    run("check", "pkg")
    assert (tree / "envcache").is_dir()
    assert "Removed" in run("clean", "--cache-dir", "cachedir").output
    assert not (tree / "cachedir").exists()


def test_unknown_selectors_are_errors(tree):
    r = run("check", "--no-cache", "--select", "BN01X", "pkg")
    assert r.exit_code == 2 and "BN01X" in r.output
    (tree / "pyproject.toml").write_text('[tool.bnlint]\nignore = ["E501"]\n')
    r = run("check", "--no-cache", "pkg")
    assert r.exit_code == 2 and "E501" in r.output and "pyproject.toml" in r.output


def test_select_all_turns_on_default_off_rules(tree):
    r = run("check", "--no-cache", "--select", "ALL", "pkg")
    assert "BN003" in r.output and "BN001" in r.output
