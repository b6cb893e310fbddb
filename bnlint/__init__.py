"""bnlint: find and fix batch normalization that is not per channel, or that trains wrong."""

__version__ = "0.2.0"
