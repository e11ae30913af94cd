"""Reading the tables street offices keep: CSV (UTF-8 or GBK) and XLSX.

One reader for every tabular input so that they all behave alike:

* **Encoding.** CSV bytes are decoded as UTF-8 (with or without BOM) when they are valid
  UTF-8; as UTF-16 when they start with its BOM (Excel's "Unicode text"); as GB18030 (the
  superset of GB2312 and GBK, what Excel on a Chinese Windows writes) when they decode
  strictly and at least 80 % of the non-ASCII characters are Chinese; otherwise
  charset-normalizer guesses (a guess in the GB family is again read as GB18030).
  ``encoding=`` overrides all of this.
* **Headers.** Matched case-insensitively after NFKC normalisation (full-width letters
  become ASCII) against a table of aliases, so ``经度`` and ``Longitude`` both become ``lon``.
* **Row numbers as users see them.** ``rows`` holds the line number of each record in the
  CSV file (the header is line 1) or the row number shown by Excel, so an error message can
  send the user to the right row. Completely empty rows are skipped, keeping the numbering.
* **Limits** (:class:`Limits`, from the ``input_*`` settings): the file size, the size of one
  cell, the number of rows, and for XLSX the declared uncompressed size and compression ratio
  of the archive, checked from the zip central directory *before* the workbook is opened (a
  zip bomb is refused without inflating it). ``zipfile`` never inflates a member beyond its
  declared size (a member that lies fails its CRC check), so the declared sizes bound the work.
"""

from __future__ import annotations

import csv
import io
import json
import math
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from wanzheng.errors import DataError

__all__ = [
    "DEFAULT_LIMITS",
    "LONLAT_ALIASES",
    "Limits",
    "Table",
    "cell_text",
    "check_xlsx_archive",
    "decode_bytes",
    "normalise_header",
    "parse_float",
    "read_file_bytes",
    "read_json",
    "read_table",
    "split_lonlat",
]

CSV_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})

_MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on one input table; the defaults are those of the ``input_*`` settings.

    Attributes
    ----------
    max_file_bytes
        Largest file, in bytes (CSV or XLSX as stored).
    max_cell_bytes
        Largest cell, in bytes of UTF-8 text (128 KiB by default; Excel itself stops at
        32,767 characters).
    max_rows
        Most rows (records) in the table, header and title rows included.
    xlsx_max_uncompressed_bytes
        Largest sum of the declared uncompressed sizes of an XLSX archive's members.
    xlsx_max_ratio
        Largest compression ratio (uncompressed / compressed) of one XLSX member of at
        least 1 MiB uncompressed; real sheets stay far below 100, zip bombs reach 1,000.
    """

    max_file_bytes: int = 100 * _MIB
    max_cell_bytes: int = 128 * 1024
    max_rows: int = 1_000_000
    xlsx_max_uncompressed_bytes: int = 512 * _MIB
    xlsx_max_ratio: float = 100.0

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        """The limits of a :class:`wanzheng.settings.Settings`."""
        return cls(
            max_file_bytes=settings.input_max_file_bytes,
            max_cell_bytes=settings.input_max_cell_bytes,
            max_rows=settings.input_max_rows,
            xlsx_max_uncompressed_bytes=settings.input_xlsx_max_uncompressed_bytes,
            xlsx_max_ratio=settings.input_xlsx_max_ratio,
        )


DEFAULT_LIMITS = Limits()
"""The limits used when a caller passes none (equal to the settings' defaults)."""

_RATIO_MIN_BYTES = _MIB


@dataclass(frozen=True, slots=True)
class Table:
    """A table read from a file.

    Attributes
    ----------
    path
        The file.
    frame
        One column per header, renamed to canonical names where an alias matched; cells are
        raw values (``str`` from CSV; ``str``, ``int``, ``float``, ``datetime`` or ``None``
        from XLSX), dtype object.
    rows
        int64, the row number of every record as the user sees it (CSV line, Excel row).
    headers
        Canonical column name -> header as written in the file (for messages).
    encoding
        The encoding used for a CSV file; ``None`` for XLSX.
    """

    path: Path
    frame: pd.DataFrame
    rows: NDArray[np.int64]
    headers: dict[str, str]
    encoding: str | None

    def require(self, *columns: str, hint: str = "") -> None:
        """Raise :class:`DataError` unless every canonical column in ``columns`` is present.

        The message lists the headers found and, for CSV, the encoding the file was read
        with (a wrongly guessed encoding garbles the headers).
        """
        missing = [c for c in columns if c not in self.frame.columns]
        if not missing:
            return
        found = ", ".join(repr(h) for h in self.headers.values()) or "none"
        read_as = f" (read as {self.encoding})" if self.encoding else ""
        raise DataError(
            f"{self.path}: missing column(s) {', '.join(repr(c) for c in missing)}"
            f"{'; ' + hint if hint else ''}; the header{read_as} has {found}"
        )

    def where(self, i: int, column: str | None = None) -> str:
        """``"<path>: row <n>: column '<header>'"`` for record ``i`` (0-based)."""
        text = f"{self.path}: row {int(self.rows[i])}"
        if column is not None:
            text += f": column '{self.headers.get(column, column)}'"
        return text


def normalise_header(text: object) -> str:
    """NFKC, lower case, stripped, inner spaces and ``-`` folded to ``_``."""
    s = unicodedata.normalize("NFKC", str(text)).strip().lower().lstrip("\ufeff")
    for ch in (" ", "-", "\t"):
        s = s.replace(ch, "_")
    return s


def read_file_bytes(path: Path) -> bytes:
    """The bytes of the file ``path``.

    Raises
    ------
    DataError
        When the file is missing or cannot be read (the message names it).
    """
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise DataError(f"{path}: file not found") from exc
    except OSError as exc:
        raise DataError(f"{path}: cannot read the file ({exc.strerror})") from exc


def read_json(path: Path, *, encoding: str | None = None, kind: str = "JSON") -> Any:
    """The JSON document in the file ``path``, decoded as :func:`decode_bytes` says.

    Raises
    ------
    DataError
        When the file is missing, unreadable or undecodable, or is not JSON: the message names
        the file, calls it a ``kind`` file (``"GeoJSON"``) and gives the line of a syntax error.
    """
    text, _ = decode_bytes(read_file_bytes(path), path=path, encoding=encoding)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{path}: not a readable {kind} file ({exc.msg}, line {exc.lineno})"
        ) from exc


def decode_bytes(data: bytes, *, path: Path, encoding: str | None = None) -> tuple[str, str]:
    """Text and the encoding used, following the rules of the module docstring.

    Raises
    ------
    DataError
        When the bytes cannot be decoded with the given or guessed encoding.
    """
    if encoding is not None:
        try:
            return data.decode(encoding), encoding
        except LookupError as exc:
            raise DataError(f"{path}: unknown encoding {encoding!r}") from exc
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{path}: cannot decode the file as {encoding} (byte {exc.start}: {exc.reason})"
            ) from exc
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    for bom, name in ((b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError as exc:
                raise DataError(f"{path}: cannot decode the file as {name}") from exc
    # Short GBK files fool statistical detectors (they guess Korean cp949); a text whose
    # non-ASCII characters decode strictly as GB18030 into mostly Chinese is taken as such.
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        pass
    else:
        if _mostly_chinese(text):
            return text, "gb18030"
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    guess = best.encoding if best is not None else None
    if guess is None:
        raise DataError(
            f"{path}: cannot tell the text encoding (not UTF-8); save the file as UTF-8 "
            "or pass the encoding (e.g. encoding='gbk')"
        )
    if guess.replace("-", "").replace("_", "").lower() in {"gb2312", "gbk", "gb18030", "hz"}:
        guess = "gb18030"
    try:
        return data.decode(guess), guess
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: cannot decode the file as {guess}: {exc.reason}") from exc


def _mostly_chinese(text: str) -> bool:
    """True when at least 80 % of the non-ASCII characters are common CJK (or full-width)."""
    other = [c for c in text if ord(c) > 0x7F]
    if not other:
        return False
    cjk = sum(
        1
        for c in other
        if "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef"
    )
    return cjk >= 0.8 * len(other)


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _check_size(path: Path, limits: Limits) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise DataError(f"{path}: file not found") from exc
    except OSError as exc:
        raise DataError(f"{path}: cannot read the file ({exc.strerror})") from exc
    if size > limits.max_file_bytes:
        raise DataError(
            f"{path}: the file has {size:,} bytes; the limit is {limits.max_file_bytes:,} "
            "(setting WANZHENG_INPUT_MAX_FILE_BYTES)"
        )


def check_xlsx_archive(path: Path, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse an XLSX archive that would inflate beyond the limits, without inflating it.

    Reads only the zip central directory: the declared uncompressed size of every member
    and its compression ratio.

    Raises
    ------
    DataError
        Not a zip archive, too many bytes when uncompressed, or a member compressed more
        than ``limits.xlsx_max_ratio`` times.
    """
    _check_size(path, limits)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable XLSX workbook ({exc})") from exc
    total = 0
    for info in members:
        total += info.file_size
        if info.file_size >= _RATIO_MIN_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.xlsx_max_ratio:
                raise DataError(
                    f"{path}: refused as a possible zip bomb: member {info.filename!r} "
                    f"inflates {ratio:,.0f} times ({info.compress_size:,} -> "
                    f"{info.file_size:,} bytes); the limit is {limits.xlsx_max_ratio:g} "
                    "(setting WANZHENG_INPUT_XLSX_MAX_RATIO)"
                )
    if total > limits.xlsx_max_uncompressed_bytes:
        raise DataError(
            f"{path}: refused as a possible zip bomb: the workbook inflates to {total:,} "
            f"bytes; the limit is {limits.xlsx_max_uncompressed_bytes:,} "
            "(setting WANZHENG_INPUT_XLSX_MAX_UNCOMPRESSED_BYTES)"
        )


def _read_csv(
    path: Path, encoding: str | None, limits: Limits
) -> tuple[list[list[Any]], list[int], str]:
    _check_size(path, limits)
    data = read_file_bytes(path)
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(f"{path}: not a text (CSV) file")
    text, used = decode_bytes(data, path=path, encoding=encoding)
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";", "|"), key=first.count)
    if first.count(delimiter) == 0:
        delimiter = ","
    # The csv module refuses fields over its (process-wide) size limit, 128 Ki characters by
    # default, without saying which column; lift it to the file size (the text is in memory
    # already) so that the cell check after the header names the row and the column.
    if csv.field_size_limit() <= len(text):
        csv.field_size_limit(len(text) + 1)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[Any]] = []
    lines: list[int] = []
    start = 1
    try:
        for record in reader:
            records.append(record)
            lines.append(start)
            start = reader.line_num + 1
            if len(records) > limits.max_rows:
                raise DataError(_too_many_rows(path, limits))
    except csv.Error as exc:
        raise DataError(f"{path}: row {start}: malformed CSV ({exc}; file read as {used})") from exc
    return records, lines, used


def _too_many_rows(path: Path, limits: Limits) -> str:
    return (
        f"{path}: more than {limits.max_rows:,} rows "
        "(setting WANZHENG_INPUT_MAX_ROWS); split the file"
    )


def _read_xlsx(path: Path, sheet: str | None, limits: Limits) -> tuple[list[list[Any]], list[int]]:
    from openpyxl import load_workbook

    check_xlsx_archive(path, limits)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl and its XML parser raise many kinds for a broken file
        raise DataError(f"{path}: not a readable XLSX workbook ({exc})") from exc
    try:
        if sheet is None:
            ws = book.worksheets[0]
        elif sheet in book.sheetnames:
            ws = book[sheet]
        else:
            raise DataError(f"{path}: no sheet {sheet!r} (sheets: {', '.join(book.sheetnames)})")
        records: list[list[Any]] = []
        rows: list[int] = []
        last = 0
        for row in ws.iter_rows():
            # In read-only mode empty cells carry no row number; take it from any other cell
            # of the row, else count on from the previous row.
            number = next((c.row for c in row if getattr(c, "row", None) is not None), None)
            last = int(number) if number is not None else last + 1
            records.append([c.value for c in row])
            rows.append(last)
            if len(records) > limits.max_rows:
                raise DataError(_too_many_rows(path, limits))
    except DataError:
        raise
    except Exception as exc:  # a broken sheet XML surfaces while iterating
        raise DataError(f"{path}: not a readable XLSX workbook ({exc})") from exc
    finally:
        book.close()
    return records, rows


def _check_cells(
    path: Path,
    records: list[list[Any]],
    rows: list[int],
    keep: list[int],
    names: Sequence[str],
    limits: Limits,
) -> None:
    """Refuse a cell over ``limits.max_cell_bytes``, naming its row and column."""
    limit = limits.max_cell_bytes
    for i in keep:
        for j, value in enumerate(records[i]):
            if not isinstance(value, str) or len(value) * 4 <= limit:
                continue
            size = len(value.encode("utf-8", "surrogatepass"))
            if size > limit:
                column = names[j][:40] if j < len(names) and names[j] else f"column {j + 1}"
                raise DataError(
                    f"{path}: row {rows[i]}: column '{column}': the cell holds {size:,} bytes; "
                    f"expected at most {limit:,} (setting WANZHENG_INPUT_MAX_CELL_BYTES)"
                )


def _header_position(records: list[list[Any]], keep: list[int], lookup: Mapping[str, str]) -> int:
    """Position in ``keep`` of the header row.

    Ledgers often start with a title row (``XX街道便民设施台账``, merged across the columns)
    or a note; the header is the first of the first ten non-empty rows that names the most
    known columns. Without any known column name the first non-empty row is the header.
    """
    best, best_score = 0, 0
    for pos, i in enumerate(keep[:10]):
        names = {lookup.get(normalise_header(v)) for v in records[i] if not _blank(v)}
        score = len(names - {None})
        if score > best_score:
            best, best_score = pos, score
    return best


def read_table(
    path: str | Path,
    *,
    aliases: Mapping[str, Sequence[str]],
    encoding: str | None = None,
    sheet: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Table:
    """Read a CSV or XLSX table with canonical column names.

    Parameters
    ----------
    path
        ``.csv`` / ``.tsv`` / ``.txt`` or ``.xlsx`` / ``.xlsm``.
    aliases
        Canonical name -> accepted headers (compared after :func:`normalise_header`); the
        canonical name itself is always accepted. When two headers give the same name
        (``类别`` and ``类型``), the leftmost wins and the other keeps its own header. Rows
        above the header (a title, a note) are skipped: the header is the first of the first
        ten non-empty rows with the most known column names.
    encoding
        Text encoding of a CSV file; ``None`` detects it.
    sheet
        Worksheet name of an XLSX file; ``None`` for the first sheet.
    limits
        File, cell and row limits (:class:`Limits`; ``Limits.from_settings(settings)``).

    Raises
    ------
    DataError
        File missing, unreadable, of an unsupported type, empty, without data rows, or
        beyond a limit (naming the row and column of a cell that is too large).
    """
    p = Path(path)
    suffix = p.suffix.lower()
    used: str | None = None
    if suffix in CSV_SUFFIXES:
        records, rows, used = _read_csv(p, encoding, limits)
    elif suffix in XLSX_SUFFIXES:
        records, rows = _read_xlsx(p, sheet, limits)
    elif suffix == ".xls":
        raise DataError(f"{p}: old .xls workbooks are not read; save it as .xlsx or CSV")
    else:
        raise DataError(f"{p}: unsupported file type {suffix!r} (expected .csv or .xlsx)")
    keep = [i for i, r in enumerate(records) if not all(_blank(v) for v in r)]
    if not keep:
        raise DataError(f"{p}: the file is empty")
    lookup: dict[str, str] = {}
    for canonical, names in aliases.items():
        for name in (canonical, *names):
            lookup[normalise_header(name)] = canonical
    start = _header_position(records, keep, lookup)
    header_i = keep[start]
    keep = keep[start:]
    header = records[header_i]
    _check_cells(
        p, records, rows, keep, ["" if v is None else str(v).strip() for v in header], limits
    )
    while header and _blank(header[-1]):
        header = header[:-1]
    columns: list[str] = []
    headers: dict[str, str] = {}
    for j, raw in enumerate(header):
        written = "" if raw is None else str(raw).strip()
        norm = normalise_header(written) if written else f"column_{j + 1}"
        name = lookup.get(norm, norm)
        if name in headers:
            # two headers meaning the same thing (类别 and 类型): the first one wins
            name = norm if norm not in headers else f"{norm}_{j + 1}"
        headers[name] = written or name
        columns.append(name)
    body = keep[1:]
    if not body:
        raise DataError(f"{p}: the file has a header row but no data rows")
    width = len(columns)
    cells: list[list[Any]] = []
    for i in body:
        record = list(records[i][:width])
        record += [None] * (width - len(record))
        if len(records[i]) > width and not all(_blank(v) for v in records[i][width:]):
            raise DataError(f"{p}: row {rows[i]}: more cells than header columns ({width})")
        cells.append(record)
    frame = pd.DataFrame(cells, columns=columns, dtype=object)
    return Table(
        path=p,
        frame=frame,
        rows=np.asarray([rows[i] for i in body], dtype=np.int64),
        headers=headers,
        encoding=used,
    )


def cell_text(value: object) -> str:
    """A cell as stripped text ('' for blanks; ``12.0`` from Excel becomes ``'12'``)."""
    if _blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unicodedata.normalize("NFKC", str(value)).strip()


def parse_float(value: object) -> float | None:
    """A finite number from a cell, ``None`` when blank; :class:`ValueError` otherwise."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(repr(value))
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip().rstrip("°")
        number = float(text)
    if not math.isfinite(number):
        raise ValueError(repr(value))
    return number


LONLAT_ALIASES: tuple[str, ...] = (
    "经纬度",
    "坐标",
    "经纬度坐标",
    "位置坐标",
    "lnglat",
    "lng_lat",
    "lon_lat",
    "location",
    "coordinates",
)
"""Headers of one column holding ``lon,lat`` (what the Amap and Baidu coordinate pickers copy)."""

_LONLAT_SPLIT = str.maketrans({"，": ",", ";": ",", "；": ",", " ": ","})


def split_lonlat(table: Table) -> Table:
    """Split a combined ``lonlat`` column (``"116.397428,39.90923"``) into ``lon`` and ``lat``.

    Returns the table unchanged when it has ``lon`` and ``lat`` or no ``lonlat`` column.

    Raises
    ------
    DataError
        Naming the row and column when a cell is not two numbers.
    """
    frame = table.frame
    if ("lon" in frame and "lat" in frame) or "lonlat" not in frame:
        return table
    lon: list[float | None] = []
    lat: list[float | None] = []
    for i, value in enumerate(frame["lonlat"]):
        text = cell_text(value).translate(_LONLAT_SPLIT)
        parts = [t for t in text.split(",") if t]
        if not parts:
            lon.append(None)
            lat.append(None)
            continue
        try:
            if len(parts) != 2:
                raise ValueError(text)
            x, y = parse_float(parts[0]), parse_float(parts[1])
        except ValueError:
            raise DataError(
                f"{table.where(i, 'lonlat')}: expected 'longitude,latitude' "
                f"(e.g. 116.397428,39.90923), got {cell_text(value)!r}"
            ) from None
        lon.append(x)
        lat.append(y)
    new = frame.copy()
    new["lon"] = pd.Series(lon, dtype=object)
    new["lat"] = pd.Series(lat, dtype=object)
    headers = dict(table.headers)
    headers["lon"] = headers["lat"] = table.headers["lonlat"]
    return Table(
        path=table.path, frame=new, rows=table.rows, headers=headers, encoding=table.encoding
    )
