"""``wanzheng place`` through the CLI runner: the output contract and clear errors."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from wanzheng.cli import app

runner = CliRunner()
CONTRACT = [
    "id",
    "lon",
    "lat",
    "community_id",
    "community_name",
    "grid_id",
    "matched",
    "confidence",
]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_place_writes_one_row_per_case_in_order(cau_pbf: Path, tmp_path: Path) -> None:
    cases = _write(
        tmp_path / "cases.csv",
        "编号,title,detail,经度,纬度\n"
        "c9,路灯,石科院生活区10号楼楼道灯不亮,,\n"
        "c2,垃圾,我家楼下垃圾很多,,\n"
        "c5,=HYPERLINK(1),学院路上坑洼,,\n"
        "c1,噪音,施工噪音,116.3479,39.9985\n",
    )
    grids = _write(
        tmp_path / "grids.toml",
        '[[communities]]\nkey = "c"\nname = "社区"\n'
        '[[grids]]\nkey = "g1"\nname = "网格"\ncommunity = "c"\n'
        'polygon = "POLYGON ((116.346 39.997, 116.352 39.997, 116.352 40.000, 116.346 40.000, '
        '116.346 39.997))"\n',
    )
    out = tmp_path / "placed.csv"
    result = runner.invoke(
        app,
        ["place", "--area", str(cau_pbf), "--data", str(cases), "--text-columns", "title,detail",
         "--grids", str(grids), "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1 with coordinates, 1 placed from their text, 2 unplaced" in result.output
    with out.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:8] == CONTRACT
    assert [r["id"] for r in rows] == ["c9", "c2", "c5", "c1"]
    first = rows[0]
    assert (first["community_id"], first["community_name"], first["grid_id"]) == (
        "w595108678",
        "石科院生活区",
        "g1",
    )
    assert first["matched"] == "石科院生活区 10号楼" and float(first["confidence"]) == 0.95
    assert all(rows[1][c] == "" for c in CONTRACT[1:])
    assert "no place named" in rows[1]["reason"]
    assert rows[2]["candidates"] == "学院路"
    assert (rows[3]["lon"], rows[3]["confidence"], rows[3]["community_id"]) == (
        "116.3479",
        "1.0",
        "w594891968",
    )


def test_errors_name_the_file_row_and_column(cau_pbf: Path, tmp_path: Path) -> None:
    cases = _write(
        tmp_path / "cases.csv", "id,text,lon,lat\n1,静淑苑,116.3,40.0\n2,静淑苑,abc,40\n"
    )
    base = ["place", "--area", str(cau_pbf), "--data", str(cases), "--out", str(tmp_path / "o.csv")]
    bad_column = runner.invoke(app, [*base, "--text-columns", "detail"])
    assert bad_column.exit_code != 0
    assert "no column 'detail'" in str(bad_column.exception)
    bad_number = runner.invoke(app, [*base, "--text-columns", "text"])
    assert "row 3: column 'lon': expected a number, got 'abc'" in str(bad_number.exception)
