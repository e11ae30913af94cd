"""Register storage on SQLite and PostgreSQL: scoping, masking, access log, retention purge."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from wanzheng.cases.store import make_engine, make_sessionmaker
from wanzheng.errors import PermissionDeniedError
from wanzheng.proactive.registers import Register, Viewer, load_register
from wanzheng.proactive.store import (
    access_log,
    active_events,
    add_event,
    import_register,
    purge_expired,
    read_register,
    register_frame,
)
from wanzheng.proactive.tasks import load_events

T0 = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)
ADMIN = Viewer(user="admin", role="administrator")
WORKER = Viewer(user="gw1", role="grid_worker", grid_ids=frozenset({"G01"}))
HANDLER = Viewer(user="mz", role="department_handler")


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    engine = make_engine(database_url, pool_size=2)
    with make_sessionmaker(engine)() as s:
        yield s
    engine.dispose()


def test_import_scope_mask_and_log(session: Session, register: Register) -> None:
    out = import_register(session, register=register, viewer=ADMIN, now=T0)
    session.commit()
    assert out == {"imported": 10, "removed": 0, "dropped_columns": 1}
    stored = register_frame(session)
    assert len(stored) == 10
    assert stored.set_index("person_id").loc["R04", "newborn_birth_date"] == dt.date(2026, 11, 1)

    shown = read_register(session, viewer=WORKER, now=T0)
    session.commit()
    assert sorted(shown["person_id"]) == ["R01", "R02", "R03", "R04", "R05"]
    assert shown.set_index("person_id").loc["R01", "phone"] == "138****1234"
    log = access_log(session)
    reads = log[log["action"] == "read"]
    assert sorted(reads["person_id"]) == ["R01", "R02", "R03", "R04", "R05"]
    assert set(reads["user"]) == {"gw1"}
    assert (log["action"] == "import").sum() == 10

    with pytest.raises(PermissionDeniedError, match="purpose"):
        read_register(session, viewer=WORKER, now=T0, unmask=True)
    with pytest.raises(PermissionDeniedError):
        read_register(session, viewer=HANDLER, now=T0, unmask=True, purpose="核查")
    plain = read_register(
        session, viewer=WORKER, now=T0, person_ids=["R01"], unmask=True, purpose="上门探访联系"
    )
    session.commit()
    assert plain.iloc[0]["phone"] == "13812341234"
    unmasks = access_log(session, person_id="R01")
    assert list(unmasks[unmasks["action"] == "unmask"]["purpose"]) == ["上门探访联系"]


def test_reimport_replaces_the_communities_it_covers(
    session: Session, register: Register, proactive_data: Path, tmp_path: Path
) -> None:
    import_register(session, register=register, viewer=ADMIN, now=T0)
    session.commit()
    text = (proactive_data / "register_small.csv").read_text(encoding="utf-8")
    shorter = tmp_path / "reg.csv"
    shorter.write_text(
        "\n".join(line for line in text.splitlines() if not line.startswith("R05")) + "\n",
        encoding="utf-8",
    )
    again = load_register(shorter, today=dt.date(2026, 11, 25))
    out = import_register(session, register=again, viewer=ADMIN, now=T0 + dt.timedelta(days=1))
    session.commit()
    assert out["removed"] == 1
    assert "R05" not in set(register_frame(session)["person_id"])


def test_grid_worker_imports_only_own_grid(session: Session, register: Register) -> None:
    with pytest.raises(PermissionDeniedError, match="G02"):
        import_register(session, register=register, viewer=WORKER, now=T0)
    with pytest.raises(PermissionDeniedError):
        import_register(session, register=register, viewer=HANDLER, now=T0)


def test_retention_purge(session: Session, register: Register) -> None:
    import_register(session, register=register, viewer=ADMIN, now=T0)
    session.commit()
    kept = purge_expired(session, now=T0 + dt.timedelta(days=364), retention_days=365)
    session.commit()
    assert kept["records"] == 0 and len(register_frame(session)) == 10
    gone = purge_expired(session, now=T0 + dt.timedelta(days=366), retention_days=365)
    session.commit()
    assert gone["records"] == 10
    assert register_frame(session).empty
    log = access_log(session)
    assert (log["action"] == "purge").sum() == 10
    # The access log itself is kept three years: at T0 + 1460 d the import rows (T0) go,
    # the purge rows (T0 + 366 d) stay; a day after their three years they go too.
    later = purge_expired(session, now=T0 + dt.timedelta(days=4 * 365), retention_days=365)
    session.commit()
    assert later["log_rows"] == 10
    last = purge_expired(session, now=T0 + dt.timedelta(days=366 + 3 * 365 + 1), retention_days=365)
    session.commit()
    assert last["log_rows"] == 10
    assert access_log(session).empty


def test_events_stored_and_active(session: Session, proactive_data: Path) -> None:
    for event in load_events(proactive_data / "events_small.csv"):
        add_event(session, event=event, entered_by="admin", now=T0)
    session.commit()
    assert len(active_events(session)) == 2
    # 2026-11-25 10:00 Beijing = 02:00 UTC: the cold wave (from 06:00 Beijing) is active.
    active = active_events(session, now=T0)
    assert [e.id for e in active] == ["CW-2026-11-25"]
    assert active[0].grid_ids == frozenset({"G02"})
    assert active[0].starts_at == dt.datetime(2026, 11, 24, 22, 0, tzinfo=dt.UTC)
