"""A large synthetic AuditResult: a city-wide audit's size, built in well under a second.

Used by the size/time test of the report writers and by ``python -m`` for the figures in
docs/report.md. Everything is on a regular grid around Beijing so that it is cheap to build;
the values are plausible, not meaningful.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd
import shapely

from wanzheng.audit.result import AuditResult

LON0, LAT0 = 116.20, 39.80
TIERS = ("5min", "5min", "5min", "10min", "10min", "15min")
HIGHWAYS = np.array(
    ["footway", "service", "residential", "path", "tertiary", "primary", "secondary", "cycleway"]
)


def build_big_result(
    *,
    n_edges: int = 200_000,
    n_buildings: int = 50_000,
    n_communities: int = 2_000,
    n_kinds: int = 20,
    n_facilities: int = 4_000,
    seed: int = 7,
) -> AuditResult:
    """A synthetic result with the given sizes over an area of about 25 × 25 km."""
    rng = np.random.default_rng(seed)
    span = 0.30  # degrees (≈ 25 km)

    # Network: a jittered grid of short edges, half horizontal, half vertical.
    side = int(math.sqrt(n_edges / 2)) + 1
    step = span / side
    i = rng.integers(0, side, n_edges)
    j = rng.integers(0, side, n_edges)
    horiz = rng.random(n_edges) < 0.5
    lon_u = LON0 + i * step
    lat_u = LAT0 + j * step
    lon_v = lon_u + np.where(horiz, step, 0.0)
    lat_v = lat_u + np.where(horiz, 0.0, step)
    network = pd.DataFrame(
        {
            "lon_u": lon_u,
            "lat_u": lat_u,
            "lon_v": lon_v,
            "lat_v": lat_v,
            "length_m": np.full(n_edges, step * 100_000.0),
            "highway": HIGHWAYS[rng.integers(0, len(HIGHWAYS), n_edges)],
        }
    )

    # Buildings: small boxes.
    bx = LON0 + rng.random(n_buildings) * span
    by = LAT0 + rng.random(n_buildings) * span
    buildings = pd.DataFrame(
        {
            "id": [f"osm:way/{n}" for n in range(n_buildings)],
            "geometry": shapely.box(bx, by, bx + 0.0002, by + 0.00015),
            "residential": rng.random(n_buildings) < 0.6,
            "levels": rng.integers(1, 30, n_buildings).astype(float),
        }
    )

    keys = [f"kind{n:02d}" for n in range(n_kinds)]
    in_verdict = [n < n_kinds * 3 // 4 for n in range(n_kinds)]
    kinds = pd.DataFrame(
        {
            "key": keys,
            "name_zh": [f"设施类别{n}" for n in range(n_kinds)],
            "name_en": [f"Kind {n}" for n in range(n_kinds)],
            "tier": [TIERS[n % len(TIERS)] for n in range(n_kinds)],
            "threshold_m": [300.0 if n % 3 else 500.0 for n in range(n_kinds)],
            "verified": [n % 2 == 0 for n in range(n_kinds)],
            "in_verdict": in_verdict,
            "requirement": "One.",
            "source": "synthetic",
            "clause": "",
        }
    )

    fx = LON0 + rng.random(n_facilities) * span
    fy = LAT0 + rng.random(n_facilities) * span
    fkind = np.array(keys)[rng.integers(0, n_kinds, n_facilities)]
    facilities = pd.DataFrame(
        {
            "id": [f"osm:node/{n}" for n in range(n_facilities)],
            "name": [f"设施{n}" for n in range(n_facilities)],
            "kind": fkind,
            "lon": fx,
            "lat": fy,
            "source": "osm",
            "snap_leg_m": rng.random(n_facilities) * 50,
        }
    )

    cx = LON0 + rng.random(n_communities) * span
    cy = LAT0 + rng.random(n_communities) * span
    polys = shapely.box(cx, cy, cx + 0.004, cy + 0.003)
    comm: dict[str, Any] = {
        "id": [f"w{n}" for n in range(n_communities)],
        "name": [f"社区{n}" for n in range(n_communities)],
        "population": rng.integers(500, 20_000, n_communities).astype(float),
        "population_source": "estimated",
        "lon": cx + 0.002,
        "lat": cy + 0.0015,
        "geometry": polys,
        "snap_leg_m": 10.0,
    }
    missing = np.zeros((n_communities, n_kinds), dtype=bool)
    for n, key in enumerate(keys):
        dist = rng.random(n_communities) * 800
        dist[rng.random(n_communities) < 0.05] = math.inf
        thr = float(kinds.loc[n, "threshold_m"])
        status = np.where(dist <= thr, "met", "missing")
        missing[:, n] = status == "missing"
        nearest = rng.integers(0, n_facilities, n_communities)
        comm[f"{key}_distance_m"] = dist
        comm[f"{key}_walk_min"] = dist / 60.0
        comm[f"{key}_status"] = status
        comm[f"{key}_share_within"] = rng.random(n_communities)
        comm[f"{key}_nearest_id"] = facilities["id"].to_numpy()[nearest]
        comm[f"{key}_nearest_name"] = facilities["name"].to_numpy()[nearest]
    verdict_cols = np.array(in_verdict)
    comm["met"] = (~missing[:, verdict_cols]).sum(axis=1)
    comm["required"] = int(verdict_cols.sum())
    comm["verdict"] = np.where(missing[:, verdict_cols].any(axis=1), "incomplete", "complete")
    karr = np.array(keys)
    comm["missing"] = [";".join(karr[verdict_cols & row]) for row in missing]
    comm["no_data"] = ""
    comm["missing_life_circle"] = [";".join(karr[~verdict_cols & row]) for row in missing]
    communities = pd.DataFrame(comm)

    pop_total = float(communities["population"].sum())
    coverage = pd.DataFrame(
        {
            "kind": keys,
            "name_zh": kinds["name_zh"],
            "name_en": kinds["name_en"],
            "tier": kinds["tier"],
            "threshold_m": kinds["threshold_m"],
            "verified": kinds["verified"],
            "in_verdict": in_verdict,
            "facilities": [int((fkind == k).sum()) for k in keys],
            "has_data": True,
            "evidence": "osm",
            "confidence": "medium",
            "communities_met": [int((~missing[:, n]).sum()) for n in range(n_kinds)],
            "communities_missing": [int(missing[:, n].sum()) for n in range(n_kinds)],
            "population_covered": [
                float(communities["population"][~missing[:, n]].sum()) for n in range(n_kinds)
            ],
            "population_total": pop_total,
            "population_share": [
                float(communities["population"][~missing[:, n]].sum()) / pop_total
                for n in range(n_kinds)
            ],
        }
    )
    sources: dict[str, Any] = {
        "osm_file": "synthetic-city.osm.pbf",
        "catalogue_name": "synthetic",
        "catalogue_version": "0",
        "walk_speed_m_per_min": 60.0,
        "cutoff_m": 1000.0,
        "origins": "buildings",
        "population_method": "estimated",
        "bounds": (LON0, LAT0, LON0 + span, LAT0 + span),
        "n_nodes": n_edges // 2,
        "n_edges": n_edges,
    }
    return AuditResult(
        communities=communities,
        facilities=facilities,
        coverage=coverage,
        network=network,
        buildings=buildings,
        kinds=kinds,
        sources=sources,
    )


if __name__ == "__main__":  # figures for docs/report.md
    import sys
    import tempfile
    import time
    from pathlib import Path

    from wanzheng.report import write_outputs

    t0 = time.perf_counter()
    big = build_big_result()
    print(f"built in {time.perf_counter() - t0:.2f} s")
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp()) / "big"
    times: dict[str, float] = {}
    last = [time.perf_counter()]

    def progress(step: str, done: int, total: int) -> None:
        now = time.perf_counter()
        times[step] = now
        last[0] = now

    t0 = time.perf_counter()
    files = write_outputs(big, out, progress=progress)
    total = time.perf_counter() - t0
    steps = list(times)
    for a, b in itertools.pairwise(steps):
        print(f"{a:18s} {times[b] - times[a]:6.2f} s")
    print(f"total {total:.2f} s")
    for path in files.all():
        print(f"{path.name:18s} {path.stat().st_size / 1e6:8.2f} MB")
