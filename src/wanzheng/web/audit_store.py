"""The audit as the dashboard sees it: tables, GeoJSON layers and walking reach.

An :class:`AuditStore` is built once per service, either from an :class:`AuditResult` held in
memory (:meth:`AuditStore.from_result`) or from an audit output directory written by
``wanzheng audit --out DIR`` (:func:`load_audit_store`). The directory is read as follows:

``audit.gpkg``
    Layers ``communities`` (polygons with the columns of ``communities.csv``),
    ``facilities`` (points) and ``network`` (one LineString per walking edge with
    ``length_m`` and ``highway``); a ``buildings`` layer is drawn when present.
    Optional layers written by :func:`write_dashboard_extras`: ``buildings`` and the
    attribute table ``dashboard`` (rows ``sources``, ``kinds``, ``coverage``, ``evidence``,
    each a JSON text). Without them the map has no buildings, the kinds come from the default
    catalogue and coverage is recomputed from the communities table with
    :func:`wanzheng.audit.compute.area_coverage`.

The walking reach of a community (5/10/15 minutes) is computed on the network read back
from the output: nodes are the distinct edge end points, edge lengths are the audit's.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
import pyogrio.raw
import shapely

from wanzheng.audit.compute import area_coverage
from wanzheng.audit.result import AuditResult
from wanzheng.errors import DataError, NotFoundError, RoutingError
from wanzheng.network import WalkGraph, graph_from_arrays, reach, snap

__all__ = [
    "DASHBOARD_LAYER",
    "EXPORT_FILES",
    "AuditStore",
    "load_audit_store",
    "write_dashboard_extras",
]

DASHBOARD_LAYER = "dashboard"
EXPORT_FILES: dict[str, str] = {
    "xlsx": "communities.xlsx",
    "gpkg": "audit.gpkg",
    "html": "report.html",
}
"""Export key → file name inside the audit output directory."""

REACH_BUFFER_M = 35.0
"""Half-width (m) of the band drawn around reached streets to show a reach as an area."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
JSON = dict[str, Any]


def _clean(value: Any) -> Any:
    """A JSON-safe scalar: NaN and ±inf become ``None``, numpy scalars plain Python."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _records(df: pd.DataFrame) -> list[JSON]:
    return [{str(k): _clean(v) for k, v in row.items()} for row in df.to_dict("records")]


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


KIND_COLUMNS = ["key", "name_zh", "name_en", "tier", "threshold_m", "verified", "in_verdict"]


def _kind_columns(kinds: pd.DataFrame) -> pd.DataFrame:
    """The kind columns the pages use; ``in_verdict`` (decides the verdict, or belongs to a
    wider life circle) is true where an older audit does not say."""
    out = kinds.copy()
    if "in_verdict" not in out:
        out["in_verdict"] = True
    out["in_verdict"] = out["in_verdict"].fillna(True).astype(bool)
    return out[KIND_COLUMNS].reset_index(drop=True)


def _kind_keys(communities: pd.DataFrame) -> list[str]:
    return [c[: -len("_status")] for c in communities.columns if str(c).endswith("_status")]


def _split(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return [k for k in str(value).split(";") if k]


def _graph(network: pd.DataFrame) -> WalkGraph | None:
    """The walking graph of the drawn network: nodes are the distinct edge ends (to 1e-7°,
    about 1 cm), edge lengths are the audit's."""
    if len(network) == 0:
        return None
    ends = np.round(
        np.concatenate(
            [
                network[["lon_u", "lat_u"]].to_numpy(np.float64),
                network[["lon_v", "lat_v"]].to_numpy(np.float64),
            ]
        ),
        7,
    )
    nodes, inverse = np.unique(ends, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    m = len(network)
    try:
        return graph_from_arrays(
            nodes[:, 0],
            nodes[:, 1],
            inverse[:m],
            inverse[m:],
            edge_length_m=network["length_m"].to_numpy(np.float64),
            edge_highway=network["highway"].fillna("").astype(str).to_numpy(),
            source="audit network",
        )
    except RoutingError:
        return None  # nothing walkable left (only self-loops): no reach to show


@dataclass(frozen=True, slots=True)
class AuditStore:
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
    _graph: WalkGraph | None
    _origin_node: IntArray
    _origin_leg_m: FloatArray

    # ---------------------------------------------------------------- construction

    @classmethod
    def from_result(cls, result: AuditResult, *, out_dir: Path | None = None) -> AuditStore:
        """Build the store from an audit held in memory (exports come from ``out_dir``)."""
        comm = result.communities.copy()
        geoms = np.asarray(comm["geometry"].to_numpy(), dtype=object)
        comm["origin_lon"] = pd.to_numeric(comm["lon"], errors="coerce").to_numpy(np.float64)
        comm["origin_lat"] = pd.to_numeric(comm["lat"], errors="coerce").to_numpy(np.float64)
        comm["geometry"] = geoms
        kinds = _kind_columns(result.kinds)
        return cls._assemble(
            communities=comm,
            facilities=result.facilities,
            kinds=kinds.reset_index(drop=True),
            coverage=result.coverage.reset_index(drop=True),
            network=result.network,
            buildings=result.buildings,
            sources=dict(result.sources),
            out_dir=out_dir,
            evidence=result.evidence,
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
    ) -> AuditStore:
        # Each community's origin is inserted where it joins the nearest edge of the largest
        # connected part of the network, exactly as the audit snaps it.
        graph = _graph(network)
        node = np.full(len(communities), -1, dtype=np.int64)
        leg = np.full(len(communities), np.inf)
        if graph is not None:
            graph, (snapped,) = snap(
                graph,
                [
                    (
                        communities["origin_lon"].to_numpy(np.float64),
                        communities["origin_lat"].to_numpy(np.float64),
                    )
                ],
            )
            node, leg = snapped.node.astype(np.int64), snapped.leg_m.astype(np.float64)
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
                evidence[["community_id", "kind", "n_cases", "n_residents"]].reset_index(drop=True)
                if evidence is not None and len(evidence)
                else pd.DataFrame(columns=["community_id", "kind", "n_cases", "n_residents"])
            ),
            _graph=graph,
            _origin_node=node,
            _origin_leg_m=leg,
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
                "edges": len(self.network),
                "buildings": len(self.buildings),
            },
            "catalogue": {
                "name": self.sources.get("catalogue_name"),
                "version": self.sources.get("catalogue_version"),
            },
            "walk_speed_m_per_min": self.walk_speed_m_per_min,
            "osm_file": self.sources.get("osm_file"),
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
        out = _records(self.kinds)
        for row in out:
            row["facilities"] = int(counts.get(row["key"], 0))
        return out

    def coverage_json(self) -> list[JSON]:
        """Population-weighted coverage per kind."""
        return _records(self.coverage)

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
                        "edge_uncertain": _split(row.get("edge_uncertain")),
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
        node, leg = int(self._origin_node[i]), float(self._origin_leg_m[i])
        features: list[JSON] = []
        if self._graph is None or node < 0:
            return {"type": "FeatureCollection", "features": features}
        limits = [m * self.walk_speed_m_per_min for m in mins]
        isochrones = reach(
            self._graph, node, limits_m=limits, origin_leg_m=leg, buffer_m=REACH_BUFFER_M
        )
        forward = self._graph.projection.forward
        for m, iso in zip(mins, isochrones, strict=True):
            if iso.lines.is_empty:
                continue
            area_m2 = float(
                shapely.area(
                    shapely.transform(iso.polygon, lambda c: np.c_[forward(c[:, 0], c[:, 1])])
                )
            )
            props = {
                "minutes": int(m) if m.is_integer() else m,
                "limit_m": round(iso.limit_m, 1),
                "streets_m": round(iso.length_m, 1),
                "area_m2": round(area_m2, 0),
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


@contextmanager
def _no_side_files() -> Iterator[None]:
    """Keep GDAL from writing ``audit.gpkg.aux.xml`` next to a GeoPackage it only reads.

    (GDAL's PAM would store the dataset metadata there, and a stray file in the output
    directory makes the next ``wanzheng audit --out`` refuse to replace it.)
    """
    old = pyogrio.get_gdal_config_option("GDAL_PAM_ENABLED")
    pyogrio.set_gdal_config_options({"GDAL_PAM_ENABLED": "NO"})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"GDAL_PAM_ENABLED": old})


def _read_layer(path: Path, layer: str) -> pd.DataFrame:
    with _no_side_files():
        meta, _, geometry, fields = pyogrio.raw.read(path, layer=layer)
    table = pd.DataFrame({name: col for name, col in zip(meta["fields"], fields, strict=True)})
    table["geometry"] = shapely.from_wkb(geometry) if geometry is not None else None
    return table


def _kinds_from_catalogue(keys: list[str]) -> pd.DataFrame:
    from wanzheng.standards import load_catalogue

    cat = load_catalogue()
    rows = []
    for key in keys:
        try:
            k = cat.kind(key)
            rows.append(
                {
                    "key": key,
                    "name_zh": k.name_zh,
                    "name_en": k.name_en,
                    "tier": k.tier,
                    "threshold_m": k.threshold_m,
                    "verified": k.verified,
                    "in_verdict": k.in_verdict,
                }
            )
        except (KeyError, LookupError):
            rows.append(
                {
                    "key": key,
                    "name_zh": key,
                    "name_en": key,
                    "tier": None,
                    "threshold_m": None,
                    "verified": False,
                    "in_verdict": True,
                }
            )
    return pd.DataFrame(rows)


def _coverage(comm: pd.DataFrame, fac: pd.DataFrame, kinds: pd.DataFrame) -> pd.DataFrame:
    keys = list(kinds["key"])
    status = (
        comm[[f"{k}_status" for k in keys]].astype(str).to_numpy(object)
        if keys
        else np.empty((len(comm), 0), dtype=object)
    )
    pop = pd.to_numeric(comm["population"], errors="coerce").to_numpy(np.float64)
    cov = area_coverage(status, pop, keys)
    counts = fac["kind"].value_counts()
    base = kinds.rename(columns={"key": "kind"})
    out = base.merge(cov, on="kind")
    out.insert(6, "facilities", [int(counts.get(k, 0)) for k in keys])
    out.insert(7, "has_data", [int(counts.get(k, 0)) > 0 for k in keys])
    return out


def load_audit_store(audit_dir: Path) -> AuditStore:
    """Read an audit output directory (see the module docstring) into an :class:`AuditStore`.

    Raises
    ------
    NotFoundError
        The directory or its ``audit.gpkg`` does not exist.
    DataError
        ``audit.gpkg`` lacks a layer the dashboard needs, or its ``dashboard`` table is not
        JSON.
    """
    gpkg = audit_dir / "audit.gpkg"
    if not gpkg.is_file():
        raise NotFoundError(
            f"{gpkg}: no audit output here (run `wanzheng audit --out {audit_dir}`)"
        )
    with _no_side_files():
        layers = {str(name) for name, _ in pyogrio.list_layers(gpkg)}
    for needed in ("communities", "facilities", "network"):
        if needed not in layers:
            raise DataError(f"{gpkg}: layer {needed!r} is missing (layers: {sorted(layers)})")
    comm = _read_layer(gpkg, "communities")
    comm["id"] = comm["id"].astype(str)
    origin = shapely.point_on_surface(np.asarray(comm["geometry"].to_numpy(), dtype=object))
    comm["origin_lon"] = shapely.get_x(origin)
    comm["origin_lat"] = shapely.get_y(origin)
    for col in comm.columns:
        if str(col).endswith("_distance_m"):
            comm[col] = pd.to_numeric(comm[col], errors="coerce").astype("float64")
    fac = _read_layer(gpkg, "facilities").drop(columns=["geometry"])
    edges = _read_layer(gpkg, "network")
    first = shapely.get_point(edges["geometry"].to_numpy(object), 0)
    last = shapely.get_point(edges["geometry"].to_numpy(object), -1)
    network = pd.DataFrame(
        {
            "lon_u": shapely.get_x(first),
            "lat_u": shapely.get_y(first),
            "lon_v": shapely.get_x(last),
            "lat_v": shapely.get_y(last),
            "length_m": pd.to_numeric(edges["length_m"], errors="coerce").to_numpy(np.float64),
            "highway": edges["highway"].astype(str).to_numpy(),
            # street names (audits written before names were kept have none)
            "name": (
                edges["name"].fillna("").astype(str).to_numpy(object)
                if "name" in edges
                else np.full(len(edges), "", dtype=object)
            ),
        }
    )
    buildings = (
        _read_layer(gpkg, "buildings")
        if "buildings" in layers
        else pd.DataFrame({"geometry": [], "residential": []})
    )
    extras: dict[str, Any] = {}
    if DASHBOARD_LAYER in layers:
        table = _read_layer(gpkg, DASHBOARD_LAYER)
        for name, text in zip(table["name"], table["json"], strict=True):
            try:
                extras[str(name)] = json.loads(str(text))
            except json.JSONDecodeError as exc:
                raise DataError(
                    f"{gpkg}: layer {DASHBOARD_LAYER!r}: row {name!r}: column 'json': "
                    f"not valid JSON ({exc.msg})"
                ) from exc
    keys = _kind_keys(comm)
    kinds = pd.DataFrame(extras["kinds"]) if extras.get("kinds") else _kinds_from_catalogue(keys)
    kinds = _kind_columns(kinds[kinds["key"].isin(keys)])
    coverage = (
        pd.DataFrame(extras["coverage"]) if extras.get("coverage") else _coverage(comm, fac, kinds)
    )
    sources: dict[str, Any] = dict(extras.get("sources") or {})
    if "walk_speed_m_per_min" not in sources:
        from wanzheng.standards import load_catalogue

        cat = load_catalogue()
        sources.setdefault("catalogue_name", cat.name)
        sources.setdefault("catalogue_version", cat.version)
        sources["walk_speed_m_per_min"] = cat.walk_speed_m_per_min
    evidence = pd.DataFrame(extras["evidence"]) if extras.get("evidence") else None
    return AuditStore._assemble(
        communities=comm,
        facilities=fac,
        kinds=kinds,
        coverage=coverage,
        network=network,
        buildings=buildings,
        sources=sources,
        out_dir=audit_dir,
        evidence=evidence,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return _clean(value)


def write_dashboard_extras(result: AuditResult, out_dir: Path) -> None:
    """Add to ``out_dir/audit.gpkg`` what the dashboard needs beyond the report's layers.

    A ``buildings`` layer (MultiPolygon, ``residential``) unless one exists, and the attribute
    table ``dashboard`` with the provenance, the kinds and the coverage as JSON texts. Both
    go inside the GeoPackage so that the output directory holds only the report's files.
    """
    gpkg = out_dir / "audit.gpkg"
    if not gpkg.is_file():
        raise NotFoundError(f"{gpkg}: write the audit outputs first")
    with _no_side_files():
        layers = {str(name) for name, _ in pyogrio.list_layers(gpkg)}
    extras = {
        "sources": _jsonable(dict(result.sources)),
        "kinds": _records(_kind_columns(result.kinds)),
        "coverage": _records(result.coverage),
        "evidence": _records(result.evidence[["community_id", "kind", "n_cases", "n_residents"]]),
    }
    if DASHBOARD_LAYER not in layers:
        names = np.array(list(extras), dtype=object)
        texts = np.array([json.dumps(v, ensure_ascii=False) for v in extras.values()], object)
        with _no_side_files():
            pyogrio.raw.write(
                gpkg, None, [names, texts], ["name", "json"], layer=DASHBOARD_LAYER, driver="GPKG"
            )
    b = result.buildings
    if "buildings" in layers or len(b) == 0:
        return
    polys = np.asarray(b["geometry"].to_numpy(), dtype=object).copy()
    kind = shapely.get_type_id(polys)
    single = np.flatnonzero(kind == 3)  # polygons become one-part multipolygons, in one call
    if single.shape[0]:
        polys[single] = shapely.multipolygons(polys[single], indices=np.arange(single.shape[0]))
    keep = (kind == 3) | (kind == 6)
    residential = b["residential"].fillna(False).astype(bool).to_numpy(np.int64)[keep]
    with _no_side_files():
        pyogrio.raw.write(
            gpkg,
            shapely.to_wkb(polys[keep]),
            [residential],
            ["residential"],
            layer="buildings",
            driver="GPKG",
            geometry_type="MultiPolygon",
            crs="EPSG:4326",
        )
