"""A report-only flake8 plugin: ``flake8 --select BN`` shows bnlint's
findings.  Fixes stay with ``bnlint fix``."""

from __future__ import annotations

from bnlint import __version__


class Plugin:
    name = "bnlint"
    version = __version__

    def __init__(self, tree, filename="stdin", lines=None):
        self.filename = filename
        self.lines = lines

    def run(self):
        from bnlint.run.linter import lint_source

        try:  # the file's own bytes keep its encoding declaration right
            with open(self.filename, "rb") as f:
                data = f.read()
        except OSError:
            data = "".join(self.lines or []).encode("utf-8")
        result = lint_source(self.filename, data)
        for d in result.diagnostics:
            (line, col), _ = d.span
            yield line, col, f"{d.code} {d.message}", type(self)
