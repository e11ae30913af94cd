"""The proactive commands through the CLI runner (SQLite under a temporary data directory)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from wanzheng.cli import app
from wanzheng.errors import DataError
from wanzheng.proactive.outlook import holiday_shares

runner = CliRunner()
AT = "2026-11-25T10:00"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WANZHENG_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("WANZHENG_DATABASE_URL", raising=False)
    return tmp_path / "var"


def _ok(args: list[str]) -> str:
    r = runner.invoke(app, args)
    assert r.exit_code == 0, (r.output, r.exception)
    return r.output


def test_register_run_completion_purge(
    proactive_data: Path, tmp_path: Path, data_dir: Path
) -> None:
    out = _ok(["proactive", "template", str(tmp_path / "t.xlsx")])
    assert (tmp_path / "t.xlsx").exists() and "template written" in out
    out = _ok(["proactive", "import-register", str(proactive_data / "register_small.csv")])
    assert "imported 10 residents" in out and "身份证号" in out
    out = _ok(["proactive", "run", "--dry-run", "--at", AT])
    assert "13 proposed, 13 new, nothing written" in out
    assert "elderly_alone_weekly_visit" in out
    events = str(proactive_data / "events_small.csv")
    out = _ok(["proactive", "run", "--at", AT, "--events", events])
    # The register's grids G01/G02 are not the case desk's grids: tasks wait for a dispatcher.
    assert "created 7 tasks (7 unrouted), 3 notices, 5 list rows" in out
    assert "outbox: 3 sent" in out
    lines = (data_dir / "proactive" / "notices.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    out = _ok(["proactive", "run", "--at", "2026-11-25T12:00"])
    assert "created 0 tasks" in out and "retention: purged 0 register records" in out
    out = _ok(
        ["proactive", "lists", "--department", "社会事务办", "--out", str(tmp_path / "l.csv")]
    )
    assert sorted(pd.read_csv(tmp_path / "l.csv")["person_id"]) == ["R02", "R03", "R06", "R09"]
    out = _ok(["proactive", "completion", "--at", "2026-12-03T10:00"])
    assert "elderly_alone_weekly_visit" in out
    out = _ok(["proactive", "check-rules"])
    assert "10 rules" in out
    # The register was imported "now"; two years on it is past the 365-day retention.
    later = (dt.datetime.now() + dt.timedelta(days=730)).strftime("%Y-%m-%dT%H:%M")
    out = _ok(["proactive", "purge", "--at", later])
    assert "purged 10 register records" in out


def test_bad_register_is_a_data_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("编号,姓名,出生日期,网格,社区\nR1,甲,明天,G1,C1\n", encoding="utf-8")
    r = runner.invoke(app, ["proactive", "import-register", str(bad)])
    assert isinstance(r.exception, DataError)
    assert "row 2: column 'birth_date'" in str(r.exception)


def _history(path: Path) -> None:
    """Three years of 环境卫生 cases with structure, plus a recurring lamp and market asks."""
    rng = np.random.default_rng(11)
    weeks = pd.date_range("2023-11-27", periods=156, freq="7D")
    doy = (weeks + pd.Timedelta(days=3)).day_of_year.to_numpy()
    shares = np.array([holiday_shares(w.date()) for w in weeks])
    lam = 12 * (1 + 0.4 * np.sin(2 * np.pi * doy / 365.25)) * (1 - 0.7 * shares[:, 0])
    rows = []
    for week, n in zip(weeks, rng.poisson(lam), strict=True):
        for _ in range(int(n)):
            rows.append(
                {
                    "category": "环境卫生",
                    "text": "垃圾清运不及时",
                    "lon": 116.30 + rng.uniform(0, 0.05),
                    "lat": 39.95 + rng.uniform(0, 0.05),
                    "created_at": week + pd.Timedelta(hours=float(rng.uniform(0, 167))),
                    "community_id": "C1",
                }
            )
    for k in range(4):
        rows.append(
            {
                "category": "市政设施",
                "text": "学清路8号院东门路灯不亮",
                "lon": 116.36 + 0.0003 * k,
                "lat": 40.0,
                "created_at": pd.Timestamp("2026-11-10") + pd.Timedelta(days=2 * k),
                "community_id": "C2",
            }
        )
    rows.append(
        {
            "category": "商贸",
            "text": "附近没有菜市场，买菜要走两公里",
            "lon": 116.31,
            "lat": 39.96,
            "created_at": pd.Timestamp("2026-11-12"),
            "community_id": "C2",
        }
    )
    frame = pd.DataFrame(rows)
    frame.insert(0, "id", [f"K{i:05d}" for i in range(len(frame))])
    frame.to_csv(path, index=False)


def test_hotspots_outlook_evidence_from_a_file(tmp_path: Path) -> None:
    cases = tmp_path / "cases.csv"
    _history(cases)
    layer = tmp_path / "hot.geojson"
    out = _ok(["hotspots", "--cases", str(cases), "--month", "2026-11", "--geojson", str(layer)])
    assert "1 hotspot topics with cases in 2026-11" in out
    assert "学清路8号院东门路灯不亮" in out
    features = json.loads(layer.read_text(encoding="utf-8"))["features"]
    lamp = [f for f in features if "路灯" in f["properties"]["label"]]
    assert len(lamp) == 1 and lamp[0]["properties"]["size"] == 4
    forecasts, backtest = tmp_path / "fc.csv", tmp_path / "bt.csv"
    out = _ok(
        [
            "outlook",
            "--cases",
            str(cases),
            "--horizon",
            "6",
            "--out",
            str(forecasts),
            "--backtest-out",
            str(backtest),
        ]
    )
    assert "backtest written" in out
    fc = pd.read_csv(forecasts)
    assert list(fc.columns[:3]) == ["category", "community_id", "week_start"]
    assert {"horizon", "forecast", "low", "high", "used"} <= set(fc.columns)
    env = fc[fc["category"] == "环境卫生"]
    bt = pd.read_csv(backtest).set_index("category")
    assert len(env) == 6 and set(env["used"]) == {bt.loc["环境卫生", "used"]}
    assert bt.loc["环境卫生", "baseline"] in ("seasonal_naive", "last_value", "mean4")
    assert bt.loc["环境卫生", "mae"] > 0 and 0 <= bt.loc["环境卫生", "coverage"] <= 1
    assert (env["low"] <= env["forecast"]).all() and (env["forecast"] <= env["high"]).all()
    args = ["outlook", "--cases", str(cases), "--horizon", "6", "--by", "category,community_id"]
    out = _ok([*args, "--reconcile", "mint", "--out", str(forecasts)])
    fc = pd.read_csv(forecasts, keep_default_na=False)
    assert {"level", "forecast_base"} <= set(fc.columns)
    assert set(fc["level"]) == {"category", "community_id"}
    top = fc[fc["level"] == "category"].set_index(["category", "horizon"])["forecast"]
    parts = fc[fc["level"] == "community_id"].groupby(["category", "horizon"])["forecast"].sum()
    assert np.allclose(top.astype(float), parts.reindex(top.index).astype(float))
    r = runner.invoke(app, [*args, "--reconcile", "top_down"])
    assert isinstance(r.exception, DataError) and "reconcile: expected one of" in str(r.exception)
    out = _ok(["evidence", "--cases", str(cases), "--out", str(tmp_path / "ev.csv")])
    assert "vegetable_market" in out
    ev = pd.read_csv(tmp_path / "ev.csv")
    assert ev.iloc[0]["community_id"] == "C2" and ev.iloc[0]["n_cases"] == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("id,text,created_at\n1,路灯,不知道\n", encoding="utf-8")
    r = runner.invoke(app, ["hotspots", "--cases", str(bad)])
    assert isinstance(r.exception, DataError) and "row 2: column 'created_at'" in str(r.exception)
