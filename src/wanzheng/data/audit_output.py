"""Reading an audit output directory (``wanzheng audit --out DIR``) back into tables.

Whatever needs a finished audit without running it again — the web dashboard, siting plans,
scripts — reads it here, from the GeoPackage the audit wrote:

``audit.gpkg``
    Layers ``communities`` (polygons with the columns of ``communities.csv``),
    ``facilities`` (points) and ``network`` (one LineString per walking edge with
    ``length_m``, ``highway`` and, since place names were kept, ``name``). Optional layers
    written by :func:`wanzheng.report.gpkg.write_dashboard_extras`: ``buildings``
    (MultiPolygon, ``residential``) and the attribute table ``dashboard`` (rows ``sources``,
    ``kinds``, ``coverage``, ``evidence``, each a JSON text). Without them there are no
    buildings, the kinds come from the default catalogue and the coverage is left for the
    caller to compute (:func:`wanzheng.audit.compute.kind_coverage`).

The format of the ``dashboard`` table (its layer name and how values become JSON) is defined
here once, for the writer and the reader.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
import pyogrio.raw
import shapely

from wanzheng.errors import DataError, NotFoundError

__all__ = [
    "DASHBOARD_LAYER",
    "EVIDENCE_COLUMNS",
    "EXPORT_FILES",
    "KIND_COLUMNS",
    "AuditOutput",
    "clean_scalar",
    "gdal_no_side_files",
    "jsonable",
    "kind_columns",
    "load_audit_output",
    "records",
]

DASHBOARD_LAYER = "dashboard"
"""Name of the attribute table in ``audit.gpkg`` holding provenance, kinds and coverage."""

EXPORT_FILES: dict[str, str] = {
    "xlsx": "communities.xlsx",
    "gpkg": "audit.gpkg",
    "html": "report.html",
}
"""Export key → file name inside the audit output directory."""

KIND_COLUMNS = ["key", "name_zh", "name_en", "tier", "threshold_m", "verified", "in_verdict"]
"""Columns of :attr:`AuditOutput.kinds`."""

EVIDENCE_COLUMNS = ["community_id", "kind", "n_cases", "n_residents"]
"""Columns of :attr:`AuditOutput.evidence`."""


@dataclass(frozen=True, slots=True)
class AuditOutput:
    """A finished audit as read back from its output directory.

    Attributes
    ----------
    communities
        The communities table (columns as in ``communities.csv``, ``id`` as text) with
        ``geometry`` (shapely, WGS-84) and ``origin_lon`` / ``origin_lat`` (degrees; the
        point on the community's surface the reach is walked from).
    facilities
        One row per (facility, kind): ``id``, ``name``, ``kind``, ``lon``, ``lat``,
        ``source`` (no geometry column).
    network
        Walking edges: ``lon_u``, ``lat_u``, ``lon_v``, ``lat_v`` (degrees), ``length_m``
        (metres, the audit's), ``highway``, ``name`` (``""`` when unnamed or not recorded).
    buildings
        ``geometry`` and ``residential`` (empty when the audit wrote no buildings layer).
    kinds
        Audited kinds in catalogue order, columns :data:`KIND_COLUMNS`.
    coverage
        Population-weighted coverage per kind as the audit computed it, or ``None`` when the
        output does not hold it (see :func:`wanzheng.audit.compute.kind_coverage`).
    sources
        Provenance (catalogue name and version, ``walk_speed_m_per_min``, files …).
    evidence
        Residents' cases asking for a facility (``community_id``, ``kind``, ``n_cases``,
        ``n_residents``); empty when the audit had none.
    out_dir
        The directory that was read.
    """

    communities: pd.DataFrame
    facilities: pd.DataFrame
    network: pd.DataFrame
    buildings: pd.DataFrame
    kinds: pd.DataFrame
    coverage: pd.DataFrame | None
    sources: dict[str, Any]
    evidence: pd.DataFrame
    out_dir: Path


# ------------------------------------------------------------------------ JSON of the table


def clean_scalar(value: Any) -> Any:
    """A JSON-safe scalar: NaN and ±inf become ``None``, numpy scalars plain Python."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``df`` as JSON-safe dicts (see :func:`clean_scalar`)."""
    return [{str(k): clean_scalar(v) for k, v in row.items()} for row in df.to_dict("records")]


def jsonable(value: Any) -> Any:
    """``value`` with dict keys as text, tuples as lists, paths as text, scalars cleaned."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return clean_scalar(value)


def kind_columns(kinds: pd.DataFrame) -> pd.DataFrame:
    """The :data:`KIND_COLUMNS` of a kinds table; ``in_verdict`` (decides the verdict, or
    belongs to a wider life circle) is true where an older audit does not say."""
    out = kinds.copy()
    if "in_verdict" not in out:
        out["in_verdict"] = True
    out["in_verdict"] = out["in_verdict"].fillna(True).astype(bool)
    return out[KIND_COLUMNS].reset_index(drop=True)


# ------------------------------------------------------------------------ reading


@contextmanager
def gdal_no_side_files() -> Iterator[None]:
    """Keep GDAL from writing ``audit.gpkg.aux.xml`` next to a GeoPackage it opens.

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
    with gdal_no_side_files():
        meta, _, geometry, fields = pyogrio.raw.read(path, layer=layer)
    table = pd.DataFrame({name: col for name, col in zip(meta["fields"], fields, strict=True)})
    table["geometry"] = shapely.from_wkb(geometry) if geometry is not None else None
    return table


def _kind_keys(communities: pd.DataFrame) -> list[str]:
    return [c[: -len("_status")] for c in communities.columns if str(c).endswith("_status")]


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
    return pd.DataFrame(rows, columns=KIND_COLUMNS)


def _network(edges: pd.DataFrame) -> pd.DataFrame:
    geoms = edges["geometry"].to_numpy(object)
    first = shapely.get_point(geoms, 0)
    last = shapely.get_point(geoms, -1)
    return pd.DataFrame(
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


def load_audit_output(audit_dir: Path) -> AuditOutput:
    """Read an audit output directory (see the module docstring).

    Parameters
    ----------
    audit_dir
        A directory written by ``wanzheng audit --out``.

    Raises
    ------
    NotFoundError
        The directory or its ``audit.gpkg`` does not exist.
    DataError
        ``audit.gpkg`` lacks a layer (``communities``, ``facilities``, ``network``), or a row
        of its ``dashboard`` table is not JSON; the message names the file, layer and row.
    """
    audit_dir = Path(audit_dir)
    gpkg = audit_dir / "audit.gpkg"
    if not gpkg.is_file():
        raise NotFoundError(
            f"{gpkg}: no audit output here (run `wanzheng audit --out {audit_dir}`)"
        )
    with gdal_no_side_files():
        layers = {str(name) for name, _ in pyogrio.list_layers(gpkg)}
    for needed in ("communities", "facilities", "network"):
        if needed not in layers:
            raise DataError(f"{gpkg}: layer {needed!r} is missing (layers: {sorted(layers)})")
    comm = _read_layer(gpkg, "communities")
    comm["id"] = comm["id"].astype(str)
    origin = shapely.point_on_surface(np.asarray(comm["geometry"].to_numpy(), dtype=object))
    comm["origin_lon"] = shapely.get_x(origin)
    comm["origin_lat"] = shapely.get_y(origin)
    if "edge_uncertain" in comm and "edge_uncertain_kinds" not in comm:
        # an audit written before the flag and its kinds were two columns: the kinds were
        # in ``edge_uncertain``
        comm["edge_uncertain_kinds"] = comm["edge_uncertain"].fillna("").astype(str)
    if "edge_uncertain_kinds" in comm:
        comm["edge_uncertain_kinds"] = comm["edge_uncertain_kinds"].fillna("").astype(str)
        comm["edge_uncertain"] = comm["edge_uncertain_kinds"] != ""
    for col in comm.columns:
        if str(col).endswith("_distance_m"):
            comm[col] = pd.to_numeric(comm[col], errors="coerce").astype("float64")
    fac = _read_layer(gpkg, "facilities").drop(columns=["geometry"])
    network = _network(_read_layer(gpkg, "network"))
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
    kinds = kind_columns(kinds[kinds["key"].isin(keys)])
    sources: dict[str, Any] = dict(extras.get("sources") or {})
    if "walk_speed_m_per_min" not in sources:
        from wanzheng.standards import load_catalogue

        cat = load_catalogue()
        sources.setdefault("catalogue_name", cat.name)
        sources.setdefault("catalogue_version", cat.version)
        sources["walk_speed_m_per_min"] = cat.walk_speed_m_per_min
    evidence = (
        pd.DataFrame(extras["evidence"])[EVIDENCE_COLUMNS]
        if extras.get("evidence")
        else pd.DataFrame(columns=EVIDENCE_COLUMNS)
    )
    return AuditOutput(
        communities=comm.reset_index(drop=True),
        facilities=fac.reset_index(drop=True),
        network=network,
        buildings=buildings.reset_index(drop=True),
        kinds=kinds,
        coverage=pd.DataFrame(extras["coverage"]) if extras.get("coverage") else None,
        sources=sources,
        evidence=evidence.reset_index(drop=True),
        out_dir=audit_dir,
    )
