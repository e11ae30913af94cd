"""A programme tracked over two dated audits of the CAU extract (tests/data).

Every kind but two (bus stops, canteens) is taken out of the verdict (``in_verdict = false``).
The first audit (2025-06-30) finds no canteen anywhere; before the second (2025-12-31) the
street office's ledger records one canteen at a community whose bus stop is within reach, and
that community — and only the communities within 300 m of the canteen whose bus stop is met —
becomes complete. Verdicts are recomputed from the audits' per-kind statuses.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from wanzheng.standards import load_catalogue

WANZHENG = [sys.executable, "-c", "from wanzheng.cli import main; main()"]
KEEP = {"bus_stop", "canteen"}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*WANZHENG, *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def audits(cau_pbf: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("programme")
    override = root / "two-kinds.toml"
    override.write_text(
        "".join(
            f'[[kind]]\nkey = "{k.key}"\nin_verdict = false\n\n'
            for k in load_catalogue().kinds
            if k.key not in KEEP
        ),
        encoding="utf-8",
    )
    first = root / "a1"
    proc = run("audit", str(cau_pbf), "--standard", str(override), "--date", "2025-06-30",
               "--out", str(first))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    comm = pd.read_csv(first / "communities.csv", dtype={"id": str})
    assert (comm["canteen_status"] != "met").all()
    # the canteen goes to the first community whose bus stop is met, at its own origin
    target = comm[comm["bus_stop_status"] == "met"].iloc[0]
    import pyogrio.raw
    import shapely

    meta, _, geoms, fields = pyogrio.raw.read(first / "audit.gpkg", layer="communities")
    ids = [str(v) for v in fields[list(meta["fields"]).index("id")]]
    origin = shapely.point_on_surface(shapely.from_wkb(geoms[ids.index(target["id"])]))
    ledger = root / "ledger.csv"
    ledger.write_text(
        "名称,类别,经度,纬度,坐标系\n"
        f"新建社区食堂,社区食堂,{shapely.get_x(origin):.7f},{shapely.get_y(origin):.7f},wgs84\n",
        encoding="utf-8",
    )
    second = root / "a2"
    proc = run("audit", str(cau_pbf), "--standard", str(override), "--facilities", str(ledger),
               "--date", "2025-12-31", "--out", str(second))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return first, second, root


def programme(path: Path, ids: list[str], names: list[str]) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "社区"
    ws.append(["某市完整社区建设计划"])  # a title row above the header
    ws.append(["社区编号", "社区名称", "街道", "区"])
    for n, (cid, name) in enumerate(zip(ids, names, strict=True)):
        ws.append([cid, name, "东升街道" if n % 2 == 0 else "学院路街道", "海淀区"])
    wt = wb.create_sheet("目标")
    wt.append(["年份", "目标比例", "范围"])
    wt.append([2025, "5%", ""])
    wt.append([2025, 0.5, "东升街道"])
    wp = wb.create_sheet("项目")
    wp.append(["社区编号", "设施类型", "点位", "阶段", "计划开工", "计划建成", "计划验收", "预算"])
    wp.append([ids[0], "canteen", "底商一层", "开工", "2025-03-01", "2025-09-30", "2026-03-31", 80])
    wp.append([ids[1], "canteen", "闲置用房", "建成", "2025-03-01", "2025-06-30", "2026-06-30", 50])
    wb.save(path)
    return path


def test_progress_between_two_dated_audits(audits: tuple[Path, Path, Path]) -> None:
    first, second, root = audits
    c1 = pd.read_csv(first / "communities.csv", dtype={"id": str}).set_index("id")
    c2 = pd.read_csv(second / "communities.csv", dtype={"id": str}).set_index("id")
    ids = list(c1.index)
    # expected from the audits' own per-kind statuses (independent of the programme code)
    complete2 = (c2["bus_stop_status"] == "met") & (c2["canteen_status"] == "met")
    became = sorted(complete2[complete2].index)
    assert len(became) >= 1
    book = programme(root / "programme.xlsx", ids, list(c1["name"].fillna("")))
    out = root / "progress"
    proc = run("plan", "progress", str(book), str(first), str(second), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert f"complete 0 → {len(became)} of {len(ids)}" in proc.stdout
    changes = pd.read_excel(out / "progress.xlsx", sheet_name="changes", dtype={"id": str})
    assert sorted(changes.loc[changes["became_complete"] == "是", "id"]) == became
    assert set(changes.loc[changes["id"].isin(became), "kinds_closed"]) == {"canteen"}
    summary = dict(pd.read_excel(out / "progress.xlsx", sheet_name="summary").values.tolist())
    share = len(became) / len(ids)
    assert summary["share_complete"] == pytest.approx(share, abs=1e-4)
    assert summary["target_met"] == ("是" if share >= 0.05 else "否")
    residents = c2.loc[became, "population"].sum()
    assert summary["residents_newly_complete"] == pytest.approx(residents)
    # the project planned to be built by 2025-09-30 and only started is late on 2025-12-31
    late = pd.read_excel(out / "progress.xlsx", sheet_name="late", dtype={"community_id": str})
    assert list(late["community_id"]) == [ids[0]]
    assert list(late["late_stage"]) == ["built"] and list(late["days_late"]) == [92]
    areas = pd.read_excel(out / "progress.xlsx", sheet_name="areas")
    assert set(areas["level"]) == {"subdistrict", "district"}
    assert areas.loc[areas["level"] == "district", "complete"].tolist() == [len(became)]
    wb = load_workbook(out / "progress.xlsx")
    assert wb.sheetnames == ["summary", "areas", "communities", "changes", "late"]
    # progress.json, for the programme page: the same figures, booleans as booleans
    doc = json.loads((out / "progress.json").read_text(encoding="utf-8"))
    assert doc["dates"] == ["2025-06-30", "2025-12-31"]
    assert doc["summary"]["complete_last"] == len(became)
    assert doc["summary"]["target_met"] is (share >= 0.05)
    assert [d["area"] for d in doc["districts"]] == ["海淀区"]
    assert doc["districts"][0]["complete"] == len(became)
    assert {s["area"]: s["district"] for s in doc["subdistricts"]} == {
        "东升街道": "海淀区",
        "学院路街道": "海淀区",
    }
    assert sorted(c["id"] for c in doc["changes"] if c["became_complete"]) == became
    by_id = {c["id"]: c for c in doc["communities"]}
    assert all(by_id[i]["verdicts"]["2025-12-31"] == "complete" for i in became)
    assert [r["days_late"] for r in doc["late"]] == [92]


def test_bad_programme_and_undated_audit(audits: tuple[Path, Path, Path], cau_pbf: Path) -> None:
    first, second, root = audits
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "社区"
    ws.append(["社区编号", "社区名称"])
    ws.append(["n2943228133", "甲"])
    wp = wb.create_sheet("项目")
    wp.append(["社区编号", "阶段"])
    wp.append(["n2943228133", "快好了"])
    bad = root / "bad.xlsx"
    wb.save(bad)
    proc = run("plan", "progress", str(bad), str(first), "--out", str(root / "p"))
    assert proc.returncode == 2
    assert "sheet '项目': row 2: column '阶段': expected one of planned" in proc.stderr
    assert "Traceback" not in proc.stderr
    template = root / "template.xlsx"
    proc = run("plan", "template", "--out", str(template), "--audit", str(first))
    assert proc.returncode == 0, proc.stderr
    assert load_workbook(template).sheetnames == ["社区", "目标", "项目", "说明"]
    proc = run("plan", "progress", str(template), str(first), str(second), "--dates",
               "2025-06-30", "--out", str(root / "p"))  # fmt: skip
    assert proc.returncode == 2 and "expected one date per audit (2), got 1" in proc.stderr
