"""``# noqa`` and ``# bnlint: noqa`` suppressions, and per-file-ignores."""

from __future__ import annotations

import fnmatch
import re

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.I)
_FILE = re.compile(r"#\s*bnlint:\s*noqa\b", re.I)


def file_suppressed(text: str) -> bool:
    return bool(_FILE.search(text))


def filter_suppressed(source, diagnostics, settings) -> list:
    """The diagnostics no suppression applies to."""
    if not diagnostics or file_suppressed(source.text):
        return []
    return [d for d in diagnostics if not suppressed(source, d, settings)]


def suppressed(source, diagnostic, settings) -> bool:
    for pattern, codes in settings.per_file_ignores:
        if _path_matches(source.path, pattern) and any(diagnostic.code.startswith(c) for c in codes):
            return True
    line_no = diagnostic.span[0][0]
    if line_no - 1 >= len(source.lines):
        return False
    line = source.lines[line_no - 1]
    if "#" not in line:
        return False
    for m in _NOQA.finditer(line):
        codes = m.group("codes")
        if not codes:
            return True
        if diagnostic.code in re.split(r"[,\s]+", codes.upper()):
            return True
    return False


def _path_matches(path: str, pattern: str) -> bool:
    norm = path.replace("\\", "/")
    return (
        fnmatch.fnmatch(norm, pattern)
        or fnmatch.fnmatch(norm, "*/" + pattern)
        or fnmatch.fnmatch(norm.rsplit("/", 1)[-1], pattern)
    )
