"""``audit.gpkg``: the audit as a GeoPackage (layers ``communities``, ``facilities``, ``network``).

Written through ``pyogrio.raw.write`` with WKB geometry arrays, so no GeoDataFrame (and no
geopandas) is needed. Every layer is in EPSG:4326 (WGS-84 longitude/latitude). The dataset
metadata carries the OSM attribution and the catalogue name and version: the GeoPackage is a
derived database of OpenStreetMap data and the ODbL's share-alike applies to it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
import pyogrio.raw
import shapely

from wanzheng.audit.result import AuditResult
from wanzheng.data.audit_output import (
    DASHBOARD_LAYER,
    EVIDENCE_COLUMNS,
    gdal_no_side_files,
    jsonable,
    kind_columns,
    records,
)
from wanzheng.errors import NotFoundError
from wanzheng.report._common import OSM_ATTRIBUTION
from wanzheng.report.tables import communities_table, facilities_table

__all__ = ["GPKG_LAYERS", "layer_geometry", "ogr_fields", "write_dashboard_extras", "write_gpkg"]

GPKG_LAYERS = ("communities", "facilities", "network")
CRS = "EPSG:4326"


def ogr_fields(
    table: pd.DataFrame,
) -> tuple[list[npt.NDArray[Any]], list[str], list[npt.NDArray[np.bool_] | None]]:
    """A table's columns as the arrays ``pyogrio.raw.write`` takes.

    Strings (and anything else) as object arrays with ``""`` for missing, floats as float64,
    integers and booleans as int64, nullable integers (``Int64``) as int64 with a null mask.
    Used by every GeoPackage layer the product writes (audit, siting, batch summary).

    Returns
    -------
    tuple
        ``(data, names, masks)``: one array per column, the column names, and per column a
        boolean null mask or ``None``.
    """
    data: list[npt.NDArray[Any]] = []
    masks: list[npt.NDArray[np.bool_] | None] = []
    for name in table.columns:
        col = table[name]
        if isinstance(col.dtype, pd.Int64Dtype):
            mask = col.isna().to_numpy(bool)
            data.append(col.fillna(0).to_numpy(np.int64))
            masks.append(mask if mask.any() else None)
        elif pd.api.types.is_bool_dtype(col.dtype) or pd.api.types.is_integer_dtype(col.dtype):
            data.append(col.to_numpy(np.int64))
            masks.append(None)
        elif pd.api.types.is_float_dtype(col.dtype):
            data.append(col.to_numpy(np.float64))
            masks.append(None)
        else:
            data.append(col.fillna("").astype(str).to_numpy(object))
            masks.append(None)
    return data, [str(c) for c in table.columns], masks


def layer_geometry(geoms: Sequence[Any]) -> tuple[str, npt.NDArray[np.object_]]:
    """The OGR geometry type of a layer and its geometries.

    One type for the whole layer: Polygons are promoted to MultiPolygons when both occur;
    any other mix is ``Unknown``.

    Returns
    -------
    tuple
        ``(geometry_type, geometries)``, e.g. ``("MultiPolygon", array of shapely objects)``.
    """
    arr = np.asarray(geoms, dtype=object)
    types = {shapely.get_type_id(g) for g in arr}
    names = {0: "Point", 1: "LineString", 3: "Polygon", 4: "MultiPoint", 6: "MultiPolygon"}
    if types == {3, 6}:
        arr = np.array(
            [shapely.multipolygons([g]) if shapely.get_type_id(g) == 3 else g for g in arr],
            dtype=object,
        )
        return "MultiPolygon", arr
    if len(types) == 1 and next(iter(types)) in names:
        return names[next(iter(types))], arr
    return "Unknown", arr


def _community_geometries(result: AuditResult) -> npt.NDArray[np.object_]:
    """Each community's polygon (or point); its origin point where it has no geometry."""
    src = result.communities
    lon = pd.to_numeric(src["lon"], errors="coerce").to_numpy(np.float64)
    lat = pd.to_numeric(src["lat"], errors="coerce").to_numpy(np.float64)
    raw = src["geometry"].to_numpy(object) if "geometry" in src else [None] * len(src)
    out = []
    for geom, x, y in zip(raw, lon, lat, strict=True):
        if isinstance(geom, shapely.Geometry) and not geom.is_empty:
            out.append(geom)
        else:
            out.append(shapely.Point(x, y))
    return np.asarray(out, dtype=object)


_SEGMENT_WKB = np.dtype(
    [("order", "u1"), ("type", "<u4"), ("points", "<u4"), ("coords", "<f8", (4,))]
)
"""A two-point LineString in little-endian WKB: byte order 1, type 2, 2 points, x y x y."""


def _segment_wkb(
    lon_u: npt.NDArray[np.float64],
    lat_u: npt.NDArray[np.float64],
    lon_v: npt.NDArray[np.float64],
    lat_v: npt.NDArray[np.float64],
) -> npt.NDArray[np.object_]:
    """WKB of the straight segments (u → v), one ``bytes`` per segment.

    The bytes shapely's ``to_wkb(linestrings(...))`` gives, packed by numpy without a geometry
    object per segment (a city's network has hundreds of thousands).
    """
    records = np.zeros(lon_u.shape[0], dtype=_SEGMENT_WKB)
    records["order"] = 1
    records["type"] = 2
    records["points"] = 2
    records["coords"] = np.column_stack([lon_u, lat_u, lon_v, lat_v])
    raw = records.tobytes()
    size = _SEGMENT_WKB.itemsize
    out = np.empty(records.shape[0], dtype=object)
    out[:] = [raw[i : i + size] for i in range(0, len(raw), size)]
    return out


def write_gpkg(result: AuditResult, path: Path) -> None:
    """Write ``audit.gpkg`` with three layers in EPSG:4326.

    ``communities``
        The polygon (or point) of each community with the columns of ``communities.csv``
        (distances in metres, rounded to 0.1 m, NULL beyond the search cutoff).
    ``facilities``
        One point per (facility, kind) with the columns of ``facilities.csv``.
    ``network``
        One LineString per walking-network edge with ``length_m`` (m), ``highway`` and
        ``name`` (the street's name, empty when unnamed).
    """
    meta = {
        "attribution": OSM_ATTRIBUTION,
        "catalogue": f"{result.sources.get('catalogue_name', '')} "
        f"{result.sources.get('catalogue_version', '')}".strip(),
        "generator": "wanzheng",
    }

    comm = communities_table(result)
    gtype, geoms = layer_geometry(list(_community_geometries(result)))
    data, names, masks = ogr_fields(comm)
    pyogrio.raw.write(
        path,
        shapely.to_wkb(geoms),
        data,
        names,
        field_mask=masks,
        layer="communities",
        driver="GPKG",
        geometry_type=gtype,
        crs=CRS,
        dataset_metadata=meta,
    )

    fac = facilities_table(result)
    points = shapely.points(fac["lon"].to_numpy(np.float64), fac["lat"].to_numpy(np.float64))
    data, names, masks = ogr_fields(fac)
    pyogrio.raw.write(
        path,
        shapely.to_wkb(points),
        data,
        names,
        field_mask=masks,
        layer="facilities",
        driver="GPKG",
        geometry_type="Point",
        crs=CRS,
    )

    net = result.network
    edges = pd.DataFrame(
        {
            "length_m": net["length_m"].to_numpy(np.float64).round(2),
            "highway": net["highway"].fillna("").astype(str).to_numpy(object),
            "name": (
                net["name"].fillna("").astype(str).to_numpy(object)
                if "name" in net
                else np.full(len(net), "", dtype=object)
            ),
        }
    )
    data, names, masks = ogr_fields(edges)
    pyogrio.raw.write(
        path,
        _segment_wkb(
            net["lon_u"].to_numpy(np.float64),
            net["lat_u"].to_numpy(np.float64),
            net["lon_v"].to_numpy(np.float64),
            net["lat_v"].to_numpy(np.float64),
        ),
        data,
        names,
        field_mask=masks,
        layer="network",
        driver="GPKG",
        geometry_type="LineString",
        crs=CRS,
    )


def write_dashboard_extras(result: AuditResult, out_dir: Path) -> None:
    """Add to ``out_dir/audit.gpkg`` what the dashboard needs beyond the report's layers.

    A ``buildings`` layer (MultiPolygon, ``residential``) unless one exists, and the attribute
    table ``dashboard`` (:data:`wanzheng.data.audit_output.DASHBOARD_LAYER`) with the
    provenance, the kinds, the coverage and the evidence as JSON texts. Both go inside the
    GeoPackage so that the output directory holds only the report's files; they are read back
    by :func:`wanzheng.data.audit_output.load_audit_output`.
    """
    gpkg = out_dir / "audit.gpkg"
    if not gpkg.is_file():
        raise NotFoundError(f"{gpkg}: write the audit outputs first")
    with gdal_no_side_files():
        layers = {str(name) for name, _ in pyogrio.list_layers(gpkg)}
    extras = {
        "sources": jsonable(dict(result.sources)),
        "kinds": records(kind_columns(result.kinds)),
        "coverage": records(result.coverage),
        "evidence": records(result.evidence[EVIDENCE_COLUMNS]),
    }
    if DASHBOARD_LAYER not in layers:
        names = np.array(list(extras), dtype=object)
        texts = np.array([json.dumps(v, ensure_ascii=False) for v in extras.values()], object)
        with gdal_no_side_files():
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
    with gdal_no_side_files():
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
