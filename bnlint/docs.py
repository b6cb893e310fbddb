"""Rule documentation: one Markdown file per rule, shipped in the package
(``bnlint/rule_docs/``, built from the repository's ``rules/``)."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent
_CANDIDATES = (_HERE / "rule_docs", _HERE.parent / "rules")


def doc_path(code: str) -> Path | None:
    for folder in _CANDIDATES:
        p = folder / f"{code}.md"
        if p.is_file():
            return p
    return None


def doc_text(code: str) -> str | None:
    p = doc_path(code)
    return p.read_text(encoding="utf-8") if p else None


def doc_url(code: str) -> str | None:
    p = doc_path(code)
    return p.as_uri() if p else None


def section(text: str, title: str) -> str | None:
    """The body of a ``## title`` section of a rule doc."""
    lines = text.splitlines()
    out, inside = [], False
    for line in lines:
        if line.startswith("## "):
            if inside:
                break
            inside = line[3:].strip().lower() == title.lower()
            continue
        if inside:
            out.append(line)
    return "\n".join(out).strip() if inside or out else None


def code_block(text: str) -> str | None:
    """The first fenced Python block of a section."""
    if text is None:
        return None
    start = text.find("```")
    if start < 0:
        return None
    start = text.index("\n", start) + 1
    end = text.find("```", start)
    return text[start:end] if end > 0 else None
