"""Hotspots (每月一题): places where residents report the same problem again and again.

Method (parameters in brackets). Two cases are **linked** when they have the same
category, lie within ``radius_m`` metres of each other, were filed within ``window_days``
days of each other, and their texts are similar: the Jaccard index of their sets of
character bigrams (after dropping punctuation, digits and spaces) is at least
``min_similarity``. Clusters are the connected components of the link graph with at least
``min_size`` cases (single linkage, as DBSCAN with ``min_samples = 1``: a chain of linked
cases forms one cluster, which is what "the same problem keeps coming back here" means).

For each cluster: members, centroid (mean of member coordinates), spread (largest member
distance from the centroid, metres), first and last filing time, and a **trend** comparing
the ``trend_days`` before ``as_of`` (recent) with the ``trend_days`` before that (earlier):
``emerging`` when recent > 1.5 × earlier (or earlier = 0 < recent), ``fading`` when recent <
0.5 × earlier (including recent = 0), otherwise ``persistent``.

Pure: a DataFrame of cases in, frozen results out; ``hotspots_geojson`` builds the map
layer, ``rank_month`` the month's ranking and ``governance_task`` turns a chosen topic into
a proactive task proposal (same columns as :func:`wanzheng.proactive.tasks.evaluate`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from wanzheng.errors import DataError
from wanzheng.proactive.tasks import PROPOSAL_COLUMNS
from wanzheng.text.redact import redact

__all__ = [
    "CLUSTER_COLUMNS",
    "TRENDS",
    "Hotspots",
    "find_hotspots",
    "governance_task",
    "hotspots_geojson",
    "local_times",
    "rank_month",
    "text_similarity",
]

TRENDS = ("emerging", "persistent", "fading")
TREND_ZH = {"emerging": "新出现", "persistent": "持续", "fading": "减弱"}
CLUSTER_COLUMNS = (
    "cluster_id",
    "category",
    "size",
    "lon",
    "lat",
    "spread_m",
    "first_at",
    "last_at",
    "n_recent",
    "n_earlier",
    "trend",
    "label",
    "grid_id",
    "community_id",
    "members",
)
_EARTH_M = 6_371_008.8
_STRIP = re.compile(r"[\s\d\W_]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Hotspots:
    """The clusters found and the parameters used.

    Attributes
    ----------
    clusters
        One row per cluster, columns :data:`CLUSTER_COLUMNS`, largest first. ``members``
        is a tuple of case ids; ``label`` the most typical member text (highest mean
        similarity to the others) through :func:`wanzheng.text.redact` (addresses too), cut
        to 40 characters; ``grid_id`` / ``community_id`` the
        most frequent among members (``""`` when the input has no such column).
    members
        One row per clustered case: ``case_id``, ``cluster_id``.
    params
        ``radius_m``, ``window_days``, ``min_similarity``, ``min_size``, ``trend_days``,
        ``as_of`` (ISO time).
    """

    clusters: pd.DataFrame
    members: pd.DataFrame
    params: dict[str, Any]


def _bigrams(text: str) -> frozenset[str]:
    clean = _STRIP.sub("", text)
    if len(clean) < 2:
        return frozenset({clean}) if clean else frozenset()
    return frozenset(clean[i : i + 2] for i in range(len(clean) - 1))


def text_similarity(a: str, b: str) -> float:
    """Jaccard index of the character-bigram sets of two texts (0 … 1).

    Punctuation, digits and whitespace are dropped first, so ``"路灯坏了！"`` and
    ``"路灯坏了"`` score 1.
    """
    sa, sb = _bigrams(a), _bigrams(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def _xy(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Equirectangular metres around the data's mean latitude (error < 0.1 % within 50 km)."""
    lat0 = np.deg2rad(float(np.mean(lat)))
    x = np.deg2rad(lon) * _EARTH_M * np.cos(lat0)
    y = np.deg2rad(lat) * _EARTH_M
    return np.column_stack([x, y])


def local_times(values: Any) -> pd.Series:
    """Times as naive Beijing wall-clock times (aware times are converted, naive kept).

    Months, weeks and days of the proactive services follow the Beijing calendar.
    """
    times = pd.to_datetime(pd.Series(values), utc=False)
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        times = times.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    return times


def _local_ts(value: Any) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("Asia/Shanghai").tz_localize(None)
    return ts


def _check(cases: pd.DataFrame) -> pd.DataFrame:
    need = ("id", "category", "text", "lon", "lat", "created_at")
    missing = [c for c in need if c not in cases.columns]
    if missing:
        raise DataError(f"cases: missing column(s) {', '.join(missing)}; need {', '.join(need)}")
    frame = cases.copy()
    frame["created_at"] = local_times(frame["created_at"]).to_numpy()
    for col in ("lon", "lat"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    frame["text"] = frame["text"].fillna("").astype(str)
    # Cases without a location cannot be placed; they are left out, not guessed.
    return frame.dropna(subset=["lon", "lat", "created_at"]).reset_index(drop=True)


def _trend(recent: int, earlier: int) -> str:
    if recent == 0:
        return "fading"
    if earlier == 0 or recent > 1.5 * earlier:
        return "emerging"
    if recent < 0.5 * earlier:
        return "fading"
    return "persistent"


def _mode(values: pd.Series) -> str:
    counts = Counter(str(v) for v in values if isinstance(v, str) and v)
    return counts.most_common(1)[0][0] if counts else ""


def find_hotspots(
    cases: pd.DataFrame,
    *,
    radius_m: float = 200.0,
    window_days: float = 14.0,
    min_similarity: float = 0.2,
    min_size: int = 3,
    trend_days: float = 30.0,
    as_of: dt.datetime | None = None,
) -> Hotspots:
    """Cluster recurring cases (see the module docstring for the method).

    Parameters
    ----------
    cases
        Columns ``id``, ``category``, ``text``, ``lon``, ``lat`` (WGS-84 degrees),
        ``created_at``; optional ``grid_id``, ``community_id``. Rows without a location
        are left out.
    radius_m
        Largest distance between two linked cases, metres.
    window_days
        Largest time between two linked cases, days.
    min_similarity
        Smallest character-bigram Jaccard index of two linked texts.
    min_size
        Smallest number of cases in a reported cluster.
    trend_days
        Length of the recent and earlier windows for the trend, days.
    as_of
        End of the recent window; default the latest filing time.

    Returns
    -------
    Hotspots
    """
    if (
        radius_m <= 0
        or not 0 < window_days <= 36_500
        or min_size < 2
        or not 0 <= min_similarity <= 1
    ):
        raise DataError(
            "hotspot parameters: need radius_m > 0, 0 < window_days ≤ 36500, min_size ≥ 2 and "
            "0 ≤ min_similarity ≤ 1"
        )
    frame = _check(cases)
    as_of_ts = _local_ts(as_of) if as_of is not None else frame["created_at"].max()
    params: dict[str, Any] = {
        "radius_m": radius_m,
        "window_days": window_days,
        "min_similarity": min_similarity,
        "min_size": min_size,
        "trend_days": trend_days,
        "as_of": "" if pd.isna(as_of_ts) else as_of_ts.isoformat(),
    }
    rows: list[dict[str, Any]] = []
    member_rows: list[dict[str, Any]] = []
    if len(frame) == 0:
        return Hotspots(
            clusters=pd.DataFrame(columns=list(CLUSTER_COLUMNS)),
            members=pd.DataFrame(columns=["case_id", "cluster_id"]),
            params=params,
        )
    xy_all = _xy(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
    window = pd.Timedelta(days=window_days)
    trend_window = pd.Timedelta(days=trend_days)
    for category, group in frame.groupby("category", sort=True):
        idx = group.index.to_numpy()
        if len(idx) < min_size:
            continue
        xy = xy_all[idx]
        pairs = cKDTree(xy).query_pairs(radius_m, output_type="ndarray")
        if len(pairs) == 0:
            continue
        times = group["created_at"].to_numpy()
        close = np.abs(times[pairs[:, 0]] - times[pairs[:, 1]]) <= window.to_timedelta64()
        pairs = pairs[close]
        texts = group["text"].tolist()
        grams = [_bigrams(t) for t in texts]
        keep = [
            bool(grams[a] and grams[b])
            and len(grams[a] & grams[b]) / len(grams[a] | grams[b]) >= min_similarity
            for a, b in pairs
        ]
        pairs = pairs[np.asarray(keep, dtype=bool)] if len(pairs) else pairs
        n = len(idx)
        graph = coo_matrix(
            (np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])) if len(pairs) else ([], ([], [])),
            shape=(n, n),
        )
        _, labels = connected_components(graph, directed=False)
        for comp in np.unique(labels):
            local = np.flatnonzero(labels == comp)
            if len(local) < min_size:
                continue
            sub = group.iloc[local].sort_values(["created_at", "id"], kind="stable")
            sub_xy = xy[np.searchsorted(idx, sub.index.to_numpy())]
            centre = sub_xy.mean(axis=0)
            spread = float(np.max(np.hypot(*(sub_xy - centre).T)))
            sub_texts = sub["text"].tolist()
            sims = [
                np.mean([text_similarity(t, u) for j, u in enumerate(sub_texts) if j != i])
                for i, t in enumerate(sub_texts)
            ]
            # Labels are shown to other grids and copied into tasks: redacted before cut.
            label = redact(sub_texts[int(np.argmax(sims))], addresses=True).text[:40]
            created = sub["created_at"]
            recent = int(((created > as_of_ts - trend_window) & (created <= as_of_ts)).sum())
            earlier = int(
                (
                    (created > as_of_ts - 2 * trend_window) & (created <= as_of_ts - trend_window)
                ).sum()
            )
            ids = tuple(sub["id"].tolist())
            first_id = str(ids[0])
            cluster_id = "hs-" + hashlib.sha1(f"{category}|{first_id}".encode()).hexdigest()[:10]
            rows.append(
                {
                    "cluster_id": cluster_id,
                    "category": str(category),
                    "size": len(ids),
                    "lon": float(sub["lon"].mean()),
                    "lat": float(sub["lat"].mean()),
                    "spread_m": round(spread, 1),
                    "first_at": created.min(),
                    "last_at": created.max(),
                    "n_recent": recent,
                    "n_earlier": earlier,
                    "trend": _trend(recent, earlier),
                    "label": label,
                    "grid_id": _mode(sub["grid_id"]) if "grid_id" in sub else "",
                    "community_id": _mode(sub["community_id"]) if "community_id" in sub else "",
                    "members": ids,
                }
            )
            member_rows.extend({"case_id": i, "cluster_id": cluster_id} for i in ids)
    clusters = pd.DataFrame(rows, columns=list(CLUSTER_COLUMNS))
    if len(clusters):
        clusters = clusters.sort_values(
            ["size", "last_at", "cluster_id"], ascending=[False, False, True]
        ).reset_index(drop=True)
    return Hotspots(
        clusters=clusters,
        members=pd.DataFrame(member_rows, columns=["case_id", "cluster_id"]),
        params=params,
    )


def rank_month(hotspots: Hotspots, cases: pd.DataFrame, *, month: str) -> pd.DataFrame:
    """Rank the clusters active in ``month`` (``"2026-11"``) for the monthly-topic meeting.

    The score is the number of the cluster's cases filed in the month; ties go to the
    larger cluster, then to emerging before persistent before fading.

    Returns
    -------
    pandas.DataFrame
        The clusters with at least one case in the month, columns of
        :data:`CLUSTER_COLUMNS` plus ``n_in_month`` and ``rank`` (1 = first).
    """
    try:
        start = pd.Timestamp(f"{month}-01")
    except ValueError as exc:
        raise DataError(f"month: expected YYYY-MM, got {month!r}") from exc
    end = start + pd.offsets.MonthBegin(1)
    created = pd.Series(local_times(cases["created_at"]).to_numpy(), index=cases["id"])
    in_month = set(created[(created >= start) & (created < end)].index)
    out = hotspots.clusters.copy()
    out["n_in_month"] = [sum(1 for m in members if m in in_month) for members in out["members"]]
    out = out[out["n_in_month"] > 0].copy()
    out["_trend_order"] = out["trend"].map({t: i for i, t in enumerate(TRENDS)})
    out = out.sort_values(
        ["n_in_month", "size", "_trend_order", "cluster_id"],
        ascending=[False, False, True, True],
    ).drop(columns="_trend_order")
    out["rank"] = np.arange(1, len(out) + 1)
    return out.reset_index(drop=True)


def hotspots_geojson(hotspots: Hotspots) -> dict[str, Any]:
    """The clusters as a GeoJSON FeatureCollection of centroid points (WGS-84).

    Each feature's properties: ``cluster_id``, ``category``, ``size``, ``trend``,
    ``trend_zh``, ``label``, ``spread_m`` (draw a circle of this radius), ``n_recent``,
    ``n_earlier``, ``first_at``, ``last_at`` (ISO), ``members`` (case ids as text).
    """
    features = []
    for row in hotspots.clusters.to_dict(orient="records"):
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
                "properties": {
                    "cluster_id": row["cluster_id"],
                    "category": row["category"],
                    "size": int(row["size"]),
                    "trend": row["trend"],
                    "trend_zh": TREND_ZH[row["trend"]],
                    "label": row["label"],
                    "spread_m": float(row["spread_m"]),
                    "n_recent": int(row["n_recent"]),
                    "n_earlier": int(row["n_earlier"]),
                    "first_at": pd.Timestamp(row["first_at"]).isoformat(),
                    "last_at": pd.Timestamp(row["last_at"]).isoformat(),
                    "members": [str(m) for m in row["members"]],
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def governance_task(
    cluster: pd.Series | dict[str, Any],
    *,
    now: dt.datetime,
    month: str,
    due_days: float = 30.0,
    to: str = "grid_worker",
) -> dict[str, Any]:
    """Turn a chosen hotspot into a proactive governance task (主动治理).

    Parameters
    ----------
    cluster
        One row of :attr:`Hotspots.clusters` (or of :func:`rank_month`).
    now
        When the topic is chosen; the task starts then.
    month
        The topic's month (``"2026-11"``); part of the dedup key, so choosing the same
        topic twice in a month gives one task.
    due_days
        Days until the task is due.
    to
        Who acts (``grid_worker`` of the cluster's grid by default).

    Returns
    -------
    dict
        One proposal with the columns of :data:`~wanzheng.proactive.tasks.PROPOSAL_COLUMNS`.
    """
    row = dict(cluster)
    trend = TREND_ZH.get(str(row["trend"]), str(row["trend"]))
    reason = (
        f"每月一题（{month}）：{row['category']}类诉求在约 {float(row['spread_m']):.0f} 米范围内"
        f"反复出现，共 {int(row['size'])} 件，近期 {int(row['n_recent'])} 件、此前 "
        f"{int(row['n_earlier'])} 件，趋势：{trend}。典型诉求：“{row['label']}”。"
        "请牵头查明根源、协调相关部门、制定整改措施并回访居民。"
    )
    proposal = {
        "key": f"hotspot:{row['cluster_id']}:{month}",
        "rule_id": "hotspot_topic",
        "title": f"每月一题：{row['label'][:20]}",
        "action": "task",
        "to": to,
        "category": str(row["category"]),
        "person_id": "",
        "grid_id": str(row.get("grid_id", "")),
        "community_id": str(row.get("community_id", "")),
        "period": month,
        "event_id": str(row["cluster_id"]),
        "starts_at": now,
        "due_at": now + dt.timedelta(days=due_days),
        "reason": reason,
        "message": "",
        "new": True,
    }
    return {key: proposal[key] for key in PROPOSAL_COLUMNS}
