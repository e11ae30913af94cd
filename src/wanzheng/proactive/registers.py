"""Service registers (服务台账): the residents the proactive rules look at, and nothing more.

A register is a CSV or XLSX file, one row per resident, with the columns of
:data:`REGISTER_COLUMNS` (English keys or the Chinese headers of the template). These are
sensitive personal data under PIPL art. 28, so this module

* keeps **only** the fields the rules need: any other column (an ID-card number, a
  "remarks" column …) is dropped when the file is read, never stored, and named in
  :attr:`Register.dropped_columns` so that the operator knows;
* scopes records by role (:func:`scope`: a grid worker sees only their own grid);
* masks phone numbers and addresses by default (:func:`present`);
* leaves logging of every access and the retention purge to ``proactive/store.py``.

Bad rows raise :class:`~wanzheng.errors.DataError` naming the file, the spreadsheet row
(the header is row 1) and the column.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from wanzheng.data.cells import save_workbook, write_csv
from wanzheng.data.tabular import DEFAULT_LIMITS, Limits, read_table
from wanzheng.errors import DataError, PermissionDeniedError

__all__ = [
    "CHRONIC_CONDITIONS",
    "REGISTER_COLUMNS",
    "REQUIRED_COLUMNS",
    "ROLES",
    "SPECIAL_CARE",
    "Register",
    "Role",
    "Viewer",
    "load_register",
    "mask_address",
    "mask_name",
    "mask_phone",
    "parse_register",
    "present",
    "scope",
    "write_template",
]

Role = Literal["grid_worker", "department_handler", "dispatcher", "administrator"]
"""Roles that may read a register (residents never see another person's record)."""

ROLES: tuple[Role, ...] = ("grid_worker", "department_handler", "dispatcher", "administrator")

REGISTER_COLUMNS: dict[str, tuple[str, ...]] = {
    # key: accepted headers (the English key is always accepted)
    "person_id": ("编号", "人员编号", "居民编号"),
    "name": ("姓名",),
    "birth_date": ("出生日期",),
    "living_alone": ("是否独居", "独居"),
    "disability_level": ("残疾等级",),
    "chronic_conditions": ("慢性病", "慢病"),
    "newborn_birth_date": ("新生儿出生日期", "家中新生儿出生日期"),
    "special_care": ("特殊群体", "救助类别"),
    "grid_id": ("网格", "网格编号"),
    "community_id": ("社区", "社区编号"),
    "address": ("住址", "地址"),
    "phone": ("联系电话", "电话", "手机"),
}
"""The template's columns: key → accepted Chinese headers."""

REQUIRED_COLUMNS: tuple[str, ...] = ("person_id", "name", "birth_date", "grid_id", "community_id")

CHRONIC_CONDITIONS: dict[str, tuple[str, ...]] = {
    "hypertension": ("高血压",),
    "diabetes": ("糖尿病",),
    "heart_disease": ("心脏病", "冠心病"),
    "stroke": ("脑卒中", "中风"),
    "copd": ("慢阻肺", "慢性阻塞性肺病"),
    "dementia": ("认知障碍", "阿尔茨海默病", "老年痴呆"),
    "cancer": ("肿瘤", "癌症"),
    "other": ("其他",),
}
"""Chronic-condition flags: key → accepted Chinese names."""

SPECIAL_CARE: dict[str, tuple[str, ...]] = {
    "dibao": ("低保",),
    "tekun": ("特困", "特困供养"),
    "youfu": ("优抚", "优抚对象"),
}
"""Special-care categories: key → accepted Chinese names."""

_TRUE = {"1", "true", "yes", "y", "是", "独居", "√", "x"}
_FALSE = {"", "0", "false", "no", "n", "否", "非独居"}
_PHONE = re.compile(r"^\+?[0-9][0-9\- ]{5,19}$")


@dataclass(frozen=True, slots=True)
class Register:
    """One imported register.

    Attributes
    ----------
    records
        One row per resident. Columns: ``person_id``, ``name`` (str); ``birth_date``,
        ``newborn_birth_date`` (``datetime.date`` or ``None``); ``living_alone`` (bool);
        ``disability_level`` (int, 0 = none, 1 = most severe … 4); ``chronic_conditions``,
        ``special_care`` (``;``-joined keys of :data:`CHRONIC_CONDITIONS` /
        :data:`SPECIAL_CARE`, sorted, ``""`` for none); ``grid_id``, ``community_id``,
        ``address``, ``phone`` (str, ``""`` when absent).
    dropped_columns
        Headers of the file that are not in the template; their values were not read.
    source
        The file the register came from.
    """

    records: pd.DataFrame
    dropped_columns: tuple[str, ...]
    source: str


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking at register records.

    Attributes
    ----------
    user
        Login name, written to the access log.
    role
        One of :data:`ROLES`.
    grid_ids
        The grids a ``grid_worker`` serves (ignored for other roles).
    """

    user: str
    role: Role
    grid_ids: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise PermissionDeniedError(
                f"role {self.role!r} may not read registers; allowed: {', '.join(ROLES)}"
            )


def _header_map(headers: Iterable[str]) -> tuple[dict[str, str], tuple[str, ...]]:
    """Map file headers to template keys; return (header → key, dropped headers)."""
    lookup: dict[str, str] = {}
    for key, aliases in REGISTER_COLUMNS.items():
        lookup[key] = key
        for alias in aliases:
            lookup[alias] = key
    mapping: dict[str, str] = {}
    dropped: list[str] = []
    for header in headers:
        clean = str(header).strip()
        found = lookup.get(clean) or lookup.get(clean.lower())
        if found is None:
            dropped.append(clean)
        else:
            mapping[str(header)] = found
    return mapping, tuple(dropped)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and pd.isna(value):
        return ""
    if value is pd.NaT:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _date(value: Any, where: str, *, required: bool) -> dt.date | None:
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    if not text:
        if required:
            raise DataError(f"{where} is empty; expected a date like 1940-03-15")
        return None
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y-%m-%d %H:%M:%S"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise DataError(f"{where}: expected a date like 1940-03-15, got {text!r}")


def _bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise DataError(f"{where}: expected 是/否 (or 1/0), got {text!r}")


def _flags(value: Any, vocabulary: Mapping[str, tuple[str, ...]], where: str) -> str:
    text = _text(value)
    if not text:
        return ""
    lookup = {key: key for key in vocabulary}
    for key, aliases in vocabulary.items():
        for alias in aliases:
            lookup[alias] = key
    keys: set[str] = set()
    for part in re.split(r"[;；,，、/\s]+", text):
        if not part:
            continue
        found = lookup.get(part) or lookup.get(part.lower())
        if found is None:
            allowed = "、".join(a for aliases in vocabulary.values() for a in aliases)
            raise DataError(f"{where}: unknown value {part!r}; expected some of {allowed}")
        keys.add(found)
    return ";".join(sorted(keys))


def _disability(value: Any, where: str) -> int:
    text = _text(value)
    if not text or text in {"无", "0"}:
        return 0
    match = re.fullmatch(r"(?:([1-4])|([一二三四])级?)", text)
    if match is None:
        raise DataError(
            f"{where}: expected a disability level 1–4 (一级…四级) or empty, got {text!r}"
        )
    if match.group(1):
        return int(match.group(1))
    return "一二三四".index(match.group(2)) + 1


def parse_register(
    rows: pd.DataFrame,
    *,
    source: str = "<register>",
    today: dt.date | None = None,
    row_numbers: Sequence[int] | None = None,
) -> Register:
    """Validate and normalise a register table already read from a file.

    Parameters
    ----------
    rows
        Raw table, one row per resident, headers as in the template (object dtype is fine).
    source
        File name used in error messages.
    today
        Reference date for plausibility checks (birth dates may not lie in the future);
        default: today.
    row_numbers
        The spreadsheet row of every record, for messages; default: header = row 1 and no
        gaps.

    Returns
    -------
    Register

    Raises
    ------
    DataError
        A required column is missing, a value is malformed or a ``person_id`` repeats; the
        message names the file, the spreadsheet row (header = row 1) and the column.
    """
    today = today or dt.date.today()
    mapping, dropped = _header_map(rows.columns)
    seen_headers: dict[str, str] = {}
    for header, key in mapping.items():
        if key in seen_headers:
            raise DataError(
                f"{source}: columns '{seen_headers[key]}' and '{header}' both mean '{key}'; "
                "keep one"
            )
        seen_headers[key] = header
    present_keys = set(mapping.values())
    missing = [key for key in REQUIRED_COLUMNS if key not in present_keys]
    if missing:
        raise DataError(
            f"{source}: missing required column(s) {', '.join(missing)}; "
            f"the template's columns are {', '.join(REGISTER_COLUMNS)}"
        )
    keep = rows[list(mapping)].rename(columns=mapping)
    out: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    numbers = list(row_numbers) if row_numbers is not None else list(range(2, len(keep) + 2))
    for row_no, raw in zip(numbers, keep.to_dict(orient="records"), strict=True):
        rec: dict[str, Any] = {}

        def where(col: str, row_no: int = row_no) -> str:
            return f"{source}: row {row_no}: column '{col}'"

        for key in ("person_id", "name", "grid_id", "community_id"):
            rec[key] = _text(raw.get(key))
            if not rec[key]:
                raise DataError(f"{where(key)} is empty")
        if rec["person_id"] in seen:
            raise DataError(
                f"{where('person_id')}: {rec['person_id']!r} repeats row {seen[rec['person_id']]}"
            )
        seen[rec["person_id"]] = row_no
        birth = _date(raw.get("birth_date"), where("birth_date"), required=True)
        if birth is None or birth > today or birth.year < 1890:
            raise DataError(f"{where('birth_date')}: implausible birth date {birth}")
        rec["birth_date"] = birth
        newborn = _date(raw.get("newborn_birth_date"), where("newborn_birth_date"), required=False)
        if newborn is not None and newborn > today:
            raise DataError(f"{where('newborn_birth_date')}: {newborn} lies in the future")
        rec["newborn_birth_date"] = newborn
        rec["living_alone"] = _bool(raw.get("living_alone"), where("living_alone"))
        rec["disability_level"] = _disability(
            raw.get("disability_level"), where("disability_level")
        )
        rec["chronic_conditions"] = _flags(
            raw.get("chronic_conditions"), CHRONIC_CONDITIONS, where("chronic_conditions")
        )
        rec["special_care"] = _flags(raw.get("special_care"), SPECIAL_CARE, where("special_care"))
        rec["address"] = _text(raw.get("address"))
        phone = _text(raw.get("phone"))
        if phone and not _PHONE.match(phone):
            raise DataError(f"{where('phone')}: expected a phone number, got {phone!r}")
        rec["phone"] = phone.replace(" ", "").replace("-", "")
        out.append(rec)
    records = pd.DataFrame(out, columns=list(REGISTER_COLUMNS))
    return Register(records=records, dropped_columns=dropped, source=source)


def load_register(
    path: str | Path, *, today: dt.date | None = None, limits: Limits = DEFAULT_LIMITS
) -> Register:
    """Read a register from a CSV or XLSX file through the one table reader.

    Parameters
    ----------
    path
        ``.csv`` (UTF-8, GBK/GB18030 or UTF-16) or ``.xlsx`` file following the template (see
        ``docs/proactive.md``).
    today
        Reference date for plausibility checks; default today.
    limits
        File, cell and row limits (:class:`wanzheng.data.tabular.Limits`).

    Raises
    ------
    DataError
        The file cannot be read or a row is wrong (names file, row and column).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".xlsx", ".xlsm"}:
        raise DataError(f"{path}: expected a .csv or .xlsx register, got '{suffix}'")
    table = read_table(path, aliases=REGISTER_COLUMNS, limits=limits)
    # headers as written: parse_register maps them itself and names them in its messages
    rows = table.frame.rename(columns=table.headers)
    return parse_register(
        rows, source=str(path), today=today, row_numbers=[int(n) for n in table.rows]
    )


def write_template(path: str | Path) -> Path:
    """Write an empty register template (Chinese headers, one example row) to ``path``.

    The suffix chooses the format (``.csv`` or ``.xlsx``).
    """
    path = Path(path)
    headers = [aliases[0] for aliases in REGISTER_COLUMNS.values()]
    example = [
        "R0001",
        "张三",
        "1940-03-15",
        "是",
        "",
        "高血压;糖尿病",
        "",
        "低保",
        "G01",
        "C01",
        "某路 1 号 2 单元 301",
        "13812341234",
    ]
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        assert ws is not None  # a new workbook has one sheet
        ws.append(headers)
        ws.append(example)
        save_workbook(wb, path)
    else:
        write_csv(path, headers, [example])
    return path


def scope(records: pd.DataFrame, viewer: Viewer) -> pd.DataFrame:
    """The records ``viewer`` may see: a grid worker only their grids', others all.

    Parameters
    ----------
    records
        Register records (``grid_id`` column required).
    viewer
        Who is looking.
    """
    if viewer.role == "grid_worker":
        return records[records["grid_id"].isin(sorted(viewer.grid_ids))].copy()
    return records.copy()


def mask_phone(phone: str) -> str:
    """``13812341234`` → ``138****1234``; short numbers keep only their last two digits."""
    digits = phone.strip()
    if not digits:
        return ""
    if len(digits) >= 7:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * (len(digits) - 2) + digits[-2:]


def mask_name(name: str) -> str:
    """``张三丰`` → ``张**``: the family name only."""
    return name[:1] + "*" * (len(name) - 1) if name else ""


def mask_address(address: str) -> str:
    """Keep the road and drop the numbers: ``某路 1 号 2 单元 301`` → ``某路 *号*单元*``."""
    return re.sub(r"\s*\d+\s*", "*", address)


def present(records: pd.DataFrame, viewer: Viewer, *, unmask: bool = False) -> pd.DataFrame:
    """Records as ``viewer`` is shown them: scoped, and masked unless ``unmask``.

    Grid workers see names and addresses of their own grid (they visit these people) but
    masked phones unless they unmask; department handlers and dispatchers see masked names,
    addresses and phones and may not unmask; administrators may unmask everything.
    Callers that unmask must log it (``store.read_register`` does).

    Raises
    ------
    PermissionDeniedError
        ``unmask`` requested by a role that may not unmask.
    """
    if unmask and viewer.role not in {"grid_worker", "administrator"}:
        raise PermissionDeniedError(f"role {viewer.role!r} may not unmask register records")
    shown = scope(records, viewer)
    if unmask:
        return shown
    shown["phone"] = shown["phone"].map(mask_phone)
    if viewer.role != "grid_worker":
        shown["name"] = shown["name"].map(mask_name)
        shown["address"] = shown["address"].map(mask_address)
    return shown
