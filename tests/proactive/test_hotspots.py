"""Hotspots on constructed case histories with known clusters."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest

from wanzheng.errors import DataError
from wanzheng.proactive.hotspots import (
    find_hotspots,
    governance_task,
    hotspots_geojson,
    rank_month,
    text_similarity,
)
from wanzheng.proactive.tasks import PROPOSAL_COLUMNS

AS_OF = dt.datetime(2026, 11, 30, 12, 0)
LON0, LAT0 = 116.36, 40.00
M_PER_DEG_LAT = 111_195.0
M_PER_DEG_LON = M_PER_DEG_LAT * math.cos(math.radians(LAT0))

# (category, place, problems, suffixes, centre east/north metres, day offsets from AS_OF, trend)
TRUE_CLUSTERS = {
    "A": (
        "市政设施",
        "学清路8号院东门",
        ["路灯不亮", "路灯坏了", "的路灯一直不亮", "路灯又坏了"],
        ["，晚上太黑了", "，请尽快修", "，老人走路不安全", ""],
        (0.0, 0.0),
        [-55, -50, -45, -40, -30, -20, -10, -5],
        "persistent",
    ),
    "B": (
        "环境卫生",
        "石板房小区3号楼",
        ["垃圾桶满了没人清", "垃圾堆放好几天", "垃圾没人清运", "垃圾桶溢出来了"],
        ["，味道很大", "，招苍蝇", ""],
        (900.0, 400.0),
        [-18, -15, -12, -8, -4, -1],
        "emerging",
    ),
    "C": (
        "噪音扰民",
        "双清路口小广场",
        ["广场舞音响太吵", "广场舞噪音大", "晚上广场舞声音太大"],
        ["，影响休息", "，孩子睡不着", ""],
        (-700.0, 800.0),
        [-85, -80, -75, -70, -66, -62, -58],
        "fading",
    ),
    "D": (
        "交通管理",
        "荷清路东侧",
        ["乱停车堵路", "车辆乱停放", "乱停车占人行道"],
        ["，走不过去", "，救护车进不来", ""],
        (300.0, -900.0),
        [-58, -52, -46, -40, -34, -28, -22, -16, -10, -4],
        "persistent",
    ),
}
NOISE_TEXTS = [
    "楼道灯不亮了",
    "自来水有异味",
    "电梯经常故障",
    "暖气不热",
    "下水道堵了",
    "树枝挡住窗户",
    "共享单车堆满路口",
    "小区门禁坏了",
    "楼上漏水",
    "外卖电动车充电不安全",
    "公园厕所太脏",
    "公交站没有遮阳棚",
    "宠物狗不拴绳",
    "快递柜不够用",
    "小区绿地被占用种菜",
]
CATEGORIES = ["市政设施", "环境卫生", "噪音扰民", "交通管理", "物业管理"]


def _point(
    rng: np.random.Generator, east: float, north: float, jitter_m: float
) -> tuple[float, float]:
    e = east + rng.uniform(-jitter_m, jitter_m)
    n = north + rng.uniform(-jitter_m, jitter_m)
    return LON0 + e / M_PER_DEG_LON, LAT0 + n / M_PER_DEG_LAT


def constructed_cases(seed: int, n_noise: int = 80) -> pd.DataFrame:
    """Four true clusters, traps and uniform noise; column ``truth`` names the cluster."""
    rng = np.random.default_rng(seed)
    rows = []
    for name, (cat, place, problems, suffixes, (e, n), days, _) in TRUE_CLUSTERS.items():
        for k, day in enumerate(days):
            lon, lat = _point(rng, e, n, 60.0)
            text = place + problems[k % len(problems)] + suffixes[int(rng.integers(len(suffixes)))]
            when = AS_OF + dt.timedelta(days=day, hours=float(rng.uniform(-6, 0)))
            rows.append((f"{name}{k:02d}", cat, text, lon, lat, when, name))
    # Trap 1: near A, same category, a different problem worded without A's place name.
    for k in range(2):
        lon, lat = _point(rng, 20.0, 20.0, 30.0)
        rows.append(
            (
                f"T1{k}",
                "市政设施",
                "井盖丢失了很危险",
                lon,
                lat,
                AS_OF - dt.timedelta(days=20 + k),
                "",
            )
        )
    # Trap 2: A's wording, same category, but 1.5 km apart from each other.
    for k in range(3):
        lon, lat = _point(rng, -1500.0 + 1500.0 * k, -1600.0, 10.0)
        rows.append(
            (
                f"T2{k}",
                "市政设施",
                "学清路8号院东门路灯不亮",
                lon,
                lat,
                AS_OF - dt.timedelta(days=3 + k),
                "",
            )
        )
    # Trap 3: near C, C's wording, but a different category.
    for k in range(2):
        lon, lat = _point(rng, -700.0, 800.0, 40.0)
        rows.append(
            (
                f"T3{k}",
                "物业管理",
                "双清路口小广场广场舞噪音大",
                lon,
                lat,
                AS_OF - dt.timedelta(days=60 + k),
                "",
            )
        )
    for k in range(n_noise):
        lon, lat = _point(rng, 0.0, 0.0, 2000.0)
        text = NOISE_TEXTS[int(rng.integers(len(NOISE_TEXTS)))]
        cat = CATEGORIES[int(rng.integers(len(CATEGORIES)))]
        when = AS_OF - dt.timedelta(days=float(rng.uniform(0, 120)))
        rows.append((f"N{k:03d}", cat, text, lon, lat, when, ""))
    return pd.DataFrame(
        rows, columns=["id", "category", "text", "lon", "lat", "created_at", "truth"]
    )


def pairwise_precision_recall(cases: pd.DataFrame, members: pd.DataFrame) -> tuple[float, float]:
    """Precision and recall over pairs of cases put in the same cluster."""
    truth = {r.id: r.truth for r in cases.itertuples() if r.truth}
    found = dict(zip(members["case_id"], members["cluster_id"], strict=True))
    true_pairs = {
        frozenset(p) for p in itertools.combinations(sorted(truth), 2) if truth[p[0]] == truth[p[1]]
    }
    found_pairs = {
        frozenset(p) for p in itertools.combinations(sorted(found), 2) if found[p[0]] == found[p[1]]
    }
    hit = len(true_pairs & found_pairs)
    return hit / max(len(found_pairs), 1), hit / len(true_pairs)


def test_text_similarity_by_hand() -> None:
    # 路灯坏了 → {路灯, 灯坏, 坏了}; 路灯不亮 → {路灯, 灯不, 不亮}: 1 shared of 5.
    assert text_similarity("路灯坏了", "路灯不亮") == pytest.approx(1 / 5)
    assert text_similarity("路灯坏了！", "路灯 坏了") == 1.0
    assert text_similarity("", "路灯") == 0.0


def test_known_clusters_found_with_trends() -> None:
    cases = constructed_cases(seed=1)
    hot = find_hotspots(cases, as_of=AS_OF)
    assert len(hot.clusters) == 4
    by_truth = {}
    for row in hot.clusters.itertuples():
        names = {m[0] for m in row.members}
        assert len(names) == 1, row.members  # pure clusters, no trap or noise case
        by_truth[names.pop()] = row
    assert sorted(by_truth) == ["A", "B", "C", "D"]
    for name, spec in TRUE_CLUSTERS.items():
        row = by_truth[name]
        assert row.size == len(spec[5])
        assert row.trend == spec[6], name
        assert row.category == spec[0]
        east = (row.lon - LON0) * M_PER_DEG_LON
        north = (row.lat - LAT0) * M_PER_DEG_LAT
        assert math.hypot(east - spec[4][0], north - spec[4][1]) < 60.0  # centroid
        assert row.spread_m < 120.0
    assert (by_truth["A"].n_recent, by_truth["A"].n_earlier) == (3, 5)
    precision, recall = pairwise_precision_recall(cases, hot.members)
    assert precision == 1.0 and recall == 1.0


def test_precision_recall_over_seeds() -> None:
    scores = []
    for seed in range(10):
        cases = constructed_cases(seed=seed, n_noise=150)
        hot = find_hotspots(cases, as_of=AS_OF)
        scores.append(pairwise_precision_recall(cases, hot.members))
    precision = np.mean([s[0] for s in scores])
    recall = np.mean([s[1] for s in scores])
    print(f"hotspots: mean pairwise precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= 0.95
    assert recall >= 0.95


def test_parameters_matter() -> None:
    cases = constructed_cases(seed=1)
    # A 7-day window splits C? Its gaps are ≤ 5 days: still one. A 3-day window breaks them all.
    assert len(find_hotspots(cases, as_of=AS_OF, window_days=3).clusters) == 0
    # A huge radius lets trap 2 (A's wording 1.5 km apart) join A.
    wide = find_hotspots(cases, as_of=AS_OF, radius_m=2500)
    a_row = next(r for r in wide.clusters.itertuples() if any(m.startswith("A") for m in r.members))
    assert any(m.startswith("T2") for m in a_row.members)
    with pytest.raises(DataError):
        find_hotspots(cases, radius_m=0)
    with pytest.raises(DataError, match="missing column"):
        find_hotspots(cases.drop(columns=["text"]))


def test_rank_month_geojson_and_governance_task() -> None:
    cases = constructed_cases(seed=1)
    hot = find_hotspots(cases, as_of=AS_OF)
    ranked = rank_month(hot, cases, month="2026-11")
    # November cases: B 6, D 5 (-28…-4 from 11-30), A 3 (-20, -10, -5) + (-30 → 10-31? no)
    counts = dict(zip([m[0][0] for m in ranked["members"]], ranked["n_in_month"], strict=True))
    assert counts["B"] == 6 and counts["D"] == 5 and counts["A"] == 3
    assert "C" not in counts  # C's last case was 58 days before 11-30
    assert list(ranked["rank"]) == [1, 2, 3]
    assert ranked.iloc[0]["members"][0].startswith("B")
    layer = hotspots_geojson(hot)
    json.dumps(layer)  # serialisable
    assert len(layer["features"]) == 4
    assert layer["features"][0]["geometry"]["type"] == "Point"
    task = governance_task(ranked.iloc[0], now=AS_OF, month="2026-11")
    assert list(task) == list(PROPOSAL_COLUMNS)
    assert task["key"] == f"hotspot:{ranked.iloc[0]['cluster_id']}:2026-11"
    assert "6 件" in task["reason"]
    assert task["due_at"] == AS_OF + dt.timedelta(days=30)


def test_empty_and_locationless_input() -> None:
    empty = pd.DataFrame(columns=["id", "category", "text", "lon", "lat", "created_at"])
    assert len(find_hotspots(empty).clusters) == 0
    cases = constructed_cases(seed=2)
    cases.loc[cases["id"].str.startswith("B"), "lon"] = np.nan
    hot = find_hotspots(cases, as_of=AS_OF)
    assert len(hot.clusters) == 3
