"""Candidate sites from the office's own file: CSV, XLSX, GeoJSON; bad rows named."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from openpyxl import Workbook

from wanzheng.data.candidates import load_candidates
from wanzheng.errors import DataError
from wanzheng.geo import to_wgs84

KINDS = {"elderly_station": "老年服务站", "canteen": "社区食堂", "kindergarten": "幼儿园"}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_with_chinese_headers_and_gcj02(tmp_path: Path) -> None:
    f = write(
        tmp_path / "c.csv",
        "编号,名称,经度,纬度,可承载类型,费用,容量,cost_canteen\n"
        "A1,闲置用房,116.35,40.00,老年服务站、社区食堂,120,800,30\n"
        "A2,底商一层,116.36,40.01,canteen,,,\n",
    )
    c = load_candidates(f, kinds=KINDS)
    assert list(c["id"]) == ["A1", "A2"]
    assert list(c["kinds"]) == ["elderly_station;canteen", "canteen"]
    assert list(c["cost"]) == [120.0, 0.0]
    assert c.loc[0, "capacity"] == 800.0 and np.isinf(c.loc[1, "capacity"])
    assert c.loc[0, "cost_canteen"] == 30.0 and np.isnan(c.loc[1, "cost_canteen"])
    lon, lat = to_wgs84(np.array([116.35, 116.36]), np.array([40.00, 40.01]), "gcj02")
    assert c["lon"].to_numpy() == pytest.approx(lon)
    assert c["lat"].to_numpy() == pytest.approx(lat)
    # GCJ-02 is offset by a few hundred metres: the conversion did something
    assert abs(c.loc[0, "lon"] - 116.35) > 1e-3


def test_wgs84_rows_and_bd09_default(tmp_path: Path) -> None:
    f = write(
        tmp_path / "c.csv",
        '名称,经纬度,坐标系\n甲,"116.35,40.00",wgs84\n乙,"116.36,40.01",\n',
    )
    c = load_candidates(f, kinds=KINDS, default_crs="bd09")
    assert c.loc[0, "lon"] == 116.35 and c.loc[0, "lat"] == 40.00
    lon, lat = to_wgs84(np.array([116.36]), np.array([40.01]), "bd09")
    assert c.loc[1, "lon"] == pytest.approx(lon[0]) and c.loc[1, "lat"] == pytest.approx(lat[0])
    assert list(c["id"]) == ["C2", "C3"]  # the rows as the user sees them


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("甲,116.35,40.0,,abc,", r"row 2: column '费用': expected a cost >= 0 .*'abc'"),
        ("甲,116.35,40.0,,-5,", r"row 2: column '费用': expected a cost >= 0"),
        ("甲,116.35,40.0,,,0", r"row 2: column '容量': expected residents > 0"),
        ("甲,116.35,,,,", r"row 2: column '纬度': is empty"),
        ("甲,40.0,116.35,,,", r"row 2: .*outside China; lon and lat look swapped"),
        ("甲,116.35,40.0,图书馆,,", r"row 2: column '可承载类型': '图书馆' is not a kind"),
        (",116.35,40.0,,,", r"row 2: column '名称': is empty"),
    ],
)
def test_bad_rows_are_named(tmp_path: Path, body: str, message: str) -> None:
    f = write(tmp_path / "bad.csv", "名称,经度,纬度,可承载类型,费用,容量\n" + body + "\n")
    with pytest.raises(DataError, match=message):
        load_candidates(f, kinds=KINDS)


def test_duplicate_ids_and_missing_columns(tmp_path: Path) -> None:
    f = write(tmp_path / "d.csv", "编号,名称,经度,纬度\nX,甲,116.35,40\nX,乙,116.36,40\n")
    with pytest.raises(
        DataError, match=r"row 3: column '编号': duplicate id 'X' \(also in row 2\)"
    ):
        load_candidates(f, kinds=KINDS)
    f = write(tmp_path / "m.csv", "名称,经度\n甲,116.35\n")
    with pytest.raises(DataError, match=r"missing column\(s\) lat"):
        load_candidates(f, kinds=KINDS)
    f = write(tmp_path / "k.csv", "名称,经度,纬度,cost_library\n甲,116.35,40,1\n")
    with pytest.raises(DataError, match="'library' is not a kind"):
        load_candidates(f, kinds=KINDS)


def test_xlsx_with_a_title_row(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["某街道候选点位清单"])
    ws.append(["名称", "经度", "纬度", "可承载类型", "费用"])
    ws.append(["闲置用房", 116.35, 40.0, "幼儿园", 50])
    ws.append(["车棚", 116.36, 40.0, "老年服务站 社区食堂", "x"])
    path = tmp_path / "c.xlsx"
    wb.save(path)
    with pytest.raises(DataError, match=r"row 4: column '费用': expected a cost"):
        load_candidates(path, kinds=KINDS)
    ws.cell(row=4, column=5, value=20)
    wb.save(path)
    c = load_candidates(path, kinds=KINDS, default_crs="wgs84")
    assert list(c["kinds"]) == ["kindergarten", "elderly_station;canteen"]
    assert list(c["row"]) == [3, 4]


def test_geojson_points(tmp_path: Path) -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": "g1",
                "geometry": {"type": "Point", "coordinates": [116.35, 40.0]},
                "properties": {
                    "名称": "闲置用房",
                    "费用": 10,
                    "容量": 300,
                    "可承载类型": "canteen",
                },
            },
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [116.36, 40.0]},
                "properties": {"name": "底商"},
            },
        ],
    }
    path = write(tmp_path / "c.geojson", json.dumps(doc, ensure_ascii=False))
    c = load_candidates(path, kinds=KINDS, default_crs="wgs84")
    assert list(c["id"]) == ["g1", "C2"]
    assert c.loc[0, "capacity"] == 300.0
    assert c.loc[1, "lon"] == 116.36
    doc["features"][1]["geometry"] = {"type": "Polygon", "coordinates": []}  # type: ignore[index]
    write(path, json.dumps(doc))
    with pytest.raises(DataError, match="feature 2: geometry: expected a Point, got 'Polygon'"):
        load_candidates(path, kinds=KINDS)
    doc["features"][1]["geometry"] = {"type": "Point", "coordinates": [116.36, 40.0]}  # type: ignore[index]
    doc["features"][1]["properties"] = {"name": "底商", "cost": "many"}  # type: ignore[index]
    write(path, json.dumps(doc))
    with pytest.raises(DataError, match="feature 2: column 'cost': expected a cost"):
        load_candidates(path, kinds=KINDS)


CATALOGUE_KINDS = {
    "service_station": "社区综合服务站",
    "elderly_station": "老年服务站（养老服务站、日间照料）",
    "canteen": "社区食堂（助餐点）",
    "supermarket": "综合超市",
}


@pytest.mark.parametrize(
    ("cell", "keys"),
    [
        # 、 inside brackets describes the site; it does not separate kinds
        ("社区服务站（含老年、托育）、超市", "service_station;supermarket"),
        ("老年服务站（养老服务站、日间照料）", "elderly_station"),
        ("老年服务站(日间照料)，社区食堂", "elderly_station;canteen"),
        ("【综合超市】 助餐点", "supermarket;canteen"),
        ("社区食堂（助餐点）、社区食堂", "canteen"),
    ],
)
def test_kinds_cell_splits_outside_brackets(tmp_path: Path, cell: str, keys: str) -> None:
    f = write(tmp_path / "k.csv", f'名称,经度,纬度,可承载类型\n甲,116.35,40.0,"{cell}"\n')
    c = load_candidates(f, kinds=CATALOGUE_KINDS, default_crs="wgs84")
    assert c.loc[0, "kinds"] == keys


def test_an_unknown_bracketed_kind_is_named_whole(tmp_path: Path) -> None:
    f = write(
        tmp_path / "k.csv", "名称,经度,纬度,可承载类型\n甲,116.35,40.0,图书馆（含阅览、自习）\n"
    )
    # the reader's cells are NFKC-normalised: full-width brackets read as ( )
    with pytest.raises(
        DataError, match=r"row 2: column '可承载类型': '图书馆\(含阅览、自习\)' is not"
    ):
        load_candidates(f, kinds=CATALOGUE_KINDS, default_crs="wgs84")
