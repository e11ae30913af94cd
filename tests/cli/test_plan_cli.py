"""``wanzheng plan site`` end to end on an audit of the CAU extract (tests/data)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pyogrio.raw
import pytest
import shapely
from openpyxl import load_workbook

WANZHENG = [sys.executable, "-c", "from wanzheng.cli import main; main()"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*WANZHENG, *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def audit_dir(cau_pbf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plan") / "audit"
    proc = run("audit", str(cau_pbf), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


def test_site_on_the_network_writes_a_proven_plan(audit_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    proc = run(
        "plan", "site", str(audit_dir), "--kinds", "canteen,convenience_store",
        "--add", "2", "--out", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "optimal" in proc.stdout
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    s = plan["summary"]
    assert s["status"] == "optimal" and s["gap"] == 0
    # both sites are used, each newly reaching residents (a second site adding nobody would
    # be dropped), and the plan lists exactly the sites it counts
    assert s["n_sites"] == len(plan["sites"]) == 2
    assert all(site["residents_new"] > 0 for site in plan["sites"])
    # the objective is the residents newly covered, and the per-community table adds up to it
    comm = pd.read_excel(out / "plan.xlsx", sheet_name="communities")
    gained = comm["canteen_residents_new"].sum() + comm["convenience_store_residents_new"].sum()
    assert gained == pytest.approx(s["objective"])
    assert s["residents_new"] == pytest.approx(s["objective"])
    # before = the audit's own walks (read independently from communities.csv)
    audit = pd.read_csv(audit_dir / "communities.csv", dtype={"id": str}).set_index("id")
    before = comm.set_index(comm["id"].astype(str))["convenience_store_distance_before_m"]
    expected = audit.loc[before.index, "convenience_store_distance_m"]
    both = np.isfinite(before.to_numpy(float)) & np.isfinite(expected.to_numpy(float))
    assert both.sum() >= 5
    assert before[both].to_numpy() == pytest.approx(expected[both].to_numpy(), abs=0.2)
    # after is never longer than before
    after = comm["convenience_store_distance_after_m"].fillna(np.inf).to_numpy(float)
    assert (
        after <= comm["convenience_store_distance_before_m"].fillna(np.inf).to_numpy(float)
    ).all()
    # alternatives p = 1, 2: more sites never cover fewer residents
    alt = plan["alternatives"]
    assert [a["p"] for a in alt] == [1, 2]
    assert alt[0]["objective"] <= alt[1]["objective"] == pytest.approx(s["objective"])
    layers = {name for name, _ in pyogrio.list_layers(out / "plan.gpkg")}
    assert layers == {"plan_sites", "plan_communities", "plan_candidates"}
    assert set(load_workbook(out / "plan.xlsx").sheetnames) >= {"summary", "sites", "alternatives"}
    html = (out / "plan.html").read_text(encoding="utf-8")
    assert "选址补短板" in html and "http" not in html.replace("http://www.w3.org", "")


def test_site_with_the_offices_candidates(audit_dir: Path, tmp_path: Path) -> None:
    comm = pd.read_csv(audit_dir / "communities.csv", dtype={"id": str})
    geoms = pyogrio.raw.read(audit_dir / "audit.gpkg", layer="communities")[2]
    pts = shapely.point_on_surface(shapely.from_wkb(geoms))
    rows = ["编号,名称,经度,纬度,可承载类型,费用,坐标系"]
    for i in range(3):
        x, y = shapely.get_x(pts[i]), shapely.get_y(pts[i])
        rows.append(f"S{i},候选{i},{x:.7f},{y:.7f},社区食堂,{10 * (i + 1)},wgs84")
    cand = tmp_path / "cand.csv"
    cand.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "plan"
    proc = run(
        "plan", "site", str(audit_dir), "--kinds", "canteen", "--candidates", str(cand),
        "--budget", "30", "--out", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert plan["summary"]["status"] == "optimal"
    assert plan["summary"]["cost"] <= 30
    assert {site["id"] for site in plan["sites"]} <= {"S0", "S1", "S2"}
    assert len(comm) == 11  # the demo area's 12 residential objects, one a point (dropped)


def test_bad_input_is_one_clear_error(audit_dir: Path, tmp_path: Path) -> None:
    cand = tmp_path / "bad.csv"
    cand.write_text("名称,经度,纬度,费用\n甲,116.35,40.0,很多\n", encoding="utf-8")
    proc = run(
        "plan", "site", str(audit_dir), "--kinds", "canteen", "--candidates", str(cand),
        "--add", "1", "--out", str(tmp_path / "p"),
    )  # fmt: skip
    assert proc.returncode == 2
    assert "bad.csv: row 2: column '费用': expected a cost" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = run("plan", "site", str(audit_dir), "--kinds", "library", "--add", "1", "--out",
               str(tmp_path / "p"))  # fmt: skip
    assert proc.returncode == 2 and "'library' is not a kind of this audit" in proc.stderr
    proc = run("plan", "site", str(tmp_path), "--kinds", "canteen", "--add", "1", "--out",
               str(tmp_path / "p"))  # fmt: skip
    assert proc.returncode == 2 and "no audit output here" in proc.stderr


def test_the_audits_own_plan_goes_into_its_report(audit_dir: Path, tmp_path: Path) -> None:
    own = tmp_path / "audit"
    shutil.copytree(audit_dir, own)
    for add in ("2", "1"):  # the second plan replaces the first in the report
        proc = run("plan", "site", str(own), "--kinds", "canteen", "--add", add)
        assert proc.returncode == 0, proc.stderr
    plan = json.loads((own / "plan" / "plan.json").read_text(encoding="utf-8"))
    assert plan["summary"]["p"] == 1 and len(plan["sites"]) == 1
    html = (own / "report.html").read_text(encoding="utf-8")
    assert html.count('<section id="plan"') == 1 and html.count('href="#plan"') == 1
    site = plan["sites"][0]
    assert site["name"] in html and not re.fullmatch(r"N_?\d+", site["name"])
    # the site's position is kept to 1e-7 degrees, as in plan.gpkg
    _meta, _, geoms, _fields = pyogrio.raw.read(own / "plan" / "plan.gpkg", layer="plan_sites")
    point = shapely.from_wkb(geoms[0])
    assert (site["lon"], site["lat"]) == pytest.approx((point.x, point.y), abs=1e-7)
    st = (own / "audit.gpkg").stat()
    assert plan["audit"] == {"gpkg_size": st.st_size, "gpkg_mtime_ns": st.st_mtime_ns}
    # a plan written elsewhere leaves the report alone
    proc = run("plan", "site", str(own), "--kinds", "canteen", "--add", "2",
               "--out", str(tmp_path / "elsewhere"))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert (own / "report.html").read_text(encoding="utf-8") == html


def test_sites_named_with_the_areas_osm_places(
    audit_dir: Path, cau_pbf: Path, tmp_path: Path
) -> None:
    from wanzheng.data.osm_names import load_osm_names

    out = tmp_path / "plan"
    proc = run("plan", "site", str(audit_dir), "--kinds", "canteen,convenience_store",
               "--add", "3", "--osm", str(cau_pbf), "--out", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    names = set(load_osm_names(cau_pbf)["name"].astype(str))
    beside = [s["name"] for s in plan["sites"] if s["name"].endswith("旁")]
    # a site beside a place is beside one of the area's named places
    for name in beside:
        place = name.split(" · ")[-1].removesuffix("旁")
        assert place in names, name
    assert all(s["name"] and not re.fullmatch(r"N_?\d+", s["name"]) for s in plan["sites"])
