"""SARIF 2.1.0, as GitHub code scanning reads it."""

from __future__ import annotations

import json
import os

from bnlint import __version__
from bnlint.docs import doc_text, doc_url, section
from bnlint.rules import RULES


def _rule(r) -> dict:
    text = doc_text(r.code) or r.summary
    what = section(text, "What it does") or r.summary
    entry = {
        "id": r.code,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": what},
        "help": {"text": text, "markdown": text},
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["correctness", "tensorflow"]},
    }
    url = doc_url(r.code)
    if url:
        entry["helpUri"] = url
    return entry


def sarif(diagnostics, env) -> str:
    rules = [_rule(r) for r in RULES]
    index = {r.code: i for i, r in enumerate(RULES)}
    results = []
    for d in diagnostics:
        (l1, c1), (l2, c2) = d.span
        uri = os.path.relpath(d.path).replace(os.sep, "/") if d.path != "-" else "stdin"
        res = {
            "ruleId": d.code,
            "level": "error",
            "message": {"text": d.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                        "region": {
                            "startLine": l1,
                            "startColumn": c1 + 1,
                            "endLine": l2,
                            "endColumn": c2 + 1,
                        },
                    }
                }
            ],
        }
        if d.code in index:
            res["ruleIndex"] = index[d.code]
        results.append(res)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "bnlint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"
