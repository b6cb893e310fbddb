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
