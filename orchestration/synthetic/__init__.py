"""Synthetic departmental feeds for development, tests and load runs (see generate.generate)."""
from .generate import generate

__all__ = ["generate"]
