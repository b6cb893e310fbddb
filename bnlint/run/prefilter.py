"""Skips, before any parse, the files on which no enabled rule can fire:
each rule says what its findings need spelled in the file."""

from __future__ import annotations


def may_have_findings(data: bytes, rules) -> bool:
    # Every rule needs a conv, except the normalizer_fn string check:
    # most files fail here, after one or two scans.
    if b"onv" not in data and b"normalizer_fn" not in data:
        return False
    return any(rule.may_fire(data) for rule in rules)
