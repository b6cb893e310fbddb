"""JUnit XML: one test suite per file, one failing test case per finding."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr


def junit(diagnostics, env) -> str:
    by_file: dict[str, list] = {}
    for d in diagnostics:
        by_file.setdefault(d.path, []).append(d)
    total = len(diagnostics)
    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    out.append(f'<testsuites name="bnlint" tests="{max(total, 1)}" failures="{total}" errors="0">')
    if not by_file:
        out.append(
            '  <testsuite name="bnlint" tests="1" disabled="0" errors="0" failures="0" package="org.bnlint">'
        )
        out.append('    <testcase name="No errors found" classname="bnlint"/>')
        out.append("  </testsuite>")
    for path, ds in by_file.items():
        out.append(
            f'  <testsuite name={quoteattr(path)} tests="{len(ds)}" disabled="0" errors="0" '
            f'failures="{len(ds)}" package="org.bnlint">'
        )
        for d in ds:
            (line, col), _ = d.span
            where = f"cell {d.cell}, line {line}" if d.cell is not None else f"line {line}"
            out.append(
                f'    <testcase name={quoteattr("org.bnlint." + d.code)} classname={quoteattr(path)} line="{line}" column="{col + 1}">'
            )
            out.append(
                f"      <failure message={quoteattr(d.message)}>{escape(where)}, col {col + 1}, {escape(d.message)}</failure>"
            )
            out.append("    </testcase>")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"
