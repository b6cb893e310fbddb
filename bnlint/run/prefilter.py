"""Skips, before any parse, the files on which no enabled rule can fire:
each rule says what its findings need spelled in the file."""

from __future__ import annotations


def may_have_findings(data: bytes, rules) -> bool:
    # Most rules need a conv: most files fail here, after one scan.
    if b"onv" not in data:
        rules = [r for r in rules if not r.needs_conv]
    return any(rule.may_fire(data) for rule in rules)


def needs_analysis(data: bytes, rules) -> bool:
    """Whether a rule that reads the layout analysis may fire on the file;
    the others read its syntax alone."""
    return may_have_findings(data, [r for r in rules if r.needs_analysis])
