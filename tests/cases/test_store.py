"""The store on SQLite and PostgreSQL: schema = models, durability, idempotency, events."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select, text

from wanzheng.cases.categories import KeywordClassifier, load_categories
from wanzheng.cases.states import load_state_machine
from wanzheng.cases.store import (
    Actor,
    Base,
    Case,
    CaseEvent,
    NewCase,
    Person,
    apply_action,
    case_events,
    create_case,
    escalate_overdue,
    grid_index,
    make_engine,
    make_sessionmaker,
    prepare_case,
    store_prepared,
    store_prepared_many,
)
from wanzheng.errors import ConflictError, DataError

T0 = dt.datetime(2026, 9, 23, 2, 0, tzinfo=dt.UTC)
ADMIN = Actor(role="admin", user_id=None, username="t")


def test_migrations_match_the_models(database_url: str) -> None:
    """The migrated schema is exactly the models of every domain (one metadata, one history)."""
    import wanzheng.cases.models
    import wanzheng.consult.models
    import wanzheng.proactive.models

    declared = set(Base.metadata.tables)
    # both domains' tables are on the one metadata, so the comparison covers them all
    assert {"cases", "case_events", "users"} <= declared
    assert {"proactive_register", "proactive_outbox", "proactive_rule_runs"} <= declared
    assert wanzheng.proactive.models.RuleRun.metadata is Base.metadata
    assert wanzheng.cases.models.Case.metadata is Base.metadata
    engine = make_engine(database_url, pool_size=1)
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []
    assert tables == declared | {"alembic_version"}


def test_upgrade_adopts_tables_made_before_the_migration(tmp_path: Path) -> None:
    """A database whose proactive tables were made by ``CREATE TABLE IF NOT EXISTS`` before
    revision 0002 (as releases before it did) upgrades cleanly and keeps its rows."""
    from alembic.script import ScriptDirectory

    from wanzheng.db import alembic_config, upgrade_database

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    upgrade_database(url, revision="0001")
    engine = make_engine(url, pool_size=1)
    proactive = [t for t in Base.metadata.sorted_tables if t.name.startswith("proactive_")]
    Base.metadata.create_all(engine, tables=proactive, checkfirst=True)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO proactive_rule_runs (at, by, rules_name, rules_version, "
                "rules_origin, n_proposed, n_new) VALUES ('2026-09-01 00:00:00', 'admin', "
                "'default', '1', 'packaged', 3, 3)"
            )
        )
    upgrade_database(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
        assert conn.execute(text("SELECT n_new FROM proactive_rule_runs")).scalar() == 3
    engine.dispose()


def test_sqlite_is_wal_and_synchronous_full(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=1)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        else:
            assert conn.execute(text("SHOW synchronous_commit")).scalar() in ("on", "off")
    engine.dispose()


def test_create_and_walk_a_case_events_match_state(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=2)
    sm = make_sessionmaker(engine)
    machine = load_state_machine()
    clf = KeywordClassifier.from_tree(load_categories())
    with sm() as s:
        case, created = create_case(
            s,
            new=NewCase(text="路灯坏了", lon=116.35, lat=40.005, phone="13800002222", name="赵六"),
            now=T0,
            index=grid_index(s),
            classifier=clf,
        )
        s.commit()
        cid = case.id
    assert created and case.grid_key == "west-1" and case.community_key == "west"
    with sm() as s:
        for action, kw in [
            ("accept", {}),
            ("dispatch", {"department": "city_management"}),
            ("start", {}),
            ("resolve", {"note": "done"}),
        ]:
            apply_action(s, case_id=cid, actor=ADMIN, action=action, now=T0, machine=machine, **kw)
        s.commit()
    with sm() as s:
        ev = case_events(s, case_id=cid)
        c = s.get(Case, cid)
        assert c is not None and c.state == ev[-1].to_state == "resolved"
        assert [e.from_state for e in ev] == [
            None,
            "submitted",
            "accepted",
            "dispatched",
            "in_progress",
        ]
        # the phone is stored once, in persons
        assert s.scalar(select(func.count()).select_from(Person)) == 1
        # a second case with the same phone reuses the person
        c2, _ = create_case(
            s,
            new=NewCase(text="又坏了", lon=116.35, lat=40.005, phone="138 0000 2222"),
            now=T0,
            index=grid_index(s),
            classifier=clf,
        )
        assert c2.person_id == c.person_id
        s.commit()
    engine.dispose()


def test_proactive_case_type_and_bad_input_writes_nothing(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=2)
    sm = make_sessionmaker(engine)
    with sm() as s:
        c, _ = create_case(
            s,
            new=NewCase(
                text="主动治理：路灯巡检",
                lon=116.35,
                lat=40.005,
                category="urban.municipal",
                case_type="proactive",
                source="proactive",
            ),
            now=T0,
            index=grid_index(s),
        )
        s.commit()
        assert c.case_type == "proactive"
    with sm() as s:
        with pytest.raises(DataError, match="category"):
            create_case(
                s,
                new=NewCase(text="x", lon=116.35, lat=40.005, category="nope", phone="13800003333"),
                now=T0,
                index=grid_index(s),
            )
        s.rollback()
        assert s.scalar(select(func.count()).select_from(Person)) == 0
        assert s.scalar(select(func.count()).select_from(Case)) == 1
    engine.dispose()


def test_idempotency_under_concurrency(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=8)
    sm = make_sessionmaker(engine)
    with sm() as s:
        idx = grid_index(s)
    results: list[int] = []
    errors: list[Exception] = []

    def submit() -> None:
        try:
            with sm() as s:
                c, _ = create_case(
                    s,
                    new=NewCase(text="同一个请求", lon=116.35, lat=40.005),
                    now=T0,
                    index=idx,
                    idempotency_key="key-1",
                    classifier=None,
                )
                s.commit()
                results.append(c.id)
        except Exception as exc:  # collected and checked below
            errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(set(results)) == 1 and len(results) == 6
    with sm() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 1
        assert s.scalar(select(func.count()).select_from(CaseEvent)) == 1
        with pytest.raises(ConflictError, match="idempotency_key"):
            create_case(
                s,
                new=NewCase(text="另一个内容", lon=116.35, lat=40.005),
                now=T0,
                index=idx,
                idempotency_key="key-1",
            )
    engine.dispose()


def test_escalation_levels_and_events(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=2)
    sm = make_sessionmaker(engine)
    machine = load_state_machine()
    with sm() as s:
        c, _ = create_case(
            s,
            new=NewCase(text="燃气泄漏隐患", lon=116.35, lat=40.005, category="urban.safety"),
            now=T0,
            index=grid_index(s),
        )
        s.commit()
        cid = c.id
    # urgent profile: sign within 1 h. At +1.5 h: sign overdue 0.5 h -> level 1.
    with sm() as s:
        assert escalate_overdue(s, now=T0 + dt.timedelta(hours=1.5), machine=machine) == [(cid, 1)]
        s.commit()
    with sm() as s:  # running again at the same time changes nothing
        assert escalate_overdue(s, now=T0 + dt.timedelta(hours=1.5), machine=machine) == []
        s.commit()
        n = s.scalar(
            select(func.count()).select_from(CaseEvent).where(CaseEvent.action == "escalate")
        )
        assert n == 1
    # +49 h: sign overdue 48 h -> level 3 (two more events)
    with sm() as s:
        assert escalate_overdue(s, now=T0 + dt.timedelta(hours=49), machine=machine) == [(cid, 3)]
        s.commit()
        c2 = s.get(Case, cid)
        assert c2 is not None and c2.escalation_level == 3
        notes = [e.note for e in case_events(s, case_id=cid) if e.action == "escalate"]
        assert len(notes) == 3 and notes[-1] is not None and notes[-1].startswith("区级督办")
    engine.dispose()


def test_group_commit_isolates_a_failing_job(database_url: str) -> None:
    from concurrent.futures import Future

    from wanzheng.cases.batch import GroupCommitter, _Job

    engine = make_engine(database_url, pool_size=2)
    sm = make_sessionmaker(engine)
    gc = GroupCommitter(sm)
    calls: list[str] = []

    def good(phone: str) -> object:
        def job(s: object) -> int:
            from sqlalchemy.orm import Session

            assert isinstance(s, Session)
            calls.append(phone)
            p = Person(phone=phone)
            s.add(p)
            s.flush()
            return p.id

        return job

    def bad(s: object) -> int:
        from sqlalchemy.orm import Session

        assert isinstance(s, Session)
        s.add(Person(phone="13800009999"))
        s.flush()  # written, then the job fails: this row must not be committed
        raise DataError("text: broken on purpose")

    jobs = [
        _Job(good("13800000001"), Future()),
        _Job(bad, Future()),
        _Job(good("13800000002"), Future()),
    ]
    gc._run_batch(jobs)  # one batch, run synchronously
    # each job ran once, in its own savepoint: the failing one did not make the batch re-run
    assert calls == ["13800000001", "13800000002"] and gc.batches == 1
    assert isinstance(jobs[0].future.result(), int)
    with pytest.raises(DataError, match="on purpose"):
        jobs[1].future.result()
    assert isinstance(jobs[2].future.result(), int)
    with sm() as s:
        phones = set(s.scalars(select(Person.phone)).all())
    assert phones == {"13800000001", "13800000002"}
    # and through the thread: results arrive only after commit
    assert isinstance(gc.run(good("13800000003")), int)  # type: ignore[arg-type]
    gc.close()
    engine.dispose()


def test_migration_0003_backfills_category_source(tmp_path: Path) -> None:
    """Cases stored before revision 0003 get the category source their columns imply."""
    from sqlalchemy import create_engine

    from wanzheng.db import upgrade_database

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade_database(url, revision="0002")
    engine = create_engine(url)  # foreign keys off: the cases alone are enough here
    rows = [
        # tracking code, source, category, proposed category
        ("A", "import", "urban.property", None),
        ("B", "web", "urban.property", "urban.municipal"),  # the resident chose
        ("C", "web", "urban.municipal", "urban.municipal"),  # the proposal stood
        ("D", "web", "other.general", None),  # nothing proposed
    ]
    t = "'2026-09-01 00:00:00'"
    with engine.begin() as conn:
        for code, source, cat, proposed in rows:
            conn.execute(
                text(
                    "INSERT INTO cases (tracking_code, case_type, source, text, category_key, "
                    "proposed_category, state, submitted_at, updated_at, sign_due, respond_due, "
                    "resolve_due, resolve_days, extension_days, escalation_level, reopen_count) "
                    f"VALUES (:code, 'request', :source, '路灯', :cat, :proposed, 'closed', "
                    f"{t}, {t}, {t}, {t}, {t}, 5, 0, 0, 0)"
                ),
                {"code": code, "source": source, "cat": cat, "proposed": proposed},
            )
    upgrade_database(url)
    with engine.connect() as conn:
        got = {
            str(code): str(src)
            for code, src in conn.execute(text("SELECT tracking_code, category_source FROM cases"))
        }
    engine.dispose()
    assert got == {"A": "imported", "B": "resident", "C": "proposed", "D": "default"}


def test_intake_batch_stores_what_one_by_one_stores(database_url: str) -> None:
    """``store_prepared_many`` (on SQLite: plain tuples through the driver with explicit
    ids) writes the very column values ``store_prepared`` (the ORM path) writes, ids in
    order after a case inserted by another path, each case with its ``submit`` event."""
    engine = make_engine(database_url, pool_size=2)
    sm = make_sessionmaker(engine)
    clf = KeywordClassifier.from_tree(load_categories())
    t = dt.datetime(2026, 9, 30, 15, 59, 59, 123456, tzinfo=dt.UTC)  # before the National Day
    resident = Actor(role="resident", user_id=None, username="r")
    news = [
        NewCase(text="路灯坏了", lon=116.35, lat=40.005, phone="13800002222", name="赵六"),
        NewCase(text="垃圾没人清运", lon=116.36, lat=40.005),
        NewCase(text="咨询一下", address="某某路 1 号"),
    ]
    with sm() as s:
        index = grid_index(s)
        one = [
            prepare_case(s, new=n, now=t, index=index, classifier=clf, actor=resident) for n in news
        ]
        many = [
            prepare_case(s, new=n, now=t, index=index, classifier=clf, actor=resident) for n in news
        ]
        first, _ = store_prepared(s, one[0])  # the ORM path; then a batch after it
        receipts = store_prepared_many(s, many)
        for p in one[1:]:
            store_prepared(s, p)
        s.commit()
    assert [r.id for r in receipts] == [first.id + 1, first.id + 2, first.id + 3]
    assert [r.tracking_code for r in receipts] == [p.values["tracking_code"] for p in many]

    def stored(code: str) -> tuple[dict[str, object], list[dict[str, object]]]:
        with engine.connect() as conn:  # the stored values, without the types' conversion
            mark = "?" if conn.dialect.name == "sqlite" else "%s"
            row = conn.exec_driver_sql(f"SELECT * FROM cases WHERE tracking_code = {mark}", (code,))
            case = dict(row.mappings().one())
            events = conn.exec_driver_sql(
                f"SELECT * FROM case_events WHERE case_id = {mark}", (case["id"],)
            )
            return case, [dict(e) for e in events.mappings()]

    for a, b in zip(one, many, strict=True):
        case_a, events_a = stored(a.values["tracking_code"])
        case_b, events_b = stored(b.values["tracking_code"])
        for d in (case_a, case_b):
            d.pop("tracking_code")
        id_a, id_b = case_a.pop("id"), case_b.pop("id")
        assert case_a == case_b
        assert [e.pop("case_id") for e in events_a] == [id_a]
        assert [e.pop("case_id") for e in events_b] == [id_b]
        for e in events_a + events_b:
            e.pop("id")
        assert events_a == events_b
        assert events_a[0]["action"] == "submit" and events_a[0]["to_state"] == "submitted"
    with sm() as s:  # read back through the ORM: aware UTC datetimes; the deadline (profile
        # 求助, 5 working days) skips the National Day holidays 1-7 October and counts the
        # make-up Saturday: 8, 9, 10, 12, 13 October, due at 24:00 Beijing time on the 13th
        c = s.get(Case, receipts[1].id)
        assert c is not None and c.submitted_at == t
        assert c.resolve_due == dt.datetime(2026, 10, 13, 16, 0, tzinfo=dt.UTC)
    engine.dispose()


def test_intake_batch_refuses_rows_with_different_columns(database_url: str) -> None:
    """A batch whose rows do not share one column list is refused (the group committer then
    stores its submissions one by one), never stored with a column silently dropped."""
    engine = make_engine(database_url, pool_size=1)
    sm = make_sessionmaker(engine)
    with sm() as s:
        index = grid_index(s)
        a, b = (
            prepare_case(s, new=NewCase(text=t, lon=116.35, lat=40.005), now=T0, index=index)
            for t in ("路灯坏了", "井盖松动")
        )
        assert a is not None and b is not None
        b = dataclasses.replace(b, values={**b.values, "last_note": "电话回访"})
        with pytest.raises(ValueError, match="differ in their columns"):
            store_prepared_many(s, [a, b])
        s.rollback()
        assert s.scalar(select(func.count()).select_from(Case)) == 0
    engine.dispose()


def test_store_assembles_the_split_modules() -> None:
    """``wanzheng.cases.store`` lists in ``__all__`` exactly the names it assembles, each the
    object of the module that defines it."""
    import wanzheng.cases.store as store

    public = {n for n in vars(store) if not n.startswith("_") and n != "annotations"}
    assert set(store.__all__) == public
    assert store.create_case.__module__ == "wanzheng.cases.intake"
    assert store.Case.__module__ == "wanzheng.cases.models"
    assert store.Actor.__module__ == "wanzheng.cases.users"
    assert store.make_engine.__module__ == "wanzheng.db.engine"


def test_migration_0005_drops_unproven_phone_links_and_gives_cases_to_their_filers(
    tmp_path: Path,
) -> None:
    """Before revision 0005 a resident typing a phone at registration saw that phone's cases:
    the link is dropped (unproven); a case a resident filed logged in becomes theirs."""
    from sqlalchemy import create_engine

    from wanzheng.db import upgrade_database

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade_database(url, revision="0004")
    engine = create_engine(url)  # foreign keys off: these rows alone are enough here
    t = "'2026-09-01 00:00:00'"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO persons (id, phone) VALUES (1, '13912345678')"))
        for uid, name, role, person in [(1, "victim", "resident", 1), (2, "thief", "resident", 1)]:
            conn.execute(
                text(
                    "INSERT INTO users (id, username, password_hash, role, display_name, "
                    "person_id, active) VALUES (:id, :name, 'x', :role, '', :person, 1)"
                ),
                {"id": uid, "name": name, "role": role, "person": person},
            )
        conn.execute(
            text(
                "INSERT INTO users (id, username, password_hash, role, display_name, active) "
                "VALUES (3, 'disp', 'x', 'dispatcher', '', 1)"
            )
        )
        for cid, code, by, role in [
            (1, "A", 1, "resident"),
            (2, "B", None, "resident"),
            (3, "C", 3, "dispatcher"),
        ]:
            conn.execute(
                text(
                    "INSERT INTO cases (id, tracking_code, case_type, source, text, category_key, "
                    "person_id, state, submitted_at, updated_at, sign_due, respond_due, "
                    "resolve_due, resolve_days, extension_days, escalation_level, reopen_count) "
                    f"VALUES (:id, :code, 'request', 'web', '路灯', 'other.general', 1, "
                    f"'submitted', {t}, {t}, {t}, {t}, {t}, 5, 0, 0, 0)"
                ),
                {"id": cid, "code": code},
            )
            conn.execute(
                text(
                    "INSERT INTO case_events (case_id, action, to_state, actor_id, actor_role, at) "
                    f"VALUES (:id, 'submit', 'submitted', :by, :role, {t})"
                ),
                {"id": cid, "by": by, "role": role},
            )
    upgrade_database(url)
    with engine.connect() as conn:
        owners = dict(conn.execute(text("SELECT tracking_code, owner_id FROM cases")).all())
        links = dict(conn.execute(text("SELECT username, person_id FROM users")).all())
    engine.dispose()
    assert owners == {"A": 1, "B": None, "C": None}
    assert links == {"victim": None, "thief": None, "disp": None}


def _index_definitions(url: str) -> dict[str, str]:
    """Every index of the database with its full definition (columns, predicate, INCLUDE),
    as the database itself records it, whitespace normalised."""
    engine = make_engine(url, pool_size=1)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            q = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        else:
            q = (
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = current_schema() AND tablename <> 'alembic_version'"
            )
        rows = conn.execute(text(q)).all()
    engine.dispose()
    return {name: " ".join(sql.replace('"', "").split()) for name, sql in rows}


def test_migrated_indexes_equal_the_models_indexes(
    database_url: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """compare_metadata does not compare index predicates or INCLUDE columns: the indexes a
    migrated database has (partial ones included, e.g. 0010's open-case indexes) are, in full,
    those a database made from the models has."""
    import wanzheng.consult.models
    import wanzheng.proactive.models
    import wanzheng.volunteer.models  # noqa: F401

    if database_url.startswith("sqlite"):
        fresh = f"sqlite:///{tmp_path / 'from-models.sqlite3'}"
    else:
        from dbfixtures import _pg_execute, _with_database

        server: str = request.getfixturevalue("postgres_server_url")
        name = f"wz_models_{tmp_path.name[-20:].lower().replace('-', '_')}"
        _pg_execute(server, f"CREATE DATABASE {name}")
        request.addfinalizer(
            lambda: _pg_execute(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        )
        fresh = _with_database(server, name)
    engine = make_engine(fresh, pool_size=1)
    Base.metadata.create_all(engine)
    engine.dispose()
    migrated, modelled = _index_definitions(database_url), _index_definitions(fresh)
    assert "ix_cases_open_grid" in migrated
    assert "'merged'" in migrated["ix_cases_open_grid"]  # the partial index's predicate
    assert migrated == modelled
