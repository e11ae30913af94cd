"""Spreadsheet-safe text cells (formula injection)."""

from __future__ import annotations

import pandas as pd

from wanzheng.report.cells import safe_frame, safe_text


def test_formula_starts_get_an_apostrophe() -> None:
    for text in ("=HYPERLINK(1)", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"):
        assert safe_text(text) == "'" + text
    for value in ("静淑苑", "", "1=1", -3.5, None, 7):
        assert safe_text(value) == value


def test_safe_frame_touches_text_columns_only() -> None:
    frame = pd.DataFrame({"text": ["=1+1", "ok"], "n": [-1.0, 2.0]})
    out = safe_frame(frame)
    assert list(out["text"]) == ["'=1+1", "ok"]
    assert list(out["n"]) == [-1.0, 2.0]
    assert list(frame["text"]) == ["=1+1", "ok"]  # the input is not changed
