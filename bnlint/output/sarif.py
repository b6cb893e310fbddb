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


def _uri(path: str) -> str:
    return os.path.relpath(path).replace(os.sep, "/") if path != "-" else "stdin"


def _location(path: str, span, message: str | None = None, ident: int | None = None) -> dict:
    (l1, c1), (l2, c2) = span
    loc = {
        "physicalLocation": {
            "artifactLocation": {"uri": _uri(path), "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": l1, "startColumn": c1 + 1, "endLine": l2, "endColumn": c2 + 1},
        }
    }
    if ident is not None:
        loc["id"] = ident
    if message is not None:
        loc["message"] = {"text": message}
    return loc


def sarif(diagnostics, env) -> str:
    rules = [_rule(r) for r in RULES]
    index = {r.code: i for i, r in enumerate(RULES)}
    results = []
    for d in diagnostics:
        res = {
            "ruleId": d.code,
            "level": "error",
            "message": {"text": d.message},
            "locations": [_location(d.path, d.span)],
        }
        if d.related:
            res["relatedLocations"] = [
                _location(r.path, r.span, r.message, i) for i, r in enumerate(d.related)
            ]
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
