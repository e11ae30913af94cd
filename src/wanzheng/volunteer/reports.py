"""The volunteers' reports as files: the quarterly report to each unit and a person's
service record, as XLSX (every text cell through :mod:`wanzheng.data.cells`) and as
print-ready HTML (A4, one unit or person per page, no external resource; print to PDF from
any browser).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from wanzheng.data.cells import save_workbook
from wanzheng.volunteer.ledger import UNIT_REPORT_COLUMNS, ServiceRecord
from wanzheng.volunteer.registry import load_skills

__all__ = [
    "service_record_html",
    "unit_report_html",
    "write_service_record_xlsx",
    "write_unit_report_xlsx",
]

_NUMERIC = {"tasks", "hours", "no_shows", "minutes"}
_FOOTER = "由 wanzheng 志愿服务台账生成；不含手机号等联系方式。"


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("wanzheng.volunteer", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def _sheet_name(name: str, used: set[str]) -> str:
    base = "".join("_" if c in "[]:*?/\\" else c for c in name)[:28] or "单位"
    out, i = base, 2
    while out in used:
        out = f"{base[:26]}-{i}"
        i += 1
    used.add(out)
    return out


def _fit(ws: Any, widths: list[int]) -> None:
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w


def write_unit_report_xlsx(frame: pd.DataFrame, path: Path, *, year: int, quarter: int) -> None:
    """The units' quarterly report: a summary sheet (one row per unit) and one sheet per
    unit with its members."""
    wb = Workbook()
    ws = wb.create_sheet()
    wb.remove(wb.worksheets[0])
    ws.title = "汇总"
    ws.append([f"在职党员到社区报到情况 {year}年第{quarter}季度"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(
        ["工作单位", "报到人数", "参加服务人数", "完成任务数", "服务时长（小时）", "爽约次数"]
    )
    for unit, g in frame.groupby("unit", sort=True):
        ws.append(
            [
                str(unit),
                len(g),
                int((g["hours"] > 0).sum()),
                int(g["tasks"].sum()),
                round(float(g["hours"].sum()), 2),
                int(g["no_shows"].sum()),
            ]
        )
    _fit(ws, [30, 10, 12, 12, 16, 10])
    used = {"汇总"}
    for unit, g in frame.groupby("unit", sort=True):
        us = wb.create_sheet(_sheet_name(str(unit), used))
        us.append([f"{unit} · {year}年第{quarter}季度在职党员到社区报到情况"])
        us["A1"].font = Font(bold=True)
        us.append(list(UNIT_REPORT_COLUMNS.values()))
        for row in g.itertuples(index=False):
            us.append([getattr(row, c) for c in UNIT_REPORT_COLUMNS])
        _fit(us, [24, 10, 10, 14, 12, 12, 12, 16, 10])
    save_workbook(wb, path)


def unit_report_html(frame: pd.DataFrame, *, year: int, quarter: int, made_on: dt.date) -> str:
    """The units' quarterly report as one HTML document, one A4 page per unit."""
    pages = []
    cols = [c for c in UNIT_REPORT_COLUMNS if c != "unit"]
    for unit, g in frame.groupby("unit", sort=True):
        pages.append(
            {
                "heading": "在职党员到社区报到情况",
                "subheading": f"{unit} · {year}年第{quarter}季度",
                "facts": [],
                "header": [(UNIT_REPORT_COLUMNS[c], c in _NUMERIC) for c in cols],
                "rows": [[(row[c], c in _NUMERIC) for c in cols] for row in g.to_dict("records")],
                "summary": (
                    f"报到 {len(g)} 人，参加服务 {int((g['hours'] > 0).sum())} 人，完成任务 "
                    f"{int(g['tasks'].sum())} 项，服务时长合计 {float(g['hours'].sum()):.2f} 小时，"
                    f"爽约 {int(g['no_shows'].sum())} 次。"
                ),
            }
        )
    return (
        _env()
        .get_template("volunteer_report.html.j2")
        .render(
            title=f"在职党员到社区报到情况 {year}Q{quarter}",
            pages=pages,
            made_on=made_on.isoformat(),
            footer=_FOOTER,
        )
    )


def _record_facts(record: ServiceRecord) -> list[tuple[str, str]]:
    p = record.person
    skills = load_skills()
    period = f"{p['start'] or '登记起'} 至 {p['end'] or '今'}"
    return [
        ("姓名", p["name"]),
        ("类别", p["kind"]),
        ("报到社区", f"{p['community']} · {p['grid']}"),
        ("工作单位", p["unit"] or "—"),
        ("技能", "、".join(skills.get(s, s) for s in p["skills"]) or "—"),
        ("报到日期", p["registered_on"]),
        ("统计期间", period),
    ]


def write_service_record_xlsx(record: ServiceRecord, path: Path) -> None:
    """A person's service record: the facts, then one row per ledger entry, then totals."""
    wb = Workbook()
    ws = wb.create_sheet()
    wb.remove(wb.worksheets[0])
    ws.title = "志愿服务记录"
    ws.append(["志愿服务记录"])
    ws["A1"].font = Font(bold=True, size=13)
    for k, v in _record_facts(record):
        ws.append([k, v])
    ws.append([])
    ws.append(["日期", "任务", "地点", "情况", "时长（分钟）", "类型"])
    for r in record.entries.to_dict("records"):
        kind = "服务" if r["kind"] == "service" else "更正"
        ws.append([r["date"], r["task"], r["place"], r["outcome"], int(r["minutes"]), kind])
    ws.append([])
    ws.append(["合计时长（小时）", round(record.total_minutes / 60.0, 2)])
    ws.append(["完成任务数", record.tasks_done])
    ws.append(["爽约次数", record.no_shows])
    _fit(ws, [18, 28, 14, 40, 12, 8])
    save_workbook(wb, path)


def service_record_html(record: ServiceRecord, *, made_on: dt.date) -> str:
    """A person's service record as a print-ready A4 page."""
    header = [
        ("日期", False),
        ("任务", False),
        ("地点", False),
        ("情况", False),
        ("时长（分钟）", True),
    ]
    rows = [
        [
            (r["date"], False),
            (r["task"], False),
            (r["place"], False),
            (r["outcome"] if r["kind"] == "service" else f"更正：{r['outcome']}", False),
            (r["minutes"], True),
        ]
        for r in record.entries.to_dict("records")
    ]
    page = {
        "heading": "志愿服务记录",
        "subheading": record.person["name"],
        "facts": _record_facts(record),
        "header": header,
        "rows": rows,
        "summary": (
            f"服务时长合计 {record.total_minutes / 60.0:.2f} 小时，"
            f"完成任务 {record.tasks_done} 项，爽约 {record.no_shows} 次。"
        ),
    }
    return (
        _env()
        .get_template("volunteer_report.html.j2")
        .render(
            title=f"志愿服务记录 · {record.person['name']}",
            pages=[page],
            made_on=made_on.isoformat(),
            footer=_FOOTER,
        )
    )
