"""Reading case tables (CSV or XLSX) for training, prediction and evaluation.

CSV files are decoded as UTF-8 (with or without BOM) when they can be; otherwise as GB18030 (a
superset of GBK and GB2312, common in Chinese offices), and failing that by the best guess of
``charset-normalizer``. An explicit ``encoding`` overrides the detection. Every cell is read as
text; ``NA`` or ``null`` stay text. Rows are numbered as in a spreadsheet: the header is row 1,
the first case row 2.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from wanzheng.data.tabular import decode_bytes
from wanzheng.errors import DataError
from wanzheng.text.classify import normalise_label
from wanzheng.text.features import join_fields

__all__ = ["CaseTable", "decode_csv", "read_cases", "read_table"]


@dataclass(frozen=True, slots=True)
class CaseTable:
    """Cases read from one file.

    ``frame`` holds every row as read (text cells). ``texts`` joins the text columns of every
    row (title first, ``features.join_fields``). ``labels`` holds the normalised label of every
    row (``""`` where empty), or is None when no label column was asked for. ``empty_label_rows``
    and ``empty_text_rows`` are spreadsheet row numbers (header = row 1).
    """

    path: Path
    frame: pd.DataFrame
    texts: tuple[str, ...]
    labels: tuple[str, ...] | None
    empty_label_rows: tuple[int, ...]
    empty_text_rows: tuple[int, ...]
    encoding: str | None

    def training_rows(self) -> tuple[list[str], list[str], int]:
        """Texts and labels of rows with both a label and some text, and how many were skipped."""
        if self.labels is None:
            raise DataError(f"{self.path}: no label column was read")
        skip = set(self.empty_label_rows) | set(self.empty_text_rows)
        texts: list[str] = []
        labels: list[str] = []
        for i, (t, lab) in enumerate(zip(self.texts, self.labels, strict=True)):
            if i + 2 not in skip:
                texts.append(t)
                labels.append(lab)
        return texts, labels, len(skip)


def decode_csv(raw: bytes, *, path: Path, encoding: str | None = None) -> tuple[str, str]:
    """Decode CSV bytes: ``(text, encoding used)``.

    The same rules as every other table the package reads (UTF-8 with or without BOM, UTF-16,
    GB18030/GBK, then charset-normalizer): :func:`wanzheng.data.tabular.decode_bytes`.
    """
    return decode_bytes(raw, path=path, encoding=encoding)


def read_table(path: Path, *, encoding: str | None = None) -> tuple[pd.DataFrame, str | None]:
    """Every row and column of a CSV or XLSX file as text; ``(frame, encoding)``.

    Raises
    ------
    DataError
        Missing or empty file, an unknown file type, a file that cannot be parsed.
    """
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    suffix = path.suffix.lower()
    used: str | None = None
    if suffix in (".xlsx", ".xlsm"):
        try:
            frame = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
        except Exception as exc:  # openpyxl raises many kinds for broken files
            raise DataError(f"{path}: cannot read as XLSX ({type(exc).__name__}: {exc})") from exc
    elif suffix in (".csv", ".txt", ".tsv"):
        raw = path.read_bytes()
        if not raw.strip():
            raise DataError(f"{path}: the file is empty")
        text, used = decode_csv(raw, path=path, encoding=encoding)
        sep = "\t" if suffix == ".tsv" else ","
        try:
            frame = pd.read_csv(
                io.StringIO(text), dtype=str, keep_default_na=False, sep=sep, engine="python"
            )
        except (pd.errors.ParserError, pd.errors.EmptyDataError, csv_error()) as exc:
            raise DataError(f"{path}: cannot parse as CSV ({exc})") from exc
    else:
        raise DataError(f"{path}: expected a .csv or .xlsx file, got {suffix or 'no suffix'!r}")
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    if frame.shape[0] == 0:
        raise DataError(f"{path}: the file has a header but no rows")
    return frame, used


def csv_error() -> type[Exception]:
    """The csv module's error class (raised by pandas' python engine)."""
    import csv

    return csv.Error


def read_cases(
    path: Path,
    *,
    text_columns: Sequence[str],
    label_column: str | None = None,
    encoding: str | None = None,
) -> CaseTable:
    """Read cases with their text columns (title first) and, optionally, their label.

    Raises
    ------
    DataError
        As :func:`read_table`, and when a named column is missing (the message lists the
        columns the file has).
    """
    if not text_columns:
        raise DataError(f"{path}: name at least one text column")
    frame, used = read_table(path, encoding=encoding)
    wanted = [*text_columns, *([label_column] if label_column else [])]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: column(s) {', '.join(repr(c) for c in missing)} not found; "
            f"the file has {', '.join(repr(c) for c in frame.columns)}"
        )
    cols = [frame[c].tolist() for c in text_columns]
    texts = tuple(join_fields(list(fields)) for fields in zip(*cols, strict=True))
    empty_text = tuple(i + 2 for i, t in enumerate(texts) if not t.strip())
    labels: tuple[str, ...] | None = None
    empty_label: tuple[int, ...] = ()
    if label_column:
        labels = tuple(normalise_label(v) for v in frame[label_column].tolist())
        empty_label = tuple(i + 2 for i, lab in enumerate(labels) if not lab)
    return CaseTable(path, frame, texts, labels, empty_label, empty_text, used)
