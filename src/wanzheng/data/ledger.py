"""A street office's facility ledger (设施台账): CSV or XLSX rows of name, kind, coordinates.

Columns (Chinese headers are accepted; see :data:`LEDGER_ALIASES`):

======== ============================== ==========================================
column   also accepted                   meaning
======== ============================== ==========================================
name     名称, 设施名称, 机构名称 …       facility name (required)
kind     设施类型代码, kind_key           a catalogue key (``kindergarten``); wins
category 类别, 类型, 分类, 业态 …         free text mapped by the keyword rules
lon      经度, lng, longitude, x          longitude in the row's coordinate system
lat      纬度, latitude, y                latitude
lonlat   经纬度, 坐标, location            instead of lon/lat: ``116.397428,39.90923``
id       编号, 设施编号, code …           optional; must be unique (default ``L<row>``)
crs      坐标系, 坐标类型                  optional per row: wgs84 / gcj02 / bd09 …
======== ============================== ==========================================

Either ``kind`` or ``category`` must be present. A row whose kind / category (and, failing
that, name) maps to no catalogue kind goes to ``Ledger.unmapped`` with the reason: it is
reported, never dropped silently. A row that maps to several kinds (``社区卫生服务中心``)
gives one facility row per kind. Coordinates are converted to WGS-84 here, once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from wanzheng.data.tabular import (
    DEFAULT_LIMITS,
    LONLAT_ALIASES,
    Limits,
    Table,
    cell_text,
    parse_float,
    read_table,
    split_lonlat,
)
from wanzheng.errors import DataError
from wanzheng.geo import in_china, parse_coord_system, to_wgs84
from wanzheng.standards import KindRules

__all__ = ["FACILITY_COLUMNS", "LEDGER_ALIASES", "UNMAPPED_COLUMNS", "Ledger", "load_ledger"]

LEDGER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": (
        "名称",
        "设施名称",
        "机构名称",
        "网点名称",
        "单位名称",
        "场所名称",
        "点位名称",
        "title",
    ),
    "kind": ("设施类型代码", "kind_key", "类型代码", "kind_code"),
    "category": (
        "类别",
        "类型",
        "分类",
        "设施类别",
        "设施类型",
        "业态",
        "用途",
        "type",
        "category_text",
    ),
    "lon": ("经度", "lng", "long", "longitude", "x", "东经"),
    "lat": ("纬度", "latitude", "y", "北纬"),
    "id": ("编号", "设施编号", "编码", "code", "identifier"),
    "crs": ("坐标系", "坐标类型", "坐标系统", "coord_system", "coordinate_system", "srs"),
    "lonlat": LONLAT_ALIASES,
}

FACILITY_COLUMNS = ["id", "name", "kind", "lon", "lat", "source", "category", "row"]
UNMAPPED_COLUMNS = ["row", "id", "name", "category", "reason"]


@dataclass(frozen=True, slots=True)
class Ledger:
    """A loaded facility ledger.

    Attributes
    ----------
    facilities
        One row per (ledger row, kind): ``id``, ``name``, ``kind``, ``lon``, ``lat``
        (WGS-84 degrees), ``source`` (``"ledger"``), ``category`` (the text that was
        mapped), ``row`` (row number in the file as the user sees it).
    unmapped
        Rows that map to no kind: ``row``, ``id``, ``name``, ``category``, ``reason``.
    path
        The file.
    n_rows
        Data rows read.
    """

    facilities: pd.DataFrame
    unmapped: pd.DataFrame
    path: str = ""
    n_rows: int = 0
    encoding: str | None = field(default=None)


def _coordinate(table: Table, i: int, column: str) -> float:
    value = table.frame.at[i, column]
    try:
        number = parse_float(value)
    except ValueError:
        raise DataError(
            f"{table.where(i, column)}: expected a number (degrees), got {cell_text(value)!r}"
        ) from None
    if number is None:
        raise DataError(f"{table.where(i, column)}: is empty; expected a number (degrees)")
    return number


def _kinds(table: Table, i: int, rules: KindRules) -> tuple[frozenset[str], str, str]:
    """(kinds, text that was mapped, reason if none)."""
    frame = table.frame
    kind_text = cell_text(frame.at[i, "kind"]) if "kind" in frame else ""
    category = cell_text(frame.at[i, "category"]) if "category" in frame else ""
    name = cell_text(frame.at[i, "name"])
    if kind_text:
        key = kind_text.strip().lower()
        if key in rules.kind_keys:
            return frozenset({key}), kind_text, ""
        found = rules.kinds_for_text(kind_text)
        if found:
            return found, kind_text, ""
    if category:
        found = rules.kinds_for_text(category)
        if found:
            return found, category, ""
    found = rules.kinds_for_text(name)
    if found:
        return found, category or kind_text or name, ""
    tried = [f"kind {kind_text!r}"] if kind_text else []
    tried += [f"category {category!r}"] if category else []
    tried.append(f"name {name!r}")
    return frozenset(), category or kind_text, " and ".join(tried) + " match no facility kind"


def load_ledger(
    path: str | Path,
    *,
    rules: KindRules,
    default_crs: str = "gcj02",
    encoding: str | None = None,
    sheet: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Ledger:
    """Read a facility ledger and convert its coordinates to WGS-84.

    Parameters
    ----------
    path
        CSV (UTF-8 or GBK, detected) or XLSX.
    rules
        Kind rules (:func:`wanzheng.standards.load_kind_rules`) for the category text.
    default_crs
        Coordinate system of rows without a ``crs`` cell. GCJ-02 by default: ledgers are
        usually made by picking points on Amap or Tencent maps, which are GCJ-02.
    encoding
        Text encoding of a CSV file; detected when ``None``.
    sheet
        XLSX worksheet; the first when ``None``.
    limits
        File, cell and row limits (:class:`wanzheng.data.tabular.Limits`).

    Returns
    -------
    Ledger

    Raises
    ------
    DataError
        Naming the file, the row and the column: missing columns, empty or non-numeric
        coordinates, coordinates outside China, unknown coordinate systems, duplicate ids,
        empty names, an empty or unreadable file.
    """
    default = parse_coord_system(default_crs)
    table = split_lonlat(
        read_table(path, aliases=LEDGER_ALIASES, encoding=encoding, sheet=sheet, limits=limits)
    )
    frame = table.frame
    missing = [c for c in ("name", "lon", "lat") if c not in frame]
    if "kind" not in frame and "category" not in frame:
        missing.append("kind or category")
    if missing:
        found = ", ".join(repr(h) for h in table.headers.values())
        raise DataError(
            f"{table.path}: missing column(s) {', '.join(missing)} "
            f"(found {found}; Chinese headers 名称, 类别, 经度, 纬度 or 经纬度 are accepted)"
        )
    n = len(frame)
    lon = np.empty(n)
    lat = np.empty(n)
    systems: list[str] = []
    ids: list[str] = []
    seen: dict[str, int] = {}
    for i in range(n):
        if not cell_text(frame.at[i, "name"]):
            raise DataError(f"{table.where(i, 'name')}: is empty; every facility needs a name")
        lon[i] = _coordinate(table, i, "lon")
        lat[i] = _coordinate(table, i, "lat")
        crs_text = cell_text(frame.at[i, "crs"]) if "crs" in frame else ""
        try:
            systems.append(parse_coord_system(crs_text) if crs_text else default)
        except DataError as exc:
            raise DataError(f"{table.where(i, 'crs')}: {exc}") from None
        ident = cell_text(frame.at[i, "id"]) if "id" in frame else ""
        ident = ident or f"L{int(table.rows[i])}"
        if ident in seen:
            raise DataError(
                f"{table.where(i, 'id')}: duplicate id {ident!r} (also in row {seen[ident]})"
            )
        seen[ident] = int(table.rows[i])
        ids.append(ident)
    bad_range = (np.abs(lon) > 180) | (np.abs(lat) > 90)
    swapped = (lat >= 73) & (lat <= 136) & (lon >= 3) & (lon <= 54)
    outside = ~in_china(lon, lat)
    for k in np.flatnonzero(bad_range | outside):
        hint = (
            "; lon and lat look swapped"
            if swapped[k]
            else "; expected degrees of longitude 73–135 E, latitude 18–54 N"
        )
        raise DataError(
            f"{table.where(int(k))}: columns '{table.headers['lon']}'/'{table.headers['lat']}': "
            f"({lon[k]}, {lat[k]}) is outside China{hint}"
        )
    wlon = lon.copy()
    wlat = lat.copy()
    sys_arr = np.asarray(systems)
    for system in ("gcj02", "bd09"):
        mask = sys_arr == system
        if mask.any():
            wlon[mask], wlat[mask] = to_wgs84(lon[mask], lat[mask], system)
    fac_rows: list[dict[str, object]] = []
    unmapped: list[dict[str, object]] = []
    for i in range(n):
        kinds, text, reason = _kinds(table, i, rules)
        name = cell_text(frame.at[i, "name"])
        row = int(table.rows[i])
        if not kinds:
            unmapped.append(
                {"row": row, "id": ids[i], "name": name, "category": text, "reason": reason}
            )
            continue
        for kind in sorted(kinds):
            fac_rows.append(
                {
                    "id": ids[i],
                    "name": name,
                    "kind": kind,
                    "lon": float(wlon[i]),
                    "lat": float(wlat[i]),
                    "source": "ledger",
                    "category": text,
                    "row": row,
                }
            )
    facilities = pd.DataFrame(fac_rows, columns=FACILITY_COLUMNS)
    facilities = facilities.astype({"lon": "float64", "lat": "float64", "row": "int64"})
    return Ledger(
        facilities=facilities,
        unmapped=pd.DataFrame(unmapped, columns=UNMAPPED_COLUMNS).astype({"row": "int64"}),
        path=str(table.path),
        n_rows=n,
        encoding=table.encoding,
    )
