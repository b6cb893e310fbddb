"""Regenerate the expected findings and fix outputs of positive fixtures.
Review the diff by hand before committing: these files are the spec."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from fixture_cases import expected_path, fixed_path, inputs, render, settings_for  # noqa: E402

from bnlint.run.linter import fix_source, lint_source  # noqa: E402

for path in inputs("positive"):
    data = path.read_bytes()
    settings = settings_for(path)
    result = lint_source(path.name, data, settings)
    expected_path(path).write_text(render(result.diagnostics))
    new, _, _ = fix_source(path.name, data, settings)
    fixed_path(path).write_bytes(new)
    print(f"{path}: {len(result.diagnostics)} findings")

# Project fixtures: findings of ``check .`` and the files ``fix .`` changes.
import os  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

from click.testing import CliRunner  # noqa: E402
from fixture_cases import project_cases, project_modules, render_project  # noqa: E402

from bnlint.cli import main  # noqa: E402
from bnlint.run import runner  # noqa: E402
from bnlint.run.settings import Settings  # noqa: E402

here = os.getcwd()
for case in project_cases():
    root = case / "project"
    os.chdir(root)
    results = runner.check_files(project_modules(case), lambda p: Settings(), None)
    os.chdir(here)
    found = sorted((d for r in results for d in r.diagnostics), key=lambda d: (d.path, d.span, d.code))
    (case / "findings.txt").write_text(render_project(found))
    with tempfile.TemporaryDirectory() as tmp:
        work = os.path.join(tmp, "project")
        shutil.copytree(root, work)
        os.chdir(work)
        CliRunner().invoke(main, ["fix", "--no-cache", "-q", "."])
        os.chdir(here)
        shutil.rmtree(case / "fixed", ignore_errors=True)
        for module in project_modules(case):
            new = (Path(work) / module).read_bytes()
            if new != (root / module).read_bytes():
                target = case / "fixed" / module
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(new)
    print(f"{case.name}: {len(found)} findings")
