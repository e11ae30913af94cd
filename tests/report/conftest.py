"""A small hand-built AuditResult: 3 communities, 4 kinds, 3 facilities, 5 edges, 2 buildings.

Kinds: ``kindergarten`` (300 m, unverified), ``supermarket`` (500 m; here a *wider
life-circle* kind, ``in_verdict = False``: audited and reported, but it does not decide the
verdict), ``health_station`` (300 m, recorded by no source: ``no_data``) and ``barrier_free``
(a checklist item with no threshold: ``not_audited``). The figures are chosen so that every
output can be checked by hand (met / required count the verdict kinds only):

=========  ==========  ==================  ===================  ============  ===========
community  population  kindergarten        supermarket (life)   verdict       met/required
=========  ==========  ==================  ===================  ============  ===========
阳光小区    3200 given  120.34 m met        420.06 m met         undetermined  1/1
和平里      5000.4 est  650.0 m missing     280.0 m met          incomplete    0/1
东园        unknown     inf missing         inf missing          incomplete    0/1
=========  ==========  ==================  ===================  ============  ===========

``build_result(origins="buildings")`` adds ``{kind}_share_within`` (kindergarten 1.0 / 0.25 /
0.0, supermarket 0.8 / 1.0 / 0.0; NaN for the no-data and checklist kinds) and
``sources["origins"] = "buildings"``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import shapely

from wanzheng.audit.result import AuditResult

INF = math.inf
SPEED = 60.0

KINDS = pd.DataFrame(
    [
        {
            "key": "kindergarten",
            "name_zh": "幼儿园",
            "name_en": "Kindergarten",
            "tier": "5min",
            "threshold_m": 300.0,
            "verified": False,
            "in_verdict": True,
            "requirement": "One; at least 6 classes.",
            "source": "完整居住社区建设标准（试行）",
            "clause": "Item 2",
        },
        {
            "key": "supermarket",
            "name_zh": "综合超市",
            "name_en": "Supermarket",
            "tier": "10min",
            "threshold_m": 500.0,
            "verified": True,
            "in_verdict": False,
            "requirement": "One; floor area ≥ 300 m².",
            "source": "GB 50180-2018",
            "clause": "Table 3.0.4",
        },
        {
            "key": "health_station",
            "name_zh": "社区卫生服务站",
            "name_en": "Community health station",
            "tier": "5min",
            "threshold_m": 300.0,
            "verified": False,
            "in_verdict": True,
            "requirement": "One; floor area ≥ 120 m².",
            "source": "完整居住社区建设标准（试行）",
            "clause": "Item 5",
        },
        {
            "key": "barrier_free",
            "name_zh": "无障碍",
            "name_en": "Barrier-free access",
            "tier": "block",
            "threshold_m": None,
            "verified": False,
            "in_verdict": True,
            "requirement": "Ramps, handrails, lift retrofits.",
            "source": "完整居住社区建设标准（试行）",
            "clause": "Item 12",
        },
    ]
)


def _community(
    cid: str,
    name: str,
    population: float,
    pop_source: str,
    geometry: Any,
    kg: tuple[float, str, str, str],
    sm: tuple[float, str, str, str],
    verdict: str,
    met: int,
    missing: str,
    life_missing: str,
    shares: tuple[float, float] | None,
    edge_m: float = 500.0,
) -> dict[str, Any]:
    origin = shapely.point_on_surface(geometry)
    row: dict[str, Any] = {
        "id": cid,
        "name": name,
        "population": population,
        "population_source": pop_source,
        "lon": origin.x,
        "lat": origin.y,
        "geometry": geometry,
        "snap_leg_m": 10.0,
    }
    for key, (dist, status, nid, nname) in (("kindergarten", kg), ("supermarket", sm)):
        row[f"{key}_distance_m"] = dist
        row[f"{key}_walk_min"] = dist / SPEED
        row[f"{key}_status"] = status
        row[f"{key}_nearest_id"] = nid
        row[f"{key}_nearest_name"] = nname
    if shares is not None:
        row["kindergarten_share_within"] = shares[0]
        row["supermarket_share_within"] = shares[1]
        row["health_station_share_within"] = 0.0  # as the audit gives it: shown blank
        row["barrier_free_share_within"] = math.nan
    row["health_station_distance_m"] = INF
    row["health_station_walk_min"] = INF
    row["health_station_status"] = "no_data"
    row["health_station_nearest_id"] = ""
    row["health_station_nearest_name"] = ""
    row["barrier_free_distance_m"] = math.nan
    row["barrier_free_walk_min"] = math.nan
    row["barrier_free_status"] = "not_audited"
    row["barrier_free_nearest_id"] = ""
    row["barrier_free_nearest_name"] = ""
    row["met"] = met
    row["required"] = 1
    row["verdict"] = verdict
    row["missing"] = missing
    row["no_data"] = "health_station"
    row["missing_life_circle"] = life_missing
    row["edge_distance_m"] = edge_m
    row["edge_uncertain_kinds"] = "kindergarten" if missing and edge_m < 300 else ""
    row["edge_uncertain"] = bool(row["edge_uncertain_kinds"])
    return row


def build_result(
    *,
    names: tuple[str, str, str] = ("阳光小区", "和平里", "东园"),
    origins: str = "centroid",
) -> AuditResult:
    """The hand-built result; ``names`` lets a test inject awkward community names,
    ``origins="buildings"`` adds the residents' shares within each threshold."""
    by_buildings = origins == "buildings"
    communities = pd.DataFrame(
        [
            _community(
                "c1",
                names[0],
                3200.0,
                "given",
                shapely.box(116.3500, 40.0000, 116.3520, 40.0015),
                (120.34, "met", "osm:node/101", "阳光幼儿园"),
                (420.06, "met", "ledger:3", "物美超市"),
                "undetermined",
                1,
                "",
                "",
                (1.0, 0.8) if by_buildings else None,
                512.0,
            ),
            _community(
                "c2",
                names[1],
                5000.4,
                "estimated",
                shapely.box(116.3530, 40.0000, 116.3550, 40.0015),
                (650.0, "missing", "osm:node/101", "阳光幼儿园"),
                (280.0, "met", "osm:way/202", "华联超市"),
                "incomplete",
                0,
                "kindergarten",
                "",
                (0.25, 1.0) if by_buildings else None,
                250.0,
            ),
            _community(
                "c3",
                names[2],
                math.nan,
                "unknown",
                shapely.Point(116.3565, 40.0020),
                (INF, "missing", "", ""),
                (INF, "missing", "", ""),
                "incomplete",
                0,
                "kindergarten",
                "supermarket",
                (0.0, 0.0) if by_buildings else None,
                40.0,
            ),
        ]
    )
    facilities = pd.DataFrame(
        {
            "id": ["osm:node/101", "ledger:3", "osm:way/202"],
            "name": ["阳光幼儿园", "物美超市", "华联超市"],
            "kind": ["kindergarten", "supermarket", "supermarket"],
            "lon": [116.3510, 116.3528, 116.3545],
            "lat": [40.0018, 40.0005, 40.0030],
            "source": ["osm", "ledger", "osm"],
            "snap_leg_m": [12.46, 3.04, 25.0],
        }
    )
    total = 3200.0 + 5000.4
    coverage = pd.DataFrame(
        {
            "kind": ["kindergarten", "supermarket", "health_station"],
            "name_zh": ["幼儿园", "综合超市", "社区卫生服务站"],
            "name_en": ["Kindergarten", "Supermarket", "Community health station"],
            "tier": ["5min", "10min", "5min"],
            "threshold_m": [300.0, 500.0, 300.0],
            "verified": [False, True, False],
            "in_verdict": [True, False, True],
            "facilities": [1, 2, 0],
            "has_data": [True, True, False],
            "evidence": ["osm", "ledger+osm", "none"],
            "confidence": ["low", "high", "none"],
            "communities_met": [1, 2, 0],
            "communities_missing": [2, 1, 0],
            "population_covered": [3200.0, total, 0.0],
            "population_total": [total, total, total],
            "population_share": [3200.0 / total, 1.0, 0.0],
        }
    )
    network = pd.DataFrame(
        {
            "lon_u": [116.350, 116.352, 116.350, 116.352, 116.354],
            "lat_u": [40.000, 40.000, 40.000, 40.000, 40.000],
            "lon_v": [116.352, 116.354, 116.350, 116.352, 116.356],
            "lat_v": [40.000, 40.000, 40.002, 40.002, 40.002],
            "length_m": [170.6, 170.6, 221.1, 221.1, 279.3],
            "highway": ["residential", "primary", "footway", "service", "path"],
        }
    )
    buildings = pd.DataFrame(
        {
            "id": ["osm:way/1", "osm:way/2"],
            "geometry": [
                shapely.box(116.3503, 40.0003, 116.3508, 40.0006),
                shapely.box(116.3533, 40.0003, 116.3536, 40.0008),
            ],
            "residential": [True, False],
            "levels": [6.0, np.nan],
        }
    )
    sources: dict[str, Any] = {
        "osm_file": "/data/area/map.osm.pbf",
        "ledger_file": "/data/area/台账.xlsx",
        "communities_file": None,
        "catalogue_name": "完整居住社区建设标准（试行）测试目录",
        "catalogue_version": "2026.1-test",
        "catalogue_origin": "builtin",
        "walk_speed_m_per_min": SPEED,
        "cutoff_m": 500.0,
        "origins": origins,
        "population_method": "estimated;given;unknown",
        "floor_area_per_person_m2": 35.0,
        "unverified_kinds": ["kindergarten", "health_station", "barrier_free"],
        "unmapped_ledger_rows": 1,
        "bounds": (116.349, 39.999, 116.357, 40.004),
        "n_nodes": 6,
        "n_edges": 5,
    }
    return AuditResult(
        communities=communities,
        facilities=facilities,
        coverage=coverage,
        network=network,
        buildings=buildings,
        kinds=KINDS.copy(),
        sources=sources,
    )


@pytest.fixture
def result() -> AuditResult:
    """The hand-built audit result described in this module's docstring."""
    return build_result()


@pytest.fixture
def make_result() -> Any:
    """The builder itself, for tests that vary the community names."""
    return build_result


@pytest.fixture(scope="session")
def real_result(cau_pbf: Path) -> AuditResult:
    """A real audit of the Haidian CAU East 2026 extract with the built-in catalogue."""
    from wanzheng.audit.run import run_audit
    from wanzheng.data.osm import load_osm
    from wanzheng.standards import load_catalogue, load_kind_rules

    extract = load_osm(cau_pbf, rules=load_kind_rules())
    return run_audit(extract, catalogue=load_catalogue(), sources={"osm_file": cau_pbf.name})
