"""Hot topics (每月一题) from the words of cases, with or without coordinates.

A **topic** is one problem residents keep reporting at one place. Two cases are **linked**
when all three hold:

* **same place**: both have coordinates and lie within ``radius_m`` of each other; or they
  share a place key: the gazetteer's placement when the caller passes ``place_keys`` (the
  community or place a case's text was placed at), else the *place words* of the texts
  (:func:`place_words`: ``静淑苑``, ``学院路``, ``富润家园小区`` …, compared by their core, so
  富润家园 and 富润小区 are one place);
* **same problem**: the texts (place words and the boilerplate of resident messages removed)
  share a problem group of ``topic_terms.toml`` (路灯 / 照明 / 灯不亮 are one problem), or, for
  problems outside those groups, the bigrams they share weigh at least ``min_similarity`` of
  the smaller text's bigrams (idf-weighted over the cases of the run); and their categories
  agree when both have one;
* **same time**: they were filed within ``window_days`` days of each other.

Topics are the connected components of the links with at least ``min_size`` cases.

Heat index
----------
``heat = R + 0.5 × (N − R) + 0.2 × S`` where ``N`` is the number of cases in the topic, ``R``
the number of distinct residents who reported it (``resident_id``; a case without one counts
as its own resident) and ``S`` the supporters (likes, column ``supporters``) of its cases. A
new resident counts fully, the same resident reporting again half, a like a fifth: reporting
takes more than a click, and one insistent resident is not a neighbourhood.

Labels are built from redacted text (:func:`wanzheng.text.redact.redact`, addresses below the
building masked too): the topic's place, then its most typical member text, cut to 30
characters.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from wanzheng.errors import ConfigError, DataError
from wanzheng.place.names import estate_core, load_vocabulary, normalise
from wanzheng.standards.datafile import load_toml
from wanzheng.text.dedupe import BOILERPLATE
from wanzheng.text.redact import redact

__all__ = [
    "TOPIC_COLUMNS",
    "Topics",
    "find_topics",
    "heat_index",
    "load_terms",
    "place_words",
]

TOPIC_COLUMNS = ("id", "cluster_id", "heat", "label")
_EARTH_M = 6_371_008.8
_PLACE_END = (
    "社区居委会|居委会|生活区|住宅区|家属院|家属区|小区|社区|花园|家园|嘉园|新村|公寓|大院|"
    "大厦|广场|中心|商场|市场|菜市场|超市|公园|医院|学校|小学|中学|幼儿园|大学|车站|地铁站|"
    "大街|大道|胡同|路|街|巷|苑|园|里|村|院|居|府|楼"
)
_PLACE = re.compile(rf"[\u4e00-\u9fffA-Za-z0-9]{{2,10}}?(?:{_PLACE_END})")
_SPLIT = re.compile(
    r"[与和及跟同的在了是我你他她它们这那有就都也很把被从到向对、，。！？；：,.!?;:\s（）()【】\"“”]+"
)
_NOT_PLACE = re.compile(
    r"^(?:我家|我们|你们|他们|咱们|本|该|这个|那个|附近|整个|全|各|每个|一个|所在|居住|"
    r"门口|晚上|夜间|下雨|顶楼|楼下|楼上|过|行人|放学|工地|上次|东门|西门|南门|北门|"
    r"老|新|大|小|马|道|公|铁|电|水)"
)
# a 路 / 街 that starts another word is no street: 路灯, 路面, 路况, 路边, 街边
_NOT_AFTER_ROAD = "灯面况线段边费由人"
_BOILER = re.compile("|".join(sorted(map(re.escape, BOILERPLATE), key=len, reverse=True)))
_NOISE = re.compile(r"[\d\s\W_a-zA-Z]+")


def place_words(text: str) -> tuple[str, ...]:
    """The words of a text that name places (``静淑苑``, ``学院路``), in order, deduplicated.

    A place word is a run of 2–10 characters ending in a place ending (小区, 花园, 路, 街, 苑
    …) inside a clause (clauses split at punctuation and function words such as 与, 的, 在);
    runs that start with a pronoun or a generic word (我家小区, 附近小区) are not places.
    """
    found: list[str] = []
    for run in _SPLIT.split(text):
        for m in _PLACE.finditer(run):
            word = m.group(0)
            if _NOT_PLACE.match(word) or len(word) < 3 or word[0].isdigit():
                continue  # 5号楼 alone stands in every estate
            if word[-1] in "路街" and run[m.end() : m.end() + 1] in tuple(_NOT_AFTER_ROAD):
                continue
            found.append(word)
    return tuple(dict.fromkeys(found))


@functools.cache
def _core(word: str) -> str:
    """A place word's core (静淑苑小区 → 静淑, 富润家园 → 富润): the key two texts share."""
    w = normalise(word)
    return estate_core(w, load_vocabulary()) or w


def heat_index(n_cases: int, n_residents: int, supporters: float) -> float:
    """``R + 0.5 × (N − R) + 0.2 × S`` (see the module docstring), rounded to 0.1."""
    return round(n_residents + 0.5 * (n_cases - n_residents) + 0.2 * supporters, 1)


@dataclass(frozen=True, slots=True)
class Topics:
    """Topics found and the parameters used.

    Attributes
    ----------
    cases
        One row per input case, in input order: ``id``, ``cluster_id`` (``""`` when in no
        topic), ``heat`` (of its topic, NaN when none), ``label`` (of its topic, ``""``),
        ``place`` (the place key the case was linked by, ``""`` when none).
    topics
        One row per topic, hottest first: ``cluster_id``, ``label``, ``heat``, ``n_cases``,
        ``n_residents``, ``supporters``, ``place``, ``first_at``, ``last_at``, ``members``.
    params
        The parameters of the run.
    """

    cases: pd.DataFrame
    topics: pd.DataFrame
    params: dict[str, Any]


def _problems(text: str, terms: dict[str, tuple[str, ...]]) -> frozenset[str]:
    """The problem groups whose words occur in the text."""
    return frozenset(g for g, words in terms.items() if any(w in text for w in words))


def load_terms(path: str | Path | None = None) -> dict[str, tuple[str, ...]]:
    """Problem groups: ``group -> words`` from ``topic_terms.toml`` (or ``path``).

    Raises
    ------
    ConfigError
        Unreadable file, bad TOML, a group that is not a list of words, a word in two groups.
    """
    doc, origin = load_toml(
        path, package="wanzheng.proactive", name="topic_terms.toml", what="topic terms"
    )
    problems = doc.get("problems")
    if not isinstance(problems, dict) or not problems:
        raise ConfigError(f"{origin}: no [problems] table")
    seen: dict[str, str] = {}
    out: dict[str, tuple[str, ...]] = {}
    for group, words in problems.items():
        if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
            raise ConfigError(f"{origin}: problems.{group}: expected a list of words")
        for w in words:
            if w in seen:
                raise ConfigError(f"{origin}: word {w!r} is in {seen[w]!r} and {group!r}")
            seen[w] = group
        out[str(group)] = tuple(words)
    return out


def _clean(text: str, places: tuple[str, ...]) -> str:
    for p in sorted(places, key=len, reverse=True):
        text = text.replace(p, " ")
    return _NOISE.sub(" ", _BOILER.sub(" ", text))


def _tfidf(texts: list[str]) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 2), use_idf=True, binary=True, norm=None, min_df=1
    )
    try:
        return vec.fit_transform(texts).tocsr()
    except ValueError:  # every text empty after cleaning
        return None


def _overlap(matrix: Any, i: int, j: int) -> float:
    """idf mass of the bigrams two texts share over the smaller text's idf mass."""
    a, b = matrix[i], matrix[j]
    shared = float(a.minimum(b).sum())
    smaller = min(float(a.sum()), float(b.sum()))
    return shared / smaller if smaller else 0.0


def find_topics(
    cases: pd.DataFrame,
    *,
    place_keys: list[str] | None = None,
    radius_m: float = 200.0,
    window_days: float = 30.0,
    min_similarity: float = 0.5,
    min_size: int = 2,
    terms_file: str | Path | None = None,
) -> Topics:
    """Group cases into hot topics (see the module docstring).

    Parameters
    ----------
    cases
        Columns ``id``, ``text``, ``created_at``; optional ``title``, ``lon``, ``lat``
        (WGS-84), ``category``, ``supporters`` (≥ 0), ``resident_id``.
    place_keys
        One place key per case from a gazetteer (``""`` where none); ``None`` reads the place
        words of the texts (:func:`place_words`).
    radius_m, window_days, min_similarity, min_size
        Link distance (m), link time (days), least problem similarity (0–1), fewest cases in a
        topic (≥ 2).

    Raises
    ------
    DataError
        Missing columns, bad parameters, an unreadable ``created_at`` or a negative
        ``supporters`` (naming the case).
    """
    if radius_m <= 0 or window_days <= 0 or min_size < 2 or not 0 <= min_similarity <= 1:
        raise DataError(
            "topic parameters: need radius_m > 0, window_days > 0, min_size ≥ 2 and "
            "0 ≤ min_similarity ≤ 1"
        )
    missing = [c for c in ("id", "text", "created_at") if c not in cases.columns]
    if missing:
        raise DataError(f"cases: missing column(s) {', '.join(missing)}")
    n = len(cases)
    ids = [str(v) for v in cases["id"]]
    dup = pd.Series(ids)[pd.Series(ids).duplicated()]
    if len(dup):
        raise DataError(f"cases: id {dup.iloc[0]!r} appears more than once")
    title = cases["title"].fillna("").astype(str) if "title" in cases else pd.Series([""] * n)
    texts = [
        f"{t}。{x}" if t else x
        for t, x in zip(title, cases["text"].fillna("").astype(str), strict=True)
    ]
    created = pd.to_datetime(cases["created_at"], errors="coerce")
    if created.isna().any():
        bad = int(np.flatnonzero(created.isna().to_numpy())[0])
        raise DataError(f"cases: case {ids[bad]!r}: created_at is not a time")
    if isinstance(created.dtype, pd.DatetimeTZDtype):
        created = created.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    days = (created - created.min()).dt.total_seconds().to_numpy() / 86400.0
    lon = (
        pd.to_numeric(cases["lon"], errors="coerce").to_numpy(float)
        if "lon" in cases
        else np.full(n, np.nan)
    )
    lat = (
        pd.to_numeric(cases["lat"], errors="coerce").to_numpy(float)
        if "lat" in cases
        else np.full(n, np.nan)
    )
    category = (
        cases["category"].fillna("").astype(str).to_numpy()
        if "category" in cases
        else np.full(n, "")
    )
    supporters = np.zeros(n)
    if "supporters" in cases:
        raw = cases["supporters"].astype(object).where(pd.notna(cases["supporters"]), "")
        blank = raw.astype(str).str.strip() == ""
        values = pd.to_numeric(raw.where(~blank, 0), errors="coerce").to_numpy(float)
        bad_at = np.flatnonzero(~np.isfinite(values) | (values < 0))
        if len(bad_at):
            bad = int(bad_at[0])
            raise DataError(
                f"cases: case {ids[bad]!r}: column 'supporters': expected a count ≥ 0, "
                f"got {cases['supporters'].iloc[bad]!r}"
            )
        supporters = values
    residents = (
        [
            str(r) if str(r) not in ("", "nan", "None") else f"case:{i}"
            for r, i in zip(cases["resident_id"], ids, strict=True)
        ]
        if "resident_id" in cases
        else [f"case:{i}" for i in ids]
    )
    words = [place_words(t) for t in texts]
    keys: list[tuple[str, ...]] = (
        [(k,) if k else () for k in place_keys]
        if place_keys is not None
        else [tuple(dict.fromkeys(_core(w) for w in ws)) for ws in words]
    )
    if place_keys is not None and len(place_keys) != n:
        raise DataError(f"place_keys: expected {n} keys, got {len(place_keys)}")
    cleaned = [_clean(t, w) for t, w in zip(texts, words, strict=True)]
    matrix = _tfidf(cleaned)
    terms = load_terms() if terms_file is None else load_terms(terms_file)
    problems = [_problems(t, terms) for t in cleaned]

    # candidate pairs: same place key, or both located within radius_m
    pairs: set[tuple[int, int]] = set()
    by_key: dict[str, list[int]] = {}
    for i, ks in enumerate(keys):
        for k in ks:
            by_key.setdefault(k, []).append(i)
    for members in by_key.values():
        for a_i, a in enumerate(members):
            for b in members[a_i + 1 :]:
                pairs.add((a, b))
    located = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    if len(located) > 1:
        lat0 = np.deg2rad(float(np.mean(lat[located])))
        xy = np.column_stack(
            [
                np.deg2rad(lon[located]) * _EARTH_M * math.cos(lat0),
                np.deg2rad(lat[located]) * _EARTH_M,
            ]
        )
        for a, b in cKDTree(xy).query_pairs(radius_m, output_type="ndarray"):
            i, j = int(located[a]), int(located[b])
            pairs.add((min(i, j), max(i, j)))
    links = []
    for i, j in sorted(pairs):
        if abs(days[i] - days[j]) > window_days:
            continue
        if category[i] and category[j] and category[i] != category[j]:
            continue
        if problems[i] & problems[j]:
            links.append((i, j))
            continue
        if matrix is not None and _overlap(matrix, i, j) >= min_similarity:
            links.append((i, j))
    graph = coo_matrix(
        (np.ones(len(links)), ([a for a, _ in links], [b for _, b in links])), shape=(n, n)
    )
    _, comp = connected_components(graph, directed=False)
    sizes = np.bincount(comp, minlength=n)
    cluster_of = [""] * n
    heat_of = [math.nan] * n
    label_of = [""] * n
    rows = []
    for c in np.unique(comp[sizes[comp] >= min_size]):
        order: list[int] = sorted(
            (int(k) for k in np.flatnonzero(comp == c)), key=lambda k: (days[k], ids[k])
        )
        n_cases = len(order)
        n_res = len({residents[k] for k in order})
        s = float(supporters[order].sum())
        heat = heat_index(n_cases, n_res, s)
        place_counts = Counter(k for m in order for k in keys[m])
        place = place_counts.most_common(1)[0][0] if place_counts else ""
        if matrix is not None and n_cases > 1:
            sub = matrix[order]
            sims = np.asarray((sub @ sub.T).sum(axis=1)).ravel()
            typical = order[int(np.argmax(sims))]
        else:
            typical = order[0]
        text = redact(texts[typical], addresses=True).text.replace("\n", " ")[:30]
        label = f"{place}：{text}" if place and not text.startswith(place) else text
        cid = "tp-" + hashlib.sha1(f"{ids[order[0]]}|{place}".encode()).hexdigest()[:10]
        for member in order:
            cluster_of[member], heat_of[member], label_of[member] = cid, heat, label
        rows.append(
            {
                "cluster_id": cid,
                "label": label,
                "heat": heat,
                "n_cases": n_cases,
                "n_residents": n_res,
                "supporters": s,
                "place": place,
                "first_at": created.iloc[order[0]],
                "last_at": created.iloc[order[-1]],
                "members": tuple(ids[k] for k in order),
            }
        )
    topics = pd.DataFrame(
        rows,
        columns=[
            "cluster_id",
            "label",
            "heat",
            "n_cases",
            "n_residents",
            "supporters",
            "place",
            "first_at",
            "last_at",
            "members",
        ],
    )
    if len(topics):
        topics = topics.sort_values(
            ["heat", "n_cases", "cluster_id"], ascending=[False, False, True]
        ).reset_index(drop=True)
    out = pd.DataFrame(
        {
            "id": ids,
            "cluster_id": cluster_of,
            "heat": heat_of,
            "label": label_of,
            "place": ["；".join(k) for k in keys],
        }
    )
    params = {
        "radius_m": radius_m,
        "window_days": window_days,
        "min_similarity": min_similarity,
        "min_size": min_size,
        "places": "gazetteer" if place_keys is not None else "text",
    }
    return Topics(cases=out, topics=topics, params=params)
