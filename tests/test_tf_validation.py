"""Proof in TensorFlow: every runnable positive fixture fails the per-channel
property as written and passes it after the real ``bnlint fix``; every
runnable negative fixture passes as written.

The fixtures run in two worker processes (eager and TF1 graph mode), each
importing TensorFlow once.  Without TensorFlow these tests skip, except on
CI, where they must run.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixture_cases import cli_flags, inputs, project_cases, project_module_name, project_sys_path

from bnlint.cli import main

HARNESS = Path(__file__).parent / "tf_harness"
HAVE_TF = all(importlib.util.find_spec(m) for m in ("tensorflow", "tf_keras", "tf_slim"))
ON_CI = os.environ.get("CI") == "true"

if not HAVE_TF and not ON_CI:
    pytestmark = pytest.mark.skip(reason="TensorFlow test extras not installed (pip install -e '.[test]')")

# Rules whose fix keeps a correct batch norm correct (and, with an
# ``output`` from the probe, keeps its output): BN006 moves the batch norm
# into normalizer_fn, BN010 drops a bias the batch norm subtracts anyway.
SAME_OUTPUT = {"BN006", "BN010"}
# findings whose code does not build as written (slim calls a string normalizer_fn)
RAISES_AS_WRITTEN = {"BN005"}
COUNTS: Counter = Counter()  # rule -> fixtures proven, shown in the summary


def runnable(kind: str) -> list[Path]:
    return [p for p in inputs(kind) if "def probe(" in p.read_text()]


def project_probes() -> list[tuple[Path, str]]:
    """(case, module with probe()) of every project fixture that has one."""
    out = []
    for case in project_cases():
        for p in sorted((case / "project").rglob("*.py")):
            if "def probe(" in p.read_text():
                out.append((case, str(p.relative_to(case / "project"))))
    return out


def mode(path: Path) -> str:
    return "graph" if "# bnlint-test: graph" in path.read_text() else "eager"


@pytest.fixture(scope="session")
def verdicts(tmp_path_factory):
    """Fix copies of the positives with the real CLI, then run originals,
    fixed copies and negatives in the workers."""
    if not HAVE_TF:
        pytest.fail("CI must run the TensorFlow validation: install the test extras")
    work = tmp_path_factory.mktemp("tf_fixed")
    jobs: dict[str, list[str]] = {"eager": [], "graph": []}
    fixed_of: dict[Path, Path] = {}
    runner = CliRunner()
    for path in runnable("positive"):
        copy = work / path.parent.parent.name / path.name
        copy.parent.mkdir(exist_ok=True)
        shutil.copy(path, copy)
        result = runner.invoke(main, ["fix", "--no-cache", "-q", *cli_flags(path), str(copy)])
        assert result.exit_code == 0, result.output
        fixed_of[path] = copy
        jobs[mode(path)] += [str(path), str(copy)]
    for path in runnable("negative"):
        jobs[mode(path)].append(str(path))
    for case, entry in project_probes():
        for kind in ("original", "fixed"):
            root = work / "projects" / case.name / kind
            shutil.copytree(case / "project", root)
            if kind == "fixed":
                result = runner.invoke(main, ["fix", "--no-cache", "-q", str(root)])
                assert result.exit_code in (0, 1), result.output
            item = {
                "path": str(root / entry),
                "module": project_module_name(entry),
                "sys_path": project_sys_path(root),
                "root": str(root),
            }
            jobs[mode(case / "project" / entry)].append(item)
            fixed_of[(case.name, kind)] = str(root / entry)
    procs = {}
    env = dict(os.environ, PYTHONPATH=str(HARNESS))
    for m, paths in jobs.items():
        if paths:
            procs[m] = subprocess.Popen(
                [sys.executable, str(HARNESS / "worker.py"), m],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
            )
            procs[m].stdin.write(json.dumps(paths).encode())
            procs[m].stdin.close()
    out = {}
    for proc in procs.values():
        stdout = proc.stdout.read()
        stderr = proc.stderr.read()
        proc.wait(timeout=900)
        assert proc.returncode == 0, stderr.decode()[-3000:]
        for v in json.loads(stdout):
            out[v["path"]] = v
    return out, fixed_of


def _id(p):
    return f"{p.parent.parent.name}/{p.stem}"


@pytest.mark.tensorflow
@pytest.mark.parametrize("path", runnable("positive"), ids=_id)
def test_fix_makes_bn_per_channel(path, verdicts):
    out, fixed_of = verdicts
    before, after = out[str(path)], out[str(fixed_of[path])]
    rule = path.parent.parent.name
    if rule not in SAME_OUTPUT:
        assert not before["ok"], f"the original should fail the property but: {before['why']}"
    assert after["ran"], f"fixed code failed to run: {after['why']}\n{after.get('trace', '')}"
    assert after["ok"], f"fixed code does not pass the property: {after['why']}"
    if "output" in before:
        import numpy as np

        assert np.allclose(before["output"], after["output"], atol=1e-4), "the fix changed the output"
    COUNTS[rule] += 1


@pytest.mark.tensorflow
@pytest.mark.parametrize("path", runnable("negative"), ids=_id)
def test_negative_runs_per_channel(path, verdicts):
    out, _ = verdicts
    v = out[str(path)]
    assert v["ran"], f"{v['why']}\n{v.get('trace', '')}"
    assert v["ok"], v["why"]


@pytest.mark.tensorflow
@pytest.mark.parametrize("probe", project_probes(), ids=lambda p: f"{p[0].name}/{p[1]}")
def test_project_fix_makes_bn_per_channel(probe, verdicts):
    """A project case with findings fails the property as written and
    passes after ``bnlint fix`` of the whole project; one without passes."""
    out, fixed_of = verdicts
    case, _ = probe
    before, after = out[fixed_of[(case.name, "original")]], out[fixed_of[(case.name, "fixed")]]
    codes = set(re.findall(r": (BN\d{3}) ", (case / "findings.txt").read_text()))
    if codes and codes <= RAISES_AS_WRITTEN:
        # a string normalizer: building the graph fails, as the finding says
        assert not before["ran"] and "not callable" in before["why"], before["why"]
        COUNTS["projects"] += 1
    elif codes:
        assert before["ran"], f"{before['why']}\n{before.get('trace', '')}"
        assert not before["ok"], f"the original should fail the property but: {before['why']}"
        COUNTS["projects"] += 1
    assert after["ran"], f"fixed code failed to run: {after['why']}\n{after.get('trace', '')}"
    assert after["ok"], f"fixed code is not per-channel batch norm: {after['why']}"
