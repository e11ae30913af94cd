"""Persistence of the proactive services: register imports and reads, the access log and its
retention purge, events.

The tables are declared in ``proactive/models.py`` on the database's one declarative base
and created by its Alembic history (``wanzheng.db``; revision ``0002`` adopted tables that
an earlier ``CREATE TABLE IF NOT EXISTS`` had made). Proactive tasks themselves are the case
desk's cases (``case_type = "proactive"``); the table ``proactive_actions`` only remembers
which dedup key produced which case, outbox message or department-list row (see
``proactive/service.py``).

Every function takes a :class:`~sqlalchemy.orm.Session` and keyword arguments; the caller
commits. Register reads go through :func:`read_register`, which scopes by role, masks by
default and writes one access-log row per record returned.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from wanzheng.errors import DataError, PermissionDeniedError
from wanzheng.proactive.models import (
    AccessLog,
    EventRow,
    Notice,
    OutboxRow,
    ProactiveAction,
    RegisterRecord,
    RuleRun,
)
from wanzheng.proactive.registers import REGISTER_COLUMNS, Register, Viewer, present, scope
from wanzheng.proactive.tasks import Event

__all__ = [
    "ACCESS_LOG_RETENTION_DAYS",
    "AccessLog",
    "EventRow",
    "Notice",
    "OutboxRow",
    "ProactiveAction",
    "RegisterRecord",
    "RuleRun",
    "access_log",
    "active_events",
    "add_event",
    "import_register",
    "purge_expired",
    "read_register",
    "register_frame",
]

ACCESS_LOG_RETENTION_DAYS = 3 * 365
"""Access-log rows are kept three years (as evidence of lawful processing), then purged."""


def _log(
    session: Session,
    viewer: Viewer,
    person_ids: list[str],
    action: str,
    purpose: str,
    now: dt.datetime,
) -> None:
    session.add_all(
        AccessLog(
            at=now, user=viewer.user, role=viewer.role, person_id=p, action=action, purpose=purpose
        )
        for p in person_ids
    )


def import_register(
    session: Session,
    *,
    register: Register,
    viewer: Viewer,
    now: dt.datetime,
    replace_communities: bool = True,
) -> dict[str, int]:
    """Store a register: upsert by ``person_id``; drop residents no longer listed.

    Parameters
    ----------
    register
        A validated register (:func:`~wanzheng.proactive.registers.load_register`).
    viewer
        Who imports (administrators, or a grid worker for their own grids only).
    now
        Import time; the retention period counts from it.
    replace_communities
        Delete stored residents of the file's communities who are not in the file (moved
        away, died): the register is the whole truth for the communities it covers.

    Returns
    -------
    dict
        ``{"imported": n, "removed": m, "dropped_columns": k}``.

    Raises
    ------
    PermissionDeniedError
        A role other than administrator imports, or a grid worker imports other grids.
    """
    records = register.records
    if viewer.role == "grid_worker":
        foreign = sorted(set(records["grid_id"]) - viewer.grid_ids)
        if foreign:
            raise PermissionDeniedError(
                f"{register.source}: grid worker {viewer.user!r} may not import grids "
                f"{', '.join(foreign)}"
            )
    elif viewer.role != "administrator":
        raise PermissionDeniedError(f"role {viewer.role!r} may not import registers")
    removed = 0
    if replace_communities and len(records):
        communities = sorted(set(records["community_id"]))
        keep = set(records["person_id"])
        stale = session.scalars(
            select(RegisterRecord.person_id).where(RegisterRecord.community_id.in_(communities))
        ).all()
        gone = [p for p in stale if p not in keep]
        if viewer.role == "grid_worker":
            gone = [
                p
                for p in gone
                if (r := session.get(RegisterRecord, p)) is not None
                and r.grid_id in viewer.grid_ids
            ]
        if gone:
            session.execute(delete(RegisterRecord).where(RegisterRecord.person_id.in_(gone)))
            _log(session, viewer, gone, "purge", f"not in {register.source}", now)
            removed = len(gone)
    for rec in records.to_dict(orient="records"):
        values = {k: rec[k] for k in REGISTER_COLUMNS}
        values["living_alone"] = bool(values["living_alone"])
        values["disability_level"] = int(values["disability_level"])
        row = session.get(RegisterRecord, values["person_id"])
        if row is None:
            row = RegisterRecord(**values, source=register.source, imported_at=now)
            session.add(row)
        else:
            for k, v in values.items():
                setattr(row, k, v)
            row.source = register.source
            row.imported_at = now
    _log(session, viewer, [str(p) for p in records["person_id"]], "import", register.source, now)
    session.flush()
    return {
        "imported": len(records),
        "removed": removed,
        "dropped_columns": len(register.dropped_columns),
    }


def register_frame(session: Session) -> pd.DataFrame:
    """Every stored record as a DataFrame (for rule evaluation inside the service; no log).

    Rule evaluation is processing, not disclosure: its output holds person ids, not
    contacts. Anything shown to a person goes through :func:`read_register`.
    """
    rows = session.scalars(select(RegisterRecord).order_by(RegisterRecord.person_id)).all()
    return pd.DataFrame(
        [{k: getattr(r, k) for k in REGISTER_COLUMNS} for r in rows],
        columns=list(REGISTER_COLUMNS),
    )


def read_register(
    session: Session,
    *,
    viewer: Viewer,
    now: dt.datetime,
    person_ids: list[str] | None = None,
    unmask: bool = False,
    purpose: str = "",
) -> pd.DataFrame:
    """Register records as ``viewer`` may see them, each access logged.

    Parameters
    ----------
    viewer
        Who reads (scoped: a grid worker sees only their grids).
    now
        Time of the access.
    person_ids
        Only these records (default: all in scope).
    unmask
        Show phone (and for non-grid roles name and address) unmasked; needs a
        ``purpose`` and a role that may unmask.
    purpose
        Why; written to the log (required to unmask).

    Raises
    ------
    PermissionDeniedError
        Unmasking by a role that may not, or without a purpose.
    """
    if unmask and not purpose.strip():
        raise PermissionDeniedError("unmask: say why (purpose) the unmasked record is needed")
    frame = register_frame(session)
    if person_ids is not None:
        frame = frame[frame["person_id"].isin(person_ids)]
    shown = present(frame, viewer, unmask=unmask)
    _log(
        session,
        viewer,
        [str(p) for p in shown["person_id"]],
        "unmask" if unmask else "read",
        purpose,
        now,
    )
    session.flush()
    return shown.reset_index(drop=True)


def in_scope(session: Session, *, viewer: Viewer) -> int:
    """How many records ``viewer`` may see (no record is disclosed, nothing logged)."""
    return len(scope(register_frame(session), viewer))


def access_log(session: Session, *, person_id: str | None = None, limit: int = 500) -> pd.DataFrame:
    """The latest access-log rows (all, or one person's)."""
    q = select(AccessLog).order_by(AccessLog.id.desc()).limit(limit)
    if person_id is not None:
        q = q.where(AccessLog.person_id == person_id)
    rows = session.scalars(q).all()
    return pd.DataFrame(
        [
            {
                "at": r.at,
                "user": r.user,
                "role": r.role,
                "person_id": r.person_id,
                "action": r.action,
                "purpose": r.purpose,
            }
            for r in rows
        ],
        columns=["at", "user", "role", "person_id", "action", "purpose"],
    )


def purge_expired(
    session: Session,
    *,
    now: dt.datetime,
    retention_days: int,
    log_retention_days: int = ACCESS_LOG_RETENTION_DAYS,
) -> dict[str, int]:
    """Delete register records imported more than ``retention_days`` ago, and old log rows.

    A record re-imported (the office confirmed it) starts its retention again. Each purged
    record leaves one ``purge`` row in the access log.

    Returns
    -------
    dict
        ``{"records": n, "log_rows": m}`` deleted.
    """
    if retention_days < 1:
        raise DataError(f"retention_days: expected ≥ 1, got {retention_days}")
    cutoff = now - dt.timedelta(days=retention_days)
    old = session.scalars(
        select(RegisterRecord.person_id).where(RegisterRecord.imported_at < cutoff)
    ).all()
    if old:
        session.execute(delete(RegisterRecord).where(RegisterRecord.person_id.in_(old)))
        system = Viewer(user="system", role="administrator")
        _log(session, system, list(old), "purge", f"retention {retention_days} days", now)
    log_cutoff = now - dt.timedelta(days=log_retention_days)
    result = session.execute(delete(AccessLog).where(AccessLog.at < log_cutoff))
    session.flush()
    return {"records": len(old), "log_rows": int(getattr(result, "rowcount", 0) or 0)}


def add_event(session: Session, *, event: Event, entered_by: str, now: dt.datetime) -> EventRow:
    """Store (or update) an event entered by staff or imported."""
    row = session.get(EventRow, event.id)
    if row is None:
        row = EventRow(id=event.id, entered_by=entered_by, entered_at=now)
        session.add(row)
    row.kind = event.kind
    row.starts_at = _aware(event.starts_at)
    row.ends_at = _aware(event.ends_at) if event.ends_at is not None else None
    row.grid_ids = ";".join(sorted(event.grid_ids))
    row.community_ids = ";".join(sorted(event.community_ids))
    row.note = event.note
    session.flush()
    return row


def _aware(t: dt.datetime) -> dt.datetime:
    """Naive times are Beijing wall-clock time (events are entered that way)."""
    if t.tzinfo is None:
        return t.replace(tzinfo=dt.timezone(dt.timedelta(hours=8))).astimezone(dt.UTC)
    return t.astimezone(dt.UTC)


def active_events(session: Session, *, now: dt.datetime | None = None) -> list[Event]:
    """Stored events as :class:`~wanzheng.proactive.tasks.Event` (all, or active at ``now``)."""
    rows = session.scalars(select(EventRow).order_by(EventRow.starts_at)).all()
    events = [
        Event(
            id=r.id,
            kind=r.kind,
            starts_at=r.starts_at,
            ends_at=r.ends_at,
            grid_ids=frozenset(p for p in r.grid_ids.split(";") if p),
            community_ids=frozenset(p for p in r.community_ids.split(";") if p),
            note=r.note,
        )
        for r in rows
    ]
    return [e for e in events if now is None or e.active(now)]
