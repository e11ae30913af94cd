"""A programme file (建设计划): communities in scope, yearly targets, projects — one XLSX.

Three sheets, read through :func:`wanzheng.data.tabular.read_table` (Chinese headers accepted;
a title row above the header is skipped):

``communities`` / ``社区``
    ``id`` (社区编号: the audit's community id), ``name`` (社区名称), ``subdistrict`` (街道),
    ``district`` (区).
``targets`` / ``目标``
    ``year`` (年份), ``share`` (目标比例: ``0.4``, ``40%`` or ``40``), ``area`` (范围: a
    subdistrict or district name; empty = the whole programme).
``projects`` / ``项目`` (may be empty)
    ``community_id`` (社区编号), ``kind`` (设施类型), ``site`` (点位), ``stage`` (阶段:
    planned/计划, started/开工, built/建成, accepted/验收), ``planned_started`` (计划开工),
    ``planned_built`` (计划建成), ``planned_accepted`` (计划验收), ``budget`` (预算).

``wanzheng plan template --out programme.xlsx`` writes an empty one. A bad cell is a
:class:`DataError` naming the file, the sheet, the row and the column.
"""

from __future__ import annotations

import datetime as dt
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wanzheng.data.tabular import Table, cell_text, parse_float, read_table
from wanzheng.errors import DataError

__all__ = ["PROGRAMME_SHEETS", "STAGES", "Programme", "load_programme"]

STAGES = ("planned", "started", "built", "accepted")
"""Stages of a project, in order; each after ``planned`` has a planned date column
``planned_<stage>`` and an actual date column ``<stage>``."""


@dataclass(frozen=True, slots=True)
class Programme:
    """A programme as plain tables.

    Attributes
    ----------
    communities
        ``id``, ``name``, ``subdistrict``, ``district``: the communities in scope.
    targets
        ``year`` (int), ``share`` (0–1 complete by the year's end), ``area`` (a subdistrict or
        district name; ``""`` = every area).
    projects
        ``community_id``, ``kind``, ``site``, ``stage`` (one of :data:`STAGES`),
        ``planned_started``, ``planned_built``, ``planned_accepted`` (dates or NaT),
        ``budget`` (NaN when not given), ``row`` (the file's row).
    """

    communities: pd.DataFrame
    targets: pd.DataFrame
    projects: pd.DataFrame


PROGRAMME_SHEETS: dict[str, tuple[str, ...]] = {
    "communities": ("communities", "社区"),
    "targets": ("targets", "目标"),
    "projects": ("projects", "项目"),
}

COMMUNITY_ALIASES = {
    "id": ("社区编号", "编号", "community_id", "社区id"),
    "name": ("社区名称", "名称", "社区"),
    "subdistrict": ("街道", "街道名称", "乡镇街道", "街道(乡镇)"),
    "district": ("区", "区县", "所属区", "区(县)"),
}
TARGET_ALIASES = {
    "year": ("年份", "年度"),
    "share": ("目标比例", "目标", "完整社区比例", "比例"),
    "area": ("范围", "区域", "地区"),
}
PROJECT_ALIASES = {
    "community_id": ("社区编号", "社区id", "编号"),
    "kind": ("设施类型", "类型", "设施"),
    "site": ("点位", "地点", "选址", "位置"),
    "stage": ("阶段", "进度", "状态"),
    "planned_started": ("计划开工", "计划开工日期"),
    "planned_built": ("计划建成", "计划建成日期", "计划完工"),
    "planned_accepted": ("计划验收", "计划验收日期"),
    "budget": ("预算", "投资", "预算(万元)", "预算（万元）"),
}
STAGE_WORDS = {
    "planned": "planned", "计划": "planned", "规划": "planned", "拟建": "planned",
    "started": "started", "开工": "started", "在建": "started", "已开工": "started",
    "built": "built", "建成": "built", "完工": "built", "已建成": "built",
    "accepted": "accepted", "验收": "accepted", "已验收": "accepted",
}  # fmt: skip


def _sheet(
    path: Path, key: str, aliases: dict[str, tuple[str, ...]], *, optional: bool
) -> tuple[Table | None, str]:
    """The sheet's table (``None`` when optional and absent or empty) and its name."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable XLSX workbook ({exc})") from exc
    names = list(book.sheetnames)
    book.close()
    found = next((n for n in PROGRAMME_SHEETS[key] if n in names), None)
    if found is None:
        if optional:
            return None, key
        raise DataError(
            f"{path}: no sheet {' or '.join(repr(n) for n in PROGRAMME_SHEETS[key])} "
            f"(sheets: {', '.join(names)}; `wanzheng plan template` writes one)"
        )
    try:
        return read_table(path, aliases=aliases, sheet=found), found
    except DataError as exc:
        if optional and "no data rows" in str(exc):
            return None, found
        raise DataError(f"{exc} (sheet {found!r})") from None


def _need(table: Table, columns: tuple[str, ...], sheet: str) -> None:
    missing = [c for c in columns if c not in table.frame]
    if missing:
        found = ", ".join(repr(h) for h in table.headers.values())
        raise DataError(
            f"{table.path}: sheet {sheet!r}: missing column(s) {', '.join(missing)} (found {found})"
        )


def _where(table: Table, sheet: str, i: int, column: str) -> str:
    header = table.headers.get(column, column)
    return f"{table.path}: sheet {sheet!r}: row {int(table.rows[i])}: column '{header}'"


def _date(table: Table, sheet: str, i: int, column: str) -> pd.Timestamp | None:
    value = table.frame.at[i, column]
    if isinstance(value, dt.datetime | dt.date):
        return pd.Timestamp(value)
    text = cell_text(value)
    if not text:
        return None
    try:
        return pd.Timestamp(dt.date.fromisoformat(text.replace("/", "-").replace(".", "-")))
    except ValueError:
        raise DataError(
            f"{_where(table, sheet, i, column)}: expected a date such as 2025-06-30, got {text!r}"
        ) from None


def load_programme(path: str | Path) -> Programme:
    """Read a programme workbook (see the module docstring).

    Raises
    ------
    DataError
        A missing sheet or column, an empty or duplicate community id, a year that is not a
        whole number, a share outside 0–100 %, an unknown stage, a date that is not a date, a
        negative budget, a project of a community not in the ``communities`` sheet.
    """
    p = Path(path)
    if p.suffix.lower() not in (".xlsx", ".xlsm"):
        raise DataError(f"{p}: expected an XLSX workbook (`wanzheng plan template` writes one)")
    ct, cs = _sheet(p, "communities", COMMUNITY_ALIASES, optional=False)
    if ct is None:  # pragma: no cover - not optional: _sheet raised
        raise DataError(f"{p}: no sheet {cs!r}")
    _need(ct, ("id",), cs)
    ids: list[str] = []
    seen: dict[str, int] = {}
    for i in range(len(ct.frame)):
        ident = cell_text(ct.frame.at[i, "id"])
        if not ident:
            raise DataError(
                f"{_where(ct, cs, i, 'id')}: is empty; expected the audit's community id"
            )
        if ident in seen:
            raise DataError(
                f"{_where(ct, cs, i, 'id')}: duplicate id {ident!r} (also in row {seen[ident]})"
            )
        seen[ident] = int(ct.rows[i])
        ids.append(ident)
    communities = pd.DataFrame(
        {
            "id": ids,
            "name": [cell_text(v) for v in ct.frame["name"]] if "name" in ct.frame else "",
            "subdistrict": [cell_text(v) for v in ct.frame["subdistrict"]]
            if "subdistrict" in ct.frame
            else "",
            "district": [cell_text(v) for v in ct.frame["district"]]
            if "district" in ct.frame
            else "",
        }
    )

    tt, ts = _sheet(p, "targets", TARGET_ALIASES, optional=True)
    target_rows: list[dict[str, Any]] = []
    if tt is not None:
        _need(tt, ("year", "share"), ts)
        for i in range(len(tt.frame)):
            try:
                year = parse_float(tt.frame.at[i, "year"])
            except ValueError:
                year = math.nan
            if year is None or not float(year).is_integer() or not 1990 <= year <= 2100:
                raise DataError(
                    f"{_where(tt, ts, i, 'year')}: expected a year such as 2025, got "
                    f"{cell_text(tt.frame.at[i, 'year'])!r}"
                )
            raw = cell_text(tt.frame.at[i, "share"])
            try:
                share = parse_float(raw.rstrip("%"))
            except ValueError:
                share = None
            if share is not None and (raw.endswith("%") or share > 1):
                share = share / 100.0
            if share is None or not 0 <= share <= 1:
                raise DataError(
                    f"{_where(tt, ts, i, 'share')}: expected a share such as 0.4 or 40%, "
                    f"got {raw!r}"
                )
            area = cell_text(tt.frame.at[i, "area"]) if "area" in tt.frame else ""
            target_rows.append({"year": int(year), "share": float(share), "area": area})
    targets = pd.DataFrame(target_rows, columns=["year", "share", "area"])

    pt, ps = _sheet(p, "projects", PROJECT_ALIASES, optional=True)
    cols = ["community_id", "kind", "site", "stage", "planned_started", "planned_built",
            "planned_accepted", "budget", "row"]  # fmt: skip
    project_rows: list[dict[str, Any]] = []
    if pt is not None:
        _need(pt, ("community_id", "stage"), ps)
        for i in range(len(pt.frame)):
            cid = cell_text(pt.frame.at[i, "community_id"])
            if cid not in seen:
                raise DataError(
                    f"{_where(pt, ps, i, 'community_id')}: {cid!r} is not in the sheet {cs!r}"
                )
            word = cell_text(pt.frame.at[i, "stage"]).lower()
            stage = STAGE_WORDS.get(word)
            if stage is None:
                raise DataError(
                    f"{_where(pt, ps, i, 'stage')}: expected one of {', '.join(STAGES)} "
                    f"(计划, 开工, 建成, 验收), got {word!r}"
                )
            budget = math.nan
            if "budget" in pt.frame:
                try:
                    b = parse_float(pt.frame.at[i, "budget"])
                except ValueError:
                    b = -1.0
                if b is not None and b < 0:
                    raise DataError(
                        f"{_where(pt, ps, i, 'budget')}: expected an amount >= 0, got "
                        f"{cell_text(pt.frame.at[i, 'budget'])!r}"
                    )
                budget = math.nan if b is None else b
            row: dict[str, Any] = {
                "community_id": cid,
                "kind": cell_text(pt.frame.at[i, "kind"]) if "kind" in pt.frame else "",
                "site": cell_text(pt.frame.at[i, "site"]) if "site" in pt.frame else "",
                "stage": stage,
                "budget": budget,
                "row": int(pt.rows[i]),
            }
            for s in ("planned_started", "planned_built", "planned_accepted"):
                row[s] = _date(pt, ps, i, s) if s in pt.frame else None
            project_rows.append(row)
    projects = pd.DataFrame(project_rows, columns=cols)
    for s in ("planned_started", "planned_built", "planned_accepted"):
        projects[s] = pd.to_datetime(projects[s])
    projects["budget"] = projects["budget"].astype(np.float64)
    return Programme(communities=communities, targets=targets, projects=projects)
