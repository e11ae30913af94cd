"""Shared fixtures: paths to the small real data files in tests/data."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(DATA.parent))  # --import-mode=importlib: make tests/dbfixtures importable
pytest_plugins = ["dbfixtures"]  # SQLite + PostgreSQL fixtures of the case desk


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The folder of small real extracts (each with its SOURCE.md and licence)."""
    return DATA


@pytest.fixture(scope="session")
def cau_pbf() -> Path:
    """OSM extract, Haidian around China Agricultural University East campus (2026), PBF."""
    return DATA / "osm_bj_haidian_cau_2026" / "map.osm.pbf"


@pytest.fixture(scope="session")
def cau_osm_bz2() -> Path:
    """The same extract as the original OSM XML, bzip2-compressed."""
    return DATA / "osm_bj_haidian_cau_2026" / "map.osm.bz2"


@pytest.fixture(scope="session")
def tsinghua_pbf() -> Path:
    """OSM extract, Haidian Tsinghua / Wudaokou (2017), PBF."""
    return DATA / "osm_bj_haidian_tsinghua_2017" / "map.osm.pbf"


@pytest.fixture(scope="session")
def zhuhai_pbf() -> Path:
    """OSM extract, Zhuhai Xiangzhou old town (2022), PBF."""
    return DATA / "osm_zhuhai_xiangzhou_2022" / "map.osm.pbf"
