"""The audit's tables: ``communities.csv``, ``communities.xlsx`` and ``facilities.csv``.

The CSV files are the machine form (kind keys and status codes, blank where a value does not
exist); the XLSX is the form for people (zh-CN labels, fills by status, the catalogue and the
provenance on their own sheets). Both CSV files are UTF-8 *with* a byte-order mark so that
Excel opens Chinese text correctly on a double click.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from wanzheng.audit.result import AuditResult
from wanzheng.data.cells import safe_frame, save_workbook
from wanzheng.report._common import (
    CONFIDENCE_ZH,
    OSM_ATTRIBUTION,
    POPULATION_SOURCE_ZH,
    STATUS_ZH,
    TIER_ZH,
    VERDICT_ZH,
    KindInfo,
    cutoff_m,
    evidence_zh,
    fmt_distance,
    fmt_share,
    is_finite,
    kind_infos,
    source_rows,
    source_zh,
)

__all__ = [
    "COMMUNITY_SUMMARY_COLUMNS",
    "FACILITY_COLUMNS",
    "communities_table",
    "facilities_table",
    "write_communities_csv",
    "write_communities_xlsx",
    "write_facilities_csv",
]

COMMUNITY_SUMMARY_COLUMNS = [
    "met",
    "required",
    "verdict",
    "missing",
    "no_data",
    "missing_life_circle",
    "edge_distance_m",
    "edge_uncertain",
    "edge_uncertain_kinds",
]
FACILITY_COLUMNS = ["id", "name", "kind", "lon", "lat", "source", "snap_leg_m"]

# Fills of the XLSX (light tints so that black text keeps a contrast ratio above 7:1).
STATUS_FILL: dict[str, str] = {
    "met": "C8E6C9",
    "missing": "FFCDD2",
    "no_data": "E0E0E0",
    "not_audited": "F5F5F5",
    "complete": "C8E6C9",
    "incomplete": "FFCDD2",
    "undetermined": "E0E0E0",
}
HEADER_FILL = "1F4E79"


def _population(series: pd.Series) -> pd.Series:
    """Residents as whole numbers (nullable integers: blank where unknown)."""
    pop = pd.to_numeric(series, errors="coerce").astype("float64")
    return pop.round().astype("Int64")


def communities_table(result: AuditResult) -> pd.DataFrame:
    """The machine form of the communities table (the columns of ``communities.csv``).

    Columns: ``id``, ``name``, ``population`` (whole residents, blank when unknown),
    ``population_source``, then for every kind audited by distance ``{k}_distance_m``
    (metres rounded to 0.1 m; blank when no facility of the kind lies within the search
    cutoff), ``{k}_share_within`` (share of residents within the threshold, 0–1 to 0.001;
    only when buildings are the origins) and ``{k}_status`` (``met`` / ``missing`` /
    ``no_data`` / ``not_audited``), then ``met``, ``required``, ``verdict``, ``missing``,
    ``no_data`` (``;``-joined keys of the kinds that decide the verdict) and
    ``missing_life_circle`` (``;``-joined keys of the missing wider life-circle kinds),
    ``edge_distance_m`` (metres from the community's origin to the edge of the data),
    ``edge_uncertain`` (bool: a missing kind's threshold reaches past that edge) and
    ``edge_uncertain_kinds`` (those kinds, ``;``-joined keys).
    """
    src = result.communities
    out = pd.DataFrame(
        {
            "id": src["id"].astype(str).to_numpy(),
            "name": src["name"].fillna("").astype(str).to_numpy(),
        }
    )
    out["population"] = _population(src["population"]).to_numpy()
    out["population_source"] = src["population_source"].fillna("unknown").astype(str).to_numpy()
    for kind in kind_infos(result):
        if not kind.audited:
            continue
        dist = pd.to_numeric(src[f"{kind.key}_distance_m"], errors="coerce").astype("float64")
        dist = dist.where(np.isfinite(dist)).round(1)
        out[f"{kind.key}_distance_m"] = dist.to_numpy()
        if kind.has_share:
            share = pd.to_numeric(src[f"{kind.key}_share_within"], errors="coerce")
            share = share.astype("float64").round(3)
            # A share of 0 for a kind no source records would read as "nobody": leave it blank.
            measured = src[f"{kind.key}_status"].isin(["met", "missing"])
            out[f"{kind.key}_share_within"] = share.where(measured).to_numpy()
        out[f"{kind.key}_status"] = src[f"{kind.key}_status"].astype(str).to_numpy()
    out["met"] = src["met"].astype("int64").to_numpy()
    out["required"] = src["required"].astype("int64").to_numpy()
    out["verdict"] = src["verdict"].astype(str).to_numpy()
    out["missing"] = src["missing"].fillna("").astype(str).to_numpy()
    out["no_data"] = src["no_data"].fillna("").astype(str).to_numpy()
    if "missing_life_circle" in src:
        out["missing_life_circle"] = src["missing_life_circle"].fillna("").astype(str).to_numpy()
    else:
        out["missing_life_circle"] = ""
    if "edge_distance_m" in src:
        edge = pd.to_numeric(src["edge_distance_m"], errors="coerce").astype("float64")
        out["edge_distance_m"] = edge.round(0).to_numpy()
        kinds = src["edge_uncertain_kinds"].fillna("").astype(str)
        out["edge_uncertain"] = (kinds != "").to_numpy(bool)
        out["edge_uncertain_kinds"] = kinds.to_numpy()
    else:
        out["edge_distance_m"] = np.nan
        out["edge_uncertain"] = False
        out["edge_uncertain_kinds"] = ""
    return out


def facilities_table(result: AuditResult) -> pd.DataFrame:
    """The facilities table as written to ``facilities.csv`` (one row per facility and kind)."""
    src = result.facilities
    out = pd.DataFrame(
        {
            "id": src["id"].astype(str).to_numpy(),
            "name": src["name"].fillna("").astype(str).to_numpy(),
            "kind": src["kind"].astype(str).to_numpy(),
            "lon": pd.to_numeric(src["lon"], errors="coerce").to_numpy(np.float64),
            "lat": pd.to_numeric(src["lat"], errors="coerce").to_numpy(np.float64),
            "source": src["source"].fillna("").astype(str).to_numpy(),
        }
    )
    if "snap_leg_m" in src:
        leg = pd.to_numeric(src["snap_leg_m"], errors="coerce").astype("float64")
        out["snap_leg_m"] = leg.where(np.isfinite(leg)).round(1).to_numpy()
    else:
        out["snap_leg_m"] = np.nan
    return out


def write_communities_csv(result: AuditResult, path: Path) -> None:
    """Write ``communities.csv`` (UTF-8 with BOM, comma-separated, ``\\n`` line ends)."""
    table = communities_table(result)
    text = safe_frame(table).astype(object)  # names and ids as text, never as formulas
    text["population"] = _fixed(table["population"], 0)
    for col in table.columns:
        if col.endswith("_distance_m"):
            text[col] = _fixed(table[col], 1)
        elif col.endswith("_share_within"):
            text[col] = _fixed(table[col], 3)
    text.to_csv(path, index=False, encoding="utf-8-sig", na_rep="")


def _fixed(values: pd.Series, decimals: int) -> npt.NDArray[np.object_]:
    """Numbers as text with ``decimals`` decimals, '' where not finite (vectorised)."""
    arr = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    ok = np.isfinite(arr)
    out = np.full(len(arr), "", dtype=object)
    if ok.any():
        out[ok] = np.char.mod(f"%.{decimals}f", arr[ok]).astype(object)
    return out


def write_facilities_csv(result: AuditResult, path: Path) -> None:
    """Write ``facilities.csv``: lon/lat to 1e-7° (about 1 cm), snap legs to 0.1 m."""
    table = facilities_table(result)
    text = safe_frame(table).astype(object)  # ledger names like "=1+1" stay text
    text["lon"] = _fixed(table["lon"], 7)
    text["lat"] = _fixed(table["lat"], 7)
    text["snap_leg_m"] = _fixed(table["snap_leg_m"], 1)
    text.to_csv(path, index=False, encoding="utf-8-sig", na_rep="")


# ------------------------------------------------------------------------------ XLSX


def _whole(value: Any) -> int | None:
    return round(float(value)) if is_finite(value) else None


def _display_width(text: str) -> int:
    """Width in Excel character units: CJK characters count double."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


Legend = list[tuple[str, str, str]]
"""(sheet, zh-CN header, CSV key) of every column written: the sheet ``columns``."""


def _header(ws: Worksheet, zh: list[str], keys: list[str], legend: Legend) -> None:
    """Row 1: the zh-CN headers (bold, white on dark blue), the only header row, so the
    sheet reads as a table anywhere (``pandas.read_excel`` with its defaults, filters, pivot
    tables); each column's English/CSV key goes to ``legend`` (the sheet ``columns``)."""
    for col, (label, key) in enumerate(zip(zh, keys, strict=True), start=1):
        top = ws.cell(row=1, column=col, value=label)
        top.font = Font(bold=True, color="FFFFFF")
        top.fill = PatternFill("solid", fgColor=HEADER_FILL)
        top.alignment = Alignment(wrap_text=True, vertical="center")
        legend.append((ws.title, label.replace("\n", " "), key))
    ws.row_dimensions[1].height = 32


def _columns_sheet(ws: Worksheet, legend: Legend) -> None:
    """Every column of the workbook: its sheet, its zh-CN header and its English key (the
    column name in ``communities.csv`` and the GeoPackage)."""
    zh = ["工作表", "中文表头", "英文键"]
    _header(ws, zh, ["sheet", "header_zh", "key"], [])
    rows = [list(r) for r in legend]
    for row in rows:
        ws.append(row)
    ws.freeze_panes = "A2"
    _widths(ws, rows, zh, cap=60)


def _widths(ws: Worksheet, rows: list[list[Any]], header: list[str], *, cap: int = 40) -> None:
    for col, label in enumerate(header, start=1):
        values = [label] + [row[col - 1] for row in rows]
        width = max(_display_width("" if v is None else str(v)) for v in values)
        ws.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 8), cap)


def _kind_names(keys: str, names: dict[str, str]) -> str:
    return "、".join(names.get(k, k) for k in keys.split(";") if k) if keys else ""


def _community_sheet(
    ws: Worksheet, result: AuditResult, kinds: list[KindInfo], legend: Legend
) -> None:
    table = communities_table(result)
    audited = [k for k in kinds if k.audited]
    names = {k.key: k.name_zh for k in kinds}
    cutoff = cutoff_m(result, kinds)
    beyond = f">{cutoff:g}" if cutoff is not None else None

    zh = ["编号", "社区名称", "人口（人）", "人口来源"]
    keys = ["id", "name", "population", "population_source"]
    dist_cols: list[tuple[int, KindInfo]] = []
    share_cols: list[int] = []
    status_cols: list[int] = []
    for k in audited:
        label = k.name_zh if k.in_verdict else f"{k.name_zh}（生活圈）"
        zh.append(f"{label}\n距离（米）")
        keys.append(f"{k.key}_distance_m")
        dist_cols.append((len(keys), k))
        if k.has_share:
            zh.append(f"{label}\n阈值内居民比例")
            keys.append(f"{k.key}_share_within")
            share_cols.append(len(keys))
        zh.append(f"{label}\n状态")
        keys.append(f"{k.key}_status")
        status_cols.append(len(keys))
    zh += [
        "达标类别数",
        "有数据类别数",
        "结论",
        "缺失类别",
        "无数据类别",
        "生活圈缺失类别",
        "距数据边界(米)",
        "缺失可能因数据边界",
        "可能在数据范围外的缺失类别",
    ]
    keys += COMMUNITY_SUMMARY_COLUMNS
    asked = _evidence_text(result, names)
    if asked:
        zh.append("居民诉求（设施：件/人）")
        keys.append("evidence")
    verdict_col = keys.index("verdict") + 1
    _header(ws, zh, keys, legend)

    rows: list[list[Any]] = []
    records = table.to_dict("records")
    for rec in records:
        pop = rec["population"]
        row: list[Any] = [
            rec["id"],
            rec["name"],
            None if pd.isna(pop) else int(pop),
            source_zh(rec["population_source"], POPULATION_SOURCE_ZH),
        ]
        for k in audited:
            dist = fmt_distance(rec[f"{k.key}_distance_m"])
            status = rec[f"{k.key}_status"]
            if dist is None and status in ("met", "missing"):
                dist_cell: Any = beyond  # nothing within the search cutoff
            else:
                dist_cell = dist  # blank for no_data / not_audited: there is nothing to measure
            row.append(dist_cell)
            if k.has_share:
                row.append(fmt_share(rec[f"{k.key}_share_within"]))
            row.append(STATUS_ZH.get(status, status))
        row += [
            rec["met"],
            rec["required"],
            VERDICT_ZH.get(rec["verdict"], rec["verdict"]),
            _kind_names(rec["missing"], names),
            _kind_names(rec["no_data"], names),
            _kind_names(rec["missing_life_circle"], names),
            None if pd.isna(rec["edge_distance_m"]) else float(rec["edge_distance_m"]),
            "是" if rec["edge_uncertain"] else "否",
            _kind_names(rec["edge_uncertain_kinds"], names),
        ]
        if asked:
            row.append(asked.get(str(rec["id"]), ""))
        rows.append(row)
        ws.append(row)

    n_rows = len(rows)
    last_row = n_rows + 1
    right = Alignment(horizontal="right")
    for col, k in dist_cols:
        for r in range(2, last_row + 1):
            cell = ws.cell(row=r, column=col)
            if isinstance(cell.value, str):
                cell.alignment = right  # '>1000'; numbers are right-aligned already
            else:
                cell.number_format = "0.0"
        note = f"步行阈值 {k.threshold_m:g} 米。" if k.threshold_m else ""
        if not k.in_verdict:
            note += "生活圈配套：单列报告，不计入完整社区结论。"
        if k.has_share:
            note += "以住宅建筑为起点：距离为居民步行距离的加权中位数。"
        if beyond is not None:
            note += f"“{beyond}”表示步行 {cutoff:g} 米（搜索上限）内没有该类设施。"
        ws.cell(row=1, column=col).comment = Comment(note, "wanzheng")
    for col in share_cols:
        for r in range(2, last_row + 1):
            ws.cell(row=r, column=col).number_format = "0%"

    # Conditional fills: one rule per status/verdict label over every status and verdict cell.
    if n_rows:
        ranges = " ".join(
            f"{get_column_letter(c)}2:{get_column_letter(c)}{last_row}"
            for c in [*status_cols, verdict_col]
        )
        labels = {**{STATUS_ZH[s]: s for s in STATUS_ZH}, **{VERDICT_ZH[v]: v for v in VERDICT_ZH}}
        for label, code in labels.items():
            fill = PatternFill("solid", fgColor=STATUS_FILL[code], bgColor=STATUS_FILL[code])
            ws.conditional_formatting.add(
                ranges,
                CellIsRule(operator="equal", formula=[f'"{label}"'], fill=fill),  # type: ignore[no-untyped-call]
            )
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(keys))}{last_row}"
    _widths(ws, rows, [z.split("\n")[0] for z in zh], cap=36)


def _evidence_text(result: AuditResult, names: dict[str, str]) -> dict[str, str]:
    """Community id -> ``幼儿园 5/4；菜市场 2/2`` (cases / residents per kind asked for)."""
    out: dict[str, list[str]] = {}
    for rec in result.evidence.to_dict("records"):
        kind = str(rec["kind"])
        out.setdefault(str(rec["community_id"]), []).append(
            f"{names.get(kind, kind)} {int(rec['n_cases'])}/{int(rec['n_residents'])}"
        )
    return {k: "；".join(v) for k, v in out.items()}


def _evidence_sheet(
    ws: Worksheet, result: AuditResult, kinds: list[KindInfo], legend: Legend
) -> None:
    """One row per community and kind residents asked for, beside the verdict and status."""
    names = {k.key: k.name_zh for k in kinds}
    zh = [
        "编号",
        "社区名称",
        "结论",
        "设施类别",
        "该类状态",
        "诉求（件）",
        "居民（人）",
        "示例（已脱敏）",
    ]
    keys = [
        "community_id",
        "name",
        "verdict",
        "kind",
        "status",
        "n_cases",
        "n_residents",
        "examples",
    ]
    _header(ws, zh, keys, legend)
    comm = result.communities.set_index(result.communities["id"].astype(str))
    rows: list[list[Any]] = []
    for rec in result.evidence.to_dict("records"):
        cid, kind = str(rec["community_id"]), str(rec["kind"])
        c = comm.loc[cid] if cid in comm.index else None
        status = str(c.get(f"{kind}_status", "")) if c is not None else ""
        row: list[Any] = [
            cid,
            str(c["name"]) if c is not None else "",
            VERDICT_ZH.get(str(c["verdict"]), "") if c is not None else "",
            names.get(kind, kind),
            STATUS_ZH.get(status, status),
            int(rec["n_cases"]),
            int(rec["n_residents"]),
            "；".join(str(x) for x in (rec.get("examples") or ())),  # made safe on save
        ]
        rows.append(row)
        ws.append(row)
    ws.freeze_panes = "C2"
    _widths(ws, rows, zh, cap=60)


def _dropped_sheet(ws: Worksheet, result: AuditResult, legend: Legend) -> None:
    """Residential objects of the data not audited as communities, with why."""
    zh = ["编号", "名称", "来源", "未审计原因"]
    keys = ["id", "name", "source", "reason"]
    _header(ws, zh, keys, legend)
    rows: list[list[Any]] = []
    for rec in result.dropped_communities.to_dict("records"):
        row: list[Any] = [str(rec[k]) for k in keys]  # made safe on save
        rows.append(row)
        ws.append(row)
    ws.freeze_panes = "A2"
    _widths(ws, rows, zh, cap=60)


def _kinds_sheet(ws: Worksheet, kinds: list[KindInfo], legend: Legend) -> None:
    zh = [
        "键",
        "中文名称",
        "英文名称",
        "生活圈层级",
        "步行阈值（米）",
        "已核实",
        "计入结论",
        "要求",
        "来源文件",
        "条款",
    ]
    keys = [
        "key",
        "name_zh",
        "name_en",
        "tier",
        "threshold_m",
        "verified",
        "in_verdict",
        "requirement",
        "source",
        "clause",
    ]
    _header(ws, zh, keys, legend)
    rows: list[list[Any]] = []
    for r, k in enumerate(kinds, start=2):
        row: list[Any] = [
            k.key,
            k.name_zh,
            k.name_en,
            TIER_ZH.get(k.tier, k.tier),
            k.threshold_m if k.threshold_m is not None else "不按距离审计",
            "是" if k.verified else "否（待核实）",
            "是（完整社区要素）" if k.in_verdict else "否（生活圈配套）",
            k.requirement,
            k.source,
            k.clause,
        ]
        rows.append(row)
        ws.append(row)
        if not k.verified:
            ws.cell(row=r, column=6).fill = PatternFill("solid", fgColor="FFF3CD")
        for c in (8, 9, 10):
            ws.cell(row=r, column=c).alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "B2"
    _widths(ws, rows, zh, cap=50)


def _coverage_sheet(
    ws: Worksheet, result: AuditResult, kinds: list[KindInfo], legend: Legend
) -> None:
    zh = [
        "键",
        "类别",
        "阈值（米）",
        "设施数",
        "有数据",
        "达标社区数",
        "缺失社区数",
        "覆盖人口",
        "总人口（已知）",
        "人口覆盖率",
    ]
    keys = [
        "kind",
        "name_zh",
        "threshold_m",
        "facilities",
        "has_data",
        "communities_met",
        "communities_missing",
        "population_covered",
        "population_total",
        "population_share",
    ]
    has_conf = "confidence" in result.coverage
    if has_conf:
        zh += ["数据来源", "“缺失”可信度"]
        keys += ["evidence", "confidence"]
    zh.append("计入结论")
    keys.append("in_verdict")
    _header(ws, zh, keys, legend)
    names = {k.key: k.name_zh for k in kinds}
    decides = {k.key: k.in_verdict for k in kinds}
    rows: list[list[Any]] = []
    for r, rec in enumerate(result.coverage.to_dict("records"), start=2):
        has = bool(rec.get("has_data", True))
        share = rec.get("population_share")
        row: list[Any] = [
            rec["kind"],
            names.get(str(rec["kind"]), rec.get("name_zh", "")),
            rec.get("threshold_m") if is_finite(rec.get("threshold_m")) else None,
            int(rec.get("facilities", 0)),
            "是" if has else "否（无数据）",
            int(rec.get("communities_met", 0)),
            int(rec.get("communities_missing", 0)),
            _whole(rec.get("population_covered")),
            round(float(rec["population_total"]))
            if is_finite(rec.get("population_total"))
            else None,
            float(share) if has and is_finite(share) else None,
        ]
        if has_conf:
            row += [
                evidence_zh(rec.get("evidence")),
                CONFIDENCE_ZH.get(str(rec.get("confidence")), rec.get("confidence")),
            ]
        in_verdict = rec.get("in_verdict", decides.get(str(rec["kind"]), True))
        row.append("是（完整社区要素）" if bool(in_verdict) else "否（生活圈配套）")
        rows.append(row)
        ws.append(row)
        ws.cell(row=r, column=10).number_format = "0.0%"
        if not has:
            ws.cell(row=r, column=5).fill = PatternFill("solid", fgColor=STATUS_FILL["no_data"])
    ws.freeze_panes = "C2"
    _widths(ws, rows, zh)


def _sources_sheet(ws: Worksheet, result: AuditResult, legend: Legend) -> None:
    _header(ws, ["项目", "内容"], ["key", "value"], legend)
    rows: list[list[Any]] = []
    for key, label, text in source_rows(result):
        rows.append([label, text or "—"])
        ws.append([label, text or "—"])
        ws.cell(row=ws.max_row, column=1).comment = Comment(key, "wanzheng")
    extra = [
        ["地图数据署名", OSM_ATTRIBUTION],
        ["生成时间（UTC）", datetime.now(UTC).strftime("%Y-%m-%d %H:%M")],
    ]
    for row in extra:
        rows.append(row)
        ws.append(row)
    for r in range(2, ws.max_row + 1):
        ws.cell(row=r, column=2).alignment = Alignment(wrap_text=True, vertical="top")
    _widths(ws, rows, ["项目", "内容"], cap=80)


def write_communities_xlsx(result: AuditResult, path: Path) -> None:
    """Write ``communities.xlsx`` (openpyxl).

    Every sheet has one header row (zh-CN) and its data from row 2; the sheet ``columns`` (last)
    gives each column's English key, the column name of ``communities.csv``. Sheets:
    ``communities`` (panes frozen below the header and right of the name, fills by status and
    verdict as conditional formats), ``coverage`` (per kind), ``kinds`` (the catalogue: key,
    names, tier, threshold, verified, requirement, source, clause) and ``sources`` (catalogue
    name and version, input files, population method, OSM attribution). An audit given
    residents' cases adds the column ``evidence`` to ``communities`` and the sheet ``evidence``
    (per community and kind asked for: verdict, the kind's status, cases, residents, redacted
    examples). Residential objects of the data not audited as communities are listed with why on
    the sheet ``dropped``. Distances beyond the search cutoff are written as the text
    ``>{cutoff}``.
    """
    kinds = kind_infos(result)
    wb = Workbook()
    ws = wb.active
    if ws is None:  # pragma: no cover - a new Workbook always has an active sheet
        ws = wb.create_sheet()
    ws.title = "communities"
    legend: Legend = []
    _community_sheet(ws, result, kinds, legend)
    _coverage_sheet(wb.create_sheet("coverage"), result, kinds, legend)
    _kinds_sheet(wb.create_sheet("kinds"), kinds, legend)
    _sources_sheet(wb.create_sheet("sources"), result, legend)
    if len(result.evidence):
        _evidence_sheet(wb.create_sheet("evidence"), result, kinds, legend)
    if len(result.dropped_communities):
        _dropped_sheet(wb.create_sheet("dropped"), result, legend)
    _columns_sheet(wb.create_sheet("columns"), legend)
    wb.properties.title = "完整社区体检 communities"
    wb.properties.creator = "wanzheng"
    save_workbook(wb, path)
