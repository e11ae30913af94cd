"""Text cells that are safe to open in a spreadsheet.

Residents' words end up in CSV and XLSX files that staff open in Excel or WPS. A cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a formula
(``=HYPERLINK(…)``, ``=cmd|…``): such text is written with a leading apostrophe, which the
spreadsheet shows as plain text (OWASP, "CSV injection").
"""

from __future__ import annotations

import pandas as pd

__all__ = ["FORMULA_STARTS", "safe_frame", "safe_text"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula."""


def safe_text(value: object) -> object:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula.

    Numbers and non-text values are returned unchanged (``-3.5`` as a float is a number).
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells went through :func:`safe_text`."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_object_dtype(out[col]) or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(safe_text)
    return out
