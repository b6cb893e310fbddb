"""concise, full and github output."""

from __future__ import annotations

import click


def location(d) -> str:
    (line, col), _ = d.span
    if d.cell is not None:
        return f"{d.path}:cell {d.cell}:{line}:{col + 1}"
    return f"{d.path}:{line}:{col + 1}"


def concise_line(d, color: bool = False) -> str:
    loc, code = location(d), d.code
    if color:
        loc = click.style(loc, bold=True)
        code = click.style(code, fg="red", bold=True)
    return f"{loc}: {code} {d.message}"


def concise(diagnostics, env) -> str:
    return "".join(concise_line(d, env.color) + "\n" for d in diagnostics)


def full(diagnostics, env) -> str:
    out = []
    for d in diagnostics:
        out.append(concise_line(d, env.color))
        text = env.text(d.path) if d.cell is None else None
        (l1, c1), (l2, c2) = d.span
        if text is not None:
            lines = text.splitlines()
            width = len(str(l2))
            out.append(" " * width + " |")
            for n in range(l1, min(l2, len(lines)) + 1):
                src = lines[n - 1]
                out.append(f"{n:>{width}} | {src}")
                start = c1 if n == l1 else len(src) - len(src.lstrip())
                end = c2 if n == l2 else len(src)
                out.append(" " * width + " | " + " " * start + "^" * max(1, end - start))
            out.append(" " * width + " |")
        for r in d.related:
            out.append(f"  = note: {r.path}:{r.span[0][0]}:{r.span[0][1] + 1}: {r.message}")
        if d.fix is not None:
            tag = "" if d.fix.applicability == "safe" else " (unsafe)"
            out.append(f"  = help: {d.fix.message}{tag}")
            for e in env.edits(d):
                loc, end = e["location"], e["end_location"]
                out.append(
                    f"  = fix: replace {loc['row']}:{loc['column']}-{end['row']}:{end['column']} "
                    f"with: {e['content']!r}"
                )
        out.append("")
    return "\n".join(out) + ("\n" if out else "")


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def github(diagnostics, env) -> str:
    out = []
    for d in diagnostics:
        (l1, c1), (l2, c2) = d.span
        props = (
            f"title={_escape_prop('bnlint (' + d.code + ')')},file={_escape_prop(d.path)},"
            f"line={l1},col={c1 + 1},endLine={l2},endColumn={c2 + 1}"
        )
        out.append(f"::error {props}::{_escape_data(location(d) + ': ' + d.code + ' ' + d.message)}\n")
    return "".join(out)
