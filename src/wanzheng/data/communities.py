"""Community files: the residents' committees (社区) a street office audits.

Accepted formats:

* **GeoJSON** (``.geojson`` / ``.json``): a FeatureCollection of Polygon, MultiPolygon or
  Point features; properties give the name, id and population.
* **GeoPackage** (``.gpkg``, also ``.shp``) read with pyogrio; a layer in a projected or
  other geographic CRS is transformed to WGS-84 with pyproj.
* **XLSX / CSV**: one row per community with ``lon``/``lat`` (a point) or a ``wkt`` column
  (polygon as WKT), through :mod:`wanzheng.data.tabular` (GBK detection, Chinese headers).

Columns / properties (see :data:`COMMUNITY_ALIASES`): ``name`` (名称, 社区名称 …, required),
``id`` (编号, 社区代码 …, optional, unique), ``population`` (人口, 常住人口 …, optional,
≥ 0), ``lon``/``lat`` or ``wkt``, optional ``crs`` per row. Coordinates are in
``default_crs`` unless a row says otherwise (GeoJSON is WGS-84 by RFC 7946, but files cut
from Amap are GCJ-02: say so with ``default_crs="gcj02"``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from shapely.geometry import shape

from wanzheng.data.tabular import (
    DEFAULT_LIMITS,
    LONLAT_ALIASES,
    Limits,
    cell_text,
    normalise_header,
    parse_float,
    read_json,
    read_table,
    split_lonlat,
)
from wanzheng.errors import DataError
from wanzheng.geo import in_china, parse_coord_system, to_wgs84

__all__ = ["COMMUNITY_ALIASES", "COMMUNITY_COLUMNS", "load_communities"]

COMMUNITY_ALIASES: dict[str, tuple[str, ...]] = {
    "name": (
        "名称",
        "社区名称",
        "社区",
        "社区名",
        "小区名称",
        "小区",
        "居委会",
        "community",
        "community_name",
        "title",
    ),
    "id": ("编号", "社区编号", "社区代码", "代码", "编码", "community_code", "code", "identifier"),
    "population": (
        "人口",
        "常住人口",
        "人口数",
        "居民人数",
        "户籍人口",
        "总人口",
        "居民数",
        "pop",
        "residents",
    ),
    "lon": ("经度", "lng", "long", "longitude", "x"),
    "lat": ("纬度", "latitude", "y"),
    "wkt": ("geometry", "geom", "几何", "边界", "范围", "shape"),
    "crs": ("坐标系", "坐标类型", "coord_system", "coordinate_system"),
    "lonlat": LONLAT_ALIASES,
}

COMMUNITY_COLUMNS = ["id", "name", "population", "geometry", "source"]

_GEOGRAPHIC_WGS84 = {"EPSG:4326", "OGC:CRS84", "URN:OGC:DEF:CRS:OGC:1.3:CRS84"}
_POLYGONAL = ("Polygon", "MultiPolygon")

Array = NDArray[np.float64]


def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for canonical, names in COMMUNITY_ALIASES.items():
        for name in (canonical, *names):
            table[normalise_header(name)] = canonical
    return table


def _canonical_props(props: Mapping[str, Any]) -> dict[str, Any]:
    lookup = _lookup()
    out: dict[str, Any] = {}
    for key, value in props.items():
        name = lookup.get(normalise_header(key), normalise_header(key))
        out.setdefault(name, value)
    return out


def _population(value: object, where: str) -> float:
    if isinstance(value, str):
        # "8,600", "8，600 人", "8600人" as spreadsheets and statistics write them
        value = value.replace(",", "").replace("，", "").replace(" ", "").removesuffix("人")
    try:
        number = parse_float(value)
    except ValueError:
        raise DataError(
            f"{where}: field 'population': expected a number of residents, got {cell_text(value)!r}"
        ) from None
    if number is None:
        return math.nan
    if number < 0:
        raise DataError(f"{where}: field 'population': must not be negative, got {number:g}")
    return number


def _convert(geom: Any, crs: str) -> Any:
    """A shapely geometry from ``crs`` to WGS-84 (every vertex)."""
    if crs == "wgs84":
        return geom

    def func(coords: Array) -> Array:
        lon, lat = to_wgs84(coords[:, 0], coords[:, 1], crs)
        return np.column_stack([lon, lat])

    return shapely.transform(geom, func)


def _check_geometry(geom: Any, where: str) -> Any:
    if geom is None or shapely.is_empty(geom):
        raise DataError(f"{where}: has no geometry")
    kind = geom.geom_type
    if kind not in (*_POLYGONAL, "Point"):
        raise DataError(
            f"{where}: geometry type {kind} not supported (expected Polygon, MultiPolygon, Point)"
        )
    if kind in _POLYGONAL and not shapely.is_valid(geom):
        fixed = shapely.make_valid(geom)
        parts = [g for g in getattr(fixed, "geoms", [fixed]) if g.geom_type in _POLYGONAL]
        if not parts:
            raise DataError(f"{where}: the polygon is invalid and cannot be repaired")
        geom = shapely.union_all(parts)
    return geom


def _finish(records: list[dict[str, Any]], path: Path, default_crs: str) -> pd.DataFrame:
    """Validate names, ids, positions; convert to WGS-84; build the frame."""
    if not records:
        raise DataError(f"{path}: the file holds no communities")
    seen: dict[str, str] = {}
    for n, rec in enumerate(records, start=1):
        where = rec["where"]
        if not rec["name"]:
            raise DataError(f"{where}: field 'name' is empty; every community needs a name")
        if not rec["id"]:
            rec["id"] = f"C{n}"
        if rec["id"] in seen:
            raise DataError(f"{where}: duplicate id {rec['id']!r} (also {seen[rec['id']]})")
        seen[rec["id"]] = where.rsplit(": ", 1)[-1]
        geom = _check_geometry(rec["geometry"], where)
        pt = geom.representative_point()
        if not in_china(pt.x, pt.y):
            raise DataError(
                f"{where}: position ({pt.x:.6f}, {pt.y:.6f}) is outside China; expected "
                f"longitude/latitude degrees in {rec['crs'] or default_crs}"
            )
        rec["geometry"] = _convert(geom, rec["crs"] or default_crs)
    return pd.DataFrame(
        {
            "id": [r["id"] for r in records],
            "name": [r["name"] for r in records],
            "population": np.asarray([r["population"] for r in records], dtype=np.float64),
            "geometry": pd.Series([r["geometry"] for r in records], dtype=object),
            "source": path.name,
        },
        columns=COMMUNITY_COLUMNS,
    )


def _row_crs(value: object, where: str) -> str:
    text = cell_text(value)
    if not text:
        return ""
    try:
        return parse_coord_system(text)
    except DataError as exc:
        raise DataError(f"{where}: {exc}") from None


def _read_geojson(path: Path, encoding: str | None) -> tuple[list[dict[str, Any]], str | None]:
    doc = read_json(path, encoding=encoding, kind="GeoJSON")
    if not isinstance(doc, dict):
        raise DataError(f"{path}: not a GeoJSON object")
    declared = None
    crs = doc.get("crs")
    if isinstance(crs, dict):
        declared = str(crs.get("properties", {}).get("name", "")) or None
    if doc.get("type") == "FeatureCollection":
        features = doc.get("features")
    elif doc.get("type") == "Feature":
        features = [doc]
    else:
        raise DataError(f"{path}: expected a GeoJSON FeatureCollection, got {doc.get('type')!r}")
    if not isinstance(features, list):
        raise DataError(f"{path}: 'features' must be a list")
    records: list[dict[str, Any]] = []
    for n, feature in enumerate(features, start=1):
        where = f"{path}: feature {n}"
        if not isinstance(feature, dict):
            raise DataError(f"{where}: not a GeoJSON Feature")
        props = _canonical_props(feature.get("properties") or {})
        raw_geom = feature.get("geometry")
        try:
            geom = shape(raw_geom) if raw_geom else None
        except (
            ValueError,
            TypeError,
            AttributeError,
            KeyError,
            shapely.errors.GEOSException,
        ) as exc:
            raise DataError(f"{where}: malformed geometry ({exc})") from exc
        ident = cell_text(props.get("id")) or cell_text(feature.get("id"))
        records.append(
            {
                "where": where,
                "id": ident,
                "name": cell_text(props.get("name")),
                "population": _population(props.get("population"), where),
                "geometry": geom,
                "crs": _row_crs(props.get("crs"), where),
            }
        )
    return records, declared


def _read_ogr(path: Path, encoding: str | None) -> tuple[list[dict[str, Any]], str | None]:
    import pyogrio.raw
    from pyogrio.errors import DataSourceError

    if not path.exists():
        raise DataError(f"{path}: file not found")
    try:
        meta, _fids, geoms, fields = pyogrio.raw.read(path, encoding=encoding)
    except (DataSourceError, OSError, ValueError, RuntimeError) as exc:
        raise DataError(f"{path}: not a readable GeoPackage / shapefile ({exc})") from exc
    lookup = _lookup()
    names = [lookup.get(normalise_header(f), normalise_header(f)) for f in meta["fields"]]
    columns: dict[str, Any] = {}
    for name, values in zip(names, fields, strict=True):
        columns.setdefault(name, values)
    records: list[dict[str, Any]] = []
    for i in range(len(geoms) if geoms is not None else 0):
        where = f"{path}: feature {i + 1}"
        geom = shapely.from_wkb(geoms[i]) if geoms[i] is not None else None
        records.append(
            {
                "where": where,
                "id": cell_text(columns["id"][i]) if "id" in columns else "",
                "name": cell_text(columns["name"][i]) if "name" in columns else "",
                "population": _population(
                    columns["population"][i] if "population" in columns else None, where
                ),
                "geometry": geom,
                "crs": _row_crs(columns["crs"][i], where) if "crs" in columns else "",
            }
        )
    crs = meta.get("crs")
    return records, str(crs) if crs else None


def _reproject(records: list[dict[str, Any]], declared: str, path: Path) -> None:
    """Transform geometries from a declared non-WGS-84 CRS to WGS-84 in place."""
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError

    try:
        crs = CRS.from_user_input(declared)
    except CRSError as exc:
        raise DataError(f"{path}: unknown coordinate reference system {declared!r}") from exc
    if crs.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return
    transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)

    def func(coords: Array) -> Array:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    for rec in records:
        if rec["geometry"] is not None:
            rec["geometry"] = shapely.transform(rec["geometry"], func)
        rec["crs"] = "wgs84"


def _read_tabular(path: Path, encoding: str | None, limits: Limits) -> list[dict[str, Any]]:
    table = split_lonlat(
        read_table(path, aliases=COMMUNITY_ALIASES, encoding=encoding, limits=limits)
    )
    frame = table.frame
    if "name" not in frame:
        raise DataError(f"{path}: missing column 'name' (社区名称)")
    has_point = "lon" in frame and "lat" in frame
    if not has_point and "wkt" not in frame:
        raise DataError(f"{path}: missing columns lon/lat (经度/纬度, or 经纬度) or wkt")
    records: list[dict[str, Any]] = []
    for i in range(len(frame)):
        where = table.where(i)
        geom: Any = None
        wkt = cell_text(frame.at[i, "wkt"]) if "wkt" in frame else ""
        if wkt:
            try:
                geom = shapely.from_wkt(wkt)
            except shapely.errors.GEOSException as exc:
                raise DataError(f"{table.where(i, 'wkt')}: not valid WKT ({exc})") from exc
        elif has_point:
            coords = []
            for col in ("lon", "lat"):
                try:
                    value = parse_float(frame.at[i, col])
                except ValueError:
                    raise DataError(
                        f"{table.where(i, col)}: expected a number (degrees), "
                        f"got {cell_text(frame.at[i, col])!r}"
                    ) from None
                if value is None:
                    raise DataError(f"{table.where(i, col)}: is empty; expected degrees")
                coords.append(value)
            geom = shapely.Point(coords)
        records.append(
            {
                "where": where,
                "id": cell_text(frame.at[i, "id"]) if "id" in frame else "",
                "name": cell_text(frame.at[i, "name"]),
                "population": _population(
                    frame.at[i, "population"] if "population" in frame else None, where
                ),
                "geometry": geom,
                "crs": _row_crs(frame.at[i, "crs"], table.where(i, "crs"))
                if "crs" in frame
                else "",
            }
        )
    return records


def load_communities(
    path: str | Path,
    *,
    default_crs: str = "wgs84",
    encoding: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> pd.DataFrame:
    """Read a community file into WGS-84 geometries.

    Parameters
    ----------
    path
        ``.geojson`` / ``.json``, ``.gpkg`` / ``.shp``, ``.xlsx`` or ``.csv``.
    default_crs
        Coordinate system of the coordinates when neither the file nor the row says:
        ``wgs84`` (default: GeoJSON's own rule and what GIS tools export), ``gcj02``, ``bd09``.
    encoding
        Text encoding of CSV / GeoJSON / shapefile attributes; detected for CSV when ``None``.
    limits
        File, cell and row limits of a CSV / XLSX file (:class:`wanzheng.data.tabular.Limits`).

    Returns
    -------
    pandas.DataFrame
        ``id`` (str), ``name`` (str), ``population`` (float, NaN when not given),
        ``geometry`` (shapely Polygon / MultiPolygon / Point, WGS-84), ``source`` (file name).

    Raises
    ------
    DataError
        Naming the file, the row or feature and the field: empty file, missing name,
        negative or non-numeric population, missing or unsupported geometry, positions
        outside China, duplicate ids, unknown coordinate systems.
    """
    p = Path(path)
    default = parse_coord_system(default_crs)
    suffix = p.suffix.lower()
    declared: str | None = None
    if suffix in (".geojson", ".json"):
        records, declared = _read_geojson(p, encoding)
    elif suffix in (".gpkg", ".shp"):
        records, declared = _read_ogr(p, encoding)
    elif suffix in (".xlsx", ".xlsm", ".csv", ".tsv", ".txt", ".xls"):
        records = _read_tabular(p, encoding, limits)
    else:
        raise DataError(
            f"{p}: unsupported community file type {suffix!r} "
            "(expected .geojson, .gpkg, .xlsx or .csv)"
        )
    if declared is not None:
        _reproject(records, declared, p)
    return _finish(records, p, default)
