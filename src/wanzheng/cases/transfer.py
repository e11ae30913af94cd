"""Import of historical work orders (a 12345 export, XLSX) and export of cases (XLSX / CSV).

The import template (``docs/cases.md``) — one header row, then one row per work order:

============  ========  ====================================================================
column        needed    meaning
============  ========  ====================================================================
工单编号       yes       the export's order number; a re-import of the same number is skipped
受理时间       yes       ``YYYY-MM-DD HH:MM[:SS]`` Beijing time (or an Excel date cell)
诉求内容       yes       the resident's text
诉求类别       no        category key or leaf name; empty = proposed by the classifier
经度, 纬度     no*       the location (*either both, or 地址)
坐标系         no        wgs84 / gcj02 / bd09 (default: the ``--crs`` option, wgs84)
地址           no*       address in words
联系人         no        name (stored once, masked in every output)
联系电话       no        phone (stored once, masked in every output)
承办部门       no        department key or name; empty = the category's department
办理状态       no        a state label of states.toml (:func:`state_names`); default 已关闭
办结时间       no        resolution time (needed for 已办结 / 已关闭)
满意度         no        满意 / 基本满意 / 不满意
============  ========  ====================================================================

English headers are accepted too (:data:`IMPORT_ALIASES`: ``order_no``, ``submitted_at``,
``text`` …). The file is read by the one table reader (:mod:`wanzheng.data.tabular`: UTF-8,
GBK/GB18030 or UTF-16 CSV, XLSX; file, cell and row limits; XLSX zip bombs refused) *before*
anything is written. Rows are then checked one by one inside savepoints; every rejected row is
reported with its row number and reason. Unless ``skip_invalid`` is set, one rejected row
means nothing at all is imported (the transaction is rolled back).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import select
from sqlalchemy.orm import Session

from wanzheng.cases.categories import CategoryClassifier
from wanzheng.cases.contacts import log_bulk_unmask
from wanzheng.cases.deadlines import BEIJING
from wanzheng.cases.intake import NewCase, create_case
from wanzheng.cases.masking import mask_id_number, mask_name, mask_phone
from wanzheng.cases.models import Case, CaseEvent, CategoryRow, Department
from wanzheng.cases.routing import GridIndex
from wanzheng.cases.states import StateMachine
from wanzheng.cases.users import Actor
from wanzheng.data.cells import restore_cell, save_workbook, write_csv
from wanzheng.data.tabular import DEFAULT_LIMITS, Limits, read_table
from wanzheng.errors import ConflictError, DataError
from wanzheng.place.match import Placement

__all__ = [
    "EXPORT_COLUMNS",
    "IMPORT_ALIASES",
    "IMPORT_COLUMNS",
    "ImportReport",
    "export_cases",
    "import_cases",
    "read_workorders",
    "state_names",
]

IMPORT_COLUMNS = (
    "工单编号",
    "受理时间",
    "诉求内容",
    "诉求类别",
    "经度",
    "纬度",
    "坐标系",
    "地址",
    "联系人",
    "联系电话",
    "承办部门",
    "办理状态",
    "办结时间",
    "满意度",
)
IMPORT_ALIASES: dict[str, tuple[str, ...]] = {
    "工单编号": ("order_no", "order_id", "编号", "工单号"),
    "受理时间": ("submitted_at", "created_at", "来电时间", "受理日期"),
    "诉求内容": ("text", "content", "诉求描述", "问题描述", "工单内容"),
    "诉求类别": ("category", "诉求分类", "问题类别"),
    "经度": ("lon", "lng", "longitude"),
    "纬度": ("lat", "latitude"),
    "坐标系": ("crs",),
    "地址": ("address", "诉求地址", "事发地址"),
    "联系人": ("name", "contact", "来电人"),
    "联系电话": ("phone", "电话", "手机"),
    "承办部门": ("department", "承办单位"),
    "办理状态": ("state", "status", "工单状态"),
    "办结时间": ("resolved_at", "办结日期"),
    "满意度": ("rating", "satisfaction"),
}
"""Import column (as in the template) → other headers accepted for it."""
_REQUIRED = ("工单编号", "受理时间", "诉求内容")
IMPORTED_STATES = (
    "submitted",
    "accepted",
    "dispatched",
    "in_progress",
    "resolved",
    "closed",
    "rejected",
)
"""States an imported work order may be in (its 办理状态 is a state's label in states.toml)."""
_STATE_ALIASES = {"已办结": "resolved", "已办结已回访": "closed"}
"""Labels other systems' exports use, besides the labels of states.toml."""


def state_names(machine: StateMachine) -> dict[str, str]:
    """办理状态 accepted by an import → state key: the label of each of
    :data:`IMPORTED_STATES` in the state machine (so an export reads back), then the aliases
    other systems write."""
    names = {machine.states[k].label: k for k in IMPORTED_STATES}
    for alias, key in _STATE_ALIASES.items():
        names.setdefault(alias, key)
    return names


EXPORT_COLUMNS = (
    "工单编号",
    "受理时间",
    "诉求内容",
    "诉求类别",
    "经度",
    "纬度",
    "地址",
    "联系人",
    "联系电话",
    "身份证号",
    "承办部门",
    "网格",
    "社区",
    "办理状态",
    "办结时间",
    "满意度",
    "督办级别",
    "重办次数",
    "类型",
    "分类来源",
    "分类已确认",
)


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did: cases created, rows skipped (already imported), rows rejected.

    With a placer: ``placed`` lists the rows without 经度/纬度 that their text placed (row, what
    was recognised, confidence) and ``unplaced`` those it could not place (row, reason).
    """

    created: int
    skipped: list[tuple[int, str]] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)
    committed: bool = False
    placed: list[tuple[int, str, float]] = field(default_factory=list)
    unplaced: list[tuple[int, str]] = field(default_factory=list)


class TextPlacer(Protocol):
    """Places a work order from its words (:func:`wanzheng.place.place_text` on a gazetteer)."""

    def __call__(self, text: str) -> Placement: ...


def _cell(v: Any) -> Any:
    # An exported text cell that was neutralised against formula injection ("'=…") is read
    # back as the original text (data.cells.restore_cell), so export → import round-trips.
    if isinstance(v, str):
        v = restore_cell(v.strip())
        return v or None
    return v


def _xlsx_text(v: Any) -> Any:
    """Text without the control characters XLSX cannot hold (each becomes U+FFFD)."""
    if isinstance(v, str):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", v)
    return v


def read_workorders(
    path: Path, *, limits: Limits = DEFAULT_LIMITS
) -> list[tuple[int, dict[str, Any]]]:
    """Read an XLSX (first sheet) or CSV export: ``(row number, {column: value})`` per row.

    Columns are named as in :data:`IMPORT_COLUMNS` whichever alias the file used.

    Raises
    ------
    DataError
        The file cannot be read, breaks a limit, or a required column is missing.
    """
    table = read_table(path, aliases=IMPORT_ALIASES, limits=limits)
    table.require(*_REQUIRED, hint="see the import template (docs/cases.md)")
    wanted = [c for c in IMPORT_COLUMNS if c in table.frame.columns]
    out = []
    for n, record in zip(
        table.rows.tolist(), table.frame[wanted].itertuples(index=False, name=None), strict=True
    ):
        values = {c: _cell(v) for c, v in zip(wanted, record, strict=True)}
        if all(v is None for v in values.values()):
            continue
        out.append((int(n), values))
    return out


def _time(v: Any, where: str) -> dt.datetime:
    if isinstance(v, dt.datetime):
        t = v
    elif isinstance(v, dt.date):
        t = dt.datetime.combine(v, dt.time(0))
    elif isinstance(v, str):
        try:
            t = dt.datetime.fromisoformat(v.replace("/", "-"))
        except ValueError:
            raise DataError(f"{where}: expected YYYY-MM-DD HH:MM, got {v!r}") from None
    else:
        raise DataError(f"{where}: expected a date and time, got {v!r}")
    return t.replace(tzinfo=BEIJING) if t.tzinfo is None else t


def _float(v: Any, where: str) -> float | None:
    if v is None:
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        raise DataError(f"{where}: expected a number, got {v!r}") from None


def _import_row(
    session: Session,
    n: int,
    row: dict[str, Any],
    *,
    path: Path,
    index: GridIndex,
    classifier: CategoryClassifier | None,
    machine: StateMachine,
    default_crs: str,
    placer: TextPlacer | None = None,
    placements: dict[int, Placement] | None = None,
) -> bool:
    def where(col: str) -> str:
        return f"{path}: row {n}: column '{col}'"

    order_no = str(row.get("工单编号") or "").strip()
    if not order_no:
        raise DataError(f"{where('工单编号')}: empty")
    submitted = _time(row.get("受理时间"), where("受理时间"))
    lon, lat = _float(row.get("经度"), where("经度")), _float(row.get("纬度"), where("纬度"))
    crs = str(row.get("坐标系") or default_crs).lower()
    if lon is not None and lat is not None and crs != "wgs84":
        from wanzheng.geo import to_wgs84

        try:
            x, y = to_wgs84(lon, lat, crs)
        except DataError as exc:
            raise DataError(f"{where('坐标系')}: {exc}") from None
        lon, lat = float(x), float(y)
    if lon is None and lat is None and placer is not None:
        words = "。".join(str(row[c]) for c in ("地址", "诉求内容") if row.get(c))
        placement = placer(words)
        if placements is not None:
            placements[n] = placement
        if placement.placed:
            lon, lat = placement.lon, placement.lat
    category = row.get("诉求类别")
    if category is not None:
        by_name = session.scalar(select(CategoryRow.key).where(CategoryRow.name == str(category)))
        category = by_name or str(category)
    known = state_names(machine)
    state_name = str(row.get("办理状态") or machine.states["closed"].label)
    state = known.get(state_name)
    if state is None:
        raise DataError(f"{where('办理状态')}: expected one of {list(known)}, got {state_name!r}")
    resolved = row.get("办结时间")
    resolved_at = _time(resolved, where("办结时间")) if resolved is not None else None
    if state in ("resolved", "closed") and resolved_at is None:
        raise DataError(f"{where('办结时间')}: needed when 办理状态 is {state_name}")
    if resolved_at is not None and resolved_at < submitted:
        raise DataError(f"{where('办结时间')}: earlier than 受理时间")
    rating = row.get("满意度")
    if rating is not None and rating not in machine.rating.values:
        raise DataError(
            f"{where('满意度')}: expected one of {list(machine.rating.values)}, got {rating!r}"
        )
    new = NewCase(
        text=str(row.get("诉求内容") or ""),
        lon=lon,
        lat=lat,
        category=category,
        address=row.get("地址"),
        name=str(row["联系人"]) if row.get("联系人") else None,
        phone=str(row["联系电话"]) if row.get("联系电话") else None,
        source="import",
    )
    try:
        case, created = create_case(
            session,
            new=new,
            now=submitted,
            index=index,
            classifier=classifier,
            actor=Actor.system(),
            idempotency_key=f"import:{order_no}",
            check_area=False,
        )
    except DataError as exc:
        raise DataError(f"{path}: row {n}: {exc}") from None
    except ConflictError:
        # the same 工单编号 imported before with other content: which one is right is for
        # a person to decide, so the row is refused (and with it the file, unless
        # --skip-invalid) instead of one version silently winning
        raise DataError(
            f"{where('工单编号')}: {order_no} was imported before with different content; "
            "correct the row or give it its own 工单编号"
        ) from None
    if not created:
        return False
    dept = row.get("承办部门")
    if dept is not None:
        key = session.scalar(
            select(Department.key).where(
                (Department.key == str(dept)) | (Department.name == str(dept))
            )
        )
        if key is None:
            raise DataError(f"{where('承办部门')}: unknown department {dept!r}")
        case.department_key = key
    if state != "submitted":
        at = resolved_at or submitted
        if state in ("accepted", "dispatched", "in_progress", "resolved", "closed"):
            case.accepted_at = submitted
        if state in ("in_progress", "resolved", "closed"):
            case.responded_at = submitted
        if state in ("resolved", "closed"):
            case.resolved_at = resolved_at
        if state in ("closed", "rejected"):
            case.closed_at = at
        case.rating = rating
        session.add(
            CaseEvent(
                case_id=case.id,
                action="import",
                from_state="submitted",
                to_state=state,
                actor_id=None,
                actor_role="system",
                at=at,
                note=f"历史工单导入 (工单编号 {order_no})",
            )
        )
        case.state = state
        case.updated_at = at
    session.flush()
    return True


def import_cases(
    session: Session,
    *,
    path: Path,
    index: GridIndex,
    machine: StateMachine,
    classifier: CategoryClassifier | None = None,
    default_crs: str = "wgs84",
    skip_invalid: bool = False,
    placer: TextPlacer | None = None,
    limits: Limits = DEFAULT_LIMITS,
    rows: list[tuple[int, dict[str, Any]]] | None = None,
) -> ImportReport:
    """Import a work-order export in one transaction (see the module docstring).

    With ``placer``, rows without 经度/纬度 are placed from their 地址 and 诉求内容
    (:mod:`wanzheng.place`): a placed row gets the location (and so its grid and community);
    an unplaced one keeps only its address, and the report says why. ``rows`` are those of
    :func:`read_workorders` when the caller has read the file already.

    Returns
    -------
    ImportReport
        ``committed`` is False when rejected rows stopped the import.
    """
    if rows is None:
        rows = read_workorders(path, limits=limits)
    created = 0
    skipped: list[tuple[int, str]] = []
    rejected: list[tuple[int, str]] = []
    placements: dict[int, Placement] = {}
    for n, row in rows:
        sp = session.begin_nested()
        try:
            if _import_row(
                session,
                n,
                row,
                path=path,
                index=index,
                classifier=classifier,
                machine=machine,
                default_crs=default_crs,
                placer=placer,
                placements=placements,
            ):
                created += 1
                sp.commit()
            else:
                skipped.append((n, f"工单编号 {row.get('工单编号')} already imported"))
                sp.rollback()
        except DataError as exc:
            sp.rollback()
            rejected.append((n, str(exc)))
    if rejected and not skip_invalid:
        session.rollback()
        return ImportReport(created=0, skipped=skipped, rejected=rejected, committed=False)
    session.commit()
    done = {n for n, _ in rows} - {n for n, _ in skipped} - {n for n, _ in rejected}
    return ImportReport(
        created=created,
        skipped=skipped,
        rejected=rejected,
        committed=True,
        placed=[
            (n, p.matched, float(p.confidence or 0.0))
            for n, p in sorted(placements.items())
            if p.placed and n in done
        ],
        unplaced=[
            (n, f"{p.reason}: {p.detail}" if p.detail else p.reason)
            for n, p in sorted(placements.items())
            if not p.placed and n in done
        ],
    )


def _beijing(t: dt.datetime | None) -> str | None:
    return t.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S") if t is not None else None


def _export_row(
    c: Case,
    *,
    text: str,
    address: str | None,
    contact: tuple[str | None, str | None, str | None],
    machine: StateMachine,
) -> dict[str, Any]:
    """One case as export header → value (``tests/cases/test_transfer.py`` checks its keys are
    :data:`EXPORT_COLUMNS`, in order)."""
    name, phone, idn = contact
    return {
        "工单编号": c.id,
        "受理时间": _beijing(c.submitted_at),
        "诉求内容": text,
        "诉求类别": c.category_key,
        "经度": c.lon,
        "纬度": c.lat,
        "地址": address,
        "联系人": name,
        "联系电话": phone,
        "身份证号": idn,
        "承办部门": c.department_key,
        "网格": c.grid_key,
        "社区": c.community_key,
        "办理状态": machine.states[c.state].label,
        "办结时间": _beijing(c.resolved_at),
        "满意度": c.rating,
        "督办级别": c.escalation_level,
        "重办次数": c.reopen_count,
        "类型": c.case_type,
        "分类来源": c.category_source,
        "分类已确认": "是" if c.category_source == "staff" else "否",
    }


def export_cases(
    session: Session,
    *,
    path: Path,
    actor: Actor,
    unmask: bool = False,
    purpose: str = "",
    now: dt.datetime,
    machine: StateMachine,
    confirmed_only: bool = False,
) -> int:
    """Write every case to XLSX or CSV (by the suffix); personal data masked unless
    ``unmask`` (dispatcher / admin only, logged with ``purpose``).

    Masked means the contact fields (name, phone, ID number) and the free text: ``诉求内容``
    and ``地址`` go through :func:`wanzheng.text.redact` (``addresses=True``: phone and ID
    numbers, bank cards, e-mail, plates, and the address below the building become
    placeholders such as ``〔手机号〕``), the same masking as the public tracking view.

    ``分类来源`` is ``Case.category_source``; ``分类已确认`` is 是 when a dispatcher confirmed or
    changed the category (action ``recategorise``). ``confirmed_only`` writes only those cases
    (the training set of ``docs/text.md``).

    Returns
    -------
    int
        Number of cases written.
    """
    if path.suffix.lower() not in (".xlsx", ".csv"):
        raise DataError(f"{path}: expected an .xlsx or .csv output file")
    q = select(Case).order_by(Case.id)
    if confirmed_only:
        q = q.where(Case.category_source == "staff")
    cases = session.scalars(q).all()
    if unmask:
        log_bulk_unmask(session, actor=actor, purpose=purpose, n_cases=len(cases), now=now)
    from wanzheng.text.redact import redact

    rows = []
    for c in cases:
        p = c.person
        name, phone, idn = (p.name, p.phone, p.id_number) if p else (None, None, None)
        text, address = c.text, c.address
        if not unmask:
            name, phone, idn = mask_name(name), mask_phone(phone), mask_id_number(idn)
            text = redact(text, addresses=True).text
            address = redact(address, addresses=True).text if address else address
        row = _export_row(
            c, text=text, address=address, contact=(name, phone, idn), machine=machine
        )
        rows.append([row[k] for k in EXPORT_COLUMNS])
    # Text cells through data.cells (formula injection): resident text is never a formula.
    if path.suffix.lower() == ".csv":
        write_csv(path, EXPORT_COLUMNS, rows)
    else:
        wb = openpyxl.Workbook()
        ws = wb.active
        assert ws is not None  # a new workbook has one sheet
        ws.title = "cases"
        ws.append(list(EXPORT_COLUMNS))
        for r in rows:
            ws.append([_xlsx_text(v) for v in r])
        save_workbook(wb, path)
    session.commit()
    return len(rows)
