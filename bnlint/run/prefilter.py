"""Skips, before any parse, the files on which no enabled rule can fire:
each rule says what its findings need spelled in the file."""

from __future__ import annotations


def may_have_findings(data: bytes, rules) -> bool:
    # Most rules need a conv: most files fail here, after one scan.
    if b"onv" not in data:
        rules = [r for r in rules if not r.needs_conv]
    return any(rule.may_fire(data) for rule in rules)
