"""Discovery of the fixture files and the settings each is checked with.

tests/fixtures/<CODE>/positive/<name>.py   buggy input
                    .../<name>.txt         expected findings, ``line:col: CODE message``
                    .../<name>.fixed.py    expected ``bnlint fix`` output
tests/fixtures/<CODE>/negative/<name>.py   code that looks alike and is right

A fixture defining ``probe()`` is also run in TensorFlow (test_tf_validation);
``# bnlint-test: graph`` at the top runs it in TF1 graph mode.

tests/fixtures/projects/<case>/project/...     several modules of one project
                     .../findings.txt          expected findings of ``bnlint check .``
                                               run in project/ (``path:line:col: CODE message``)
                     .../fixed/<path>          expected content of each file ``bnlint fix .`` changes
The module defining ``probe()`` is run in TensorFlow with its project on
``sys.path`` (the project folder and its ``src/``).
"""

from __future__ import annotations

from pathlib import Path

from bnlint.rules import BY_CODE
from bnlint.run.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures"


PROJECTS = FIXTURES / "projects"


def project_cases() -> list[Path]:
    return sorted(p for p in PROJECTS.iterdir() if (p / "project").is_dir())


def project_modules(case: Path) -> list[str]:
    """The case's modules, relative to its project folder."""
    root = case / "project"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.py"))


def project_sys_path(root: Path) -> list[str]:
    return [str(root), str(root / "src")]


def project_module_name(module: str) -> str:
    """``models/resnet.py`` -> ``models.resnet`` (a ``src/`` layout's prefix dropped)."""
    parts = module[: -len(".py")].split("/")
    if parts[0] == "src":
        parts = parts[1:]
    return ".".join(parts)


def render_project(diagnostics) -> str:
    return "".join(f"{d.path}:{d.span[0][0]}:{d.span[0][1] + 1}: {d.code} {d.message}\n" for d in diagnostics)


def rule_dirs():
    return sorted(p for p in FIXTURES.iterdir() if p.is_dir() and p.name in BY_CODE)


def inputs(kind: str) -> list[Path]:
    out = []
    for d in rule_dirs():
        out += sorted(p for p in (d / kind).glob("*.py") if not p.name.endswith(".fixed.py"))
    return out


def settings_for(path: Path) -> Settings:
    """Default rules, plus the fixture's own rule (and its unsafe fixes
    when that rule's fix is unsafe)."""
    code = path.parent.parent.name
    rule = BY_CODE[code]
    return Settings(extend_select=(code,), unsafe_fixes=rule.fix_safety == "unsafe")


def cli_flags(path: Path) -> list[str]:
    code = path.parent.parent.name
    flags = ["--extend-select", code]
    if BY_CODE[code].fix_safety == "unsafe":
        flags.append("--unsafe-fixes")
    return flags


def render(diagnostics) -> str:
    return "".join(f"{d.span[0][0]}:{d.span[0][1] + 1}: {d.code} {d.message}\n" for d in diagnostics)


def fixed_path(path: Path) -> Path:
    return path.with_name(path.stem + ".fixed.py")


def expected_path(path: Path) -> Path:
    return path.with_suffix(".txt")
