"""pre-commit hooks, the flake8 plugin, rule docs, and what the check
path must never import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli import BUGGY

from bnlint.docs import code_block, doc_text, section
from bnlint.rules import RULES
from bnlint.run.linter import lint_source
from bnlint.run.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_doc_examples(rule):
    text = doc_text(rule.code)
    assert text, f"{rule.code} has no doc in rules/"
    for title in ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "References"):
        assert section(text, title), f"{rule.code} doc lacks '{title}'"
    # the default rules and the doc's own (an opt-in rule such as BN010 has
    # opinions about code other rules' docs show)
    everything = Settings(extend_select=(rule.code,))
    example = code_block(section(text, "Example"))
    use_instead = code_block(section(text, "Use instead"))
    found = lint_source("example.py", example.encode(), everything).diagnostics
    assert rule.code in {d.code for d in found}
    assert lint_source("use_instead.py", use_instead.encode(), everything).diagnostics == []


def test_check_never_imports_tensorflow_or_libcst(tmp_path):
    (tmp_path / "model.py").write_text(BUGGY)
    code = (
        "import sys\n"
        "from bnlint.cli import main\n"
        "try:\n"
        "    main(['check', '--no-cache', '--output-format', 'concise', sys.argv[1]])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'libcst', 'tf_keras') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True)
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr


def test_flake8_plugin(tmp_path):
    pytest.importorskip("flake8")
    (tmp_path / "model.py").write_text(BUGGY)
    out = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "BN", str(tmp_path / "model.py")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1, out.stderr
    assert ":7:9: BN003 " in out.stdout and ":13:17: BN001 " in out.stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_pre_commit_hooks(tmp_path):
    pytest.importorskip("pre_commit")
    repo = tmp_path / "repo"
    repo.mkdir()
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "pc-home"))
    # pre-commit try-repo wants a git repository to take the hooks from
    hook_repo = tmp_path / "bnlint"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(hook_repo)], check=True)
    for name in ("bnlint", "rules", "pyproject.toml", ".pre-commit-hooks.yaml", "README.md"):
        src = ROOT / name
        dst = hook_repo / name
        if src.is_dir():
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, dst)
    git = ["git", "-c", "user.email=t@example.invalid", "-c", "user.name=t"]
    subprocess.run(git + ["add", "-A"], cwd=hook_repo, check=True)
    subprocess.run(git + ["commit", "-qm", "hooks", "--allow-empty"], cwd=hook_repo, check=True)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / "model.py").write_text(BUGGY)
    subprocess.run(["git", "add", "model.py"], cwd=repo, check=True)
    check = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "bnlint-check", "--all-files"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
    )
    assert check.returncode == 1, check.stdout + check.stderr
    assert "BN003" in check.stdout
    fix = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "bnlint-fix", "--all-files"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
    )
    assert "BatchNormalization(axis=1)" in (repo / "model.py").read_text(), fix.stdout + fix.stderr
