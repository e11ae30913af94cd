"""The audit of one area, from loaded inputs to an :class:`AuditResult`.

``run_audit`` does no file I/O: the CLI loads the OSM extract, ledger and community file and
passes them in; report writers take the result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
import shapely

from wanzheng.audit.compute import (
    area_coverage,
    group_share_within,
    group_weighted_median,
    kind_statuses,
    origin_distances,
    verdicts,
)
from wanzheng.audit.population import (
    DEFAULT_FLOOR_AREA_PER_PERSON_M2,
    estimate_population,
    residential_floor_area,
)
from wanzheng.audit.result import AuditResult
from wanzheng.data.ledger import Ledger
from wanzheng.data.osm import OsmExtract
from wanzheng.errors import DataError, RoutingError
from wanzheng.network.engine import nearest_by_kind
from wanzheng.network.graph import build_graph
from wanzheng.network.snapping import snap
from wanzheng.standards import Catalogue

__all__ = ["DEFAULT_MAX_SNAP_M", "run_audit"]

DEFAULT_MAX_SNAP_M = 300.0
"""Farthest straight leg (m) from a facility or community origin to the walking network.

Beyond it the point is reported as unreachable instead of being tied to a far-away street."""

FACILITY_COLUMNS = ["id", "name", "kind", "lon", "lat", "source"]


def _origins(communities: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Origin of each community: its representative point (inside the polygon) or the point."""
    geoms = np.asarray(communities["geometry"].to_numpy(), dtype=object)
    pts = shapely.point_on_surface(geoms)
    return shapely.get_x(pts).astype(np.float64), shapely.get_y(pts).astype(np.float64)


def _facilities(extract: OsmExtract, ledger: Ledger | None, audited: list[str]) -> pd.DataFrame:
    frames = [extract.facilities[FACILITY_COLUMNS]]
    if ledger is not None and len(ledger.facilities):
        frames.append(ledger.facilities[FACILITY_COLUMNS])
    fac = pd.concat(frames, ignore_index=True)
    fac = fac[fac["kind"].isin(audited)]
    fac = fac.drop_duplicates(subset=["id", "kind"]).reset_index(drop=True)
    fac["name"] = fac["name"].fillna("").astype(str)
    return fac


OSM_MEDIUM_CONFIDENCE_MIN = 3
"""Facilities of a kind OSM must record in the area before a `missing` verdict resting on OSM
alone is called of medium (not low) confidence."""


def _evidence(fac: pd.DataFrame, keys: list[str]) -> tuple[list[str], list[str]]:
    """Which sources record each kind, and how far a `missing` verdict can be trusted.

    ``high``: a ledger lists the kind (a street office's register is meant to be complete);
    ``medium``: OSM alone records at least :data:`OSM_MEDIUM_CONFIDENCE_MIN` of them;
    ``low``: OSM alone records one or two (mapping is likely patchy); ``none``: no data.
    """
    evidence: list[str] = []
    confidence: list[str] = []
    for k in keys:
        rows = fac[fac["kind"] == k]
        srcs = sorted(set(rows["source"]))
        evidence.append("+".join(srcs) if srcs else "none")
        if "ledger" in srcs:
            confidence.append("high")
        elif len(rows) >= OSM_MEDIUM_CONFIDENCE_MIN:
            confidence.append("medium")
        elif len(rows):
            confidence.append("low")
        else:
            confidence.append("none")
    return evidence, confidence


DROPPED_COLUMNS = ("id", "name", "source", "reason")
"""Columns of :attr:`AuditResult.dropped_communities`."""


def empty_dropped() -> pd.DataFrame:
    """A table of dropped communities without rows."""
    return pd.DataFrame(columns=list(DROPPED_COLUMNS))


def communities_with_area(found: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split the communities read from OSM into those with an area and those dropped.

    A community is a place where people live: it needs an area. A single point tagged
    ``landuse=residential`` or ``place=neighbourhood`` is often something else named by
    mistake (a library, a gate) and has no extent to estimate its residents from, so it is
    dropped with its reason; a community file (``--communities``) may still give points.

    Returns
    -------
    (kept, dropped)
        ``kept`` with the rows of ``found`` that have a polygon of non-zero area; ``dropped``
        with ``id``, ``name``, ``source``, ``reason`` (zh-CN) of the others.
    """
    if len(found) == 0:
        return found, empty_dropped()
    geoms = np.asarray(found["geometry"].to_numpy(), dtype=object)
    types = shapely.get_type_id(geoms)
    polygonal = np.isin(types, (3, 6))  # Polygon, MultiPolygon
    areas = np.where(polygonal, shapely.area(geoms), 0.0)
    keep = polygonal & (areas > 0)
    reasons = []
    for t in types[~keep]:
        if t == 0:
            reasons.append("只标了一个点，没有范围：社区须有范围，点位须由社区文件给出")
        else:
            reasons.append("范围无效（面积为零或不是面）")
    dropped = found.loc[~keep, ["id", "name", "source"]].copy()
    dropped["reason"] = reasons
    return found.loc[keep].reset_index(drop=True), dropped.reset_index(drop=True)


def _edge_distance_m(
    graph_projection: Any,
    o_lon: np.ndarray,
    o_lat: np.ndarray,
    fac: pd.DataFrame,
    buildings: pd.DataFrame,
) -> np.ndarray:
    """Distance (m) from each origin to the edge of the area the data covers.

    OSM exports hold only the facilities inside their box; a community closer to the box's
    edge than a kind's threshold may have that kind just outside the data. The covered area
    is the bounding box of the facilities and buildings read.
    """
    lon = [fac["lon"].to_numpy(np.float64)]
    lat = [fac["lat"].to_numpy(np.float64)]
    if len(buildings):
        pts = shapely.point_on_surface(np.asarray(buildings["geometry"].to_numpy(), dtype=object))
        lon.append(shapely.get_x(pts))
        lat.append(shapely.get_y(pts))
    all_lon, all_lat = np.concatenate(lon), np.concatenate(lat)
    ok = np.isfinite(all_lon) & np.isfinite(all_lat)
    if not ok.any():
        return np.zeros(len(o_lon))
    x, y = graph_projection.forward(all_lon[ok], all_lat[ok])
    ox, oy = graph_projection.forward(o_lon, o_lat)
    d = np.minimum.reduce([ox - np.min(x), np.max(x) - ox, oy - np.min(y), np.max(y) - oy])
    return np.asarray(np.clip(d, 0.0, None), dtype=np.float64)


def run_audit(
    extract: OsmExtract,
    *,
    catalogue: Catalogue,
    ledger: Ledger | None = None,
    communities: pd.DataFrame | None = None,
    floor_area_per_person_m2: float | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    origins: Literal["centroid", "buildings"] = "centroid",
    sources: Mapping[str, Any] | None = None,
    step: Callable[[str], None] | None = None,
    threads: int | None = None,
) -> AuditResult:
    """Audit every community of an area against the facility catalogue.

    Parameters
    ----------
    extract
        The loaded OSM extract: walking network, facilities, communities, buildings.
    catalogue
        Facility kinds with their walking thresholds (m); only kinds with a threshold are
        audited by distance.
    ledger
        Facilities from a street office's ledger (already in WGS-84), added to OSM's.
    communities
        Communities from a user file (``id``, ``name``, ``population``, ``geometry``);
        default: the extract's residential areas.
    floor_area_per_person_m2
        Residential floor area per resident used to estimate population from buildings;
        ``None`` uses the documented default of :func:`estimate_population`.
    max_snap_m
        Farthest off-network leg (m) accepted when snapping facilities and origins.
    origins
        ``centroid``: one origin per community, a point inside its polygon.
        ``buildings``: every residential building of the community is an origin weighted by
        its floor area; the community's distance to a kind is the weighted median (the distance
        half its residents live within) and ``{kind}_share_within`` gives the share of residents
        within the threshold. Communities without mapped buildings fall back to their centroid.
    sources
        Provenance to carry into the result (file names …).
    step
        Called with a short label before each stage (for progress display).
    threads
        Threads of the distance engine (:func:`~wanzheng.network.engine.nearest_by_kind`);
        ``None``: the CPUs this process may use. A batch worker sharing a machine with
        others passes its share, so that the workers do not oversubscribe the cores.

    Returns
    -------
    AuditResult
        Distances are shortest walking paths on the network plus the straight off-network
        legs at both ends; a kind is met when that sum is at most its threshold.
    """

    def say(label: str) -> None:
        if step is not None:
            step(label)

    audited = list(catalogue.audited)
    keys = [k.key for k in audited]
    if not keys:
        raise DataError(f"catalogue {catalogue.name}: no kind has a walking threshold")
    thresholds = [float(k.threshold_m) for k in audited if k.threshold_m is not None]
    cutoff = max(thresholds)

    if communities is None:
        comms, dropped = communities_with_area(extract.communities)
    else:
        comms, dropped = communities, empty_dropped()
    if len(comms) == 0:
        raise DataError(
            f"{extract.path}: no residential communities with an area found (no "
            "landuse=residential or place=neighbourhood drawn as an area; "
            f"{len(dropped)} dropped); pass a community file with --communities"
        )
    comms = comms.reset_index(drop=True)

    say("graph")
    graph = build_graph(extract)

    say("snap")
    fac = _facilities(extract, ledger, keys)
    o_lon, o_lat = _origins(comms)
    if origins not in ("centroid", "buildings"):
        raise DataError(f"origins must be 'centroid' or 'buildings', got {origins!r}")
    homes = (
        residential_floor_area(comms, extract.buildings)
        if origins == "buildings"
        else pd.DataFrame({"lon": [], "lat": [], "community": [], "floor_area_m2": []})
    )
    graph2, (fsnap, osnap, hsnap) = snap(
        graph,
        [
            (fac["lon"].to_numpy(np.float64), fac["lat"].to_numpy(np.float64)),
            (o_lon, o_lat),
            (homes["lon"].to_numpy(np.float64), homes["lat"].to_numpy(np.float64)),
        ],
        max_leg_m=max_snap_m,
    )
    fac["snap_leg_m"] = fsnap.leg_m
    if not (osnap.node >= 0).any():
        raise RoutingError(
            f"{extract.path}: no community lies within {max_snap_m:.0f} m of the walking network"
        )

    say("distances")
    kind_index = {k: i for i, k in enumerate(keys)}
    usable = fsnap.node >= 0
    node_d, node_s = nearest_by_kind(
        graph2.indptr,
        graph2.indices,
        graph2.weight_m,
        fsnap.node[usable].astype(np.int64),
        fac.loc[usable, "kind"].map(kind_index).to_numpy(np.int64),
        fsnap.leg_m[usable].astype(np.float64),
        n_kinds=len(keys),
        cutoff_m=cutoff,
        threads=threads,
    )
    usable_rows = np.flatnonzero(usable)
    dist, src_local = origin_distances(
        node_d, node_s, osnap.node.astype(np.int64), osnap.leg_m.astype(np.float64)
    )
    share = None
    if origins == "buildings" and len(homes):
        ok = hsnap.node >= 0
        h_dist, h_src = origin_distances(
            node_d, node_s, hsnap.node[ok].astype(np.int64), hsnap.leg_m[ok].astype(np.float64)
        )
        h_group = homes["community"].to_numpy(np.int64)[ok]
        h_weight = homes["floor_area_m2"].to_numpy(np.float64)[ok]
        median, member = group_weighted_median(h_dist, h_weight, h_group, len(comms))
        share = group_share_within(h_dist, h_weight, h_group, len(comms), thresholds)
        # no source records the kind: the share is unknown, not zero
        share[:, ~np.asarray([bool((fac["kind"] == k).any()) for k in keys])] = np.nan
        has_homes = (member >= 0).all(axis=1)
        dist[has_homes] = median[has_homes]
        picked = np.take_along_axis(h_src, np.clip(member, 0, None), axis=0)
        src_local[has_homes] = picked[has_homes]
        src_local[~np.isfinite(dist)] = -1
    # Beyond the cutoff only "farther than the cutoff" is known for every origin alike (an
    # origin's own leg can carry a path just past it): report all of them as inf.
    beyond = dist > cutoff
    dist[beyond] = np.inf
    src_local[beyond] = -1
    src = np.where(src_local >= 0, usable_rows[np.clip(src_local, 0, None)], -1)

    say("verdicts")
    has_data = [bool((fac["kind"] == k).any()) for k in keys]
    status = kind_statuses(dist, thresholds, has_data)
    pop = estimate_population(
        comms,
        extract.buildings,
        **(
            {}
            if floor_area_per_person_m2 is None
            else {"floor_area_per_person_m2": floor_area_per_person_m2}
        ),
    )
    table = comms[["id", "name"]].copy()
    # Whole residents: an estimate of 1,234.6 people is shown as 1,235 everywhere, and every
    # total (CLI, dashboard, report, XLSX) is the sum of the same whole numbers.
    table["population"] = np.round(pop["population"].to_numpy(np.float64))
    table["population_source"] = pop["population_source"].to_numpy()
    table["lon"] = o_lon
    table["lat"] = o_lat
    table["snap_leg_m"] = osnap.leg_m
    speed = catalogue.walk_speed_m_per_min
    names = fac["name"].to_numpy(object)
    ids = fac["id"].to_numpy(object)
    for j, key in enumerate(keys):
        table[f"{key}_distance_m"] = dist[:, j]
        table[f"{key}_walk_min"] = dist[:, j] / speed
        table[f"{key}_status"] = status[:, j]
        if share is not None:
            table[f"{key}_share_within"] = share[:, j]
        table[f"{key}_nearest_id"] = np.where(src[:, j] >= 0, ids[np.clip(src[:, j], 0, None)], "")
        table[f"{key}_nearest_name"] = np.where(
            src[:, j] >= 0, names[np.clip(src[:, j], 0, None)], ""
        )
    decides = np.array([k.in_verdict for k in audited], dtype=bool)
    table["met"] = (status[:, decides] == "met").sum(axis=1)
    table["required"] = (status[:, decides] != "no_data").sum(axis=1)
    table["verdict"] = verdicts(status[:, decides])

    def joined(row: np.ndarray, wanted: str, mask: np.ndarray) -> str:
        return ";".join(k for k, s, m in zip(keys, row, mask, strict=True) if s == wanted and m)

    table["missing"] = [joined(row, "missing", decides) for row in status]
    table["no_data"] = [joined(row, "no_data", decides) for row in status]
    table["missing_life_circle"] = [joined(row, "missing", ~decides) for row in status]
    edge = _edge_distance_m(graph.projection, o_lon, o_lat, fac, extract.buildings)
    table["edge_distance_m"] = edge
    thr = np.asarray(thresholds)
    table["edge_uncertain_kinds"] = [
        ";".join(k for k, s, t in zip(keys, row, thr, strict=True) if s == "missing" and t > e)
        for row, e in zip(status, edge, strict=True)
    ]
    table["edge_uncertain"] = table["edge_uncertain_kinds"] != ""
    table["geometry"] = comms["geometry"].to_numpy(object)

    coverage = area_coverage(status, table["population"].to_numpy(np.float64), keys)
    kinds_df = pd.DataFrame(
        [
            {
                "key": k.key,
                "name_zh": k.name_zh,
                "name_en": k.name_en,
                "tier": k.tier,
                "threshold_m": k.threshold_m,
                "verified": k.verified,
                "in_verdict": k.in_verdict,
                "requirement": k.requirement,
                "source": k.source,
                "clause": k.clause,
            }
            for k in audited
        ]
    )
    coverage = (
        kinds_df[["key", "name_zh", "name_en", "tier", "threshold_m", "verified"]]
        .rename(columns={"key": "kind"})
        .merge(coverage, on="kind")
    )
    coverage.insert(7, "facilities", [int((fac["kind"] == k).sum()) for k in keys])
    coverage.insert(8, "has_data", has_data)
    evidence, confidence = _evidence(fac, keys)
    coverage.insert(9, "evidence", evidence)
    coverage.insert(10, "confidence", confidence)

    network = pd.DataFrame(
        {
            "lon_u": graph.lon[graph.edge_u],
            "lat_u": graph.lat[graph.edge_u],
            "lon_v": graph.lon[graph.edge_v],
            "lat_v": graph.lat[graph.edge_v],
            "length_m": graph.edge_length_m,
            "highway": graph.edge_highway,
            # street names for reverse geocoding (wanzheng.place); "" for unnamed ways
            "name": _edge_names(graph.edge_way, extract.way_names),
        }
    )
    buildings = extract.buildings[["id", "geometry", "residential", "levels"]].reset_index(
        drop=True
    )
    prov: dict[str, Any] = dict(sources or {})
    prov.update(
        {
            "catalogue_name": catalogue.name,
            "catalogue_version": catalogue.version,
            "catalogue_origin": catalogue.origin,
            "walk_speed_m_per_min": speed,
            "cutoff_m": cutoff,
            "max_snap_m": max_snap_m,
            "floor_area_per_person_m2": (
                DEFAULT_FLOOR_AREA_PER_PERSON_M2
                if floor_area_per_person_m2 is None
                else floor_area_per_person_m2
            ),
            "origins": origins,
            "n_origin_buildings": int((hsnap.node >= 0).sum()),
            "population_method": ";".join(sorted(set(table["population_source"]))),
            "unverified_kinds": [k.key for k in audited if not k.verified],
            "unmapped_ledger_rows": 0 if ledger is None else len(ledger.unmapped),
            "bounds": tuple(extract.bounds),
            "n_nodes": int(graph.lon.shape[0]),
            "n_edges": int(graph.edge_u.shape[0]),
            "n_communities": len(table),
            # facilities as places (one per id, as every output counts them); a place that
            # serves two kinds (a 社区卫生服务中心) is one facility, counted in both kinds
            "n_facilities": int(fac["id"].nunique()) if len(fac) else 0,
            "n_facility_kind_rows": len(fac),
            "n_multi_kind_facilities": (
                int((fac.groupby("id")["kind"].nunique() > 1).sum()) if len(fac) else 0
            ),
            "unsnapped_facilities": int((fsnap.node < 0).sum()),
            "unsnapped_communities": int((osnap.node < 0).sum()),
        }
    )
    prov["n_dropped_communities"] = len(dropped)
    return AuditResult(
        dropped_communities=dropped,
        communities=table,
        facilities=fac.reset_index(drop=True),
        coverage=coverage,
        network=network,
        buildings=buildings,
        kinds=kinds_df,
        sources=prov,
    )


def _edge_names(edge_way: np.ndarray, way_names: pd.Series) -> np.ndarray:
    """Name of each edge's OSM way (``""`` when unnamed), as an object array."""
    if len(way_names) == 0:
        return np.full(len(edge_way), "", dtype=object)
    names = way_names.reindex(edge_way).to_numpy(dtype=object, copy=True)
    names[pd.isna(names)] = ""
    return names
