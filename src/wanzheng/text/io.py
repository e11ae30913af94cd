"""Reading case tables (CSV or XLSX) for training, prediction and evaluation.

Files go through the one table reader, :func:`wanzheng.data.tabular.read_table`: UTF-8 (with or
without BOM), UTF-16, GB18030/GBK, then ``charset-normalizer``'s guess (``encoding`` overrides
it); XLSX archives checked for zip bombs before they are opened; file, cell and row limits.
Every cell is read as text; ``NA`` or ``null`` stay text. Rows are numbered as in a spreadsheet
(the header is row 1); columns are named by the user as written in the header (compared after
NFKC normalisation and lower-casing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from wanzheng.data.tabular import DEFAULT_LIMITS, Limits, cell_text, decode_bytes, normalise_header
from wanzheng.data.tabular import read_table as read_any_table
from wanzheng.errors import DataError
from wanzheng.text.classify import normalise_label
from wanzheng.text.features import join_fields

__all__ = ["CaseTable", "decode_csv", "read_cases", "read_table"]


@dataclass(frozen=True, slots=True)
class CaseTable:
    """Cases read from one file.

    ``frame`` holds every row as read (text cells, headers as written). ``texts`` joins the
    text columns of every row (title first, ``features.join_fields``). ``labels`` holds the
    normalised label of every row (``""`` where empty), or is None when no label column was
    asked for. ``rows`` are the spreadsheet row numbers of the records (header = row 1);
    ``empty_label_rows`` and ``empty_text_rows`` are row numbers too.
    """

    path: Path
    frame: pd.DataFrame
    texts: tuple[str, ...]
    labels: tuple[str, ...] | None
    empty_label_rows: tuple[int, ...]
    empty_text_rows: tuple[int, ...]
    encoding: str | None
    rows: tuple[int, ...] = ()

    def training_rows(self) -> tuple[list[str], list[str], int]:
        """Texts and labels of rows with both a label and some text, and how many were skipped."""
        if self.labels is None:
            raise DataError(f"{self.path}: no label column was read")
        skip = set(self.empty_label_rows) | set(self.empty_text_rows)
        numbers = self.rows or tuple(range(2, len(self.texts) + 2))
        texts: list[str] = []
        labels: list[str] = []
        for n, t, lab in zip(numbers, self.texts, self.labels, strict=True):
            if n not in skip:
                texts.append(t)
                labels.append(lab)
        return texts, labels, len(skip)


def decode_csv(raw: bytes, *, path: Path, encoding: str | None = None) -> tuple[str, str]:
    """Decode CSV bytes: ``(text, encoding used)``.

    The same rules as every other table the package reads (UTF-8 with or without BOM, UTF-16,
    GB18030/GBK, then charset-normalizer): :func:`wanzheng.data.tabular.decode_bytes`.
    """
    return decode_bytes(raw, path=path, encoding=encoding)


def _read(
    path: Path, *, encoding: str | None, limits: Limits
) -> tuple[pd.DataFrame, str | None, tuple[int, ...]]:
    table = read_any_table(path, aliases={}, encoding=encoding, limits=limits)
    frame = pd.DataFrame(
        {
            table.headers[c]: [
                cell_text(v) if not isinstance(v, str) else v for v in table.frame[c]
            ]
            for c in table.frame.columns
        },
        dtype=object,
    )
    return frame, table.encoding, tuple(int(n) for n in table.rows)


def read_table(
    path: Path, *, encoding: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> tuple[pd.DataFrame, str | None]:
    """Every row and column of a CSV or XLSX file as text; ``(frame, encoding)``.

    Raises
    ------
    DataError
        Missing or empty file, an unknown file type, a file that cannot be parsed, a limit.
    """
    frame, used, _ = _read(path, encoding=encoding, limits=limits)
    return frame, used


def _column(frame: pd.DataFrame, name: str) -> str | None:
    if name in frame.columns:
        return name
    wanted = normalise_header(name)
    return next((c for c in frame.columns if normalise_header(c) == wanted), None)


def read_cases(
    path: Path,
    *,
    text_columns: Sequence[str],
    label_column: str | None = None,
    encoding: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> CaseTable:
    """Read cases with their text columns (title first) and, optionally, their label.

    Raises
    ------
    DataError
        As :func:`read_table`, and when a named column is missing (the message lists the
        columns the file has and the encoding it was read with).
    """
    if not text_columns:
        raise DataError(f"{path}: name at least one text column")
    frame, used, rows = _read(path, encoding=encoding, limits=limits)
    wanted = [*text_columns, *([label_column] if label_column else [])]
    found = {c: _column(frame, c) for c in wanted}
    missing = [c for c, f in found.items() if f is None]
    if missing:
        read_as = f" (read as {used})" if used else ""
        raise DataError(
            f"{path}: column(s) {', '.join(repr(c) for c in missing)} not found; "
            f"the file{read_as} has {', '.join(repr(c) for c in frame.columns)}"
        )
    cols = [frame[found[c]].tolist() for c in text_columns]
    texts = tuple(join_fields(list(fields)) for fields in zip(*cols, strict=True))
    empty_text = tuple(n for n, t in zip(rows, texts, strict=True) if not t.strip())
    labels: tuple[str, ...] | None = None
    empty_label: tuple[int, ...] = ()
    if label_column:
        labels = tuple(normalise_label(v) for v in frame[found[label_column]].tolist())
        empty_label = tuple(n for n, lab in zip(rows, labels, strict=True) if not lab)
    return CaseTable(path, frame, texts, labels, empty_label, empty_text, used, rows)
