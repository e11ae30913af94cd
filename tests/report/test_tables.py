"""communities.csv, facilities.csv and communities.xlsx against the hand-built result."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from wanzheng.audit.result import AuditResult
from wanzheng.report.tables import (
    communities_table,
    write_communities_csv,
    write_communities_xlsx,
    write_facilities_csv,
)

CSV_COLUMNS = [
    "id",
    "name",
    "population",
    "population_source",
    "kindergarten_distance_m",
    "kindergarten_status",
    "supermarket_distance_m",
    "supermarket_status",
    "health_station_distance_m",
    "health_station_status",
    "barrier_free_distance_m",
    "barrier_free_status",
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


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_communities_csv_has_bom_and_exact_values(result: AuditResult, tmp_path: Path) -> None:
    path = tmp_path / "communities.csv"
    write_communities_csv(result, path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 byte-order mark"
    rows = _read_csv(path)
    assert list(rows[0]) == CSV_COLUMNS
    assert [r["name"] for r in rows] == ["阳光小区", "和平里", "东园"]
    # Population: whole residents, 5000.4 rounds to 5000, unknown is blank.
    assert [r["population"] for r in rows] == ["3200", "5000", ""]
    # Distances rounded to 0.1 m; beyond the cutoff (inf) and not audited are blank.
    assert [r["kindergarten_distance_m"] for r in rows] == ["120.3", "650.0", ""]
    assert [r["supermarket_distance_m"] for r in rows] == ["420.1", "280.0", ""]
    assert [r["health_station_distance_m"] for r in rows] == ["", "", ""]
    assert [r["barrier_free_status"] for r in rows] == ["not_audited"] * 3
    assert [r["kindergarten_status"] for r in rows] == ["met", "missing", "missing"]
    assert [r["health_station_status"] for r in rows] == ["no_data"] * 3
    assert [r["verdict"] for r in rows] == ["undetermined", "incomplete", "incomplete"]
    # met / required count the verdict kinds only; the supermarket is a life-circle kind.
    assert [r["met"] for r in rows] == ["1", "0", "0"]
    assert [r["required"] for r in rows] == ["1", "1", "1"]
    assert [r["missing"] for r in rows] == ["", "kindergarten", "kindergarten"]
    assert [r["no_data"] for r in rows] == ["health_station"] * 3
    assert [r["missing_life_circle"] for r in rows] == ["", "", "supermarket"]
    assert [r["edge_distance_m"] for r in rows] == ["512.0", "250.0", "40.0"]
    assert [r["edge_uncertain"] for r in rows] == ["False", "True", "True"]
    assert [r["edge_uncertain_kinds"] for r in rows] == ["", "kindergarten", "kindergarten"]
    assert not any(c.endswith("_share_within") for c in rows[0]), "centroid origins: no shares"


def test_communities_csv_reads_back_with_pandas(result: AuditResult, tmp_path: Path) -> None:
    path = tmp_path / "communities.csv"
    write_communities_csv(result, path)
    back = pd.read_csv(path, encoding="utf-8-sig", dtype={"id": str})
    # An independent check of the rounding: Python's round on the source values.
    expected = [round(v, 1) for v in result.communities["kindergarten_distance_m"][:2]]
    assert back["kindergarten_distance_m"].tolist()[:2] == expected
    assert pd.isna(back["kindergarten_distance_m"][2])
    assert back["name"].tolist() == result.communities["name"].tolist()


def test_communities_table_matches_csv_columns(result: AuditResult) -> None:
    assert communities_table(result).columns.tolist() == CSV_COLUMNS


def test_facilities_csv(result: AuditResult, tmp_path: Path) -> None:
    path = tmp_path / "facilities.csv"
    write_facilities_csv(result, path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = _read_csv(path)
    assert list(rows[0]) == ["id", "name", "kind", "lon", "lat", "source", "snap_leg_m"]
    assert rows[0] == {
        "id": "osm:node/101",
        "name": "阳光幼儿园",
        "kind": "kindergarten",
        "lon": "116.3510000",
        "lat": "40.0018000",
        "source": "osm",
        "snap_leg_m": "12.5",
    }
    assert [r["source"] for r in rows] == ["osm", "ledger", "osm"]
    assert [r["snap_leg_m"] for r in rows] == ["12.5", "3.0", "25.0"]


def test_facilities_csv_blank_snap_leg_when_unsnapped(result: AuditResult, tmp_path: Path) -> None:
    result.facilities.loc[1, "snap_leg_m"] = float("inf")
    path = tmp_path / "facilities.csv"
    write_facilities_csv(result, path)
    assert [r["snap_leg_m"] for r in _read_csv(path)] == ["12.5", "", "25.0"]


@pytest.fixture
def workbook(result: AuditResult, tmp_path: Path) -> openpyxl.Workbook:
    path = tmp_path / "communities.xlsx"
    write_communities_xlsx(result, path)
    return openpyxl.load_workbook(path)


def _keys(workbook: openpyxl.Workbook, sheet: str) -> list[str]:
    """The English keys of a sheet's columns, from the sheet ``columns``."""
    rows = list(workbook["columns"].iter_rows(min_row=2, values_only=True))
    return [str(key) for name, _, key in rows if name == sheet]


def test_xlsx_sheets_and_headers(workbook: openpyxl.Workbook) -> None:
    assert workbook.sheetnames == ["communities", "coverage", "kinds", "sources", "columns"]
    ws = workbook["communities"]
    zh = [c.value for c in ws[1]]
    assert _keys(workbook, "communities") == CSV_COLUMNS
    legend = [r for r in workbook["columns"].iter_rows(values_only=True) if r[0] == "communities"]
    assert [r[1] for r in legend] == [z.replace("\n", " ") for z in zh]
    assert ws.cell(row=2, column=1).value == "c1", "one header row: the data start on row 2"
    assert zh[:4] == ["编号", "社区名称", "人口（人）", "人口来源"]
    assert zh[4] == "幼儿园\n距离（米）"
    assert zh[5] == "幼儿园\n状态"
    assert zh[-9:] == [
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
    assert ws.freeze_panes == "C2"
    assert ws.auto_filter.ref == "A1:U4"


def _read_keyed(path: Path, sheet: str) -> pd.DataFrame:
    """A sheet as pandas reads it by default (one header row), renamed to the English keys."""
    frame = pd.read_excel(path, sheet_name=sheet)
    legend = pd.read_excel(path, sheet_name="columns")
    legend = legend[legend["工作表"] == sheet]
    assert [h.replace("\n", " ") for h in frame.columns] == legend["中文表头"].tolist()
    return frame.set_axis(legend["英文键"].tolist(), axis=1)


def test_xlsx_reads_with_pandas_defaults(result: AuditResult, tmp_path: Path) -> None:
    path = tmp_path / "communities.xlsx"
    write_communities_xlsx(result, path)
    df = _read_keyed(path, "communities")
    assert df.columns.tolist() == CSV_COLUMNS
    assert df["name"].tolist() == ["阳光小区", "和平里", "东园"]
    assert df["edge_uncertain"].tolist() == ["否", "是", "是"]


def test_xlsx_community_values(workbook: openpyxl.Workbook) -> None:
    ws = workbook["communities"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert len(rows) == 3
    c1, c2, c3 = rows
    assert c1[:4] == ["c1", "阳光小区", 3200, "给定"]
    assert c1[4:8] == [120.3, "达标", 420.1, "达标"]
    assert c1[8:10] == [None, "无数据"], "no data: blank, not '>500'"
    assert c1[11] == "不按距离审计"
    assert c1[-9:] == [1, 1, "待定（缺数据）", None, "社区卫生服务站", None, 512, "否", None]
    assert c2[2:4] == [5000, "估算"]
    assert c2[4:6] == [650.0, "缺失"]
    assert c2[-7] == "不完整"
    assert c2[-6] == "幼儿园"
    assert c2[-3:] == [250, "是", "幼儿园"]
    assert c3[2:4] == [None, "未知"]
    assert c3[4:8] == [">500", "缺失", ">500", "缺失"]
    assert c3[-6] == "幼儿园"
    assert c3[-4] == "综合超市", "life-circle gaps in their own column"
    header = [c.value for c in ws[1]]
    assert header[6] == "综合超市（生活圈）\n距离（米）"
    assert header[-4] == "生活圈缺失类别"
    assert ws.cell(row=2, column=5).number_format == "0.0"


def test_xlsx_conditional_fills_cover_status_and_verdict(workbook: openpyxl.Workbook) -> None:
    ws = workbook["communities"]
    rules = {}
    for cf in ws.conditional_formatting:
        ranges = str(cf.sqref).split()
        for rule in cf.rules:
            rules[rule.formula[0]] = (ranges, rule.dxf.fill.fgColor.rgb)
    # Status columns F, H, J, L and the verdict column O, rows 2-4.
    expected_ranges = ["F2:F4", "H2:H4", "J2:J4", "L2:L4", "O2:O4"]
    assert sorted(rules['"缺失"'][0]) == sorted(expected_ranges)
    assert rules['"达标"'][1].endswith("C8E6C9")
    assert rules['"缺失"'][1].endswith("FFCDD2")
    assert rules['"无数据"'][1].endswith("E0E0E0")
    assert rules['"不完整"'][1].endswith("FFCDD2")
    assert rules['"完整"'][1].endswith("C8E6C9")


def test_xlsx_kinds_coverage_and_sources_sheets(workbook: openpyxl.Workbook) -> None:
    kinds = [[c.value for c in row] for row in workbook["kinds"].iter_rows(min_row=2)]
    assert [k[0] for k in kinds] == [
        "kindergarten",
        "supermarket",
        "health_station",
        "barrier_free",
    ]
    assert kinds[0][1:6] == ["幼儿园", "Kindergarten", "5分钟生活圈", 300, "否（待核实）"]
    assert kinds[1][5] == "是"
    assert [k[6] for k in kinds] == [
        "是（完整社区要素）",
        "否（生活圈配套）",
        "是（完整社区要素）",
        "是（完整社区要素）",
    ]
    assert kinds[3][4] == "不按距离审计"
    assert kinds[0][8:10] == ["完整居住社区建设标准（试行）", "Item 2"]
    assert _keys(workbook, "kinds")[6] == "in_verdict"

    cov = [[c.value for c in row] for row in workbook["coverage"].iter_rows(min_row=2)]
    assert [r[0] for r in cov] == ["kindergarten", "supermarket", "health_station"]
    assert cov[0][3:] == [
        1,
        "是",
        1,
        2,
        3200,
        8200,
        pytest.approx(3200 / 8200.4),
        "OSM",
        "低",
        "是（完整社区要素）",
    ]
    assert cov[1][10:] == ["台账+OSM", "高", "否（生活圈配套）"]
    assert cov[2][4] == "否（无数据）"
    assert cov[2][9] is None, "no share is shown for a kind without data"

    src = {r[0].value: r[1].value for r in workbook["sources"].iter_rows(min_row=2)}
    assert src["设施标准目录"] == "完整居住社区建设标准（试行）测试目录"
    assert src["目录版本"] == "2026.1-test"
    assert src["地图数据署名"] == "© OpenStreetMap contributors, ODbL"
    assert src["人口来源"] == "估算、给定、未知（estimated;given;unknown）"
    assert src["阈值待核实的类别"] == "幼儿园、社区卫生服务站、无障碍"
    assert src["社区文件"] == "—"


def test_buildings_origins_add_shares(make_result: Any, tmp_path: Path) -> None:
    """With buildings as origins each kind gains ``{kind}_share_within`` after its distance."""
    result = make_result(origins="buildings")
    path = tmp_path / "communities.csv"
    write_communities_csv(result, path)
    rows = _read_csv(path)
    cols = list(rows[0])
    assert cols[4:7] == [
        "kindergarten_distance_m",
        "kindergarten_share_within",
        "kindergarten_status",
    ]
    assert [r["kindergarten_share_within"] for r in rows] == ["1.000", "0.250", "0.000"]
    assert [r["supermarket_share_within"] for r in rows] == ["0.800", "1.000", "0.000"]
    assert [r["health_station_share_within"] for r in rows] == ["", "", ""]
    xlsx = tmp_path / "communities.xlsx"
    write_communities_xlsx(result, xlsx)
    back = _read_keyed(xlsx, "communities")
    assert back.columns.tolist() == cols
    assert back["kindergarten_share_within"].tolist() == [1.0, 0.25, 0.0]
    book = openpyxl.load_workbook(xlsx)
    assert book["communities"].cell(row=2, column=6).number_format == "0%"
    src = {r[0].value: r[1].value for r in book["sources"].iter_rows(min_row=2)}
    assert src["步行距离起点"] == "住宅建筑（按人口加权）（buildings）"


def test_ledger_names_like_formulas_are_written_as_text(
    result: AuditResult, tmp_path: Path
) -> None:
    result.facilities.loc[0, "name"] = "=1+1"
    result.facilities.loc[1, "name"] = '@HYPERLINK("http://x")'
    result.communities.loc[0, "name"] = '=HYPERLINK("http://evil","详情")'
    path = tmp_path / "facilities.csv"
    write_facilities_csv(result, path)
    rows = _read_csv(path)
    assert [r["name"] for r in rows][:2] == ["'=1+1", '\'@HYPERLINK("http://x")']
    assert rows[0]["lon"] == "116.3510000"  # numbers are not touched
    path = tmp_path / "communities.csv"
    write_communities_csv(result, path)
    assert _read_csv(path)[0]["name"] == '\'=HYPERLINK("http://evil","详情")'
    xlsx = tmp_path / "communities.xlsx"
    write_communities_xlsx(result, xlsx)
    ws = openpyxl.load_workbook(xlsx)["communities"]
    cell = ws.cell(row=2, column=2)
    assert cell.value == '\'=HYPERLINK("http://evil","详情")' and cell.data_type == "s"
    for sheet in openpyxl.load_workbook(xlsx).worksheets:
        for row in sheet.iter_rows():
            assert all(c.data_type != "f" for c in row), sheet.title
