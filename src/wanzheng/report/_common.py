"""Labels, colours and column helpers shared by the report writers.

Everything here reads an :class:`~wanzheng.audit.AuditResult` and nothing else; no file I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, SupportsFloat, TypeGuard

import pandas as pd

from wanzheng.audit.result import AuditResult

__all__ = [
    "CONFIDENCE_ZH",
    "EVIDENCE_ZH",
    "FACILITY_SOURCE_ZH",
    "ORIGINS_EXPLAINED",
    "ORIGINS_ZH",
    "OSM_ATTRIBUTION",
    "POPULATION_SOURCE_ZH",
    "SOURCE_LABELS",
    "STATUS_ZH",
    "TIER_ZH",
    "VERDICT_ZH",
    "KindInfo",
    "ProgressCallback",
    "cutoff_m",
    "evidence_zh",
    "fmt_distance",
    "fmt_share",
    "has_shares",
    "is_finite",
    "kind_infos",
    "kind_status",
    "population_total",
    "source_rows",
    "source_text",
    "source_zh",
]

ProgressCallback = Callable[[str, int, int], None]
"""``progress(step, done, total)``: called before each output step (``done`` of ``total``)."""

OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL"

STATUS_ZH: dict[str, str] = {
    "met": "达标",
    "missing": "缺失",
    "no_data": "无数据",
    "not_audited": "不按距离审计",
}
"""zh-CN label of each :data:`~wanzheng.audit.KindStatus`."""

VERDICT_ZH: dict[str, str] = {
    "complete": "完整",
    "incomplete": "不完整",
    "undetermined": "待定（缺数据）",
}
"""zh-CN label of each :data:`~wanzheng.audit.Verdict`."""

TIER_ZH: dict[str, str] = {
    "5min": "5分钟生活圈",
    "10min": "10分钟生活圈",
    "15min": "15分钟生活圈",
    "block": "居住街坊",
}

POPULATION_SOURCE_ZH: dict[str, str] = {
    "given": "给定",
    "estimated": "估算",
    "unknown": "未知",
}

EVIDENCE_ZH: dict[str, str] = {
    "osm": "OSM",
    "ledger": "台账",
    "none": "无",
}
"""zh-CN label of each source in ``coverage.evidence`` (``ledger+osm`` → 台账+OSM)."""

CONFIDENCE_ZH: dict[str, str] = {
    "high": "高",
    "medium": "中",
    "low": "低",
    "none": "—",
}
"""zh-CN label of ``coverage.confidence``: how far a ``missing`` verdict can be trusted."""


def evidence_zh(value: Any) -> str:
    """``ledger+osm`` → ``台账+OSM``; '' when absent."""
    if not isinstance(value, str) or not value:
        return ""
    return "+".join(EVIDENCE_ZH.get(part, part) for part in value.split("+"))


ORIGINS_ZH: dict[str, str] = {
    "centroid": "社区代表点",
    "buildings": "住宅建筑（按人口加权）",
}
"""zh-CN label of ``sources['origins']``: where the walking distances start."""

ORIGINS_EXPLAINED: dict[str, str] = {
    "centroid": "每个社区以一个代表点（社区范围内的点）为起点计算步行距离。",
    "buildings": "每栋住宅建筑都是起点，按其估算人口加权：社区的距离是居民步行距离的加权中位数，"
    "“阈值内居民比例”是步行距离在阈值之内的居民所占比例。",
}
"""zh-CN sentence explaining each origin mode."""

FACILITY_SOURCE_ZH: dict[str, str] = {
    "osm": "OpenStreetMap",
    "ledger": "设施台账",
}


def is_finite(value: Any) -> TypeGuard[SupportsFloat]:
    """True when ``value`` is a real, finite number (not None, NaN or inf)."""
    if value is None or isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def fmt_distance(value: Any) -> float | None:
    """Distance (m) rounded to 0.1 m, or ``None`` when it is not a finite number."""
    return round(float(value), 1) if is_finite(value) else None


def fmt_share(value: Any) -> float | None:
    """Share (0–1) rounded to 0.001, or ``None`` when it is not a finite number."""
    return round(float(value), 3) if is_finite(value) else None


def has_shares(result: AuditResult) -> bool:
    """True when the communities carry ``{kind}_share_within`` (buildings as origins)."""
    return any(str(c).endswith("_share_within") for c in result.communities.columns)


def source_zh(value: Any, table: Mapping[str, str], *, sep: str = "、") -> str:
    """zh-CN label of a code (or of ``;``-joined codes), the code itself when unknown."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = str(value)
    return sep.join(table.get(part, part) for part in text.split(";") if part)


@dataclass(frozen=True, slots=True)
class KindInfo:
    """One kind of the audit, as the report writers see it."""

    key: str
    name_zh: str
    name_en: str
    tier: str
    threshold_m: float | None  # None: checklist item, not audited by distance
    verified: bool
    requirement: str
    source: str
    clause: str
    audited: bool  # the communities table has per-kind columns for it
    in_verdict: bool = True  # decides the verdict (complete community); else wider life circle
    has_share: bool = False  # ``{key}_share_within`` present (buildings as origins)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _flag(value: Any, *, default: bool) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return default
    return bool(value)


def kind_infos(result: AuditResult) -> list[KindInfo]:
    """The kinds of ``result`` in catalogue order, with whether each has per-kind columns."""
    out: list[KindInfo] = []
    columns = set(result.communities.columns)
    for row in result.kinds.to_dict("records"):
        key = str(row["key"])
        thr = row.get("threshold_m")
        out.append(
            KindInfo(
                key=key,
                name_zh=_text(row.get("name_zh")) or key,
                name_en=_text(row.get("name_en")) or key,
                tier=_text(row.get("tier")),
                threshold_m=float(thr) if is_finite(thr) else None,
                verified=bool(row.get("verified", False)),
                requirement=_text(row.get("requirement")),
                source=_text(row.get("source")),
                clause=_text(row.get("clause")),
                audited=f"{key}_status" in columns,
                in_verdict=_flag(row.get("in_verdict"), default=True),
                has_share=f"{key}_share_within" in columns,
            )
        )
    return out


def kind_status(row: Mapping[Any, Any], kind: KindInfo) -> str:
    """Status of ``kind`` in one community row; ``not_audited`` when it has no columns."""
    if not kind.audited:
        return "not_audited"
    return str(row[f"{kind.key}_status"])


def cutoff_m(result: AuditResult, kinds: Sequence[KindInfo] | None = None) -> float | None:
    """The search cutoff (m): ``sources['cutoff_m']``, else the largest threshold in use."""
    value = result.sources.get("cutoff_m")
    if is_finite(value):
        return float(value)
    thresholds = [k.threshold_m for k in (kinds or kind_infos(result)) if k.threshold_m]
    return max(thresholds) if thresholds else None


def population_total(communities: pd.DataFrame) -> float | None:
    """Sum of known populations (residents), ``None`` when none is known."""
    if "population" not in communities:
        return None
    pop = pd.to_numeric(communities["population"], errors="coerce")
    known = pop[pop.notna()]
    return float(known.sum()) if len(known) else None


SOURCE_LABELS: dict[str, str] = {
    "catalogue_name": "设施标准目录",
    "catalogue_version": "目录版本",
    "catalogue_origin": "目录文件",
    "walk_speed_m_per_min": "步行速度（米/分钟）",
    "cutoff_m": "搜索上限（米）",
    "max_snap_m": "最大接入距离（米）",
    "osm_file": "OSM 数据文件",
    "ledger_file": "设施台账文件",
    "communities_file": "社区文件",
    "origins": "步行距离起点",
    "n_origin_buildings": "作为起点的住宅建筑数",
    "population_method": "人口来源",
    "floor_area_per_person_m2": "人均居住建筑面积（平方米，用于估算）",
    "unverified_kinds": "阈值待核实的类别",
    "unmapped_ledger_rows": "台账中未能归类的行数",
    "n_nodes": "路网节点数",
    "n_edges": "路网路段数",
    "n_communities": "社区数",
    "n_facilities": "设施数（处）",
    "n_facility_kind_rows": "设施数（按类别计，一处计入两类算两次）",
    "n_multi_kind_facilities": "同时计入两类以上的设施（处）",
    "unsnapped_facilities": "未能接入路网的设施",
    "unsnapped_communities": "未能接入路网的社区",
    "bounds": "范围（经度/纬度，WGS-84）",
}
"""zh-CN labels of the known ``AuditResult.sources`` keys, in display order."""


def source_text(key: str, value: Any) -> str:
    """Display text of one provenance value (lists joined, codes translated, None empty)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if key == "population_method":
        return f"{source_zh(value, POPULATION_SOURCE_ZH)}（{value}）"
    if key == "origins":
        return f"{ORIGINS_ZH.get(str(value), str(value))}（{value}）"
    if key == "bounds" and isinstance(value, (list, tuple)) and len(value) == 4:
        return "{:.5f}, {:.5f} — {:.5f}, {:.5f}".format(*(float(v) for v in value))
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(v) for v in value) if value else "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def source_rows(result: AuditResult) -> list[tuple[str, str, str]]:
    """``(key, zh-CN label, text)`` for every provenance entry: known keys first, then others."""
    rows: list[tuple[str, str, str]] = []
    names = {k.key: k.name_zh for k in kind_infos(result)}
    for key, label in SOURCE_LABELS.items():
        if key not in result.sources:
            continue
        value = result.sources[key]
        if key == "unverified_kinds" and isinstance(value, (list, tuple)):
            text = "、".join(names.get(str(v), str(v)) for v in value) or "—"
        else:
            text = source_text(key, value)
        rows.append((key, label, text))
    for key, value in result.sources.items():
        if key not in SOURCE_LABELS:
            rows.append((key, key, source_text(key, value)))
    return rows
