"""A street office's candidate sites (候选点位): vacant rooms, parcels, ground floors.

Read from CSV / XLSX (through :func:`wanzheng.data.tabular.read_table`, like every table the
product accepts) or from GeoJSON points. Columns (Chinese headers accepted, see
:data:`CANDIDATE_ALIASES`):

========= ================================ ===============================================
column    also accepted                    meaning
========= ================================ ===============================================
name      名称, 点位名称, 地址 …            what the site is (required)
lon, lat  经度, 纬度 (or 经纬度 in one)     position, in the row's coordinate system
kinds     可承载类型, 可设类型, 功能 …       kinds the site may host: catalogue keys or
                                           Chinese names, separated by ; ， 、 or space;
                                           empty = any kind
cost      费用, 造价, 成本, 投资 (万元) …    cost of using the site (>= 0; empty = 0)
capacity  容量, 可服务人数, 服务人口 …        residents one kind at the site can serve
                                           (> 0; empty = no limit)
cost_K,   (per kind K, optional)           extra cost / own capacity of kind K there
capacity_K
id        编号, 点位编号 …                  optional, unique (default ``C<row>``)
crs       坐标系                            optional per row: wgs84 / gcj02 / bd09
========= ================================ ===============================================

Coordinates are converted to WGS-84 here, once. A bad cell is a :class:`DataError` naming the
file, the row (the feature for GeoJSON) and the column — never a silently skipped row.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wanzheng.data.tabular import (
    LONLAT_ALIASES,
    Table,
    cell_text,
    normalise_header,
    parse_float,
    read_json,
    read_table,
    split_lonlat,
)
from wanzheng.errors import DataError
from wanzheng.geo import in_china, parse_coord_system, to_wgs84
from wanzheng.standards.rules import KindRules, load_kind_rules

__all__ = ["CANDIDATE_ALIASES", "load_candidates"]

CANDIDATE_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("名称", "点位名称", "候选点名称", "场所名称", "地址", "位置", "title"),
    "kinds": ("可承载类型", "可设类型", "可设设施", "功能", "可承载功能", "设施类型", "kind"),
    "cost": ("费用", "造价", "成本", "投资", "改造费用", "费用(万元)", "费用（万元）", "price"),
    "capacity": ("容量", "可服务人数", "服务人口", "服务能力", "服务人数"),
    "lon": ("经度", "lng", "long", "longitude", "x"),
    "lat": ("纬度", "latitude", "y"),
    "id": ("编号", "点位编号", "编码", "code"),
    "crs": ("坐标系", "坐标类型", "coord_system"),
    "lonlat": LONLAT_ALIASES,
}

_SEPARATORS = frozenset(";；,，、/")
_OPEN = "（(【[〔"
_CLOSE = "）)】]〕"
_BRACKET = re.compile(r"[(\[【〔]")


def split_kinds(text: str) -> list[str]:
    """The kinds named in one cell, split at ``;`` ``，`` ``、`` ``/`` or spaces outside brackets.

    ``社区服务站（含老年、托育）、超市`` is two kinds: the 、 inside the brackets describes the
    first one. Empty pieces are dropped; an unclosed bracket runs to the end of the cell.
    """
    tokens: list[str] = []
    buf: list[str] = []
    depth = 0
    for ch in text:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0 and (ch in _SEPARATORS or ch.isspace()):
            tokens.append("".join(buf).strip())
            buf = []
            continue
        buf.append(ch)
    tokens.append("".join(buf).strip())
    return [t for t in tokens if t]


def _resolve_kind(token: str, lookup: Mapping[str, str], known: Mapping[str, str]) -> str | None:
    """The kind key a token of a ``kinds`` cell names, or ``None``.

    In turn: the token as a key or catalogue name (``社区食堂（助餐点）``), the part before
    its brackets (``老年服务站(日间照料)`` → ``老年服务站``, brackets stripped: ``【综合超市】``),
    then the keyword rules of the catalogue (``超市`` → ``supermarket``, ``社区服务站`` →
    ``service_station``) when they name exactly one of the known kinds.
    """
    norm = normalise_header(token)
    key = lookup.get(norm)
    if key is not None:
        return key
    main = _BRACKET.split(norm, maxsplit=1)[0].strip()
    bare = re.sub(r"[()\[\]【】〔〕]", "", norm).strip()
    for text in (main, bare):
        if text and text in lookup:
            return lookup[text]
    rules = _kind_rules()
    for text in (main, bare):
        if not text:
            continue
        found = [k for k in rules.kinds_for_text(text) if k in known]
        if len(found) == 1:
            return found[0]
    return None


@functools.cache
def _kind_rules() -> KindRules:
    return load_kind_rules()


def _kind_lookup(kinds: Mapping[str, str]) -> dict[str, str]:
    """Key or Chinese name (NFKC, lower case) -> key.

    A catalogue name ``社区食堂（助餐点）`` is known as itself, as ``社区食堂`` and as
    ``助餐点`` (each name inside the brackets, split at 、).
    """
    lookup: dict[str, str] = {}
    for key, name in kinds.items():
        lookup[normalise_header(key)] = key
        if not name:
            continue
        full = normalise_header(name)  # NFKC turns （） into ()
        lookup[full] = key
        main, _, rest = full.partition("(")
        lookup.setdefault(main.strip(), key)
        for alt in re.split(r"[、,;]", rest.rstrip(")")):
            if alt.strip():
                lookup.setdefault(alt.strip(), key)
    return lookup


def load_candidates(
    path: str | Path,
    *,
    kinds: Mapping[str, str],
    default_crs: str = "gcj02",
    encoding: str | None = None,
    sheet: str | None = None,
) -> pd.DataFrame:
    """Read candidate sites and convert their coordinates to WGS-84.

    Parameters
    ----------
    path
        ``.csv`` / ``.xlsx`` or ``.geojson`` / ``.json`` (Point features).
    kinds
        Known kinds: catalogue key -> Chinese name (both accepted in the ``kinds`` column).
    default_crs
        Coordinate system of rows without a ``crs`` cell (GCJ-02: points picked on Amap).

    Returns
    -------
    pandas.DataFrame
        :data:`wanzheng.plan.siting.CANDIDATE_COLUMNS` (``source`` = ``file``, ``kinds``
        ``;``-joined keys) plus ``row`` and any ``cost_{kind}`` / ``capacity_{kind}``.

    Raises
    ------
    DataError
        Naming the file, row and column: missing columns, empty names, coordinates that are
        not numbers or lie outside China, unknown kinds, negative or non-numeric costs,
        capacities that are not positive, duplicate ids, an empty file.
    """
    p = Path(path)
    default = parse_coord_system(default_crs)
    written: list[dict[str, str]] = []
    if p.suffix.lower() in (".geojson", ".json"):
        table, written = _geojson_table(p, encoding)
        unit = "feature"
    else:
        table = split_lonlat(
            read_table(p, aliases=CANDIDATE_ALIASES, encoding=encoding, sheet=sheet)
        )
        unit = "row"
    frame = table.frame
    missing = [c for c in ("name", "lon", "lat") if c not in frame]
    if missing:
        found = ", ".join(repr(h) for h in table.headers.values())
        raise DataError(
            f"{p}: missing column(s) {', '.join(missing)} (found {found}; Chinese headers "
            "名称, 经度, 纬度 or 经纬度, 可承载类型, 费用, 容量 are accepted)"
        )
    lookup = _kind_lookup(kinds)
    per_kind = [
        (col, kind)
        for col in frame.columns
        for prefix in ("cost_", "capacity_")
        if str(col).startswith(prefix) and (kind := str(col)[len(prefix) :])
    ]
    for col, kind in per_kind:
        if kind not in kinds:
            raise DataError(
                f"{p}: column '{table.headers.get(col, col)}': {kind!r} is not a kind "
                f"(known: {', '.join(kinds)})"
            )

    def where(i: int, column: str | None = None) -> str:
        text = f"{p}: {unit} {int(table.rows[i])}"
        if column is not None:
            header = written[i].get(column) if written else None
            text += f": column '{header or table.headers.get(column, column)}'"
        return text

    def number(i: int, column: str, *, what: str, positive: bool | None) -> float | None:
        """A cell as a number (``positive`` None: any sign, False: >= 0, True: > 0)."""
        value = frame.at[i, column]
        try:
            x = parse_float(value)
        except ValueError:
            raise DataError(
                f"{where(i, column)}: expected {what}, got {cell_text(value)!r}"
            ) from None
        if x is None:
            return None
        if positive is not None and (x < 0 or (positive and x == 0)):
            raise DataError(f"{where(i, column)}: expected {what}, got {cell_text(value)!r}")
        return x

    n = len(frame)
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    lon = np.empty(n)
    lat = np.empty(n)
    systems: list[str] = []
    for i in range(n):
        name = cell_text(frame.at[i, "name"])
        if not name:
            raise DataError(f"{where(i, 'name')}: is empty; every candidate site needs a name")
        for col, arr in (("lon", lon), ("lat", lat)):
            x = number(i, col, what="a number (degrees)", positive=None)
            if x is None:
                raise DataError(f"{where(i, col)}: is empty; expected a number (degrees)")
            arr[i] = x
        crs_text = cell_text(frame.at[i, "crs"]) if "crs" in frame else ""
        try:
            systems.append(parse_coord_system(crs_text) if crs_text else default)
        except DataError as exc:
            raise DataError(f"{where(i, 'crs')}: {exc}") from None
        keys: list[str] = []
        text = cell_text(frame.at[i, "kinds"]) if "kinds" in frame else ""
        for token in split_kinds(text):
            key = _resolve_kind(token, lookup, kinds)
            if key is None:
                raise DataError(
                    f"{where(i, 'kinds')}: {token!r} is not a kind being sited or audited "
                    f"(expected keys or names such as {', '.join(list(kinds)[:4])})"
                )
            if key not in keys:
                keys.append(key)
        cost = (
            number(i, "cost", what="a cost >= 0 (a number)", positive=False)
            if "cost" in frame
            else None
        )
        cap = (
            number(i, "capacity", what="residents > 0 (a number)", positive=True)
            if "capacity" in frame
            else None
        )
        ident = (cell_text(frame.at[i, "id"]) if "id" in frame else "") or f"C{table.rows[i]}"
        if ident in seen:
            raise DataError(
                f"{where(i, 'id')}: duplicate id {ident!r} (also in {unit} {seen[ident]})"
            )
        seen[ident] = int(table.rows[i])
        row: dict[str, Any] = {
            "id": ident,
            "name": name,
            "kinds": ";".join(keys),
            "cost": 0.0 if cost is None else cost,
            "capacity": math.inf if cap is None else cap,
            "source": "file",
            "row": int(table.rows[i]),
        }
        for col, _ in per_kind:
            positive = col.startswith("capacity_")
            what = "residents > 0 (a number)" if positive else "a cost >= 0 (a number)"
            val = number(i, col, what=what, positive=positive)
            row[col] = math.nan if val is None else val
        rows.append(row)
    outside = (np.abs(lon) > 180) | (np.abs(lat) > 90) | ~in_china(lon, lat)
    for k in np.flatnonzero(outside):
        swapped = 73 <= lat[k] <= 136 and 3 <= lon[k] <= 54
        hint = (
            "; lon and lat look swapped"
            if swapped
            else "; expected degrees of longitude 73–135 E, latitude 18–54 N"
        )
        raise DataError(f"{where(int(k))}: ({lon[k]}, {lat[k]}) is outside China{hint}")
    sys_arr = np.asarray(systems)
    wlon, wlat = lon.copy(), lat.copy()
    for system in ("gcj02", "bd09"):
        mask = sys_arr == system
        if mask.any():
            wlon[mask], wlat[mask] = to_wgs84(lon[mask], lat[mask], system)
    out = pd.DataFrame(rows)
    out.insert(2, "lon", wlon)
    out.insert(3, "lat", wlat)
    first = ["id", "name", "lon", "lat", "kinds", "cost", "capacity", "source", "row"]
    return out[[*first, *[c for c in out.columns if c not in first]]]


def _geojson_table(path: Path, encoding: str | None) -> tuple[Table, list[dict[str, str]]]:
    """Point features as a table: one record per feature, ``rows`` = feature numbers; and the
    property names as each feature wrote them (for messages)."""
    doc = read_json(path, encoding=encoding, kind="GeoJSON")
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        got = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
        raise DataError(f"{path}: expected a GeoJSON FeatureCollection, got {got!r}")
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        raise DataError(f"{path}: 'features' is empty or not a list")
    lookup: dict[str, str] = {}
    for canonical, names in CANDIDATE_ALIASES.items():
        for name in (canonical, *names):
            lookup[normalise_header(name)] = canonical
    records: list[dict[str, Any]] = []
    written: list[dict[str, str]] = []
    headers: dict[str, str] = {}
    for n, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            raise DataError(f"{path}: feature {n}: not a GeoJSON Feature")
        geom = feature.get("geometry")
        if not isinstance(geom, dict) or geom.get("type") != "Point":
            got = geom.get("type") if isinstance(geom, dict) else geom
            raise DataError(f"{path}: feature {n}: geometry: expected a Point, got {got!r}")
        coords = geom.get("coordinates")
        if not isinstance(coords, list) or len(coords) < 2:
            raise DataError(f"{path}: feature {n}: geometry: expected [lon, lat] coordinates")
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            raise DataError(f"{path}: feature {n}: properties: expected an object")
        record: dict[str, Any] = {}
        as_written: dict[str, str] = {"lon": "geometry", "lat": "geometry"}
        for key, value in props.items():
            canon = lookup.get(normalise_header(key), normalise_header(key))
            headers.setdefault(canon, str(key))
            as_written.setdefault(canon, str(key))
            record.setdefault(canon, value)
        written.append(as_written)
        if "id" not in record and feature.get("id") is not None:
            record["id"] = feature["id"]
        record["lon"], record["lat"] = coords[0], coords[1]
        records.append(record)
    headers.setdefault("lon", "geometry")
    headers.setdefault("lat", "geometry")
    headers.setdefault("id", "id")
    frame = pd.DataFrame(records, dtype=object)
    frame = frame.astype(object).where(pd.notna(frame), None)
    table = Table(
        path=path,
        frame=frame,
        rows=np.arange(1, len(records) + 1, dtype=np.int64),
        headers=headers,
        encoding=None,
    )
    return table, written
