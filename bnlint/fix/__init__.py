"""Applying fixes: libcst node replacements located by source span."""
