"""Output formats.  Each module renders a list of diagnostics as text."""

FORMATS = ("concise", "full", "json", "json-lines", "github", "sarif", "junit")


def render(fmt: str, diagnostics, env) -> str:
    if fmt == "concise":
        from bnlint.output.text import concise as f
    elif fmt == "full":
        from bnlint.output.text import full as f
    elif fmt == "github":
        from bnlint.output.text import github as f
    elif fmt == "json":
        from bnlint.output.jsonfmt import json_array as f
    elif fmt == "json-lines":
        from bnlint.output.jsonfmt import json_lines as f
    elif fmt == "sarif":
        from bnlint.output.sarif import sarif as f
    elif fmt == "junit":
        from bnlint.output.junit import junit as f
    else:
        raise ValueError(fmt)
    return f(diagnostics, env)
