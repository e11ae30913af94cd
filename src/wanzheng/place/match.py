"""Reading places in a case's text and matching them to the gazetteer, with a confidence.

Method
------
1. **Mentions.** The text is normalised (:func:`wanzheng.place.names.normalise`) and every
   gazetteer key in it is found (Aho–Corasick); overlapping hits keep the longest. A street
   followed by a word of ``road_not_after`` (学院路\\ **街道**) is not a street.
2. **Readings.** Each mention becomes a reading with a location, a *rank* (how precise it
   is) and a *score*:

   ==================================  ====  ====================================================
   reading                             rank  score
   ==================================  ====  ====================================================
   estate + building number in map     1     0.95 × q
   address (street + number)           1     0.90 × q
   intersection of two streets         1     0.90 (the two streets meet within 40 m)
   estate + number not in map          2     0.85 × q (located at the estate)
   estate / community                  2     0.90 × q (community of the list: 0.75 × q)
   named building / POI                2     0.85 × q (name of 3 characters: 0.75; 2: 0.65)
   street alone, river                 —     never placed: a street is too long to place on
   ==================================  ====  ====================================================

   ``q`` is the key's quality (1 for the name as mapped, lower for a variant).
   A mention whose entries lie more than :data:`SAME_PLACE_M` apart (two 教学楼) is
   *ambiguous*: it is used only when another reading picks one of its entries.
3. **Decision.** The reading of best rank (then score) is chosen when every other reading
   agrees with it (lies within :data:`SAME_PLACE_M`, or inside the same estate); each
   agreeing reading adds 0.03 (at most 0.99). Readings that disagree make the case
   **unplaced** ("conflicting places"), as do only-ambiguous readings, only streets, and a
   best score under ``min_confidence``. Never a silent guess: every unplaced case carries
   its reason and the candidates seen.
4. **Community and grid.** The community is the one of the audit's list covering the
   location (the smallest when nested); the grid comes from the case desk's grid polygons.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import shapely
from shapely.ops import nearest_points

from wanzheng.place.gazetteer import Gazetteer
from wanzheng.place.names import chinese_number, normalise

__all__ = [
    "REASONS",
    "SAME_PLACE_M",
    "GridLookup",
    "Mention",
    "Placement",
    "find_mentions",
    "place_text",
]

SAME_PLACE_M = 150.0
"""Entries (or readings) closer than this (m) are one place."""
MEET_M = 40.0
"""Two streets meet when their lines come this close (m)."""

REASONS = {
    "no_place": "文本中未识别到地名 / no place named in the text",
    "unknown_place": "地名不在本区域地名库中 / the place named is not in the area's gazetteer",
    "road_only": "仅提到道路，无法定位到具体位置 / only a street named; a street is too long to "
    "place a case on",
    "roads_do_not_meet": "两条道路在地图上不相交 / the two streets do not meet in the map",
    "ambiguous": "地名有多处同名 / the name belongs to several places",
    "conflict": "文本提到多个不同地点 / the text names places far apart",
    "low_confidence": "匹配置信度低 / the match is too uncertain",
}
"""Reason codes of unplaced cases with their zh-CN / English explanation."""


class GridLookup(Protocol):
    """What placing needs from the case desk's grids (:class:`wanzheng.cases.routing.GridIndex`)."""

    def grid_of(self, lon: float, lat: float) -> str | None:
        """Key of the grid covering the point, else None."""
        ...


@dataclass(frozen=True, slots=True)
class Mention:
    """A gazetteer key found in a text (positions in the normalised text)."""

    start: int
    end: int
    key: str
    rows: tuple[int, ...]
    quality: float
    cls: str


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a case's text places it, or why it does not.

    ``placed`` is False when the case is unplaced; then ``lon``, ``lat``, ``community_*``,
    ``grid_id``, ``matched`` and ``confidence`` are empty and ``reason`` (a key of
    :data:`REASONS`) and ``detail`` say why; ``candidates`` lists the places seen.
    """

    placed: bool
    lon: float | None = None
    lat: float | None = None
    community_id: str = ""
    community_name: str = ""
    grid_id: str = ""
    matched: str = ""
    confidence: float | None = None
    how: str = ""
    entry: str = ""
    reason: str = ""
    detail: str = ""
    candidates: tuple[str, ...] = field(default=())


@dataclass(slots=True)
class _Reading:
    rank: int
    score: float
    x: float
    y: float
    label: str
    how: str
    rows: tuple[int, ...]  # gazetteer rows it stands for (one, unless ambiguous)
    ambiguous: bool = False
    estate: int = -1  # the estate row it stands in (agreement test)


_CLASS_ORDER = {
    "estate": 0,
    "community": 0,
    "address": 1,
    "building": 2,
    "poi": 3,
    "road": 4,
    "water": 5,
}

_NUM = r"(\d+|[零一二三四五六七八九十百两〇]+)"


def find_mentions(text: str, gazetteer: Gazetteer) -> list[Mention]:
    """The gazetteer's keys in ``text``, longest first where they overlap, in text order."""
    norm = normalise(text)
    hits = gazetteer.find_keys(norm)
    hits.sort(key=lambda h: (-(h[1] - h[0]), h[0]))
    taken = np.zeros(len(norm) + 1, dtype=bool)
    out: list[Mention] = []
    entries = gazetteer.entries
    vocab = gazetteer.vocab
    for start, end, key in hits:
        if taken[start:end].any():
            continue
        found = gazetteer.keys[key]
        classes = entries["cls"].to_numpy()[[i for i, _ in found]]
        # a name shared by a residential area and the bus stops named after it is the area
        top = min(_CLASS_ORDER[str(c)] for c in classes)
        rows = tuple(
            i for (i, _), c in zip(found, classes, strict=True) if _CLASS_ORDER[str(c)] == top
        )
        cls = str(entries["cls"].to_numpy()[rows[0]])
        if cls == "road" and norm[end:].startswith(vocab.road_not_after):
            continue
        taken[start:end] = True
        out.append(
            Mention(start, end, key, rows, max(q for _, q in found), cls),
        )
    out.sort(key=lambda m: m.start)
    return out


def _spread_m(gazetteer: Gazetteer, rows: Sequence[int]) -> float:
    if len(rows) < 2:
        return 0.0
    e = gazetteer.entries
    x, y = gazetteer.projection.forward(
        e["lon"].to_numpy()[list(rows)], e["lat"].to_numpy()[list(rows)]
    )
    return float(np.hypot(x.max() - x.min(), y.max() - y.min()))


def _xy(gazetteer: Gazetteer, rows: Sequence[int]) -> tuple[float, float]:
    e = gazetteer.entries
    x, y = gazetteer.projection.forward(
        e["lon"].to_numpy()[list(rows)], e["lat"].to_numpy()[list(rows)]
    )
    return float(np.mean(x)), float(np.mean(y))


def _name_score(name: str) -> float:
    n = len(normalise(name))
    return 0.85 if n >= 4 else 0.75 if n == 3 else 0.65


def _building_after(norm: str, end: int, units: tuple[str, ...]) -> tuple[int, int] | None:
    """``(number, end)`` of a building number right after position ``end`` (5号楼, 二栋)."""
    m = re.match(_NUM + "(" + "|".join(map(re.escape, units)) + ")", norm[end:])
    if m is None:
        return None
    number = chinese_number(m.group(1))
    return (number, end + m.end()) if number is not None else None


def _readings(
    text: str, gazetteer: Gazetteer, mentions: list[Mention]
) -> tuple[list[_Reading], list[str], list[str]]:
    """Readings of the mentions; also the streets named alone and the failed intersections."""
    norm = normalise(text)
    e = gazetteer.entries
    names = e["name"].to_numpy()
    classes = e["cls"].to_numpy()
    vocab = gazetteer.vocab
    readings: list[_Reading] = []
    streets: list[str] = []
    failed: list[str] = []
    used_roads: set[int] = set()
    roads = [m for m in mentions if m.cls in ("road",)]
    # intersections: street, join word (or none), street, cue
    for a, b in itertools.pairwise(roads):
        between = norm[a.end : b.start]
        after = norm[b.end :]
        if between not in ("", *vocab.intersection_joins):
            continue
        if not after.startswith(vocab.intersection_cues):
            continue
        ga = e["geometry_m"].to_numpy()[list(a.rows)]
        gb = e["geometry_m"].to_numpy()[list(b.rows)]
        la, lb = shapely.union_all(ga), shapely.union_all(gb)
        label = f"{names[a.rows[0]]} × {names[b.rows[0]]}"
        used_roads.update((id(a), id(b)))
        if shapely.distance(la, lb) > MEET_M:
            failed.append(label)
            continue
        cross = shapely.intersection(la, lb)
        if cross.is_empty:
            pa, pb = nearest_points(la, lb)
            x, y = (pa.x + pb.x) / 2, (pa.y + pb.y) / 2
        else:
            pts = shapely.get_coordinates(cross)
            if np.ptp(pts[:, 0]) > SAME_PLACE_M or np.ptp(pts[:, 1]) > SAME_PLACE_M:
                # the streets cross at several places far apart: which one?
                centre = pts.mean(axis=0)
                readings.append(
                    _Reading(
                        1,
                        0.9,
                        float(centre[0]),
                        float(centre[1]),
                        label,
                        "intersection",
                        (),
                        ambiguous=True,
                    )
                )
                continue
            x, y = float(pts[:, 0].mean()), float(pts[:, 1].mean())
        readings.append(_Reading(1, 0.9, x, y, label, "intersection", ()))
    for m in mentions:
        if m.cls == "road":
            if id(m) not in used_roads:
                streets.append(str(names[m.rows[0]]))
            continue
        if m.cls == "water":
            streets.append(str(names[m.rows[0]]))
            continue
        rows = m.rows
        ambiguous = _spread_m(gazetteer, rows) > SAME_PLACE_M
        x, y = _xy(gazetteer, rows)
        name = str(names[rows[0]])
        if m.cls in ("estate", "community"):
            estate = rows[0] if len(rows) == 1 else -1
            building = _building_after(norm, m.end, vocab.building_units)
            if building is not None and not ambiguous:
                number = building[0]
                found = [b for r in rows for b in gazetteer.buildings_in(r, number)]
                if found and _spread_m(gazetteer, found) <= SAME_PLACE_M:
                    bx, by = _xy(gazetteer, found)
                    readings.append(
                        _Reading(
                            1,
                            0.95 * m.quality,
                            bx,
                            by,
                            f"{name} {names[found[0]]}",
                            "building",
                            (found[0],),
                            estate=estate,
                        )
                    )
                    continue
                readings.append(
                    _Reading(
                        2,
                        0.85 * m.quality,
                        x,
                        y,
                        f"{name} {number}号楼(地图无此楼)",
                        "estate_building_unmapped",
                        rows,
                        ambiguous,
                        estate,
                    )
                )
                continue
            base = 0.9 if m.cls == "estate" else 0.75
            readings.append(
                _Reading(2, base * m.quality, x, y, name, m.cls, rows, ambiguous, estate)
            )
            continue
        if m.cls == "address":
            readings.append(_Reading(1, 0.9 * m.quality, x, y, name, "address", rows, ambiguous))
            continue
        estate = int(e["estate"].to_numpy()[rows[0]]) if len(rows) == 1 else -1
        score = _name_score(name) * m.quality
        how = "building" if classes[rows[0]] == "building" else "poi"
        readings.append(_Reading(2, score, x, y, name, how, rows, ambiguous, estate))
    return readings, streets, failed


def _agree(gazetteer: Gazetteer, a: _Reading, b: _Reading) -> bool:
    if np.hypot(a.x - b.x, a.y - b.y) <= SAME_PLACE_M:
        return True
    geoms = gazetteer.entries["geometry_m"].to_numpy()
    # one stands inside the other (a shop inside a large estate, a building in its estate)
    for outer, inner in ((a, b), (b, a)):
        for r in outer.rows:
            if geoms[r].geom_type in ("Polygon", "MultiPolygon") and geoms[r].buffer(
                SAME_PLACE_M / 3
            ).covers(shapely.Point(inner.x, inner.y)):
                return True
    return False


def _unknown_names(text: str) -> list[str]:
    """Words that look like place names (XX小区, XX路) for the reason of an unplaced case."""
    pattern = re.compile(
        r"[\u4e00-\u9fff]{2,8}?(?:小区|花园|家园|社区|公寓|新村|大厦|广场|大街|路|街)"
    )
    return [m.group(0) for m in pattern.finditer(normalise(text))][:3]


def _unplaced(reason: str, detail: str, candidates: Sequence[str] = ()) -> Placement:
    return Placement(
        placed=False, reason=reason, detail=detail, candidates=tuple(dict.fromkeys(candidates))
    )


def place_text(
    text: str,
    gazetteer: Gazetteer,
    *,
    grids: GridLookup | None = None,
    min_confidence: float = 0.6,
) -> Placement:
    """Place a case from its text (see the module docstring for the method).

    Parameters
    ----------
    text
        The case's words (title and detail joined).
    gazetteer
        The area's gazetteer (:func:`wanzheng.place.build_gazetteer`).
    grids
        The case desk's grids; ``None`` leaves ``grid_id`` empty.
    min_confidence
        Below this the case stays unplaced (reason ``low_confidence``).

    Returns
    -------
    Placement
    """
    mentions = find_mentions(text, gazetteer)
    readings, streets, failed = _readings(text, gazetteer, mentions)
    if not readings:
        if failed:
            return _unplaced("roads_do_not_meet", "；".join(failed), failed)
        if streets:
            return _unplaced("road_only", "、".join(dict.fromkeys(streets)), streets)
        unknown = _unknown_names(text)
        if unknown:
            return _unplaced("unknown_place", "、".join(unknown), unknown)
        return _unplaced("no_place", "")
    clear = [r for r in readings if not r.ambiguous]
    unclear = [r for r in readings if r.ambiguous]
    if not clear:
        names = gazetteer.entries["name"].to_numpy()
        ids = gazetteer.entries["id"].to_numpy()
        cands = [f"{names[i]} ({ids[i]})" for r in unclear for i in r.rows] or [
            r.label for r in unclear
        ]
        return _unplaced("ambiguous", "、".join(dict.fromkeys(r.label for r in unclear)), cands)
    clear.sort(key=lambda r: (r.rank, -r.score))
    best = clear[0]
    conflicts = [r for r in clear[1:] if not _agree(gazetteer, best, r)]
    if conflicts:
        labels = [best.label, *(r.label for r in conflicts)]
        return _unplaced("conflict", "；".join(dict.fromkeys(labels)), labels)
    agreeing = {r.label for r in clear[1:]} - {best.label}
    # an ambiguous mention that one of its places fits (the 教学楼 inside the named estate)
    agreeing |= {
        r.label
        for r in unclear
        if any(
            _agree(
                gazetteer,
                best,
                _Reading(r.rank, r.score, *_xy(gazetteer, [i]), r.label, r.how, (i,)),
            )
            for i in r.rows
        )
    }
    confidence = min(0.99, best.score + 0.03 * len(agreeing))
    if confidence < min_confidence:
        return _unplaced("low_confidence", f"{best.label} ({confidence:.2f})", [best.label])
    lon, lat = gazetteer.projection.inverse(best.x, best.y)
    lon_f, lat_f = round(float(lon), 7), round(float(lat), 7)
    community = gazetteer.community_at(best.x, best.y)
    comm = gazetteer.communities
    ids = gazetteer.entries["id"].to_numpy()
    return Placement(
        placed=True,
        lon=lon_f,
        lat=lat_f,
        community_id=str(comm.at[community, "id"]) if community >= 0 else "",
        community_name=str(comm.at[community, "name"]) if community >= 0 else "",
        grid_id=(grids.grid_of(lon_f, lat_f) or "") if grids is not None else "",
        matched=best.label,
        confidence=round(confidence, 3),
        how=best.how,
        entry=str(ids[best.rows[0]]) if best.rows else "",
    )
