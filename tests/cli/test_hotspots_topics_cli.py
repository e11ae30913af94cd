"""``wanzheng hotspots --cases … --out topics.csv``: hot topics from text-only cases."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from wanzheng.cli import app

runner = CliRunner()
LABELLED = Path(__file__).parents[1] / "data" / "proactive" / "topics_labelled.csv"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def test_topics_one_row_per_case_in_order(tmp_path: Path) -> None:
    out = tmp_path / "topics.csv"
    r = runner.invoke(app, ["hotspots", "--cases", str(LABELLED), "--out", str(out), "--all"])
    assert r.exit_code == 0, r.output
    rows = _rows(out)
    source = _rows(LABELLED)
    assert list(rows[0]) == ["id", "cluster_id", "heat", "label"]
    assert [r["id"] for r in rows] == [s["id"] for s in source]
    # the 静淑苑 street-lamp topic: 5 cases from 4 residents (r01 twice), 23 supporters
    lamp = {r["cluster_id"] for r in rows if r["id"] in {"t01", "t02", "t03", "t04", "t05"}}
    assert len(lamp) == 1 and lamp != {""}
    heat = {float(r["heat"]) for r in rows if r["id"] in {"t01", "t05"}}
    assert heat == {round(4 + 0.5 * 1 + 0.2 * 23, 1)}  # 9.1
    assert all(r["heat"] == "" and r["label"] == "" for r in rows if r["cluster_id"] == "")


def test_month_keeps_other_months_out(tmp_path: Path) -> None:
    out = tmp_path / "topics.csv"
    r = runner.invoke(
        app, ["hotspots", "--cases", str(LABELLED), "--out", str(out), "--month", "2026-12"]
    )
    assert r.exit_code == 0, r.output
    rows = {r["id"]: r for r in _rows(out)}
    assert len(rows) == 60
    # October's topics are not December's; t51 (静淑苑 lamps, December) has no partner there
    assert rows["t01"]["cluster_id"] == "" and rows["t51"]["cluster_id"] == ""
    both = runner.invoke(
        app,
        ["hotspots", "--cases", str(LABELLED), "--out", str(out), "--month", "2026-12", "--all"],
    )
    assert both.exit_code != 0 and "not both" in str(both.exception)
