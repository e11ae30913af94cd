"""From an audit to a siting problem: demand points, candidate sites, walking distances.

The audit gives the walking network, the communities (with residents) and the facilities
that exist. :func:`demand_points` turns the communities (or their residential buildings) into
weighted demand points, :func:`network_candidates` proposes candidate sites from the network
itself when the office has no list of its own, and :func:`build_problem` snaps everything onto
the network and computes, with the engine, every candidate–demand pair within the kinds'
walking radius (sparse) and each demand point's walk to the nearest *existing* facility of
every kind. Pure functions: no file is read here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from wanzheng.audit.compute import origin_distances
from wanzheng.audit.population import footprint_area_m2
from wanzheng.errors import DataError, RoutingError
from wanzheng.network.engine import nearest_by_kind, pairs_within
from wanzheng.network.graph import WalkGraph
from wanzheng.network.snapping import snap
from wanzheng.plan.problem import SitingProblem

__all__ = [
    "CANDIDATE_COLUMNS",
    "DEMAND_COLUMNS",
    "SitingInputs",
    "build_problem",
    "demand_points",
    "network_candidates",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DEMAND_COLUMNS = ["id", "community", "community_id", "lon", "lat", "residents"]
"""Columns of a demand table: ``community`` is the row of the community in the audit's table."""

CANDIDATE_COLUMNS = ["id", "name", "lon", "lat", "kinds", "cost", "capacity", "source"]
"""Columns of a candidate table. ``kinds``: ``;``-joined keys the site may host (empty = any);
``cost``: cost of using the site; ``capacity``: residents one kind at the site can serve
(``inf`` = no limit). Optional ``cost_{kind}`` / ``capacity_{kind}`` columns override per kind
(a kind's own extra cost; its own capacity)."""

DEFAULT_MAX_SNAP_M = 300.0
"""Farthest off-network leg (m) accepted for a candidate site or a demand point (the audit's)."""

STREETS = frozenset(
    {
        "residential",
        "living_street",
        "unclassified",
        "tertiary",
        "secondary",
        "service",
        "pedestrian",
        "footway",
        "road",
    }
)
"""Highways a network candidate may stand on: streets and paths of a neighbourhood (not
motorways, trunk or primary roads, steps or tracks)."""


def demand_points(
    communities: pd.DataFrame,
    *,
    buildings: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Weighted demand points of an audit's communities.

    Parameters
    ----------
    communities
        The audit's communities table: ``id``, ``population`` (residents, NaN = unknown),
        ``lon`` / ``lat`` (the origin the audit walked from, WGS-84) and ``geometry``.
    buildings
        Residential buildings (``geometry``, WGS-84 polygons; ``residential`` when present
        selects them). With buildings, every residential building whose representative point
        lies inside a community is a demand point carrying the community's residents in
        proportion to its footprint (m²); a community without a building keeps its origin.
        Without buildings (default) each community is one demand point at its origin.

    Returns
    -------
    pandas.DataFrame
        :data:`DEMAND_COLUMNS`; ``residents`` NaN where the community's population is unknown
        (counted 0 by objectives, still to be covered by set covering).
    """
    comm = communities.reset_index(drop=True)
    if "lon" not in comm and "origin_lon" in comm:  # an audit read back from its output
        comm = comm.assign(lon=comm["origin_lon"], lat=comm["origin_lat"])
    for col in ("id", "population", "lon", "lat"):
        if col not in comm:
            raise DataError(f"communities: column {col!r} is missing (an audit's table has it)")
    pop = pd.to_numeric(comm["population"], errors="coerce").to_numpy(np.float64)
    ids = comm["id"].astype(str).to_numpy(object)
    rows: list[pd.DataFrame] = []
    has_building = np.zeros(len(comm), dtype=bool)
    if buildings is not None and len(buildings) and "geometry" in comm:
        b = buildings
        if "residential" in b:
            b = b[b["residential"].fillna(False).astype(bool).to_numpy()]
        geoms = np.asarray(b["geometry"].to_numpy(), dtype=object)
        polygonal = np.array(
            [g is not None and getattr(g, "geom_type", "") in ("Polygon", "MultiPolygon")
             for g in geoms],
            dtype=bool,
        )  # fmt: skip
        geoms = geoms[polygonal]
        if geoms.shape[0]:
            points = shapely.point_on_surface(geoms)
            polys = np.asarray(comm["geometry"].to_numpy(), dtype=object)
            tree = shapely.STRtree(polys)
            b_idx, c_idx = tree.query(points, predicate="within")
            # a building inside two overlapping communities belongs to the first
            first = np.unique(b_idx, return_index=True)[1]
            b_idx, c_idx = b_idx[first], c_idx[first]
            area = footprint_area_m2(geoms[b_idx])
            keep = area > 0
            b_idx, c_idx, area = b_idx[keep], c_idx[keep], area[keep]
            total = np.zeros(len(comm))
            np.add.at(total, c_idx, area)
            has_building[np.unique(c_idx)] = True
            rows.append(
                pd.DataFrame(
                    {
                        "id": [f"{ids[c]}/b{k}" for k, c in enumerate(c_idx)],
                        "community": c_idx.astype(np.int64),
                        "community_id": ids[c_idx],
                        "lon": shapely.get_x(points[b_idx]),
                        "lat": shapely.get_y(points[b_idx]),
                        "residents": pop[c_idx] * area / total[c_idx],
                    }
                )
            )
    rest = np.flatnonzero(~has_building)
    rows.insert(
        0,
        pd.DataFrame(
            {
                "id": ids[rest],
                "community": rest.astype(np.int64),
                "community_id": ids[rest],
                "lon": pd.to_numeric(comm["lon"], errors="coerce").to_numpy(np.float64)[rest],
                "lat": pd.to_numeric(comm["lat"], errors="coerce").to_numpy(np.float64)[rest],
                "residents": pop[rest],
            }
        ),
    )
    out = pd.concat(rows, ignore_index=True)
    out = out.sort_values(["community", "id"], kind="stable").reset_index(drop=True)
    return out[DEMAND_COLUMNS]


def network_candidates(
    graph: WalkGraph,
    communities: pd.DataFrame,
    *,
    spacing_m: float = 150.0,
    near_m: float = 60.0,
) -> pd.DataFrame:
    """Candidate sites taken from the walking network, when the office has no list.

    A node is a candidate when it lies on a neighbourhood street or path (:data:`STREETS`),
    in the largest connected part of the network, inside a community or within ``near_m`` of
    one (the streets around it). The candidates are thinned to one per ``spacing_m`` square
    cell of the local projection: the node nearest the cell's centre.

    Returns
    -------
    pandas.DataFrame
        :data:`CANDIDATE_COLUMNS`: ids ``N<node>`` (``N<osm id>`` when the node is OSM's),
        ``name`` empty, ``kinds`` empty (any kind), ``cost`` 1 (so a budget counts sites),
        ``capacity`` inf, ``source`` ``network``.
    """
    if not (math.isfinite(spacing_m) and spacing_m > 0):
        raise DataError(f"spacing_m: expected metres > 0, got {spacing_m!r}")
    if not (math.isfinite(near_m) and near_m >= 0):
        raise DataError(f"near_m: expected metres >= 0, got {near_m!r}")
    on_street = np.zeros(graph.n_nodes, dtype=bool)
    street_edge = np.isin(np.asarray(graph.edge_highway).astype(str), list(STREETS))
    on_street[graph.edge_u[street_edge]] = True
    on_street[graph.edge_v[street_edge]] = True
    on_street &= graph.component == graph.largest_component
    nodes = np.flatnonzero(on_street)
    if nodes.shape[0] == 0 or len(communities) == 0:
        return _empty_candidates()
    proj = graph.projection

    def forward(coords: FloatArray) -> FloatArray:
        x, y = proj.forward(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    polys = shapely.transform(np.asarray(communities["geometry"].to_numpy(), dtype=object), forward)
    points = shapely.points(graph.x[nodes], graph.y[nodes])
    tree = shapely.STRtree(polys)
    hit, _ = tree.query(points, predicate="dwithin", distance=near_m)
    nodes = nodes[np.unique(hit)]
    if nodes.shape[0] == 0:
        return _empty_candidates()
    x, y = graph.x[nodes], graph.y[nodes]
    cx, cy = np.floor(x / spacing_m), np.floor(y / spacing_m)
    off = np.hypot(x - (cx + 0.5) * spacing_m, y - (cy + 0.5) * spacing_m)
    order = np.lexsort((nodes, off, cy, cx))
    cell = np.column_stack([cx[order], cy[order]])
    first = np.ones(order.shape[0], dtype=bool)
    first[1:] = (np.diff(cell, axis=0) != 0).any(axis=1)
    chosen = np.sort(nodes[order[first]])
    osm = graph.node_osm_id[chosen]
    return pd.DataFrame(
        {
            "id": [f"N{o}" if o >= 0 else f"N_{n}" for o, n in zip(osm, chosen, strict=True)],
            "name": "",
            "lon": graph.lon[chosen],
            "lat": graph.lat[chosen],
            "kinds": "",
            "cost": 1.0,
            "capacity": np.inf,
            "source": "network",
        }
    )[CANDIDATE_COLUMNS]


def _empty_candidates() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in CANDIDATE_COLUMNS})


@dataclass(frozen=True, slots=True)
class SitingInputs:
    """A siting problem with the tables it was built from.

    Attributes
    ----------
    problem
        The :class:`SitingProblem` (demand rows in the order of ``demand``, sites in the
        order of ``candidates``).
    demand
        :data:`DEMAND_COLUMNS` plus ``snap_leg_m`` (inf where the point could not be
        snapped: it reaches no site and no facility).
    candidates
        The candidate sites used, plus ``snap_leg_m``. Sites too far from the network
        (``max_snap_m``) are not in the problem; they are listed in ``dropped``.
    dropped
        Candidate sites left out, with ``reason``.
    """

    problem: SitingProblem
    demand: pd.DataFrame
    candidates: pd.DataFrame
    dropped: pd.DataFrame


def build_problem(
    graph: WalkGraph,
    *,
    demand: pd.DataFrame,
    candidates: pd.DataFrame,
    facilities: pd.DataFrame,
    kinds: Sequence[tuple[str, float]],
    radius_m: Sequence[float] | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> SitingInputs:
    """Snap demand, candidates and existing facilities onto the network; compute the pairs.

    Parameters
    ----------
    graph
        The audit's walking network.
    demand
        :data:`DEMAND_COLUMNS` (from :func:`demand_points`).
    candidates
        :data:`CANDIDATE_COLUMNS` (from :func:`network_candidates` or
        :func:`wanzheng.data.candidates.load_candidates`).
    facilities
        Existing facilities, one row per (facility, kind): ``kind``, ``lon``, ``lat``.
    kinds
        ``(key, threshold_m)`` of every kind to site.
    radius_m
        Per kind, the largest walk kept (default: the threshold; p-median wants more, it
        counts a walk beyond every facility as this radius).
    max_snap_m
        Farthest off-network leg (m) for a point to be attached (the audit's default).

    Returns
    -------
    SitingInputs
        Walking distances are the audit's: the legs to the network at both ends plus the
        shortest path between the snap points.
    """
    if not kinds:
        raise DataError("kinds: expected at least one kind to site")
    keys = [str(k) for k, _ in kinds]
    thr = np.array([float(t) for _, t in kinds], dtype=np.float64)
    rad = thr.copy() if radius_m is None else np.asarray(radius_m, dtype=np.float64)
    if rad.shape != thr.shape:
        raise DataError(f"radius_m: expected one radius per kind ({len(keys)}), got {rad.shape}")
    for col in CANDIDATE_COLUMNS[:6]:
        if col not in candidates:
            raise DataError(f"candidates: column {col!r} is missing")
    fac = facilities[facilities["kind"].isin(keys)].reset_index(drop=True)
    graph2, (fsnap, dsnap, csnap) = snap(
        graph,
        [
            (fac["lon"].to_numpy(np.float64), fac["lat"].to_numpy(np.float64)),
            (demand["lon"].to_numpy(np.float64), demand["lat"].to_numpy(np.float64)),
            (candidates["lon"].to_numpy(np.float64), candidates["lat"].to_numpy(np.float64)),
        ],
        max_leg_m=max_snap_m,
    )
    cutoff = float(rad.max())
    n_i, n_k = len(demand), len(keys)
    # walk from every demand point to the nearest existing facility of each kind
    usable = fsnap.node >= 0
    if usable.any():
        node_d, node_s = nearest_by_kind(
            graph2.indptr,
            graph2.indices,
            graph2.weight_m,
            fsnap.node[usable].astype(np.int64),
            fac.loc[usable, "kind"].map({k: i for i, k in enumerate(keys)}).to_numpy(np.int64),
            fsnap.leg_m[usable].astype(np.float64),
            n_kinds=n_k,
            cutoff_m=cutoff,
        )
        existing, _ = origin_distances(
            node_d, node_s, dsnap.node.astype(np.int64), dsnap.leg_m.astype(np.float64)
        )
    else:
        existing = np.full((n_i, n_k), np.inf)
    existing[existing > rad[None, :]] = np.inf

    ok_site = csnap.node >= 0
    cand = candidates.reset_index(drop=True).copy()
    cand["snap_leg_m"] = csnap.leg_m
    dropped = cand[~ok_site].copy()
    dropped["reason"] = f"farther than {max_snap_m:g} m from the walking network"
    cand = cand[ok_site].reset_index(drop=True)
    c_node = csnap.node[ok_site].astype(np.int64)
    c_leg = csnap.leg_m[ok_site].astype(np.float64)
    ok_dem = dsnap.node >= 0
    d_rows = np.flatnonzero(ok_dem)
    if cand.shape[0] and d_rows.shape[0]:
        s, t, dist = pairs_within(
            graph2.indptr,
            graph2.indices,
            graph2.weight_m,
            c_node,
            c_leg,
            dsnap.node[ok_dem].astype(np.int64),
            dsnap.leg_m[ok_dem].astype(np.float64),
            cutoff_m=cutoff,
        )
        p_site = s.astype(np.int64)
        p_dem = d_rows[t.astype(np.int64)]
        order = np.lexsort((p_site, p_dem))
        p_site, p_dem, dist = p_site[order], p_dem[order], np.asarray(dist)[order]
    else:
        p_site = p_dem = np.zeros(0, np.int64)
        dist = np.zeros(0)

    allowed, site_cost, kind_cost, capacity = _site_arrays(cand, keys)
    problem = SitingProblem(
        kinds=tuple(keys),
        threshold_m=thr,
        radius_m=rad,
        weight=pd.to_numeric(demand["residents"], errors="coerce").to_numpy(np.float64),
        existing_m=existing,
        site_cost=site_cost,
        kind_cost=kind_cost,
        allowed=allowed,
        capacity=capacity,
        pair_demand=p_dem,
        pair_site=p_site,
        pair_distance_m=dist.astype(np.float64),
        demand_ids=demand["id"].astype(str).to_numpy(object),
        site_ids=cand["id"].astype(str).to_numpy(object),
    )
    dem = demand.reset_index(drop=True).copy()
    dem["snap_leg_m"] = dsnap.leg_m
    return SitingInputs(problem=problem, demand=dem, candidates=cand, dropped=dropped)


def _site_arrays(
    cand: pd.DataFrame, keys: list[str]
) -> tuple[npt.NDArray[np.bool_], FloatArray, FloatArray, FloatArray]:
    """allowed, site cost, per-kind cost and capacity of every candidate."""
    n_j, n_k = len(cand), len(keys)
    allowed = np.ones((n_j, n_k), dtype=bool)
    for j, text in enumerate(cand["kinds"].fillna("").astype(str)):
        listed = {k.strip() for k in text.split(";") if k.strip()}
        if listed:
            allowed[j] = [k in listed for k in keys]
    site_cost = pd.to_numeric(cand["cost"], errors="coerce").to_numpy(np.float64)
    site_cost = np.where(np.isfinite(site_cost), site_cost, 0.0) if n_j else np.zeros(0)
    kind_cost = np.zeros((n_j, n_k))
    capacity = np.full((n_j, n_k), np.inf)
    base_cap = pd.to_numeric(cand["capacity"], errors="coerce").to_numpy(np.float64)
    base_cap = np.where(np.isnan(base_cap), np.inf, base_cap)
    for k, key in enumerate(keys):
        capacity[:, k] = base_cap
        if f"capacity_{key}" in cand:
            own = pd.to_numeric(cand[f"capacity_{key}"], errors="coerce").to_numpy(np.float64)
            capacity[:, k] = np.where(np.isnan(own), capacity[:, k], own)
        if f"cost_{key}" in cand:
            own = pd.to_numeric(cand[f"cost_{key}"], errors="coerce").to_numpy(np.float64)
            kind_cost[:, k] = np.where(np.isnan(own), 0.0, own)
    return allowed, site_cost, kind_cost, capacity


def require_reachable(inputs: SitingInputs) -> None:
    """:class:`RoutingError` when no demand point could be attached to the network."""
    if not (np.isfinite(inputs.demand["snap_leg_m"].to_numpy(np.float64))).any():
        raise RoutingError(
            f"no demand point lies within {DEFAULT_MAX_SNAP_M:g} m of the walking network"
        )
