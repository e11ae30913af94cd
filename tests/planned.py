"""An audit of the embedded demo area (© OpenStreetMap contributors) with its own siting plan
and a programme's progress: what the plan API and the browser tests serve."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from rich.console import Console

KINDS = "elderly_station,canteen"


def build_planned_audit(root: Path) -> Path:
    """The demo audit with its own plan (3 sites) and a programme's progress over two dates."""
    from wanzheng.audit.run import run_audit
    from wanzheng.cli.audit import demo_area_path
    from wanzheng.cli.plan import progress, site
    from wanzheng.data.osm import load_osm
    from wanzheng.report import write_dashboard_extras, write_outputs
    from wanzheng.standards import load_catalogue, load_kind_rules

    catalogue = load_catalogue()
    area = demo_area_path()
    extract = load_osm(area, rules=load_kind_rules(catalogue=catalogue))
    result = run_audit(extract, catalogue=catalogue, sources={"osm_file": area.name})
    audit = root / "audit"
    write_outputs(result, audit)
    write_dashboard_extras(result, audit)
    quiet = Console(file=io.StringIO())
    site(audit, kinds=KINDS, add=3, console=quiet)
    comm = pd.read_csv(audit / "communities.csv", dtype={"id": str})
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "社区"
    ws.append(["社区编号", "社区名称", "街道", "区"])
    for n, row in enumerate(comm.itertuples()):
        ws.append([row.id, row.name, "学院路街道" if n % 2 else "东升街道", "海淀区"])
    wt = wb.create_sheet("目标")
    wt.append(["年份", "目标比例", "范围"])
    wt.append([2025, "40%", ""])
    wp = wb.create_sheet("项目")
    wp.append(["社区编号", "设施类型", "点位", "阶段", "计划开工", "计划建成", "计划验收", "预算"])
    wp.append([comm["id"][0], "canteen", "底商", "开工", "2025-03-01", "2025-09-30", "", 80])
    book = root / "programme.xlsx"
    wb.save(book)
    progress(
        book,
        [audit, audit],
        out=audit / "progress",
        dates="2025-06-30,2025-12-31",
        console=quiet,
    )
    return audit
