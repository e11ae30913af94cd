"""Facility ledgers: CSV (UTF-8 and GBK) and XLSX, coordinate systems, mapping, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from openpyxl import Workbook
from pyproj import Geod

from wanzheng.data.ledger import load_ledger
from wanzheng.data.tabular import read_table
from wanzheng.errors import DataError
from wanzheng.geo import from_wgs84
from wanzheng.standards import KindRules, load_kind_rules

INPUTS = Path(__file__).parent.parent / "data" / "inputs"
GEOD = Geod(ellps="WGS84")

# WGS-84 positions of the OSM objects the ledger rows describe (see tests/data/inputs/SOURCE.md)
OSM_WGS84 = {
    "HD-001": (116.3495135, 40.0036742),
    "HD-002": (116.345861, 39.9999453),
    "HD-003": (116.3551466, 40.0029462),
    "HD-004": (116.3597055, 40.0065449),
    "HD-005": (116.3483316, 40.0071331),
    "HD-006": (116.348059, 40.0020885),
    "HD-007": (116.3473327, 40.0021624),
    "HD-008": (116.354107, 39.9975119),
}


@pytest.fixture(scope="module")
def rules() -> KindRules:
    return load_kind_rules()


def _csv(tmp_path: Path, text: str, name: str = "l.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


@pytest.mark.parametrize("name", ["ledger_haidian.csv", "ledger_haidian_gbk.csv"])
def test_real_ledger_lands_on_the_osm_objects(rules: KindRules, name: str) -> None:
    ledger = load_ledger(INPUTS / name, rules=rules)
    fac = ledger.facilities
    assert ledger.n_rows == 10
    assert list(fac.columns) == ["id", "name", "kind", "lon", "lat", "source", "category", "row"]
    for ident, (lon, lat) in OSM_WGS84.items():
        row = fac[fac["id"] == ident].iloc[0]
        dist = GEOD.inv(lon, lat, row["lon"], row["lat"])[2]
        assert dist < 0.05, (ident, dist)  # 7 decimals ≈ 1 cm, the inverse closes to < 1 cm
    kinds = dict(zip(fac["id"], fac["kind"], strict=False))
    assert kinds["HD-001"] == "kindergarten"
    assert kinds["HD-003"] == "parcel"
    assert kinds["HD-008"] == "green"
    # the health-service centre is both a health station and a community hospital
    assert sorted(fac.loc[fac["id"] == "HD-006", "kind"]) == [
        "community_hospital",
        "health_station",
    ]
    assert len(fac) == 10  # 9 mapped rows, one of them twice
    # HD-009 has no category: its name maps it; HD-010 (police post) maps to nothing
    assert fac.loc[fac["id"] == "HD-009", "kind"].tolist() == ["service_station"]
    assert ledger.unmapped["id"].tolist() == ["HD-010"]
    assert ledger.unmapped["row"].tolist() == [11]  # header is row 1
    assert "match no facility kind" in ledger.unmapped["reason"].iloc[0]
    assert (fac["source"] == "ledger").all()
    assert fac.loc[fac["id"] == "HD-001", "row"].iloc[0] == 2


def test_gbk_is_detected(tmp_path: Path) -> None:
    table = read_table(INPUTS / "ledger_haidian_gbk.csv", aliases={"name": ("名称",)})
    assert table.encoding == "gb18030"
    assert table.frame["name"].iloc[0] == "中国农业大学东校区幼儿园"
    utf = read_table(INPUTS / "ledger_haidian.csv", aliases={})
    assert utf.encoding == "utf-8"
    # an explicit wrong encoding is refused clearly
    with pytest.raises(DataError, match="cannot decode the file as utf-8"):
        read_table(INPUTS / "ledger_haidian_gbk.csv", aliases={}, encoding="utf-8")


def test_default_crs_and_kind_column(rules: KindRules, tmp_path: Path) -> None:
    text = "name,kind,category,lon,lat\nA,nursery,幼儿园,116.35,40.0\nB,,理发店,116.36,40.01\n"
    path = _csv(tmp_path, text)
    wgs = load_ledger(path, rules=rules, default_crs="wgs84").facilities
    # a kind column with a catalogue key wins over the category text
    assert wgs["kind"].tolist() == ["nursery", "barber"]
    assert wgs["lon"].tolist() == [116.35, 116.36]
    assert wgs["id"].tolist() == ["L2", "L3"]
    gcj = load_ledger(path, rules=rules).facilities  # default gcj02
    # the GCJ-02 shift in Beijing is about -0.006° lon, -0.0013° lat back to WGS-84
    assert gcj["lon"].iloc[0] == pytest.approx(116.35 - 0.0062, abs=3e-4)
    assert gcj["lat"].iloc[0] == pytest.approx(40.0 - 0.0013, abs=3e-4)


def test_xlsx_with_chinese_headers(rules: KindRules, tmp_path: Path) -> None:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["序号", "名称", "设施类型", "经度", "纬度", "坐标系"])
    ws.append([1, "七甲闸社区养老服务驿站", "日间照料", 120.2101, 30.2045, "wgs84"])
    ws.append([None, None, None, None, None, None])  # an empty row is skipped
    ws.append([3, "丹枫菜场", "农贸市场", "120.2150", "30.2080", "gcj02"])
    path = tmp_path / "l.xlsx"
    book.save(path)
    ledger = load_ledger(path, rules=rules)
    fac = ledger.facilities
    assert fac["kind"].tolist() == ["elderly_station", "vegetable_market"]
    assert fac["row"].tolist() == [2, 4]  # Excel row numbers
    assert fac["lon"].iloc[0] == 120.2101
    assert fac["lon"].iloc[1] < 120.2150  # converted from GCJ-02


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("名称,类别,经度\nA,幼儿园,116.3\n", r"missing column\(s\) lat"),
        ("name,lon,lat\nA,116.3,40\n", r"missing column\(s\) kind or category"),
        ("名称,类别,经度,纬度\nA,幼儿园,116.3,\n", r"row 2: column '纬度': is empty"),
        (
            "名称,类别,经度,纬度\nA,幼儿园,116.3,40\nB,幼儿园,abc,40\n",
            r"row 3: column '经度': expected a number.*'abc'",
        ),
        (
            "名称,类别,经度,纬度\nA,幼儿园,-0.12,51.5\n",
            r"row 2: columns '经度'/'纬度': \(-0.12, 51.5\) is outside China",
        ),
        (
            "名称,类别,经度,纬度\nA,幼儿园,40.0,116.3\n",
            r"row 2.*outside China; lon and lat look swapped",
        ),
        ("名称,类别,经度,纬度\nA,幼儿园,516.3,40\n", r"row 2.*outside China"),
        (
            "名称,类别,经度,纬度,坐标系\nA,幼儿园,116.3,40,mars\n",
            r"row 2: column '坐标系': unknown coordinate system 'mars'",
        ),
        (
            "编号,名称,类别,经度,纬度\n7,A,幼儿园,116.3,40\n7,B,超市,116.31,40\n",
            r"row 3: column '编号': duplicate id '7' \(also in row 2\)",
        ),
        ("名称,类别,经度,纬度\n,幼儿园,116.3,40\n", r"row 2: column '名称': is empty"),
        ("名称,类别,经度,纬度\n", "header row but no data rows"),
        ("", "the file is empty"),
        ("\n\n,,\n", "the file is empty"),
        ("名称,类别,经度,纬度\nA,幼儿园,116.3,40,extra\n", "more cells than header columns"),
    ],
)
def test_bad_ledgers(rules: KindRules, tmp_path: Path, text: str, message: str) -> None:
    path = _csv(tmp_path, text)
    with pytest.raises(DataError, match=message) as info:
        load_ledger(path, rules=rules)
    assert str(path) in str(info.value)


def test_row_numbers_count_blank_lines_and_multiline_cells(
    rules: KindRules, tmp_path: Path
) -> None:
    text = '名称,类别,经度,纬度\n"A\n(二号楼)",幼儿园,116.3,40\n\nB,幼儿园,x,40\n'
    with pytest.raises(DataError, match="row 5: column '经度'"):
        load_ledger(_csv(tmp_path, text), rules=rules)


def test_unreadable_files(rules: KindRules, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        load_ledger(tmp_path / "absent.csv", rules=rules)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"this is not a zip file")
    with pytest.raises(DataError, match="not a readable XLSX workbook"):
        load_ledger(bad, rules=rules)
    with pytest.raises(DataError, match=r"unsupported file type '\.json'"):
        load_ledger(tmp_path / "l.json", rules=rules)
    with pytest.raises(DataError, match=r"save it as \.xlsx or CSV"):
        load_ledger(tmp_path / "l.xls", rules=rules)
    binary = tmp_path / "b.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DataError, match="not a text"):
        load_ledger(binary, rules=rules)
    with pytest.raises(DataError, match="unknown coordinate system"):
        load_ledger(INPUTS / "ledger_haidian.csv", rules=rules, default_crs="utm")


def test_per_row_crs_matters(rules: KindRules, tmp_path: Path) -> None:
    text = "name,category,lon,lat,crs\nA,幼儿园,116.35,40.0,wgs84\nB,幼儿园,116.35,40.0,bd09\n"
    fac = load_ledger(_csv(tmp_path, text), rules=rules).facilities
    a, b = fac.iloc[0], fac.iloc[1]
    shift = GEOD.inv(a["lon"], a["lat"], b["lon"], b["lat"])[2]
    assert 1000 < shift < 1500  # BD-09 is about 1.3 km off WGS-84 in Beijing
    back = from_wgs84(b["lon"], b["lat"], "bd09")
    np.testing.assert_allclose(np.asarray(back, dtype=float), [116.35, 40.0], atol=1e-9)


def test_title_row_and_combined_coordinates(rules: KindRules, tmp_path: Path) -> None:
    # The shape of many real ledgers: a merged title row, then the header, then a combined
    # 经纬度 cell copied from the Amap coordinate picker.
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["西兴街道便民服务设施台账（2025年）"])
    ws.merge_cells("A1:D1")
    ws.append(["序号", "设施名称", "设施类型", "经纬度"])
    ws.append([1, "七甲闸社区卫生服务站", "卫生服务站", "120.2101,30.2045"])
    ws.append([2, "金东方菜鸟驿站", "快递", "120.2150， 30.2080"])
    path = tmp_path / "l.xlsx"
    book.save(path)
    ledger = load_ledger(path, rules=rules, default_crs="wgs84")
    fac = ledger.facilities
    assert fac["row"].tolist() == [3, 4]
    assert fac["kind"].tolist() == ["health_station", "parcel"]
    assert fac["lon"].tolist() == [120.2101, 120.2150]
    assert fac["lat"].tolist() == [30.2045, 30.2080]
    ws.append([3, "丹枫理发", "理发", "120.2150"])
    book.save(path)
    with pytest.raises(DataError, match=r"row 5: column '经纬度': expected 'longitude,latitude'"):
        load_ledger(path, rules=rules)


def test_xlsx_row_numbers_with_gaps_and_empty_first_cells(rules: KindRules, tmp_path: Path) -> None:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws["B2"], ws["C2"], ws["D2"], ws["E2"] = "名称", "类别", "经度", "纬度"
    ws["B5"], ws["C5"], ws["D5"], ws["E5"] = "甲", "幼儿园", 116.35, 40.0
    ws["C7"], ws["D7"], ws["E7"] = "幼儿园", 116.35, 40.0  # name missing in row 7
    path = tmp_path / "gaps.xlsx"
    book.save(path)
    with pytest.raises(DataError, match=r"row 7: column '名称': is empty"):
        load_ledger(path, rules=rules)
    ws["B7"] = "乙"
    book.save(path)
    assert load_ledger(path, rules=rules).facilities["row"].tolist() == [5, 7]


@pytest.mark.parametrize(
    "text",
    [
        "名称,类别\n七甲闸社区卫生服务站,卫生服务站\n",
        "名称\n甲\n",  # two Chinese characters: statistical detectors guess Korean here
        "name,category,lon,lat\n丹枫菜场,农贸市场,120.2,30.2\n",
    ],
)
def test_short_gbk_files(tmp_path: Path, text: str) -> None:
    path = tmp_path / "short.csv"
    path.write_bytes(text.encode("gbk"))
    table = read_table(path, aliases={"name": ("名称",)})
    assert table.encoding == "gb18030"
    assert table.frame["name"].iloc[0] == text.splitlines()[1].split(",")[0]


def test_utf16_tab_separated(rules: KindRules, tmp_path: Path) -> None:
    # Excel's "Unicode text" export: UTF-16 with BOM, tab-separated
    path = tmp_path / "l.txt"
    path.write_bytes("名称\t类别\t经度\t纬度\n甲\t幼儿园\t116.35\t40.0\n".encode("utf-16"))
    fac = load_ledger(path, rules=rules, default_crs="wgs84").facilities
    assert fac[["name", "kind", "lon", "lat"]].values.tolist() == [
        ["甲", "kindergarten", 116.35, 40.0]
    ]
