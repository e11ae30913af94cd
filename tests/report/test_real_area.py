"""The outputs of a real audit (Haidian, CAU East 2026 extract), read back and cross-checked."""

from __future__ import annotations

import csv
import json
import math
import re
from typing import Any

import pyogrio
import pyogrio.raw
import pytest

from wanzheng.audit.result import AuditResult
from wanzheng.report import OutputFiles, write_outputs


@pytest.fixture(scope="module")
def real(real_result: AuditResult) -> AuditResult:
    return real_result


@pytest.fixture(scope="module")
def files(real: AuditResult, tmp_path_factory: pytest.TempPathFactory) -> OutputFiles:
    return write_outputs(real, tmp_path_factory.mktemp("real") / "out")


def test_csv_rows_match_the_result(real: AuditResult, files: OutputFiles) -> None:
    with files.communities_csv.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(real.communities) == 11
    keys = real.kinds["key"].tolist()
    for row, (_, src) in zip(rows, real.communities.iterrows(), strict=True):
        assert row["id"] == str(src["id"])
        assert row["verdict"] == src["verdict"]
        for key in keys:
            d = src[f"{key}_distance_m"]
            text = row[f"{key}_distance_m"]
            if math.isfinite(d):
                assert abs(float(text) - d) <= 0.05 + 1e-9
            else:
                assert text == ""
            assert row[f"{key}_status"] == src[f"{key}_status"]


def test_gpkg_counts_match(real: AuditResult, files: OutputFiles) -> None:
    info = {name: pyogrio.read_info(files.gpkg, layer=name)["features"] for name in
            ("communities", "facilities", "network")}  # fmt: skip
    assert info == {
        "communities": len(real.communities),
        "facilities": len(real.facilities),
        "network": len(real.network),
    }


def test_network_keeps_street_names(real: AuditResult, files: OutputFiles) -> None:
    # every edge of 学清路's ways is named; the GeoPackage layer carries the same names
    assert (real.network["name"] == "学清路").sum() > 0
    assert set(real.network["name"]) >= {"", "学清路", "清华东路", "学院路"}
    _meta, _fids, _geometry, fields = pyogrio.raw.read(
        files.gpkg, layer="network", columns=["name"], read_geometry=False
    )
    assert [v or "" for v in fields[0]] == list(real.network["name"])


def test_html_is_offline_and_complete(real: AuditResult, files: OutputFiles) -> None:
    page = files.report_html.read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
    assert m is not None
    data = json.loads(m.group(1))
    assert len(data["communities"]) == 11
    assert len(data["facilities"]) == len(real.facilities)
    assert page.count('class="comm ') == 11
    assert page.count('class="fac"') == len(real.facilities)
    assert "© OpenStreetMap contributors, ODbL" in page
    assert str(real.sources["catalogue_version"]) in page
    # Size stays reasonable for an e-mail attachment: the demo area is well under 1 MB.
    assert files.report_html.stat().st_size < 1_000_000


def test_buildings_origins_on_the_real_area(cau_pbf: Any, tmp_path: Any) -> None:
    """``--origins buildings``: shares and life-circle gaps reach CSV, XLSX and HTML intact."""
    from wanzheng.audit.run import run_audit
    from wanzheng.data.osm import load_osm
    from wanzheng.standards import load_catalogue, load_kind_rules

    extract = load_osm(cau_pbf, rules=load_kind_rules())
    res = run_audit(
        extract, catalogue=load_catalogue(), origins="buildings", sources={"osm_file": "x"}
    )
    assert res.sources["origins"] == "buildings"
    out = write_outputs(res, tmp_path / "out")
    with out.communities_csv.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    verdict_keys = res.kinds.loc[res.kinds["in_verdict"].astype(bool), "key"].tolist()
    life_keys = res.kinds.loc[~res.kinds["in_verdict"].astype(bool), "key"].tolist()
    assert life_keys, "the built-in catalogue has wider life-circle kinds"
    for row, rec in zip(rows, res.communities.to_dict("records"), strict=True):
        for key in verdict_keys + life_keys:
            status = rec[f"{key}_status"]
            share = rec[f"{key}_share_within"]
            text = row[f"{key}_share_within"]
            if status in ("met", "missing") and math.isfinite(share):
                assert float(text) == pytest.approx(share, abs=5e-4)
            elif status not in ("met", "missing"):
                assert text == "", "no share for a kind without data"
        # Independent recount: life-circle gaps are the life kinds with status missing.
        life_missing = [k for k in life_keys if rec[f"{k}_status"] == "missing"]
        assert row["missing_life_circle"] == ";".join(life_missing)
        assert not set(row["missing"].split(";")) & set(life_keys)
    page = out.report_html.read_text("utf-8")
    assert "住宅建筑（按人口加权）" in page.split('id="origins-note"')[1].split("</p>")[0]
    data = json.loads(
        re.search(r'id="report-data">(.*?)</script>', page, re.S).group(1)  # type: ignore[union-attr]
    )
    assert data["shares"] is True
    assert any(r[3] is not None for c in data["communities"] for r in c["rows"])
