"""Spreadsheet cells the project writes: text is written as text, never as a formula.

Resident text, ledger names and register fields end up in CSV and XLSX files that staff open
in Excel or WPS. A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is taken by those programs as a formula (``=HYPERLINK("http://…"&A2,"详情")``,
``=1+1``, ``@SUM(…)``): *formula injection* (CSV injection). Every writer of the project
passes its text cells through :func:`safe_cell`, which does what OWASP recommends: such a
cell gets a leading apostrophe (``'=1+1``), so it is shown as the text it is. In XLSX the
cell is moreover stored as a string cell (``t="s"``), never as a formula
(:func:`save_workbook`).

The change is exactly reversible (:func:`restore_cell`): text that already starts with
apostrophes followed by one of those characters (``'=x``) gets one more apostrophe, so that
reading a file back (``wanzheng cases import`` of an export) removes exactly one apostrophe
from a cell matching ``^'+[=+\\-@\\t\\r]`` and gives back the original text. Numbers stay
numbers: an ``int`` or ``float`` (a negative longitude) and text that is a plain number
(``-73.9``, ``+86``) are written untouched; no spreadsheet program reads those as a formula.

Not defusedcsv (PyPI): it covers the csv module only (not XLSX), has no inverse for the
import, and also rewrites ``|`` inside cells.

Writers: ``cases export`` (``cases/transfer.py``), the audit's ``communities.csv``,
``communities.xlsx`` and ``facilities.csv`` (``report/tables.py``), register templates
(``proactive/registers.py``), and the CSV outputs of ``wanzheng proactive lists``,
``outlook --out``, ``evidence --out``, ``text predict``, ``place --out`` and
``hotspots --out`` (:func:`write_frame_csv`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
from openpyxl.workbook.workbook import Workbook

__all__ = [
    "FORMULA_TRIGGERS",
    "restore_cell",
    "safe_cell",
    "safe_frame",
    "save_workbook",
    "write_csv",
    "write_frame_csv",
]

#: First characters that make Excel, WPS or LibreOffice read a cell as a formula (OWASP).
FORMULA_TRIGGERS = frozenset("=+-@\t\r")

# A plain number written as text ("-73.9", "+86", "1e-3") is a number to every spreadsheet
# program, never a formula: left alone so that numbers stay numbers (as defusedcsv does).
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")

# One or more apostrophes then a trigger: the form a neutralised cell has (and the only form
# from which restore_cell removes an apostrophe).
_NEUTRALISED = re.compile(r"'+[=+\-@\t\r]")

T = TypeVar("T")


def safe_cell(value: T) -> T | str:
    """``value`` as a spreadsheet cell that cannot be a formula.

    Text starting with ``= + - @``, a tab or a carriage return (unless it is a plain number
    such as ``-73.9``), or with apostrophes followed by one of them, gets one leading
    apostrophe; other text and non-text values (numbers, dates, None) are returned unchanged.

    ``safe_cell("=1+1")`` is ``"'=1+1"``; ``safe_cell(-116.3)`` is ``-116.3``.
    """
    if not isinstance(value, str) or not value:
        return value
    if (value[0] in FORMULA_TRIGGERS and not _NUMBER.fullmatch(value)) or _NEUTRALISED.match(value):
        return "'" + value
    return value


def restore_cell(value: T) -> T | str:
    """The text :func:`safe_cell` was given: one leading apostrophe removed from a text that
    matches ``^'+[=+\\-@\\t\\r]``; anything else unchanged."""
    if isinstance(value, str) and _NEUTRALISED.match(value):
        return value[1:]
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with :func:`safe_cell` applied to every text cell.

    Numeric, boolean and datetime columns are left as they are (numbers stay numbers); in
    object and string columns only ``str`` values change.
    """
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype):
            out[col] = series.map(safe_cell, na_action="ignore")
    return out


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write a CSV (UTF-8 with BOM, so that Excel reads Chinese) with every cell made safe."""
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([safe_cell(h) for h in header])
        for row in rows:
            w.writerow([safe_cell(v) for v in row])


def write_frame_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as CSV (UTF-8 with BOM, no index, empty for missing) through
    :func:`safe_frame`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    safe_frame(frame).to_csv(path, index=False, encoding="utf-8-sig", na_rep="")


def save_workbook(workbook: Workbook, path: Path) -> None:
    """Save an openpyxl workbook after making every text cell safe.

    Each cell holding text (a string cell, or one openpyxl took for a formula because its
    text starts with ``=``) gets :func:`safe_cell` and is stored as a string cell (data type
    ``s``). The project writes no formulas on purpose, so every formula cell is text that was
    given to it.
    """
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, str):
                    cell.value = safe_cell(value)
                    cell.data_type = "s"
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
