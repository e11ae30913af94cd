"""``report.html``: one self-contained page that works offline.

The map is inline SVG drawn from the area's own geometry (walking network, buildings,
communities, facilities) in a local metric frame, so it needs no tile server, no CDN and no
JavaScript library; a small script of our own (``assets/report.js``, inlined) adds pan, zoom,
layer toggles and the detail panel. Charts are inline SVG as well. The page holds no URL at
all, prints cleanly, and every colour is backed by text (status labels, hatching).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from markupsafe import Markup, escape

from wanzheng.audit.result import VERDICTS, AuditResult
from wanzheng.report._common import (
    CONFIDENCE_ZH,
    FACILITY_SOURCE_ZH,
    ORIGINS_EXPLAINED,
    ORIGINS_ZH,
    OSM_ATTRIBUTION,
    POPULATION_SOURCE_ZH,
    STATUS_ZH,
    TIER_ZH,
    VERDICT_ZH,
    KindInfo,
    cutoff_m,
    evidence_zh,
    fmt_share,
    is_finite,
    kind_infos,
    kind_status,
    population_total,
    source_rows,
    source_zh,
)

__all__ = ["KIND_COLOURS", "VERDICT_COLOURS", "render_html", "write_html"]

VERDICT_COLOURS: dict[str, str] = {
    "complete": "#1b7837",
    "incomplete": "#c0392b",
    "undetermined": "#6b7280",
}
"""Fill/stroke of communities by verdict; ``undetermined`` is also hatched."""

KIND_COLOURS: tuple[str, ...] = (
    "#0072b2",
    "#e69f00",
    "#009e73",
    "#cc79a7",
    "#56b4e9",
    "#d55e00",
    "#8c564b",
    "#f0e442",
    "#17becf",
    "#7f3c8d",
    "#bcbd22",
    "#3c3c3c",
)
"""Facility colours in catalogue order (Okabe–Ito first: distinguishable with colour-blindness)."""

TIER_SHAPES: dict[str, str] = {
    "5min": "M-1 0a1 1 0 1 0 2 0a1 1 0 1 0-2 0Z",
    "10min": "M-.85-.85h1.7v1.7h-1.7Z",
    "15min": "M0-1.2L1.2 0 0 1.2-1.2 0Z",
    "block": "M0-1.2L1.1.8H-1.1Z",
}
"""Marker shape of each life-circle tier, radius about 1 (scaled to pixels by CSS)."""

SHAPE_ZH: dict[str, str] = {"5min": "圆形", "10min": "方形", "15min": "菱形", "block": "三角形"}

STATUS_SYMBOL: dict[str, str] = {"met": "✓", "missing": "✗", "no_data": "?", "not_audited": "—"}

ROAD = {"motorway", "trunk", "primary", "secondary", "tertiary"}
STREET = {"residential", "unclassified", "living_street", "service", "road"}

MAP_WIDTH_PX = 900.0  # the map's nominal width: initial marker and label sizes (no script)
MAP_HEIGHT_PX = 640.0


# ------------------------------------------------------------------------------ geometry


@dataclass(frozen=True, slots=True)
class _Frame:
    """Equirectangular metres around the area's centre, y pointing down (SVG).

    Only for drawing: over a few kilometres the scale error is below 0.1 %.
    """

    lon0: float
    lat0: float

    @property
    def kx(self) -> float:
        return 111_320.0 * math.cos(math.radians(self.lat0))

    @property
    def ky(self) -> float:
        return 110_574.0

    def xy(
        self, lon: npt.ArrayLike, lat: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        x = (np.asarray(lon, dtype=np.float64) - self.lon0) * self.kx
        y = -(np.asarray(lat, dtype=np.float64) - self.lat0) * self.ky
        return x, y


def _num(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".") if math.isfinite(v) else "0"


def _ring_d(frame: _Frame, coords: npt.NDArray[np.float64]) -> str:
    x, y = frame.xy(coords[:, 0], coords[:, 1])
    pts = [f"{_num(a)} {_num(b)}" for a, b in zip(x, y, strict=True)]
    return "M" + "L".join(pts) + "Z" if pts else ""


def _polygon_d(frame: _Frame, geom: Any) -> str:
    """SVG path data of a (Multi)Polygon, holes included (fill-rule evenodd)."""
    parts = []
    for poly in getattr(geom, "geoms", [geom]):
        if shapely.get_type_id(poly) != 3 or poly.is_empty:
            continue
        parts.append(_ring_d(frame, np.asarray(poly.exterior.coords)))
        parts.extend(_ring_d(frame, np.asarray(r.coords)) for r in poly.interiors)
    return "".join(parts)


def _geoms(values: Iterable[Any]) -> list[Any]:
    return [g for g in values if isinstance(g, shapely.Geometry) and not g.is_empty]


def _extent(lons: list[float], lats: list[float]) -> tuple[float, float, float, float] | None:
    return (min(lons), min(lats), max(lons), max(lats)) if lons else None


def _bounds(result: AuditResult) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) of the area of interest: communities, facilities
    and buildings; else the extract's box; else the network. Ways in an OSM extract run on
    past the box, so the network alone would show a lot of empty country."""
    xs: list[float] = []
    ys: list[float] = []
    for frame in (result.communities, result.facilities):
        if "lon" not in frame or "lat" not in frame:
            continue
        lon = pd.to_numeric(frame["lon"], errors="coerce").dropna()
        lat = pd.to_numeric(frame["lat"], errors="coerce").dropna()
        if len(lon) and len(lat):
            xs += [float(lon.min()), float(lon.max())]
            ys += [float(lat.min()), float(lat.max())]
    for table in (result.communities, result.buildings):
        if "geometry" in table:
            geoms = _geoms(table["geometry"])
            if geoms:
                b = shapely.total_bounds(np.asarray(geoms, dtype=object))
                xs += [float(b[0]), float(b[2])]
                ys += [float(b[1]), float(b[3])]
    found = _extent(xs, ys)
    if found is not None:
        return found
    bounds = result.sources.get("bounds")
    if isinstance(bounds, (list, tuple)) and len(bounds) == 4:
        return (float(bounds[0]), float(bounds[1]), float(bounds[2]), float(bounds[3]))
    return _network_bounds(result.network) or (0.0, 0.0, 0.001, 0.001)


def _network_bounds(net: pd.DataFrame) -> tuple[float, float, float, float] | None:
    if not len(net):
        return None
    lons = [float(net[c].min()) for c in ("lon_u", "lon_v")]
    lons += [float(net[c].max()) for c in ("lon_u", "lon_v")]
    lats = [float(net[c].min()) for c in ("lat_u", "lat_v")]
    lats += [float(net[c].max()) for c in ("lat_u", "lat_v")]
    return _extent(lons, lats)


NETWORK_EDGE_LIMIT = 40_000
"""Above this many edges the map draws a simplified network (the audit itself is unaffected)."""

BUILDING_LIMIT = 10_000
"""Above this many buildings the map draws their density instead of each footprint."""

MATRIX_ROW_LIMIT = 400
"""Above this many communities the 社区一览 table is built by the page's script from the data
(the same values; the HTML stays about half as large)."""

FACILITY_SHOW_LIMIT = 1_500
"""Above this many facility markers the map opens with every kind switched off (all are drawn;
a tick in the legend, or choosing the kind under 社区着色, shows them)."""

MINOR_HIGHWAYS = {
    "service",
    "footway",
    "path",
    "cycleway",
    "steps",
    "pedestrian",
    "track",
    "bridleway",
    "corridor",
    "elevator",
    "platform",
}
"""Edges dropped first from a simplified network."""

HIGHWAY_RANK: dict[str, int] = {
    "motorway": 0,
    "trunk": 0,
    "primary": 1,
    "secondary": 2,
    "tertiary": 3,
    "residential": 4,
    "unclassified": 4,
    "living_street": 5,
    "road": 5,
    "pedestrian": 6,
    "service": 7,
}
"""Drawing priority of an edge when the network must be cut to :data:`NETWORK_EDGE_LIMIT`
(lower first); anything else ranks 8."""


def _segments_d(
    x0: npt.NDArray[np.int64],
    y0: npt.NDArray[np.int64],
    x1: npt.NDArray[np.int64],
    y1: npt.NDArray[np.int64],
) -> str:
    """SVG path data of straight segments in whole metres (``M x y l dx dy``)."""
    dx = (x1 - x0).tolist()
    dy = (y1 - y0).tolist()
    return "".join(map("M{} {}l{} {}".format, x0.tolist(), y0.tolist(), dx, dy))


def _network_paths(
    frame: _Frame, net: pd.DataFrame, *, extent_m: float, limit: int = NETWORK_EDGE_LIMIT
) -> tuple[dict[str, str], str | None]:
    """Path data per drawing class (``road`` / ``street`` / ``path``) of the network, and a
    zh-CN note saying what was simplified (``None`` when every edge is drawn).

    Coordinates are whole metres of the local frame (about 1e-5°). Above ``limit`` edges the
    minor classes (:data:`MINOR_HIGHWAYS`) are dropped, end points are snapped to a grid of
    ``extent_m / 4000`` m (a pixel at 4× zoom), segments that collapse or repeat are merged,
    and if more than ``limit`` remain the highest-ranked (:data:`HIGHWAY_RANK`) are kept.
    """
    empty = {"road": "", "street": "", "path": ""}
    n = len(net)
    if not n:
        return empty, None
    xu, yu = frame.xy(net["lon_u"], net["lat_u"])
    xv, yv = frame.xy(net["lon_v"], net["lat_v"])
    # A network has hundreds of thousands of edges but a few dozen highway values: classify
    # the distinct values once and index by code (NaN / None count as "").
    codes, distinct = pd.factorize(net["highway"])
    hw_distinct = [str(v).replace("_link", "") for v in distinct] + [""]
    codes = np.where(codes < 0, len(hw_distinct) - 1, codes)

    def per_edge(values: list[Any], dtype: Any) -> npt.NDArray[Any]:
        return np.asarray(values, dtype=dtype)[codes]

    note = None
    keep = np.ones(n, dtype=bool)
    grid = 1.0
    if n > limit:
        minor = per_edge([h in MINOR_HIGHWAYS for h in hw_distinct], bool)
        keep &= ~minor
        grid = max(1.0, extent_m / 4000.0)
    q = np.stack([xu, yu, xv, yv], axis=1) / grid
    coords = (np.round(q) * grid).round().astype(np.int64)
    if n > limit:
        nonzero = (coords[:, 0] != coords[:, 2]) | (coords[:, 1] != coords[:, 3])
        keep &= nonzero
        # Merge repeats (either direction): first of each unordered pair of end points.
        a = coords[:, :2]
        b = coords[:, 2:]
        swap = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
        canon = np.where(swap[:, None], np.concatenate([b, a], axis=1), coords)
        idx = np.flatnonzero(keep)
        _, first = np.unique(canon[idx], axis=0, return_index=True)
        dedup = np.zeros(n, dtype=bool)
        dedup[idx[first]] = True
        keep = dedup
        cut = 0
        if int(keep.sum()) > limit:
            rank = per_edge([HIGHWAY_RANK.get(h, 8) for h in hw_distinct], np.int64)
            length = pd.to_numeric(net["length_m"], errors="coerce").fillna(0).to_numpy()
            idx = np.flatnonzero(keep)
            order = idx[np.lexsort((-length[idx], rank[idx]))]
            keep = np.zeros(n, dtype=bool)
            keep[order[:limit]] = True
            cut = len(idx) - limit
        drawn = int(keep.sum())
        note = (
            f"步行路网共 {n:,} 段，地图只画了简化后的 {drawn:,} 段：省略人行道、小路、"
            f"服务道路等次要路段（{int(minor.sum()):,} 段），端点取整到 {grid:.0f} 米网格并合并"
            "重合或缩为一点的路段"
            + (f"，并只保留等级最高的 {limit:,} 段（另省略 {cut:,} 段）" if cut else "")
            + "。距离计算使用的是完整路网，不受影响；完整路网见 audit.gpkg 的 network 图层。"
        )
    cls = np.where(
        per_edge([h in ROAD for h in hw_distinct], bool),
        "road",
        np.where(per_edge([h in STREET for h in hw_distinct], bool), "street", "path"),
    )
    out = {}
    for name in ("road", "street", "path"):
        sel = keep & (cls == name)
        c = coords[sel]
        out[name] = _segments_d(c[:, 0], c[:, 1], c[:, 2], c[:, 3]) if len(c) else ""
    return out, note


def _int_ring_d(frame: _Frame, coords: npt.NDArray[np.float64]) -> str:
    x, y = frame.xy(coords[:, 0], coords[:, 1])
    xi = np.round(x).astype(np.int64).tolist()
    yi = np.round(y).astype(np.int64).tolist()
    if not xi:
        return ""
    return "M" + "L".join(map("{} {}".format, xi, yi)) + "Z"


def _building_paths(
    frame: _Frame, buildings: pd.DataFrame, *, extent_m: float, limit: int = BUILDING_LIMIT
) -> tuple[dict[str, str], str | None]:
    """Path data of the buildings (``residential`` / ``other``), whole metres; above
    ``limit`` buildings a density layer instead (``d1`` … ``d4``: square cells shaded by the
    number of buildings whose centroid falls in them), with a zh-CN note saying so."""
    out: dict[str, list[str]] = {"residential": [], "other": []}
    if "geometry" not in buildings or not len(buildings):
        return {"residential": "", "other": ""}, None
    geoms = np.asarray(buildings["geometry"].to_numpy(object), dtype=object)
    valid = np.array([isinstance(g, shapely.Geometry) for g in geoms], dtype=bool)
    if len(buildings) > limit:
        cent = shapely.centroid(geoms[valid])
        x, y = frame.xy(shapely.get_x(cent), shapely.get_y(cent))
        ok = np.isfinite(x) & np.isfinite(y)
        x, y = x[ok], y[ok]
        cell = max(25.0, float(np.ceil(extent_m / 150.0 / 25.0) * 25.0))
        ix = np.floor(x / cell).astype(np.int64)
        iy = np.floor(y / cell).astype(np.int64)
        cells, counts = np.unique(np.stack([ix, iy], axis=1), axis=0, return_counts=True)
        edges = np.quantile(counts, [0.25, 0.5, 0.75]) if len(counts) else np.zeros(3)
        level = np.searchsorted(edges, counts, side="left") + 1
        size = int(cell)
        dens: dict[str, str] = {}
        for lv in (1, 2, 3, 4):
            c = cells[level == lv] * size
            dens[f"d{lv}"] = "".join(
                map(f"M{{}} {{}}h{size}v{size}h-{size}Z".format, c[:, 0].tolist(), c[:, 1].tolist())
            )
        note = (
            f"建筑共 {len(buildings):,} 栋，超过 {limit:,} 栋：地图以密度显示"
            f"（每 {size} 米方格内的建筑数，颜色越深越多），不逐栋绘制。"
        )
        return dens, note
    res = (
        buildings["residential"].fillna(False).astype(bool)
        if "residential" in buildings
        else pd.Series(False, index=buildings.index)
    )
    for geom, is_res in zip(geoms, res, strict=True):
        if not isinstance(geom, shapely.Geometry) or geom.is_empty:
            continue
        parts = []
        for poly in getattr(geom, "geoms", [geom]):
            if shapely.get_type_id(poly) != 3 or poly.is_empty:
                continue
            parts.append(_int_ring_d(frame, np.asarray(poly.exterior.coords)))
            parts.extend(_int_ring_d(frame, np.asarray(r.coords)) for r in poly.interiors)
        out["residential" if is_res else "other"].append("".join(parts))
    return {k: "".join(v) for k, v in out.items()}, None


# ------------------------------------------------------------------------------ page data


def _dist_text(value: Any, cutoff: float | None) -> str:
    if is_finite(value):
        return f"{float(value):,.1f}"
    return f"> {cutoff:,.0f}" if cutoff is not None else "—"


def _community_records(
    result: AuditResult, kinds: list[KindInfo], speed: float | None
) -> list[dict[str, Any]]:
    """Per community: what the detail panel and the matrix table show."""
    cutoff = cutoff_m(result, kinds)
    out = []
    for rec in result.communities.to_dict("records"):
        rows = []
        for k in kinds:
            status = kind_status(rec, k)
            dist = rec.get(f"{k.key}_distance_m") if k.audited else None
            minutes = rec.get(f"{k.key}_walk_min") if k.audited else None
            if not is_finite(minutes) and is_finite(dist) and speed:
                minutes = float(dist) / speed
            nearest = rec.get(f"{k.key}_nearest_name") if k.audited else None
            rows.append(
                {
                    "k": k.key,
                    "d": round(float(dist), 1) if is_finite(dist) else None,
                    "dt": _dist_text(dist, cutoff) if status in ("met", "missing") else "—",
                    "min": round(float(minutes), 1) if is_finite(minutes) else None,
                    "st": status,
                    "near": "" if not isinstance(nearest, str) else nearest,
                    "sh": fmt_share(rec.get(f"{k.key}_share_within"))
                    if k.has_share and status in ("met", "missing")
                    else None,
                }
            )
        pop = rec.get("population")
        out.append(
            {
                "id": str(rec["id"]),
                "name": str(rec.get("name") or rec["id"]),
                "population": round(float(pop)) if is_finite(pop) else None,
                "popsrc": source_zh(rec.get("population_source"), POPULATION_SOURCE_ZH),
                "verdict": str(rec["verdict"]),
                "met": int(rec["met"]),
                "required": int(rec["required"]),
                "rows": rows,
                "edge": round(float(rec["edge_distance_m"]))
                if is_finite(rec.get("edge_distance_m"))
                else None,
                "edgeu": [k for k in str(rec.get("edge_uncertain_kinds") or "").split(";") if k],
            }
        )
    return out


def _facility_records(result: AuditResult, kinds: list[KindInfo]) -> list[dict[str, Any]]:
    """Per facility row: name, kind, source and the communities for which it is nearest."""
    serves: dict[tuple[str, str], list[str]] = {}
    comm = result.communities
    for k in kinds:
        col = f"{k.key}_nearest_id"
        if not k.audited or col not in comm:
            continue
        for cid, cname, nid, dist in zip(
            comm["id"], comm["name"], comm[col], comm[f"{k.key}_distance_m"], strict=True
        ):
            if isinstance(nid, str) and nid and is_finite(dist):
                serves.setdefault((nid, k.key), []).append(
                    f"{cname or cid}（{float(dist):,.0f} 米）"
                )
    fac = result.facilities

    def column(name: str) -> list[Any]:
        # plain Python values, as to_dict("records") gives them, without a dict per row
        return fac[name].tolist() if name in fac else [None] * len(fac)

    labels: dict[Any, str] = {}  # a city has tens of thousands of rows but few source codes
    out = []
    for raw_id, name, kind, source, lon, lat, leg in zip(
        column("id"),
        column("name"),
        column("kind"),
        column("source"),
        column("lon"),
        column("lat"),
        column("snap_leg_m"),
        strict=True,
    ):
        fid = str(raw_id)
        label = labels.get(source)
        if label is None:
            label = labels[source] = source_zh(source, FACILITY_SOURCE_ZH)
        out.append(
            {
                "id": fid,
                "name": str(name or ""),
                "kind": str(kind),
                "src": label,
                "lon": round(float(lon), 6) if is_finite(lon) else None,
                "lat": round(float(lat), 6) if is_finite(lat) else None,
                "leg": round(float(leg), 1) if is_finite(leg) else None,
                "serves": serves.get((fid, str(kind)), []),
            }
        )
    return out


def _count(value: Any) -> int:
    if isinstance(value, (list, tuple)):
        return len(value)
    return int(float(value)) if is_finite(value) else 0


def _notices(sources: Mapping[str, Any]) -> list[str]:
    """Warnings about inputs that did not make it into the audit (zh-CN sentences)."""
    out = []
    unmapped = _count(sources.get("unmapped_ledger_rows"))
    if unmapped:
        out.append(
            f"设施台账中有 {unmapped} 行无法归入任何设施类别，未计入审计"
            "（命令行输出列出了这些行；请补充类别或在类别规则中增加关键词）。"
        )
    snap = sources.get("max_snap_m")
    beyond = f"距步行路网超过 {float(snap):g} 米" if is_finite(snap) else "无法接入步行路网"
    n_fac = _count(sources.get("unsnapped_facilities"))
    if n_fac:
        out.append(f"{n_fac} 处设施{beyond}，未计入距离计算（请核对坐标及其坐标系）。")
    n_comm = _count(sources.get("unsnapped_communities"))
    if n_comm:
        out.append(f"{n_comm} 个社区{beyond}，其距离无法计算（各类按缺失或无数据处理）。")
    return out


def area_name(result: AuditResult) -> str:
    """The audited area in words: ``sources["area_name"]`` (``wanzheng audit --area-name``),
    else from the data: the first named communities and how many there are
    (``富润家园、石科院生活区等 12 个社区``); never a file name."""
    from wanzheng.data.osm import UNNAMED_COMMUNITY  # osmium only when needed

    given = result.sources.get("area_name")
    if given:
        return str(given)
    comm = result.communities
    names = [str(n) for n in comm["name"] if n and not str(n).startswith(UNNAMED_COMMUNITY)][:2]
    n = len(comm)
    if not names:
        return f"{n} 个社区"
    return f"{'、'.join(names)}{'等 ' if n > len(names) else ' '}{n} 个社区"


def _dropped_notices(dropped: pd.DataFrame, *, listed: int = 20) -> list[str]:
    """One sentence per residential object of the data not audited as a community."""
    if dropped is None or len(dropped) == 0:
        return []
    out = [f"数据中有 {len(dropped)} 处居住用地标记未作为社区审计（社区须有范围）："]
    for row in dropped.head(listed).itertuples():
        out.append(f"{row.name}（{row.id}）：{row.reason}")
    if len(dropped) > listed:
        out.append(f"另有 {len(dropped) - listed} 处，见 communities.xlsx 的 dropped 表。")
    return out


def _gaps(
    result: AuditResult, kinds: list[KindInfo], colours: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Kinds missing somewhere, by residents affected (then communities), largest first."""
    comm = result.communities
    pop = pd.to_numeric(comm["population"], errors="coerce")
    names = (
        comm["name"]
        .fillna("")
        .astype(str)
        .where(comm["name"].fillna("").astype(str) != "", comm["id"].astype(str))
    )
    out: list[dict[str, Any]] = []
    for k in kinds:
        if not k.audited:
            continue
        missing = (comm[f"{k.key}_status"] == "missing").to_numpy()
        if not missing.any():
            continue
        affected = pop[missing]
        out.append(
            {
                "key": k.key,
                "name_zh": k.name_zh,
                "name_en": k.name_en,
                "in_verdict": k.in_verdict,
                "threshold_text": f"{k.threshold_m:,.0f} 米" if k.threshold_m else "—",
                "communities": int(missing.sum()),
                "residents": float(affected.sum()) if affected.notna().any() else None,
                "unknown": int(affected.isna().sum()),
                "names": "、".join(names[missing].tolist()),
                "swatch": _swatch(k.tier, colours.get(k.key, "#333")),
            }
        )
    out.sort(
        key=lambda g: (
            not g["in_verdict"],
            -(g["residents"] or 0.0),
            -g["communities"],
            g["key"],
        )
    )
    return out


def _json_for_script(data: Any) -> Markup:
    """JSON safe inside ``<script type="application/json">`` (no ``</script>`` break-out)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


# ------------------------------------------------------------------------------ map


def _shape(tier: str) -> str:
    return TIER_SHAPES.get(tier, TIER_SHAPES["5min"])


def kind_colours(kinds: Sequence[KindInfo]) -> dict[str, str]:
    """A colour per kind, cycling within each tier: (shape, colour) is unique per kind
    as long as no tier holds more kinds than :data:`KIND_COLOURS` has colours."""
    used: dict[str, int] = {}
    out: dict[str, str] = {}
    for k in kinds:
        tier = k.tier if k.tier in TIER_SHAPES else "5min"
        n = used.get(tier, 0)
        out[k.key] = KIND_COLOURS[n % len(KIND_COLOURS)]
        used[tier] = n + 1
    return out


def _swatch(tier: str, colour: str) -> Markup:
    """A small inline SVG of a kind's marker, for the legend (and cloned by the panel)."""
    return Markup(
        '<svg class="mk" viewBox="-1.5 -1.5 3 3" width="14" height="14" aria-hidden="true">'
        f'<path d="{_shape(tier)}" fill="{colour}" stroke="#1f2328" stroke-width=".22"/></svg>'
    )


def _map_svg(
    result: AuditResult,
    kinds: list[KindInfo],
    colours: dict[str, str],
    communities: list[dict[str, Any]],
    facilities: list[dict[str, Any]],
    notes: list[str],
) -> Markup:
    """The map as inline SVG, in metres of a local frame (1 user unit = 1 m).

    Above :data:`FACILITY_SHOW_LIMIT` facilities every kind starts hidden (all are drawn).

    What had to be simplified for a large area is appended to ``notes`` (zh-CN sentences).
    """
    min_lon, min_lat, max_lon, max_lat = _bounds(result)
    frame = _Frame(lon0=(min_lon + max_lon) / 2, lat0=(min_lat + max_lat) / 2)
    x0, y1 = frame.xy(min_lon, min_lat)
    x1, y0 = frame.xy(max_lon, max_lat)
    width = max(float(x1 - x0), 50.0)
    height = max(float(y1 - y0), 50.0)
    pad = 0.04 * max(width, height)
    vb = (float(x0) - pad, float(y0) - pad, width + 2 * pad, height + 2 * pad)
    # Metres per screen pixel at the nominal size: markers and labels are sized with it.
    k = max(vb[2] / MAP_WIDTH_PX, vb[3] / MAP_HEIGHT_PX)

    net_b = _network_bounds(result.network)
    bg = vb
    if net_b is not None:
        nx0, ny1 = frame.xy(net_b[0], net_b[1])
        nx1, ny0 = frame.xy(net_b[2], net_b[3])
        bx0, by0 = min(float(nx0), vb[0]), min(float(ny0), vb[1])
        bx1, by1 = max(float(nx1), vb[0] + vb[2]), max(float(ny1), vb[1] + vb[3])
        bg = (bx0 - 5 * pad, by0 - 5 * pad, bx1 - bx0 + 10 * pad, by1 - by0 + 10 * pad)
    out: list[str] = [
        f'<svg id="map" class="map" viewBox="{" ".join(_num(v) for v in vb)}" '
        f'preserveAspectRatio="xMidYMid meet" style="--k:{k:.4f}" role="group" '
        'aria-labelledby="map-title" data-m-per-unit="1">',
        '<title id="map-title">'
        "地图：步行路网、建筑、社区（按结论着色）与设施（按类别着色）</title>",
        "<defs>"
        '<pattern id="hatch" patternUnits="userSpaceOnUse" width="12" height="12" '
        'patternTransform="rotate(45)"><rect width="12" height="12" fill="#6b7280" '
        'fill-opacity="0.18"/><line x1="0" y1="0" x2="0" y2="12" stroke="#6b7280" '
        'stroke-width="4" stroke-opacity="0.55"/></pattern>'
        "</defs>",
        f'<rect class="map-bg" x="{_num(bg[0])}" y="{_num(bg[1])}" '
        f'width="{_num(bg[2])}" height="{_num(bg[3])}"/>',
    ]

    # Communities first (bottom), so that buildings and streets stay visible on top.
    below_communities = len(out)
    out.append('<g id="layer-communities" class="layer">')
    comm = result.communities
    geoms = comm["geometry"].to_numpy(object) if "geometry" in comm else [None] * len(comm)
    lon = pd.to_numeric(comm["lon"], errors="coerce").to_numpy(np.float64)
    lat = pd.to_numeric(comm["lat"], errors="coerce").to_numpy(np.float64)
    labels: list[str] = []
    for i, (geom, rec) in enumerate(zip(geoms, communities, strict=True)):
        verdict = rec["verdict"]
        label = escape(f"{rec['name']}：{VERDICT_ZH.get(verdict, verdict)}")
        common = (
            f'class="comm v-{escape(verdict)}" data-c="{i}" tabindex="0" role="button" '
            f'aria-label="{label}"'
        )
        is_area = (
            isinstance(geom, shapely.Geometry)
            and not geom.is_empty
            and shapely.get_type_id(geom) in (3, 6)
        )
        if is_area:
            out.append(
                f'<path {common} d="{_polygon_d(frame, geom)}" fill-rule="evenodd">'
                f"<title>{label}</title></path>"
            )
            anchor = shapely.point_on_surface(geom)
            lx, ly = frame.xy(anchor.x, anchor.y)
        else:
            point = geom if isinstance(geom, shapely.Point) and not geom.is_empty else None
            px, py = (point.x, point.y) if point is not None else (lon[i], lat[i])
            lx, ly = frame.xy(px, py)
            out.append(
                f'<circle {common} cx="{_num(float(lx))}" cy="{_num(float(ly))}" r="{8 * k:.1f}">'
                f"<title>{label}</title></circle>"
            )
        # Label priority for decluttering on screen: larger communities keep their label.
        priority = float(shapely.area(geom)) * 1e8 if is_area else 0.0
        labels.append(
            f'<text class="lbl" data-c="{i}" data-p="{priority:.1f}" '
            f'x="{_num(float(lx))}" y="{_num(float(ly))}">{escape(rec["name"])}</text>'
        )
    out.append("</g>")

    extent = max(vb[2], vb[3])
    bpaths, bnote = _building_paths(frame, result.buildings, extent_m=extent)
    if bnote is None:
        out.append('<g id="layer-buildings" class="layer" aria-hidden="true">')
        out.append(f'<path class="bld bld-other" d="{bpaths["other"]}"/>')
        out.append(f'<path class="bld bld-res" d="{bpaths["residential"]}"/>')
        out.append("</g>")
    else:
        # The density cells cover the whole area: under the communities, not over them.
        notes.append(bnote)
        cells = "".join(
            f'<path class="bld-density {lv}" d="{bpaths[lv]}"/>' for lv in ("d1", "d2", "d3", "d4")
        )
        out.insert(
            below_communities,
            f'<g id="layer-buildings" class="layer" aria-hidden="true">{cells}</g>',
        )

    hide_facilities = len(facilities) > FACILITY_SHOW_LIMIT
    if hide_facilities:
        notes.append(
            f"设施共 {len(facilities):,} 处，超过 {FACILITY_SHOW_LIMIT:,} 处：全部已绘出，但打开时"
            "隐藏，以免遮住社区；请在“设施类别”中勾选要看的类别，或在“社区着色”中选择一类"
            "（该类设施随之显示）。"
        )
    npaths, nnote = _network_paths(frame, result.network, extent_m=extent)
    if nnote is not None:
        notes.append(nnote)
        # Thin lines for a city-wide network, or the streets would bury the communities.
        out[0] = out[0].replace('class="map"', 'class="map lod-net"', 1)
    out.append('<g id="layer-network" class="layer" aria-hidden="true">')
    out.append(f'<path class="net net-path" d="{npaths["path"]}"/>')
    for cls in ("street", "road"):
        out.append(f'<path class="net net-{cls}-case" d="{npaths[cls]}"/>')
        out.append(f'<path class="net net-{cls}" d="{npaths[cls]}"/>')
    out.append("</g>")

    out.append('<g id="layer-labels" class="layer" aria-hidden="true">')
    out.extend(labels)
    out.append("</g>")

    out.append('<g id="layer-facilities" class="layer">')
    names = {kd.key: kd for kd in kinds}
    by_kind: dict[str, list[int]] = {}
    for i, rec in enumerate(facilities):
        by_kind.setdefault(rec["kind"], []).append(i)
    # every facility's position in one call (a city has tens of thousands)
    fac_x, fac_y = frame.xy(
        [math.nan if rec["lon"] is None else rec["lon"] for rec in facilities],
        [math.nan if rec["lat"] is None else rec["lat"] for rec in facilities],
    )
    for key in [kd.key for kd in kinds] + sorted(set(by_kind) - set(names)):
        idx = by_kind.get(key, [])
        if not idx:
            continue
        kd = names.get(key)
        kind_label = kd.name_zh if kd else key
        shape = _shape(kd.tier if kd else "")
        out.append(
            f'<g class="fac-kind" data-kind="{escape(key)}" fill="{colours.get(key, "#333")}"'
            + (' style="display:none">' if hide_facilities else ">")
        )
        for i in idx:
            rec = facilities[i]
            if rec["lon"] is None or rec["lat"] is None:
                continue
            label = escape(f"{rec['name'] or '（未命名）'} — {kind_label}")
            out.append(
                f'<g transform="translate({_num(float(fac_x[i]))} {_num(float(fac_y[i]))})">'
                f'<path class="fac" data-f="{i}" d="{shape}" tabindex="0" role="button" '
                f'aria-label="{label}"><title>{label}</title></path></g>'
            )
        out.append("</g>")
    out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))


# ------------------------------------------------------------------------------ charts


def _coverage_chart(rows: Sequence[dict[str, Any]]) -> Markup:
    """Horizontal bars: population-weighted share within the threshold, one bar per kind."""
    label_w, bar_w, value_w, row_h, top = 300, 380, 80, 34, 30
    width = label_w + bar_w + value_w
    height = top + row_h * len(rows) + 24
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'role="img" aria-labelledby="cov-chart-title cov-chart-desc">',
        '<title id="cov-chart-title">各类设施的人口覆盖率（步行阈值内）</title>',
        '<desc id="cov-chart-desc">'
        + str(
            escape(
                "；".join(
                    f"{r['name_zh']}：{r['share_text']}" for r in rows if r["share"] is not None
                )
            )
        )
        + "</desc>",
    ]
    for pct in (0, 25, 50, 75, 100):
        x = label_w + bar_w * pct / 100
        parts.append(
            f'<line class="grid" x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" '
            f'y2="{top + row_h * len(rows)}"/>'
            f'<text class="axis" x="{x:.1f}" y="{top - 12}" text-anchor="middle">{pct}%</text>'
        )
    for i, r in enumerate(rows):
        y = top + i * row_h
        parts.append(
            f'<text class="lab" x="{label_w - 10}" y="{y + 15}" text-anchor="end">'
            f"{escape(r['name_zh'])}</text>"
            f'<text class="lab-en" x="{label_w - 10}" y="{y + 28}" text-anchor="end">'
            f"{escape(r['name_en'])} · ≤{escape(r['threshold_text'])}</text>"
        )
        if r["share"] is None:
            parts.append(
                f'<rect x="{label_w}" y="{y + 6}" width="{bar_w}" height="18" '
                'fill="url(#chart-hatch)" class="nodata"/>'
                f'<text class="val nodata-t" x="{label_w + 8}" y="{y + 20}">'
                f"{escape(r['share_text'])}</text>"
            )
        else:
            w = bar_w * max(0.0, min(1.0, float(r["share"])))
            parts.append(
                f'<rect class="track" x="{label_w}" y="{y + 6}" width="{bar_w}" height="18"/>'
                f'<rect class="bar" x="{label_w}" y="{y + 6}" width="{w:.1f}" height="18"/>'
                f'<text class="val" x="{label_w + bar_w + 8}" y="{y + 20}">'
                f"{escape(r['share_text'])}</text>"
            )
    parts.insert(
        1,
        '<defs><pattern id="chart-hatch" patternUnits="userSpaceOnUse" width="8" height="8" '
        'patternTransform="rotate(45)"><rect width="8" height="8" fill="#eef0f2"/>'
        '<line x1="0" y1="0" x2="0" y2="8" stroke="#9aa1a9" stroke-width="3"/></pattern></defs>',
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def _verdict_chart(counts: Mapping[str, int], residents: Mapping[str, float]) -> Markup:
    """Two stacked bars: communities and residents by verdict."""
    label_w, bar_w, row_h = 90, 560, 40
    width, height = label_w + bar_w + 10, 2 * row_h + 10
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'role="img" aria-labelledby="verdict-chart-title">',
        '<title id="verdict-chart-title">'
        + str(
            escape(
                "按结论统计："
                + "，".join(f"{VERDICT_ZH[v]} {counts.get(v, 0)} 个社区" for v in VERDICTS)
            )
        )
        + "</title>",
        '<defs><pattern id="vhatch" patternUnits="userSpaceOnUse" width="8" height="8" '
        'patternTransform="rotate(45)"><rect width="8" height="8" fill="#9ca3af"/>'
        '<line x1="0" y1="0" x2="0" y2="8" stroke="#6b7280" stroke-width="3"/></pattern></defs>',
    ]
    for r, (label, values, unit) in enumerate((("社区", counts, "个"), ("居民", residents, "人"))):
        total = float(sum(values.values()))
        y = 5 + r * row_h
        parts.append(
            f'<text class="lab" x="{label_w - 10}" y="{y + 22}" text-anchor="end">{label}</text>'
        )
        x = float(label_w)
        for v in VERDICTS:
            value = float(values.get(v, 0))
            if total <= 0 or value <= 0:
                continue
            w = bar_w * value / total
            fill = "url(#vhatch)" if v == "undetermined" else VERDICT_COLOURS[v]
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="26" fill="{fill}">'
                f"<title>{escape(VERDICT_ZH[v])}：{value:,.0f} {unit}</title></rect>"
            )
            if w > 60:
                parts.append(
                    f'<text class="seg{" seg-dark" if v == "undetermined" else ""}" '
                    f'x="{x + w / 2:.1f}" y="{y + 22}" text-anchor="middle">'
                    f"{value:,.0f}</text>"
                )
            x += w
        if total <= 0:
            parts.append(
                f'<text class="lab-en" x="{label_w}" y="{y + 22}">未知（没有人口数据）</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


# ------------------------------------------------------------------------------ page


def _asset(name: str) -> str:
    return resources.files("wanzheng.report").joinpath("assets", name).read_text("utf-8")


def _environment() -> jinja2.Environment:
    loader = jinja2.PackageLoader("wanzheng.report", "templates")
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["count"] = lambda v: "—" if v is None else f"{round(float(v)):,}"
    return env


def _share_text(share: Any, has_data: bool) -> str:
    if not has_data:
        return "无数据"
    if not is_finite(share):
        return "人口未知"
    return f"{100 * float(share):.1f}%"


def render_html(result: AuditResult, *, title: str | None = None) -> str:
    """The report page as one self-contained HTML string (zh-CN, no external reference).

    Parameters
    ----------
    result
        The audit to show.
    title
        Page title; default ``完整社区体检报告 · `` followed by :func:`area_name`.
    """
    # Kinds that decide the verdict first, then the wider life-circle kinds (stable order).
    kinds = sorted(kind_infos(result), key=lambda k: not k.in_verdict)
    colours = kind_colours(kinds)
    speed_raw = result.sources.get("walk_speed_m_per_min")
    speed = float(speed_raw) if is_finite(speed_raw) else None
    communities = _community_records(result, kinds, speed)
    facilities = _facility_records(result, kinds)
    kind_by_key = {k.key: k for k in kinds}

    # Summary figures.
    comm = result.communities
    counts: dict[str, int] = {v: int((comm["verdict"] == v).sum()) for v in VERDICTS}
    pop = pd.to_numeric(comm["population"], errors="coerce")
    residents: dict[str, float] = {
        v: float(pop[(comm["verdict"] == v) & pop.notna()].sum()) for v in VERDICTS
    }
    n_fac_kinds = result.facilities["kind"].nunique() if len(result.facilities) else 0
    figures = {
        "communities": len(comm),
        "residents": population_total(comm),
        "population_unknown": int(pop.isna().sum()),
        "facilities": int(result.facilities["id"].nunique()) if len(result.facilities) else 0,
        "facility_kinds": int(n_fac_kinds),
        "multi_kind": (
            int((result.facilities.groupby("id")["kind"].nunique() > 1).sum())
            if len(result.facilities)
            else 0
        ),
        "nodes": result.sources.get("n_nodes"),
        "edges": result.sources.get("n_edges", len(result.network)),
    }

    # Coverage rows (table and chart).
    cov_rows = []
    for rec in result.coverage.to_dict("records"):
        key = str(rec["kind"])
        kd = kind_by_key.get(key)
        has = bool(rec.get("has_data", True))
        share = rec.get("population_share")
        thr = rec.get("threshold_m") if is_finite(rec.get("threshold_m")) else None
        if thr is None and kd is not None:
            thr = kd.threshold_m
        met = int(rec.get("communities_met", 0))
        missing = int(rec.get("communities_missing", 0))
        cov_rows.append(
            {
                "key": key,
                "name_zh": kd.name_zh if kd else str(rec.get("name_zh", key)),
                "name_en": kd.name_en if kd else str(rec.get("name_en", key)),
                "in_verdict": kd.in_verdict if kd else bool(rec.get("in_verdict", True)),
                "tier": TIER_ZH.get(kd.tier, kd.tier) if kd else "",
                "threshold_text": f"{float(thr):,.0f} 米" if thr is not None else "—",
                "verified": kd.verified if kd else bool(rec.get("verified", False)),
                "facilities": int(rec.get("facilities", 0)),
                "has_data": has,
                "met": met,
                "missing": missing,
                "share": float(share) if has and is_finite(share) else None,
                "share_text": _share_text(share, has),
                "evidence": evidence_zh(rec.get("evidence")),
                "confidence": str(rec.get("confidence") or ""),
                "confidence_zh": CONFIDENCE_ZH.get(str(rec.get("confidence") or ""), ""),
                "colour": colours.get(key, "#333"),
                "swatch": _swatch(kd.tier if kd else "", colours.get(key, "#333")),
            }
        )
    cov_rows.sort(key=lambda r: not r["in_verdict"])
    no_data = [r for r in cov_rows if not r["has_data"]]
    gaps = _gaps(result, kinds, colours)
    notices = _notices(result.sources) + _dropped_notices(result.dropped_communities)
    checklist = [k for k in kinds if k.threshold_m is None]
    unverified = [k for k in kinds if not k.verified]

    fac_counts = result.facilities["kind"].value_counts().to_dict() if len(facilities) else {}
    legend_sections: list[dict[str, Any]] = []
    for decides, section in (
        (True, "完整社区要素（决定结论）"),
        (False, "生活圈配套（单列，不计入结论）"),
    ):
        groups: list[dict[str, Any]] = []
        for tier in [*TIER_SHAPES, ""]:
            members = [
                {
                    "key": k.key,
                    "zh": k.name_zh,
                    "en": k.name_en,
                    "count": int(fac_counts.get(k.key, 0)),
                    "swatch": _swatch(k.tier, colours[k.key]),
                }
                for k in kinds
                if k.in_verdict == decides
                and (k.tier if k.tier in TIER_SHAPES else "") == tier
                and (k.threshold_m is not None or fac_counts.get(k.key))
            ]
            if members:
                groups.append(
                    {
                        "label": TIER_ZH.get(tier, "其他"),
                        "shape": SHAPE_ZH.get(tier, "圆形"),
                        "kinds": members,
                    }
                )
        if groups:
            legend_sections.append({"label": section, "groups": groups})
    origins = str(result.sources.get("origins") or "centroid")
    n_life_circle = int(
        (comm["missing_life_circle"].fillna("").astype(str) != "").sum()
        if "missing_life_circle" in comm
        else 0
    )

    data = {
        "kinds": [
            {
                "key": k.key,
                "zh": k.name_zh,
                "en": k.name_en,
                "thr": k.threshold_m,
                "colour": colours[k.key],
                "verified": k.verified,
                "v": k.in_verdict,
            }
            for k in kinds
        ],
        # Rows as arrays [distance m, status, nearest name, share] in data.kinds order: the
        # script rebuilds the display texts. Half the size of objects for a city.
        "cutoff": cutoff_m(result, kinds),
        "communities": [
            {
                **{key: value for key, value in c.items() if key != "rows"},
                "rows": [[r["d"], r["st"], r["near"], r["sh"]] for r in c["rows"]],
            }
            for c in communities
        ],
        "facilities": facilities,
        "status": STATUS_ZH,
        "verdict": VERDICT_ZH,
        "speed": speed,
        "shares": any(k.has_share for k in kinds),
    }
    page_title = title or f"完整社区体检报告 · {area_name(result)}"

    lod_notes: list[str] = []
    map_svg = _map_svg(result, kinds, colours, communities, facilities, lod_notes)
    if len(communities) > MATRIX_ROW_LIMIT:
        lod_notes.append(
            f"社区共 {len(communities):,} 个：“社区一览”表由页面脚本根据内嵌数据生成，"
            "每次显示 250 个（可“显示全部”；内容完全相同，文件约小一半，页面打开更快）；"
            "不运行脚本时请查看 communities.xlsx。"
        )
    env = _environment()
    template = env.get_template("report.html.j2")
    return template.render(
        title=page_title,
        area=area_name(result),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        catalogue_name=str(result.sources.get("catalogue_name", "")),
        catalogue_version=str(result.sources.get("catalogue_version", "")),
        speed=speed,
        cutoff=cutoff_m(result, kinds),
        figures=figures,
        counts=counts,
        verdict_zh=VERDICT_ZH,
        verdict_colours=VERDICT_COLOURS,
        verdicts=VERDICTS,
        status_zh=STATUS_ZH,
        status_symbol=STATUS_SYMBOL,
        kinds=kinds,
        tier_zh=TIER_ZH,
        colours=colours,
        legend_sections=legend_sections,
        has_life_circle=any(not k.in_verdict for k in kinds),
        n_verdict_kinds=sum(1 for k in kinds if k.in_verdict and k.audited),
        n_life_circle_kinds=sum(1 for k in kinds if not k.in_verdict and k.audited),
        life_circle_names="、".join(k.name_zh for k in kinds if not k.in_verdict and k.audited),
        n_life_circle=n_life_circle,
        origins=origins,
        origins_zh=ORIGINS_ZH.get(origins, origins),
        origins_text=ORIGINS_EXPLAINED.get(origins, ""),
        has_shares=any(k.has_share for k in kinds),
        cov_rows=cov_rows,
        no_data=no_data,
        gaps=gaps,
        notices=notices,
        checklist=checklist,
        unverified=unverified,
        communities=communities,
        evidence=evidence_records(result, kinds),
        sources=source_rows(result),
        population_method=source_zh(result.sources.get("population_method"), POPULATION_SOURCE_ZH),
        floor_area=result.sources.get("floor_area_per_person_m2"),
        attribution=OSM_ATTRIBUTION,
        map_svg=map_svg,
        lod_notes=lod_notes,
        matrix_by_script=len(communities) > MATRIX_ROW_LIMIT,
        facilities_hidden=len(facilities) > FACILITY_SHOW_LIMIT,
        coverage_chart=_coverage_chart(cov_rows),
        has_confidence="confidence" in result.coverage,
        verdict_chart=_verdict_chart(counts, residents),
        data_json=_json_for_script(data),
        css=Markup(_asset("report.css")),
        js=Markup(_asset("report.js")),
    )


def evidence_records(result: AuditResult, kinds: list[KindInfo]) -> list[dict[str, Any]]:
    """Per audited community with residents' cases asking for a facility: its verdict and, per
    kind asked for, the kind's status there, the cases and residents, redacted examples.

    Communities in audit order, kinds most residents first (as the evidence table).
    """
    ev = result.evidence
    if ev is None or len(ev) == 0:
        return []
    names = {k.key: k.name_zh for k in kinds}
    by_community: dict[str, list[dict[Any, Any]]] = {}
    for rec in ev.to_dict("records"):
        by_community.setdefault(str(rec["community_id"]), []).append(rec)
    out = []
    for c in result.communities.to_dict("records"):
        rows = by_community.get(str(c["id"]))
        if not rows:
            continue
        out.append(
            {
                "id": str(c["id"]),
                "name": str(c.get("name") or c["id"]),
                "verdict": str(c["verdict"]),
                "kinds": [
                    {
                        "kind": str(r["kind"]),
                        "name": names.get(str(r["kind"]), str(r["kind"])),
                        "status": str(c.get(f"{r['kind']}_status") or "not_audited"),
                        "n_cases": int(r["n_cases"]),
                        "n_residents": int(r["n_residents"]),
                        "examples": [str(x) for x in (r.get("examples") or ())],
                    }
                    for r in rows
                ],
            }
        )
    return out


def write_html(result: AuditResult, path: Path, *, title: str | None = None) -> None:
    """Write :func:`render_html` to ``path`` (UTF-8)."""
    path.write_text(render_html(result, title=title), encoding="utf-8")
