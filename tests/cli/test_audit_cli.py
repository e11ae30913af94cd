"""``wanzheng audit`` / ``demo`` through the console script's code path."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

WANZHENG = [sys.executable, "-c", "from wanzheng.cli import main; main()"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*WANZHENG, *args], capture_output=True, text=True, timeout=300)


def test_audit_writes_every_output(cau_pbf: Path, tmp_path: Path) -> None:
    out = tmp_path / "audit"
    proc = run("audit", str(cau_pbf), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    for name in (
        "communities.csv",
        "communities.xlsx",
        "facilities.csv",
        "audit.gpkg",
        "report.html",
    ):
        assert (out / name).stat().st_size > 0, name
    with (out / "communities.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 11
    assert "report.html" in proc.stdout
    assert "1409" in proc.stdout  # network nodes of the CAU extract


@pytest.mark.parametrize(
    ("make_bad", "message"),
    [
        (lambda p: p.write_bytes(b"\x00\x00\x00\x0dnot a pbf at all"), "bad.osm.pbf"),
        (lambda p: None, "bad.osm.pbf"),
    ],
    ids=["corrupt", "missing"],
)
def test_bad_area_is_one_clear_error(tmp_path: Path, make_bad: object, message: str) -> None:
    bad = tmp_path / "bad.osm.pbf"
    make_bad(bad)  # type: ignore[operator]
    out = tmp_path / "out"
    proc = run("audit", str(bad), "--out", str(out))
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_truncated_pbf(cau_pbf: Path, tmp_path: Path) -> None:
    bad = tmp_path / "truncated.osm.pbf"
    bad.write_bytes(cau_pbf.read_bytes()[:40_000])
    proc = run("audit", str(bad), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "truncated.osm.pbf" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_bad_ledger_names_row_and_field(cau_pbf: Path, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.csv"
    ledger.write_text("name,category,lon,lat\n幼儿园A,幼儿园,116.35,40.0\n菜场B,菜市场,abc,40.0\n")
    proc = run("audit", str(cau_pbf), "--facilities", str(ledger), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert "ledger.csv" in proc.stderr and "row 3" in proc.stderr and "lon" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_negative_threshold_in_override(cau_pbf: Path, tmp_path: Path) -> None:
    override = tmp_path / "city.toml"
    override.write_text('[[kind]]\nkey = "kindergarten"\nthreshold_m = -5\n')
    proc = run("audit", str(cau_pbf), "--standard", str(override), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert "city.toml" in proc.stderr and "kindergarten" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_demo_audits_the_embedded_area(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    proc = run("demo", "--out", str(out), "--no-serve")
    assert proc.returncode == 0, proc.stderr
    assert (out / "report.html").is_file()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "© OpenStreetMap contributors" in html
    assert "haidian_cau_2026" in html  # named as the source, not as the title
    assert "<h1>完整社区体检报告 · 海淀区 · 中国农业大学东校区周边</h1>" in html
    # the shipped sample ledger is applied: its one row of no kind is reported
    assert "haidian_cau_ledger_sample.csv" in html
    assert "二里庄社区警务室" in proc.stdout
    # the library tagged landuse=residential on a point is not a community, and is listed
    assert "n2943228133" in proc.stdout and "中国农业大学图书馆（东区）" in html
    with (out / "communities.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert "中国农业大学图书馆（东区）" not in {r["name"] for r in rows}
    with (out / "facilities.csv").open(encoding="utf-8-sig") as fh:
        facility_rows = list(csv.DictReader(fh))
    sources = [r["source"] for r in facility_rows]
    ids = [r["id"] for r in facility_rows]
    # nine mapped sample rows (one of them under two kinds) and 109 illustrative rows
    assert sources.count("ledger") == 10 + 109
    # the first screen shows a mix, not every community 不完整 (datasets/SOURCE.md)
    verdicts = [r["verdict"] for r in rows]
    assert verdicts.count("complete") == 3 and verdicts.count("incomplete") == 8, verdicts

    # The headline numbers agree: CLI, report, dashboard (its summary API) and XLSX.
    import re

    import openpyxl

    from wanzheng.web.audit_view import load_audit_view

    said = re.search(
        r"(\d+) communities, ([\d,]+) residents, (\d+) facilities \((\d+) of them",
        " ".join(proc.stdout.split()),
    )
    assert said is not None, proc.stdout
    n_comm, residents, n_fac, multi = (int(g.replace(",", "")) for g in said.groups())
    assert (n_comm, n_fac, multi) == (11, len(set(ids)), 4)
    assert f'<div class="num">{n_fac}</div>' in html
    assert f'<div class="num">{residents:,}</div>' in html
    assert f"其中 {multi} 处同时计入两类以上" in html
    counts = load_audit_view(out).summary()["counts"]
    assert (counts["places"], counts["multi_kind"]) == (n_fac, multi)
    assert counts["population"] == residents == sum(int(r["population"] or 0) for r in rows)
    book = openpyxl.load_workbook(out / "communities.xlsx", read_only=True)
    facts = {r[0]: r[1] for r in book["sources"].iter_rows(values_only=True) if r and r[0]}
    assert int(facts["设施数（处）"]) == n_fac


def test_demo_port_skips_a_port_in_use() -> None:
    import socket

    from wanzheng.cli.audit import first_free_port

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        found = first_free_port("127.0.0.1", port)
        assert found is not None and found > port
        with socket.socket() as check:  # the port it gives can really be listened on
            check.bind(("127.0.0.1", found))
        assert first_free_port("127.0.0.1", port, tries=1) is None
