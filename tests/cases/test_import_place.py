"""``wanzheng cases import --area``: work orders without coordinates placed from their words."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from wanzheng.cases.store import Case, make_engine, make_sessionmaker
from wanzheng.cli import app

runner = CliRunner()

ROWS = (
    "工单编号,受理时间,诉求内容,地址,经度,纬度,办理状态,办结时间\n"
    "P-1,2026-10-01 09:00,静淑苑5号楼门口路灯坏了,,,,已提交,\n"
    "P-2,2026-10-02 10:00,路面坑洼,学院路,,,已提交,\n"
    "P-3,2026-10-03 11:00,静淑苑垃圾满了,,116.3479,39.9985,已提交,\n"
)


def test_rows_without_coordinates_are_placed(
    database_url: str, cau_pbf: Path, tmp_path: Path
) -> None:
    f = tmp_path / "orders.csv"
    f.write_text(ROWS, encoding="utf-8")
    r = runner.invoke(
        app, ["cases", "import", str(f), "--area", str(cau_pbf), "--database", database_url]
    )
    assert r.exit_code == 0, r.output
    assert "placed row 2: 静淑苑 5号楼(地图无此楼) (confidence 0.85)" in r.output
    assert "unplaced row 3: road_only: 学院路" in r.output
    assert "3 cases imported, 0 skipped, 0 rejected; 1 placed from their words, 1 unplaced" in (
        r.output
    )
    engine = make_engine(database_url, pool_size=1)
    with make_sessionmaker(engine)() as s:
        cases = {c.text: c for c in s.scalars(select(Case)).all()}
    engine.dispose()
    placed = cases["静淑苑5号楼门口路灯坏了"]
    # the point inside 静淑苑 (w860342589) the gazetteer gives, to 1e-7°
    assert (placed.lon, placed.lat) == pytest.approx((116.3439273, 40.0044708), abs=1e-7)
    assert cases["路面坑洼"].lon is None and cases["路面坑洼"].address == "学院路"
    assert (cases["静淑苑垃圾满了"].lon, cases["静淑苑垃圾满了"].lat) == (116.3479, 39.9985)


def test_placing_options_need_an_area(database_url: str, data_dir: Path) -> None:
    f = data_dir / "cases" / "workorders_ok.xlsx"
    r = runner.invoke(
        app, ["cases", "import", str(f), "--facilities", "x.csv", "--database", database_url]
    )
    assert r.exit_code != 0
    assert "go with --area" in str(r.exception)
