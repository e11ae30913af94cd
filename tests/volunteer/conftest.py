"""Fixtures of the volunteers' tests (defined in ``tests/volunteerfixtures.py``)."""

from volunteerfixtures import desk

__all__ = ["desk"]
