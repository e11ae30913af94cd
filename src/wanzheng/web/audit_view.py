"""The audit as the dashboard sees it: tables as JSON, GeoJSON layers and walking reach.

An :class:`AuditView` is built once per service, either from an :class:`AuditResult` held in
memory (:meth:`AuditView.from_result`) or from an audit output directory written by
``wanzheng audit --out DIR`` (:func:`load_audit_view`, which reads it with
:func:`wanzheng.data.audit_output.load_audit_output`). The walking reach is computed by
:class:`wanzheng.audit.reach.CommunityReach`; this module only shapes answers as JSON.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from wanzheng.audit.compute import kind_coverage
from wanzheng.audit.reach import CommunityReach
from wanzheng.audit.result import AuditResult
from wanzheng.data.audit_output import (
    EVIDENCE_COLUMNS,
    EXPORT_FILES,
    AuditOutput,
    kind_columns,
    load_audit_output,
    records,
)
from wanzheng.data.audit_output import clean_scalar as _clean
from wanzheng.errors import DataError, NotFoundError

__all__ = ["EXPORT_FILES", "AuditView", "load_audit_view"]

REACH_BUFFER_M = 35.0
"""Half-width (m) of the band drawn around reached streets to show a reach as an area."""

JSON = dict[str, Any]


def _round(value: Any, digits: int) -> float | None:
    v = _clean(value)
    if v is None or v == "":
        return None
    try:
        return round(float(v), digits)
    except (TypeError, ValueError):
        return None


def _coords_geojson(geom: Any) -> JSON | None:
    """A shapely geometry as a GeoJSON geometry with coordinates rounded to 1e-6° (~0.1 m)."""
    if geom is None or not isinstance(geom, shapely.Geometry) or geom.is_empty:
        return None
    mapped: JSON = json.loads(shapely.to_geojson(shapely.set_precision(geom, 1e-6)))
    return mapped


def _split(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return [k for k in str(value).split(";") if k]


@dataclass(frozen=True, slots=True)
class AuditView:
    """One audit, ready to be served as JSON.

    Attributes
    ----------
    communities
        The communities table (columns as in ``communities.csv``) with ``geometry`` (shapely,
        WGS-84) and ``origin_lon`` / ``origin_lat`` (the point the audit walked from).
    facilities
        One row per (facility, kind): ``id``, ``name``, ``kind``, ``lon``, ``lat``, ``source``.
    kinds
        Audited kinds in catalogue order: ``key``, ``name_zh``, ``name_en``, ``tier``,
        ``threshold_m`` (m), ``verified``.
    coverage
        One row per audited kind with ``population_share`` (0–1) and counts.
    network
        Walking edges: ``lon_u``, ``lat_u``, ``lon_v``, ``lat_v``, ``length_m``, ``highway``,
        ``name`` (street name, ``""`` when unnamed or not recorded).
    buildings
        ``geometry`` and ``residential`` (may be empty).
    sources
        Provenance of the audit (catalogue, walking speed in m/min, files …).
    out_dir
        The output directory the exports are served from (``None`` when built in memory).
    evidence
        Residents' cases asking for a facility per community and kind (``community_id``,
        ``kind``, ``n_cases``, ``n_residents``); empty when the audit had no cases.
    reach
        The communities' origins snapped onto the network (:mod:`wanzheng.audit.reach`).
    """

    communities: pd.DataFrame
    facilities: pd.DataFrame
    kinds: pd.DataFrame
    coverage: pd.DataFrame
    network: pd.DataFrame
    buildings: pd.DataFrame
    sources: dict[str, Any]
    out_dir: Path | None
    evidence: pd.DataFrame
    reach: CommunityReach

    # ---------------------------------------------------------------- construction

    @classmethod
    def from_result(cls, result: AuditResult, *, out_dir: Path | None = None) -> AuditView:
        """Build the view from an audit held in memory (exports come from ``out_dir``)."""
        comm = result.communities.copy()
        geoms = np.asarray(comm["geometry"].to_numpy(), dtype=object)
        comm["origin_lon"] = pd.to_numeric(comm["lon"], errors="coerce").to_numpy(np.float64)
        comm["origin_lat"] = pd.to_numeric(comm["lat"], errors="coerce").to_numpy(np.float64)
        comm["geometry"] = geoms
        return cls._assemble(
            communities=comm,
            facilities=result.facilities,
            kinds=kind_columns(result.kinds),
            coverage=result.coverage,
            network=result.network,
            buildings=result.buildings,
            sources=dict(result.sources),
            out_dir=out_dir,
            evidence=result.evidence,
        )

    @classmethod
    def from_output(cls, output: AuditOutput) -> AuditView:
        """Build the view from an audit read back from its output directory; the coverage
        is recomputed from the communities table when the output does not hold it."""
        coverage = output.coverage
        if coverage is None:
            coverage = kind_coverage(output.communities, output.facilities, output.kinds)
        return cls._assemble(
            communities=output.communities,
            facilities=output.facilities,
            kinds=output.kinds,
            coverage=coverage,
            network=output.network,
            buildings=output.buildings,
            sources=output.sources,
            out_dir=output.out_dir,
            evidence=output.evidence,
        )

    @classmethod
    def _assemble(
        cls,
        *,
        communities: pd.DataFrame,
        facilities: pd.DataFrame,
        kinds: pd.DataFrame,
        coverage: pd.DataFrame,
        network: pd.DataFrame,
        buildings: pd.DataFrame,
        sources: dict[str, Any],
        out_dir: Path | None,
        evidence: pd.DataFrame | None = None,
    ) -> AuditView:
        comm = communities.copy()
        comm["id"] = comm["id"].astype(str)
        return cls(
            communities=comm.reset_index(drop=True),
            facilities=facilities.reset_index(drop=True),
            kinds=kinds.reset_index(drop=True),
            coverage=coverage.reset_index(drop=True),
            network=network.reset_index(drop=True),
            buildings=buildings.reset_index(drop=True),
            sources=sources,
            out_dir=out_dir,
            evidence=(
                evidence[EVIDENCE_COLUMNS].reset_index(drop=True)
                if evidence is not None and len(evidence)
                else pd.DataFrame(columns=EVIDENCE_COLUMNS)
            ),
            reach=CommunityReach.from_network(
                network,
                comm["origin_lon"].to_numpy(np.float64),
                comm["origin_lat"].to_numpy(np.float64),
            ),
        )

    # ---------------------------------------------------------------- JSON views

    @property
    def walk_speed_m_per_min(self) -> float:
        """Walking speed of the catalogue (m/min)."""
        return float(self.sources.get("walk_speed_m_per_min") or 80.0)

    def summary(self) -> JSON:
        """Counts, provenance and which exports exist."""
        comm = self.communities
        pop = pd.to_numeric(comm["population"], errors="coerce")
        verdict = comm["verdict"].astype(str)
        exports = {
            key: self.out_dir is not None and (self.out_dir / name).is_file()
            for key, name in EXPORT_FILES.items()
        }
        bounds = self.sources.get("bounds")
        return {
            "counts": {
                "communities": len(comm),
                "complete": int((verdict == "complete").sum()),
                "incomplete": int((verdict == "incomplete").sum()),
                "undetermined": int((verdict == "undetermined").sum()),
                "population": _clean(float(pop.sum(min_count=1))),
                "affected": _clean(float(pop[verdict == "incomplete"].sum(min_count=1)) or 0.0),
                "facilities": len(self.facilities),
                # places: facilities as the report and the CLI count them (one per id);
                # multi_kind: places counted under two kinds or more (a 卫生服务中心 is both)
                "places": int(self.facilities["id"].nunique()) if len(self.facilities) else 0,
                "multi_kind": (
                    int((self.facilities.groupby("id")["kind"].nunique() > 1).sum())
                    if len(self.facilities)
                    else 0
                ),
                "edges": len(self.network),
                "buildings": len(self.buildings),
            },
            "catalogue": {
                "name": self.sources.get("catalogue_name"),
                "version": self.sources.get("catalogue_version"),
            },
            "walk_speed_m_per_min": self.walk_speed_m_per_min,
            "osm_file": self.sources.get("osm_file"),
            "area_name": self.sources.get("area_name") or None,
            "bounds": list(bounds) if bounds is not None else None,
            "exports": exports,
            "sources": {
                k: _clean(v) if not isinstance(v, list | tuple | dict) else v
                for k, v in self.sources.items()
            },
        }

    def kinds_json(self) -> list[JSON]:
        """Audited kinds with the number of facilities found of each."""
        counts = self.facilities["kind"].value_counts()
        out = records(self.kinds)
        for row in out:
            row["facilities"] = int(counts.get(row["key"], 0))
        return out

    def coverage_json(self) -> list[JSON]:
        """Population-weighted coverage per kind."""
        return records(self.coverage)

    def communities_geojson(self) -> JSON:
        """Communities with verdicts and per-kind distance, status and nearest facility."""
        keys = list(self.kinds["key"])
        wider = [k for k, v in zip(keys, self.kinds["in_verdict"], strict=True) if not v]
        asked: dict[str, list[JSON]] = {}
        for rec in self.evidence.to_dict("records"):
            asked.setdefault(str(rec["community_id"]), []).append(
                {
                    "kind": str(rec["kind"]),
                    "n_cases": int(rec["n_cases"]),
                    "n_residents": int(rec["n_residents"]),
                }
            )
        features = []
        for row in self.communities.to_dict("records"):
            per_kind: JSON = {}
            for k in keys:
                dist = _round(row.get(f"{k}_distance_m"), 1)
                walk = row.get(f"{k}_walk_min")
                per_kind[k] = {
                    "distance_m": dist,
                    "walk_min": _round(walk, 1)
                    if walk is not None
                    else (None if dist is None else round(dist / self.walk_speed_m_per_min, 1)),
                    "status": str(row.get(f"{k}_status") or "no_data"),
                    "nearest_name": _clean(row.get(f"{k}_nearest_name")) or None,
                }
            pop = _round(row.get("population"), 0)
            features.append(
                {
                    "type": "Feature",
                    "geometry": _coords_geojson(row.get("geometry")),
                    "properties": {
                        "id": str(row["id"]),
                        "name": str(row.get("name") or row["id"]),
                        "population": None if pop is None else int(pop),
                        "population_source": _clean(row.get("population_source")),
                        "verdict": str(row["verdict"]),
                        "met": _clean(row.get("met")),
                        "required": _clean(row.get("required")),
                        "missing": _split(row.get("missing")),
                        "missing_life_circle": (
                            _split(row.get("missing_life_circle"))
                            if "missing_life_circle" in row
                            else [k for k in wider if per_kind[k]["status"] == "missing"]
                        ),
                        "no_data": _split(row.get("no_data")),
                        "edge_uncertain": bool(row.get("edge_uncertain")),
                        "edge_uncertain_kinds": _split(row.get("edge_uncertain_kinds")),
                        "edge_distance_m": _round(row.get("edge_distance_m"), 0),
                        "origin": [
                            _round(row.get("origin_lon"), 6),
                            _round(row.get("origin_lat"), 6),
                        ],
                        "kinds": per_kind,
                        # residents' cases asking for a facility (wanzheng audit --cases)
                        "evidence": asked.get(str(row["id"]), []),
                    },
                }
            )
        return {"type": "FeatureCollection", "features": features}

    def facilities_geojson(self) -> JSON:
        """Facilities as points (one per facility and kind)."""
        fac = self.facilities
        lon = pd.to_numeric(fac["lon"], errors="coerce").to_numpy(np.float64)
        lat = pd.to_numeric(fac["lat"], errors="coerce").to_numpy(np.float64)
        features = []
        for i, row in enumerate(fac[["id", "name", "kind", "source"]].to_dict("records")):
            if not (math.isfinite(lon[i]) and math.isfinite(lat[i])):
                continue
            features.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "Point",
                        "coordinates": [round(lon[i], 6), round(lat[i], 6)],
                    },
                    "properties": {k: _clean(v) for k, v in row.items()},
                }
            )
        return {"type": "FeatureCollection", "features": features}

    def network_geojson(self) -> JSON:
        """The walking network, one MultiLineString per ``highway`` value."""
        net = self.network
        coords = np.round(
            np.stack(
                [
                    net[["lon_u", "lat_u"]].to_numpy(np.float64),
                    net[["lon_v", "lat_v"]].to_numpy(np.float64),
                ],
                axis=1,
            ),
            6,
        )
        highway = net["highway"].fillna("").astype(str).to_numpy()
        features = []
        for hw in sorted(set(highway.tolist())):
            sel = coords[highway == hw]
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "MultiLineString", "coordinates": sel.tolist()},
                    "properties": {"highway": hw, "edges": len(sel)},
                }
            )
        return {"type": "FeatureCollection", "features": features}

    def labels(self) -> JSON:
        """Names to write on the maps: every named street once, at the middle of its longest
        segment, and every community at a point inside it (``point_on_surface``).

        ``{"streets": [{"name", "lon", "lat"}], "communities": [{"id", "name", "lon", "lat"}]}``
        """
        streets: list[JSON] = []
        net = self.network
        if len(net) and "name" in net:
            named = net[net["name"].fillna("").astype(str) != ""]
            if len(named):
                longest = named.loc[named.groupby("name")["length_m"].idxmax()]
                lon = (longest["lon_u"].to_numpy(float) + longest["lon_v"].to_numpy(float)) / 2
                lat = (longest["lat_u"].to_numpy(float) + longest["lat_v"].to_numpy(float)) / 2
                for name, x, y in zip(longest["name"].astype(str), lon, lat, strict=True):
                    streets.append(
                        {"name": name, "lon": round(float(x), 6), "lat": round(float(y), 6)}
                    )
        communities: list[JSON] = []
        comm = self.communities
        if len(comm):
            pts = shapely.point_on_surface(np.asarray(comm["geometry"].to_numpy(), dtype=object))
            for cid, name, x, y in zip(
                comm["id"], comm["name"], shapely.get_x(pts), shapely.get_y(pts), strict=True
            ):
                if np.isfinite(x) and np.isfinite(y):
                    communities.append(
                        {
                            "id": str(cid),
                            "name": str(name),
                            "lon": round(float(x), 6),
                            "lat": round(float(y), 6),
                        }
                    )
        return {"streets": streets, "communities": communities}

    def buildings_geojson(self) -> JSON:
        """Buildings as polygons with ``residential``."""
        features = []
        b = self.buildings
        residential = (
            b["residential"].fillna(False).astype(bool).to_numpy()
            if "residential" in b
            else np.zeros(len(b), dtype=bool)
        )
        for geom, res in zip(b["geometry"].to_numpy(object), residential, strict=True):
            g = _coords_geojson(geom)
            if g is not None:
                features.append(
                    {"type": "Feature", "geometry": g, "properties": {"residential": bool(res)}}
                )
        return {"type": "FeatureCollection", "features": features}

    # ---------------------------------------------------------------- reach

    def community_index(self, community_id: str) -> int:
        """Row of a community; :class:`NotFoundError` when the id is unknown."""
        hits = np.flatnonzero(self.communities["id"].to_numpy() == str(community_id))
        if len(hits) == 0:
            raise NotFoundError(f"community {community_id!r} is not in this audit")
        return int(hits[0])

    def reach_geojson(self, community_id: str, minutes: Iterable[float]) -> JSON:
        """The streets reachable within each walking time, and the area they cover.

        For each limit ``L = minutes × speed`` (m) :func:`wanzheng.network.reach` gives the
        streets within ``L`` on foot from the community's origin (edges cut exactly where the
        budget runs out; the origin's straight leg to the street is spent first) and a band
        of :data:`REACH_BUFFER_M` around them.
        """
        mins = sorted({float(m) for m in minutes})
        if not mins or any(not (0 < m <= 60) for m in mins):
            raise DataError(f"minutes: expected values in (0, 60], got {mins}")
        i = self.community_index(community_id)
        features: list[JSON] = []
        limits = [m * self.walk_speed_m_per_min for m in mins]
        isochrones = self.reach.isochrones(i, limits, buffer_m=REACH_BUFFER_M)
        if not isochrones:  # nothing walkable in this audit
            return {"type": "FeatureCollection", "features": features}
        for m, iso in zip(mins, isochrones, strict=True):
            if iso.lines.is_empty:
                continue
            props = {
                "minutes": int(m) if m.is_integer() else m,
                "limit_m": round(iso.limit_m, 1),
                "streets_m": round(iso.length_m, 1),
                "area_m2": round(self.reach.area_m2(iso.polygon), 0),
            }
            features.append(
                {
                    "type": "Feature",
                    "geometry": _coords_geojson(iso.polygon),
                    "properties": {**props, "part": "area"},
                }
            )
            features.append(
                {
                    "type": "Feature",
                    "geometry": _coords_geojson(iso.lines),
                    "properties": {**props, "part": "streets"},
                }
            )
        return {"type": "FeatureCollection", "features": features}

    # ---------------------------------------------------------------- exports

    def export_path(self, key: str) -> Path:
        """Path of an export file (``xlsx``, ``gpkg``, ``html``) in the output directory."""
        if key not in EXPORT_FILES:
            raise NotFoundError(f"export {key!r}: expected one of {', '.join(EXPORT_FILES)}")
        if self.out_dir is None or not (self.out_dir / EXPORT_FILES[key]).is_file():
            raise NotFoundError(
                f"{EXPORT_FILES[key]} was not written for this audit "
                f"(output directory: {self.out_dir})"
            )
        return self.out_dir / EXPORT_FILES[key]


# ------------------------------------------------------------------------ reading a directory


def load_audit_view(audit_dir: Path) -> AuditView:
    """Read an audit output directory (:func:`wanzheng.data.audit_output.load_audit_output`)
    into an :class:`AuditView`.

    Raises
    ------
    NotFoundError
        The directory or its ``audit.gpkg`` does not exist.
    DataError
        ``audit.gpkg`` lacks a layer the dashboard needs, or its ``dashboard`` table is not
        JSON.
    """
    return AuditView.from_output(load_audit_output(audit_dir))
