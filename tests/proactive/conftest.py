"""Fixtures of the proactive tests: the constructed register and events."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from wanzheng.proactive.registers import Register, load_register

PROACTIVE = Path(__file__).parents[1] / "data" / "proactive"
TODAY = dt.date(2026, 11, 25)


@pytest.fixture(scope="session")
def proactive_data() -> Path:
    """tests/data/proactive."""
    return PROACTIVE


@pytest.fixture
def register() -> Register:
    """The 10-person constructed register."""
    return load_register(PROACTIVE / "register_small.csv", today=TODAY)
