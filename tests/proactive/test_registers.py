"""Register import: template columns, dropped columns, bad rows, scoping and masking."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from wanzheng.errors import DataError, PermissionDeniedError
from wanzheng.proactive.registers import (
    Register,
    Viewer,
    load_register,
    mask_phone,
    present,
    scope,
    write_template,
)

TODAY = dt.date(2026, 11, 25)


def test_small_register_is_read_and_normalised(register: Register) -> None:
    rec = register.records.set_index("person_id")
    assert len(rec) == 10
    assert register.dropped_columns == ("身份证号",)
    assert "身份证号" not in register.records.columns
    assert rec.loc["R01", "birth_date"] == dt.date(1940, 3, 15)
    assert bool(rec.loc["R01", "living_alone"]) is True
    assert bool(rec.loc["R02", "living_alone"]) is False
    assert rec.loc["R06", "disability_level"] == 1
    assert rec.loc["R06", "special_care"] == "dibao"
    assert rec.loc["R07", "chronic_conditions"] == "hypertension"
    assert rec.loc["R04", "newborn_birth_date"] == dt.date(2026, 11, 1)
    assert rec.loc["R01", "newborn_birth_date"] is None
    assert rec.loc["R03", "phone"] == ""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "reg.csv"
    path.write_text(text, encoding="utf-8")
    return path


HEAD = "编号,姓名,出生日期,是否独居,残疾等级,慢性病,特殊群体,网格,社区\n"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("R1,甲,1940-13-01,是,,,,G1,C1", "row 2: column 'birth_date'"),
        ("R1,甲,1940-01-01,也许,,,,G1,C1", "row 2: column 'living_alone'"),
        ("R1,甲,1940-01-01,是,五级,,,G1,C1", "row 2: column 'disability_level'"),
        ("R1,甲,1940-01-01,是,,感冒,,G1,C1", "row 2: column 'chronic_conditions'"),
        ("R1,甲,1940-01-01,是,,,贫困,G1,C1", "row 2: column 'special_care'"),
        ("R1,甲,1940-01-01,是,,,,,C1", "row 2: column 'grid_id' is empty"),
        ("R1,甲,2030-01-01,是,,,,G1,C1", "row 2: column 'birth_date': implausible"),
    ],
)
def test_bad_rows_name_file_row_and_column(tmp_path: Path, row: str, message: str) -> None:
    path = _write(tmp_path, HEAD + row + "\n")
    with pytest.raises(DataError) as info:
        load_register(path, today=TODAY)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_repeated_person_id_names_both_rows(tmp_path: Path) -> None:
    path = _write(tmp_path, HEAD + "R1,甲,1940-01-01,是,,,,G1,C1\nR1,乙,1941-01-01,否,,,,G1,C1\n")
    with pytest.raises(DataError, match=r"row 3: column 'person_id': 'R1' repeats row 2"):
        load_register(path, today=TODAY)


def test_two_headers_for_one_field(tmp_path: Path) -> None:
    path = _write(tmp_path, "编号,姓名,出生日期,网格,社区,电话,手机\nR1,甲,1940-01-01,G1,C1,1,2\n")
    with pytest.raises(DataError, match="columns '电话' and '手机' both mean 'phone'"):
        load_register(path, today=TODAY)


def test_missing_required_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "编号,姓名,网格,社区\nR1,甲,G1,C1\n")
    with pytest.raises(DataError, match=r"missing required column.*birth_date"):
        load_register(path, today=TODAY)


def test_xlsx_template_round_trip(tmp_path: Path) -> None:
    path = write_template(tmp_path / "template.xlsx")
    reg = load_register(path, today=TODAY)
    assert reg.dropped_columns == ()
    rec = reg.records.iloc[0]
    assert rec["person_id"] == "R0001"
    assert rec["birth_date"] == dt.date(1940, 3, 15)
    assert rec["chronic_conditions"] == "diabetes;hypertension"
    assert rec["special_care"] == "dibao"
    assert rec["phone"] == "13812341234"


def test_english_headers_and_excel_dates(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "person_id": ["P1"],
            "name": ["甲"],
            "birth_date": [pd.Timestamp("1944-02-29")],
            "living_alone": [1],
            "grid_id": ["G9"],
            "community_id": ["C9"],
        }
    )
    path = tmp_path / "en.xlsx"
    frame.to_excel(path, index=False)
    rec = load_register(path, today=TODAY).records.iloc[0]
    assert rec["birth_date"] == dt.date(1944, 2, 29)
    assert bool(rec["living_alone"]) is True
    assert rec["disability_level"] == 0


def test_grid_worker_sees_only_own_grid(register: Register) -> None:
    worker = Viewer(user="w1", role="grid_worker", grid_ids=frozenset({"G01"}))
    seen = scope(register.records, worker)
    assert sorted(seen["person_id"]) == ["R01", "R02", "R03", "R04", "R05"]
    admin = Viewer(user="a", role="administrator")
    assert len(scope(register.records, admin)) == 10


def test_masked_by_default(register: Register) -> None:
    worker = Viewer(user="w1", role="grid_worker", grid_ids=frozenset({"G01"}))
    shown = present(register.records, worker).set_index("person_id")
    assert shown.loc["R01", "phone"] == "138****1234"
    assert shown.loc["R01", "name"] == "王秀英"  # the worker visits this person
    handler = Viewer(user="d1", role="department_handler")
    shown = present(register.records, handler).set_index("person_id")
    assert shown.loc["R01", "name"] == "王**"
    assert "1" not in shown.loc["R01", "address"]
    assert shown.loc["R09", "phone"] == "010****5678"
    unmasked = present(register.records, worker, unmask=True).set_index("person_id")
    assert unmasked.loc["R01", "phone"] == "13812341234"
    with pytest.raises(PermissionDeniedError):
        present(register.records, handler, unmask=True)


def test_mask_phone_lengths() -> None:
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("") == ""
    assert mask_phone("12345") == "***45"


def test_unknown_role_refused() -> None:
    with pytest.raises(PermissionDeniedError):
        Viewer(user="x", role="resident")  # type: ignore[arg-type]
