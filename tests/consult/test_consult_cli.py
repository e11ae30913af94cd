"""``wanzheng consult …`` through the CLI runner: a gap's options from the audit of the CAU
extract and every step of a consultation on a SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from consultdata import COMMUNITY
from typer.testing import CliRunner

from wanzheng.cli import app
from wanzheng.data.audit_output import AuditOutput
from wanzheng.errors import ConflictError, PermissionDeniedError

runner = CliRunner()


def test_a_consultation_from_the_command_line(
    consult_audit: AuditOutput, candidates_csv: Path, electors_csv: Path, tmp_path: Path
) -> None:
    db = ["--database", f"sqlite:///{tmp_path / 'desk.sqlite3'}"]

    def run(*args: str, code: int = 0) -> str:
        r = runner.invoke(app, ["consult", *args])
        assert r.exit_code == code, (args, r.output, r.exception)
        return r.output

    audit = str(consult_audit.out_dir)
    gaps = run("gaps", audit, "--community", COMMUNITY)
    assert "canteen\t社区食堂（助餐点）\tnearest 348 m > 300 m" in gaps
    options = tmp_path / "options.json"
    out = run(
        "options", audit, "--community", COMMUNITY, "--kind", "canteen",
        "--candidates", str(candidates_csv), "--candidates-crs", "wgs84", "--out", str(options),
    )  # fmt: skip
    assert "A\t在学院路西侧底商新建社区食堂（助餐点）\tcost 80" in out
    spec = json.loads(options.read_text(encoding="utf-8"))
    assert [o["cost"] for o in spec["options"]] == [80.0, 120.0]
    assert spec["evidence"]["distance_m"] == pytest.approx(348.3, abs=0.1)

    assert json.loads(run("electors", str(electors_csv), *db))["electors"] == 7
    at = "2027-03-01T09:00"
    cid = run(
        "create", "--title", "助餐点选址", "--options", str(options), "--responsible", "王主任",
        "--verify", "identifier", *db, "--at", at,
    ).strip()  # fmt: skip
    run("notice", cid, "--text", "两处选址公示", *db, "--at", at)
    minutes = tmp_path / "minutes.txt"
    minutes.write_text("议定交由居民投票", encoding="utf-8")
    run(
        "meeting", cid, "--held-at", "2027-03-09T19:00", "--attendance", "21", "--minutes",
        str(minutes), "--attendee", "居民代表甲", *db, "--at", "2027-03-10T09:00",
    )  # fmt: skip
    run("open", cid, "--closes-at", "2027-03-17T18:00", *db, "--at", "2027-03-10T09:00")
    run(
        "paper", cid, "--booth", "1号投票点", "--ballots", "12", "--invalid", "2",
        "--count", "A=7", "--count", "B=3", "--by", "李", *db, "--at", "2027-03-17T19:00",
    )  # fmt: skip
    r = runner.invoke(app, ["consult", "confirm", cid, "--booth", "1号投票点", "--by", "李", *db])
    assert isinstance(r.exception, PermissionDeniedError)
    run("close", cid, *db, "--at", "2027-03-17T18:00")
    r = runner.invoke(app, ["consult", "result", cid, *db, "--at", "2027-03-18T09:00"])
    assert isinstance(r.exception, ConflictError)  # the booth is not confirmed
    run("confirm", cid, "--booth", "1号投票点", "--by", "张", *db, "--at", "2027-03-18T09:00")
    result = json.loads(run("result", cid, *db, "--at", "2027-03-18T10:00"))
    assert [(c["label"], c["paper"], c["chosen"]) for c in result["counts"]] == [
        ("A", 7, True),
        ("B", 3, False),
    ]
    run(
        "execution", cid, "--project", f"{COMMUNITY}:canteen:学院路西侧底商", *db,
        "--at", "2027-03-20T09:00",
    )  # fmt: skip
    late = run("overdue", *db, "--at", "2027-07-01T09:00", code=1)
    assert f"{cid}\texecution\t决而不行" in late
    run("done", cid, "--note", "已建成", *db, "--at", "2027-07-02T09:00")
    run("report-back", cid, "--text", "助餐点已开放", *db, "--at", "2027-07-03T09:00")
    assert run("overdue", *db, "--at", "2027-07-04T09:00") == ""
    shown = json.loads(run("show", cid, *db, "--at", "2027-07-04T09:00"))
    assert all(s["done_at"] for s in shown["steps"])
    assert shown["paper"][0]["confirmed_by"] == "张"
