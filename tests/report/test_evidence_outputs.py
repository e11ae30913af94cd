"""Residents' evidence per audited community in report.html and communities.xlsx."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from wanzheng.audit.result import AuditResult
from wanzheng.report import write_outputs


@pytest.fixture(scope="module")
def with_evidence(real_result: AuditResult) -> AuditResult:
    comm = real_result.communities.set_index("name")["id"]
    evidence = pd.DataFrame(
        {
            "community_id": [comm["静淑苑"], comm["静淑苑"], comm["富润家园"]],
            "kind": ["vegetable_market", "health_station", "kindergarten"],
            "n_cases": [4, 1, 2],
            "n_residents": [3, 1, 2],
            "examples": [("静淑苑附近没有菜市场",), ("=看病难",), ("入园难", "没有幼儿园")],
        }
    )
    return dataclasses.replace(real_result, evidence=evidence)


def test_report_and_workbook_show_evidence_beside_the_verdict(
    with_evidence: AuditResult, tmp_path: Path
) -> None:
    files = write_outputs(with_evidence, tmp_path)
    page = Path(files.report_html).read_text(encoding="utf-8")
    assert 'id="evidence"' in page
    section = page[page.index('id="evidence"') : page.index('id="sources"')]
    assert section.count('<tr data-community="') == 3
    assert "静淑苑" in section and "4</td>" in section and "入园难；没有幼儿园" in section
    comm = with_evidence.communities.set_index("name")
    # the kind's status in that community sits in the same row
    status = comm.at["静淑苑", "vegetable_market_status"]
    assert f"st-{status}" in section

    book = load_workbook(tmp_path / "communities.xlsx", read_only=True)
    rows = list(book["communities"].iter_rows(values_only=True))
    legend = [r for r in book["columns"].iter_rows(values_only=True) if r[0] == "communities"]
    assert rows[0][-1] == "居民诉求（设施：件/人）" and legend[-1][2] == "evidence"
    by_id = {r[0]: r[-1] for r in rows[1:]}
    assert by_id[comm.at["静淑苑", "id"]] == "菜市场（生鲜） 4/3；社区卫生服务站 1/1"
    assert by_id[comm.at["学士居", "id"]] in ("", None)
    sheet = list(book["evidence"].iter_rows(values_only=True))
    assert len(sheet) == 1 + 3
    assert sheet[2][7] == "'=看病难"  # a formula start written as text


def test_no_cases_no_evidence(real_result: AuditResult, tmp_path: Path) -> None:
    files = write_outputs(real_result, tmp_path)
    assert 'id="evidence"' not in Path(files.report_html).read_text(encoding="utf-8")
    book = load_workbook(tmp_path / "communities.xlsx", read_only=True)
    assert "evidence" not in book.sheetnames
