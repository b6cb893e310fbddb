"""json and json-lines output, with ruff's field names."""

from __future__ import annotations

import json
import os

from bnlint.docs import doc_url


def record(d, env) -> dict:
    (l1, c1), (l2, c2) = d.span
    fix = None
    if d.fix is not None:
        fix = {"applicability": d.fix.applicability, "message": d.fix.message, "edits": env.edits(d)}
    return {
        "cell": d.cell,
        "code": d.code,
        "end_location": {"row": l2, "column": c2 + 1},
        "filename": os.path.abspath(d.path) if d.path != "-" else d.path,
        "fix": fix,
        "location": {"row": l1, "column": c1 + 1},
        "message": d.message,
        "noqa_row": l1,
        "related": [
            {
                "filename": os.path.abspath(r.path),
                "location": {"row": r.span[0][0], "column": r.span[0][1] + 1},
                "end_location": {"row": r.span[1][0], "column": r.span[1][1] + 1},
                "message": r.message,
            }
            for r in d.related
        ],
        "url": doc_url(d.code),
    }


def json_array(diagnostics, env) -> str:
    return json.dumps([record(d, env) for d in diagnostics], indent=2) + "\n"


def json_lines(diagnostics, env) -> str:
    return "".join(json.dumps(record(d, env)) + "\n" for d in diagnostics)
