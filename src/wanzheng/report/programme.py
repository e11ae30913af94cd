"""Programme outputs: the template workbook, ``progress.xlsx`` for the superior office and
``progress.json`` for the programme page."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from wanzheng.data.cells import save_workbook
from wanzheng.plan.programme import Progress

__all__ = [
    "progress_json",
    "write_programme_template",
    "write_progress_json",
    "write_progress_xlsx",
]

HEADER_FILL = PatternFill("solid", fgColor="1F4E79")


def _header(ws: Any, labels: list[str]) -> None:
    ws.append(labels)
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
    ws.freeze_panes = "A2"


def write_programme_template(path: Path, *, communities: pd.DataFrame | None = None) -> None:
    """An empty programme workbook (sheets ``社区``, ``目标``, ``项目``) with Chinese headers.

    With ``communities`` (an audit's table: ``id``, ``name``) the ``社区`` sheet lists them, for
    the office to add the subdistrict and district and to delete those out of scope.
    """
    wb = Workbook()
    ws = wb.active if wb.active is not None else wb.create_sheet()
    ws.title = "社区"
    _header(ws, ["社区编号", "社区名称", "街道", "区"])
    if communities is not None:
        for cid, name in zip(communities["id"], communities["name"], strict=True):
            ws.append([str(cid), "" if pd.isna(name) else str(name), "", ""])
    wt = wb.create_sheet("目标")
    _header(wt, ["年份", "目标比例", "范围"])
    wt.append([2025, "40%", ""])
    wp = wb.create_sheet("项目")
    _header(
        wp, ["社区编号", "设施类型", "点位", "阶段", "计划开工", "计划建成", "计划验收", "预算"]
    )
    notes = wb.create_sheet("说明")
    for line in (
        "社区编号：与体检结果（wanzheng audit）中的社区编号一致。",
        "目标比例：该年底完整社区占比，如 0.4 或 40%；范围为空表示整个计划，或填写街道/区名称。",
        "阶段：计划、开工、建成、验收（planned / started / built / accepted）。",
        "日期格式：2025-06-30。预算单位自定（如万元），须 ≥ 0。",
        "完整与否由体检按设施记录重新计算，不在此填写。",
    ):
        notes.append([line])
    save_workbook(wb, path)


def _clean(v: Any) -> Any:
    if isinstance(v, float | np.floating):
        f = float(v)
        return None if not math.isfinite(f) else round(f, 4)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_ | bool):
        return "是" if bool(v) else "否"
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.date().isoformat()
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


def _frame_sheet(wb: Workbook, title: str, frame: pd.DataFrame) -> None:
    ws = wb.create_sheet(title)
    _header(ws, [str(c) for c in frame.columns])
    for row in frame.itertuples(index=False, name=None):
        ws.append([_clean(v) for v in row])


def write_progress_xlsx(progress: Progress, path: Path) -> None:
    """``progress.xlsx``: ``summary``, ``areas`` (ranked, with targets), ``communities``
    (verdict at every audit date), ``changes`` and ``late`` (projects late)."""
    wb = Workbook()
    ws = wb.active if wb.active is not None else wb.create_sheet()
    ws.title = "summary"
    _header(ws, ["项目 item", "值 value"])
    for key, value in progress.summary.items():
        ws.append([key, _clean(value)])
    _frame_sheet(wb, "areas", progress.areas)
    _frame_sheet(wb, "communities", progress.communities)
    _frame_sheet(wb, "changes", progress.changes)
    _frame_sheet(wb, "late", progress.late)
    wb.properties.title = "完整社区建设进度 programme progress"
    wb.properties.creator = "wanzheng"
    save_workbook(wb, path)


def _json_value(v: Any) -> Any:
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, float | np.floating):
        f = float(v)
        return None if not math.isfinite(f) else round(f, 4)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, pd.Timestamp | dt.date):
        return None if pd.isna(v) else v.isoformat()[:10]
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return v if isinstance(v, str | int) else str(v)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {str(k): _json_value(v) for k, v in row.items()} for row in frame.to_dict(orient="records")
    ]


def progress_json(progress: Progress) -> dict[str, Any]:
    """``progress.json``: what the programme page (``/programme``) shows.

    ``summary`` (as in ``progress.xlsx``), ``dates`` (the audits'), ``districts`` and
    ``subdistricts`` (ranked as in ``areas``; a subdistrict carries the ``district`` most
    of its communities lie in), ``communities`` (``verdicts``: the verdict at every date),
    ``changes`` and ``late``. Booleans stay booleans; NaN becomes ``null``.
    """
    comm = progress.communities
    dates = [c.removeprefix("verdict_") for c in comm.columns if c.startswith("verdict_")]
    parent: dict[str, str] = {}
    if len(comm):
        for sub, group in comm.groupby("subdistrict", sort=True):
            parent[str(sub)] = str(group["district"].astype(str).mode().iloc[0])
    areas = progress.areas
    districts = _records(areas[areas["level"] == "district"])
    subdistricts = _records(areas[areas["level"] == "subdistrict"])
    for row in subdistricts:
        row["district"] = parent.get(str(row["area"]), "")
    communities = []
    for row in ({str(k): v for k, v in r.items()} for r in comm.to_dict(orient="records")):
        communities.append(
            {
                "id": str(row["id"]),
                "name": str(row["name"]),
                "subdistrict": str(row["subdistrict"]),
                "district": str(row["district"]),
                "population": _json_value(row.get("population")),
                "verdicts": {d: str(row[f"verdict_{d}"]) for d in dates},
                "met": _json_value(row.get("met_last")),
                "required": _json_value(row.get("required_last")),
                "missing": [k for k in str(row.get("missing_last") or "").split(";") if k],
            }
        )
    return {
        "summary": {str(k): _json_value(v) for k, v in progress.summary.items()},
        "dates": dates,
        "districts": districts,
        "subdistricts": subdistricts,
        "communities": communities,
        "changes": _records(progress.changes),
        "late": _records(progress.late),
    }


def write_progress_json(progress: Progress, path: Path) -> None:
    """Write :func:`progress_json` to ``path`` (UTF-8)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(
        json.dumps(progress_json(progress), ensure_ascii=False, indent=1), encoding="utf-8"
    )
    tmp.replace(path)
