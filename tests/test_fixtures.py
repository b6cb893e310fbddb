"""Every fixture, TorchFix style: positives give exactly their expected
findings and fix output, fixes are idempotent and leave nothing behind;
negatives give nothing at all."""

import pytest
from fixture_cases import expected_path, fixed_path, inputs, render, settings_for

from bnlint.run.linter import fix_source, lint_source

POSITIVES = inputs("positive")
NEGATIVES = inputs("negative")


def _id(p):
    return f"{p.parent.parent.name}/{p.stem}"


@pytest.mark.parametrize("path", POSITIVES, ids=_id)
def test_positive_findings(path):
    result = lint_source(path.name, path.read_bytes(), settings_for(path))
    assert result.error is None
    codes = {d.code for d in result.diagnostics}
    assert path.parent.parent.name in codes, "a positive fixture must trigger its rule"
    assert render(result.diagnostics) == expected_path(path).read_text()


@pytest.mark.parametrize("path", POSITIVES, ids=_id)
def test_positive_fix(path):
    settings = settings_for(path)
    new, fixed, after = fix_source(path.name, path.read_bytes(), settings)
    assert fixed > 0
    assert new.decode() == fixed_path(path).read_text()
    assert after.diagnostics == [], "nothing may be left after fix"
    again, fixed_again, _ = fix_source(path.name, new, settings)
    assert again == new and fixed_again == 0, "fix must be idempotent"


@pytest.mark.parametrize("path", NEGATIVES, ids=_id)
def test_negative_is_silent(path):
    result = lint_source(path.name, path.read_bytes(), settings_for(path))
    assert result.error is None
    assert result.diagnostics == []


def test_every_rule_has_fixtures():
    from bnlint.rules import RULES

    for rule in RULES:
        assert any(p.parent.parent.name == rule.code for p in POSITIVES), rule.code
        assert sum(p.parent.parent.name == rule.code for p in NEGATIVES) >= 3, rule.code
