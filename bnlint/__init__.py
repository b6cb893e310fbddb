"""bnlint: find and fix batch normalization that is not per channel."""

__version__ = "0.1.0"
