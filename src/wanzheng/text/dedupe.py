"""Finding the open case a new one duplicates: near in space, near in time, saying the same thing.

A candidate must lie within ``radius_m`` metres (haversine distance on a sphere of radius
6,371,008.8 m) and ``window_days`` days of the new case, and its text must be similar enough:

``similarity``
    cosine of TF-IDF vectors of character 2- and 3-grams of title + detail, after removing
    the boilerplate of resident messages (greetings, pleas, thanks; see :data:`BOILERPLATE`),
    digits and punctuation. The idf is taken over the new case and *all* open cases passed in, so
    words every message uses (小区, 问题, 反映) weigh little and the specific ones (井盖, 油烟)
    weigh much. Two residents who describe the same broken street lamp in their own words
    share the specific n-grams; the same place with a different problem shares only place
    names, which most messages from that place share too.

Candidates are ranked by similarity (ties: nearer first). Each carries what a dispatcher needs to
judge: id, title, distance, days apart, similarity and the phrases the two texts share.

Precision and recall on constructed pairs are measured by ``bench/text_bench.py`` and stated in
``docs/text.md``.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from wanzheng.errors import DataError
from wanzheng.text.features import normalise

__all__ = ["BOILERPLATE", "CaseText", "DuplicateCandidate", "find_duplicates", "text_similarity"]

EARTH_RADIUS_M = 6_371_008.8
MIN_POOL = 50

#: Phrases that say nothing about the problem; removed before comparing texts.
BOILERPLATE: tuple[str, ...] = (
    "尊敬的领导",
    "领导您好",
    "领导好",
    "您好",
    "你好",
    "书记",
    "市长",
    "恳请",
    "希望",
    "请求",
    "相关部门",
    "有关部门",
    "尽快",
    "解决",
    "处理",
    "重视",
    "谢谢",
    "感谢",
    "万分",
    "盼复",
    "回复",
    "百忙之中",
    "给予",
    "我们",
    "本人",
    "居民",
    "业主",
    "市民",
    "老百姓",
    "反映",
    "问题",
    "情况",
    "一直",
    "已经",
    "现在",
    "这个",
    "这种",
    "非常",
    "严重",
)
_BOILER = re.compile("|".join(sorted(map(re.escape, BOILERPLATE), key=len, reverse=True)))
_NOISE = re.compile(r"[\d\s\W_a-z]+")


@dataclass(frozen=True, slots=True)
class CaseText:
    """What duplicate finding needs of a case: id, text, WGS-84 location and time."""

    id: str
    title: str
    detail: str
    lon: float | None
    lat: float | None
    reported: datetime | date


@dataclass(frozen=True, slots=True)
class DuplicateCandidate:
    """An open case that may describe the same problem as the new one.

    ``distance_m`` is None when either case has no location (only possible with
    ``radius_m=None``); ``days_apart`` is the absolute difference in days.
    """

    id: str
    title: str
    distance_m: float | None
    days_apart: float
    similarity: float
    matched_phrases: tuple[str, ...]


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points (degrees)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _clean(case: CaseText) -> str:
    return _prepared(case.title, case.detail)[0]


@functools.lru_cache(maxsize=20_000)
def _prepared(title: str, detail: str) -> tuple[str, Counter[str]]:
    """Cleaned text and its n-gram counts (cached: open cases are compared again and again)."""
    text = normalise(f"{title} {detail}")[:3000]
    clean = _NOISE.sub(" ", _BOILER.sub(" ", text))
    return clean, _grams(clean)


def _grams(text: str) -> Counter[str]:
    out: Counter[str] = Counter()
    for piece in text.split():
        for n in (2, 3):
            out.update(piece[i : i + n] for i in range(len(piece) - n + 1))
    return out


def _days(a: datetime | date, b: datetime | date) -> float:
    if isinstance(a, datetime) and isinstance(b, datetime):
        if (a.tzinfo is None) != (b.tzinfo is None):
            raise DataError("reported: mix of timezone-aware and naive times")
        return abs((a - b).total_seconds()) / 86400.0
    da = a.date() if isinstance(a, datetime) else a
    db = b.date() if isinstance(b, datetime) else b
    return float(abs((da - db).days))


def _cosine(a: Counter[str], b: Counter[str], idf: dict[str, float]) -> float:
    def w(g: str, tf: int) -> float:
        return (1.0 + math.log(tf)) * idf.get(g, 1.0)

    va = {g: w(g, tf) for g, tf in a.items()}
    vb = {g: w(g, tf) for g, tf in b.items()}
    dot = sum(v * vb[g] for g, v in va.items() if g in vb)
    na = math.sqrt(sum(v * v for v in va.values()))
    nb = math.sqrt(sum(v * v for v in vb.values()))
    return dot / (na * nb) if na and nb else 0.0


def text_similarity(a: str, b: str) -> float:
    """Cosine similarity (0–1) of two texts' character 2/3-gram counts, boilerplate removed.

    Without a pool of other texts there is no idf: every n-gram weighs the same.
    """
    ca = _grams(_clean(CaseText("a", "", a, None, None, date.min)))
    cb = _grams(_clean(CaseText("b", "", b, None, None, date.min)))
    return _cosine(ca, cb, {})


def _shared_phrases(
    text: str, other: Counter[str], idf: dict[str, float], *, limit: int = 5
) -> tuple[str, ...]:
    """Runs of ``text`` covered by n-grams the other text has too, most informative first.

    A run's weight is the summed idf of the shared n-grams in it, so specific phrases (井盖丢失)
    come before common ones (小区).
    """
    covered = [False] * len(text)
    for n in (2, 3):
        for i in range(len(text) - n + 1):
            if text[i : i + n] in other:
                covered[i : i + n] = [True] * n
    runs: dict[str, float] = {}
    i = 0
    while i < len(text):
        if not covered[i]:
            i += 1
            continue
        j = i
        while j < len(text) and covered[j]:
            j += 1
        run = text[i:j].strip()
        if len(run) >= 2:
            grams = [run[k : k + 2] for k in range(len(run) - 1)]
            runs[run] = max(runs.get(run, 0.0), sum(idf.get(g, 1.0) for g in grams))
        i = j
    return tuple(sorted(runs, key=lambda r: (-runs[r], r))[:limit])


def find_duplicates(
    new_case: CaseText,
    open_cases: Sequence[CaseText],
    *,
    radius_m: float | None = 200.0,
    window_days: float = 30.0,
    min_similarity: float = 0.2,
    limit: int = 5,
) -> list[DuplicateCandidate]:
    """Open cases that probably describe the same problem as ``new_case``, best first.

    Parameters
    ----------
    new_case
        The case that has just arrived.
    open_cases
        Cases still open (the new case itself, if present, is ignored). All of them are used
        for the idf, so pass every open case, not only the nearby ones.
    radius_m
        Largest distance in metres; None compares texts regardless of place (cases without a
        location are then compared too).
    window_days
        Largest difference of report times, in days.
    min_similarity
        Smallest text similarity (0–1) to be proposed.
    limit
        Most candidates returned.

    Raises
    ------
    DataError
        A negative radius or window, a similarity outside [0, 1].
    """
    if radius_m is not None and radius_m < 0:
        raise DataError(f"radius_m: expected a distance >= 0 m, got {radius_m}")
    if window_days < 0:
        raise DataError(f"window_days: expected >= 0, got {window_days}")
    if not 0.0 <= min_similarity <= 1.0:
        raise DataError(f"min_similarity: expected a value in [0, 1], got {min_similarity}")
    others = [c for c in open_cases if c.id != new_case.id]
    near: list[tuple[CaseText, float | None, float]] = []
    for c in others:
        days = _days(new_case.reported, c.reported)
        if days > window_days:
            continue
        dist: float | None = None
        has_both = None not in (new_case.lon, new_case.lat, c.lon, c.lat)
        if has_both:
            dist = haversine_m(new_case.lon, new_case.lat, c.lon, c.lat)  # type: ignore[arg-type]
        if radius_m is not None and (dist is None or dist > radius_m):
            continue
        near.append((c, dist, days))
    if not near:
        return []
    prepared = {c.id: _prepared(c.title, c.detail) for c in others}
    grams = {cid: p[1] for cid, p in prepared.items()}
    new_clean, new_grams = _prepared(new_case.title, new_case.detail)
    df: Counter[str] = Counter(new_grams.keys())
    for g in grams.values():
        df.update(g.keys())
    # A small pool says little about which words are common: count it as at least
    # MIN_POOL documents, the missing ones containing none of the n-grams.
    n_docs = max(len(grams) + 1, MIN_POOL)
    idf = {g: math.log((1 + n_docs) / (1 + k)) + 1.0 for g, k in df.items()}
    out: list[DuplicateCandidate] = []
    for c, dist, days in near:
        sim = _cosine(new_grams, grams[c.id], idf)
        if sim < min_similarity:
            continue
        out.append(
            DuplicateCandidate(
                id=c.id,
                title=c.title,
                distance_m=None if dist is None else round(dist, 1),
                days_apart=round(days, 2),
                similarity=round(sim, 4),
                matched_phrases=_shared_phrases(new_clean, grams[c.id], idf),
            )
        )
    out.sort(key=lambda d: (-d.similarity, math.inf if d.distance_m is None else d.distance_m))
    return out[:limit]
