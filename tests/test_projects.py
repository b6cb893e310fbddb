"""Project fixtures: several modules analysed together.  Each case gives
exactly its expected findings (with and without the prefilter), its
expected fixes, idempotently; and checking one module alone, as
pre-commit does, reports that module's findings and no other file's."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixture_cases import project_cases, project_modules, render_project

from bnlint.cli import main
from bnlint.run import runner
from bnlint.run.settings import Settings

CASES = project_cases()


def _id(case: Path) -> str:
    return case.name


def _check(root: Path, paths, speedups=True):
    cwd = os.getcwd()
    os.chdir(root)
    try:
        results = runner.check_files(list(paths), lambda p: Settings(), None, speedups=speedups)
    finally:
        os.chdir(cwd)
    diagnostics = sorted((d for r in results for d in r.diagnostics), key=lambda d: (d.path, d.span, d.code))
    assert all(r.error is None for r in results), [r.error for r in results if r.error]
    return diagnostics


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_project_findings(case):
    root = case / "project"
    found = _check(root, project_modules(case))
    assert render_project(found) == (case / "findings.txt").read_text()


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_prefilter_keeps_project_findings(case):
    root = case / "project"
    modules = project_modules(case)
    assert render_project(_check(root, modules, speedups=False)) == render_project(_check(root, modules))


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_project_fix(case, tmp_path, monkeypatch):
    work = tmp_path / "project"
    shutil.copytree(case / "project", work)
    monkeypatch.chdir(work)
    r = CliRunner().invoke(main, ["fix", "--no-cache", "-q", "."])
    assert r.exit_code in (0, 1), r.output
    expected = case / "fixed"
    for module in project_modules(case):
        want = expected / module
        original = (case / "project" / module).read_text()
        got = (work / module).read_text()
        assert got == (want.read_text() if want.exists() else original), module
    again = CliRunner().invoke(main, ["fix", "--no-cache", "--diff", "."])
    assert again.exit_code == 0, again.output  # idempotent: nothing more to change
    # what fix says is left is what a check of the fixed project finds
    check = CliRunner().invoke(main, ["check", "--no-cache", "-q", "."])
    assert sorted(r.output.splitlines()) == sorted(check.output.splitlines())


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_one_module_at_a_time(case, monkeypatch):
    """``bnlint check model.py``: the other modules are read, only this one
    reports; every finding of the whole run in this module is there."""
    root = case / "project"
    monkeypatch.chdir(root)
    whole = _check(root, project_modules(case))
    for module in project_modules(case):
        r = CliRunner().invoke(main, ["check", "--no-cache", "--output-format", "concise", "-q", module])
        lines = [line for line in r.output.splitlines() if line.strip()]
        assert all(line.startswith(module + ":") for line in lines), r.output
        for d in whole:
            if d.path == module:
                assert f"{module}:{d.span[0][0]}:{d.span[0][1] + 1}: {d.code}" in r.output, (module, r.output)


def test_one_finding_per_rule_and_place():
    """A helper reached through several callers says its finding once, the
    same way on every run, whatever order the chains were found in."""
    from bnlint.diagnostics import Diagnostic
    from bnlint.run.linter import _one_per_place

    span = ((3, 4), (3, 9))
    plain = Diagnostic("BN010", "the bias is wasted", "ops.py", span)
    via_a = Diagnostic(
        "BN010", "the bias is wasted (called from a.py:3 with a NHWC conv output)", "ops.py", span
    )
    via_b = Diagnostic(
        "BN010", "the bias is wasted (called from b.py:9 with a NHWC conv output)", "ops.py", span
    )
    other = Diagnostic("BN003", "axis", "ops.py", span)
    for order in ([plain, via_b, via_a, other], [via_a, other, plain, via_b], [other, via_b, plain, via_a]):
        assert _one_per_place(order) == [other, via_a]
