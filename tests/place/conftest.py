"""Gazetteers of the three test extracts, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from wanzheng.data.osm import load_osm
from wanzheng.data.osm_names import load_osm_names
from wanzheng.place import Gazetteer, build_gazetteer
from wanzheng.standards import load_kind_rules

AREAS = {
    "cau": "osm_bj_haidian_cau_2026",
    "th": "osm_bj_haidian_tsinghua_2017",
    "zh": "osm_zhuhai_xiangzhou_2022",
}


@pytest.fixture(scope="session")
def gazetteers(data_dir: Path) -> dict[str, Gazetteer]:
    """Area key -> gazetteer with the audit's communities (as ``wanzheng place`` builds it)."""
    rules = load_kind_rules()
    out = {}
    for key, folder in AREAS.items():
        pbf = data_dir / folder / "map.osm.pbf"
        out[key] = build_gazetteer(
            load_osm_names(pbf), communities=load_osm(pbf, rules=rules).communities
        )
    return out


@pytest.fixture(scope="session")
def cau_gazetteer(gazetteers: dict[str, Gazetteer]) -> Gazetteer:
    """The gazetteer of the CAU extract."""
    return gazetteers["cau"]
