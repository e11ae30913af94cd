"""The write path and the read path of :mod:`wanzheng.db`, on SQLite and PostgreSQL over real
connections: durability settings asserted on the connections the group committer and the read
sessions really use, a read never waits for the write lock, a write on the read path fails."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from wanzheng.cases.batch import GroupCommitter
from wanzheng.cases.models import Department
from wanzheng.db import Database, durability


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database.open(database_url, pool_size=2)
    yield database
    database.dispose()


def test_the_committer_writes_durably(db: Database) -> None:
    """On the committer's own connection: SQLite WAL + synchronous=FULL, PostgreSQL
    synchronous_commit=on — although the test server runs with synchronous_commit=off."""
    committer = GroupCommitter(db.writes)
    try:
        seen = committer.run(lambda s: durability(s.connection()))
    finally:
        committer.close()
    if db.writer.dialect.name == "sqlite":
        assert seen["journal_mode"] == "wal"
        assert seen["synchronous"] == "2"  # FULL
        assert seen["query_only"] == "0"
    else:
        assert seen["synchronous_commit"] == "on"
        assert seen["default_transaction_read_only"] == "off"
        # set by this connection itself, not inherited from the server's configuration
        assert committer_source(db) == "client"


def committer_source(db: Database) -> str:
    committer = GroupCommitter(db.writes)
    try:
        return str(
            committer.run(
                lambda s: (
                    s.connection()
                    .exec_driver_sql(
                        "SELECT source FROM pg_settings WHERE name = 'synchronous_commit'"
                    )
                    .scalar()
                )
            )
        )
    finally:
        committer.close()


def test_reads_are_read_only(db: Database) -> None:
    with db.reads() as s:
        seen = durability(s.connection())
        if db.reader.dialect.name == "sqlite":
            assert seen["query_only"] == "1"
            assert seen["journal_mode"] == "wal"
        else:
            assert seen["default_transaction_read_only"] == "on"
        with pytest.raises(DBAPIError, match=r"(?i)read.?only"):
            s.add(Department(key="x", name="x"))
            s.flush()


def test_a_read_does_not_wait_for_the_writer(db: Database) -> None:
    """A write transaction holds the lock (SQLite: BEGIN IMMEDIATE) with an insert not yet
    committed; a read on the read path answers at once with the committed state."""
    with db.writes() as w, db.reads() as r:
        before = r.scalar(select(func.count()).select_from(Department))
        r.rollback()
        w.add(Department(key="pending", name="未提交"))
        w.flush()  # the writer now holds the write lock until it commits
        done = threading.Event()
        seen: list[int] = []

        def read() -> None:
            with db.reads() as r2:
                seen.append(int(r2.scalar(select(func.count()).select_from(Department)) or 0))
            done.set()

        t = threading.Thread(target=read)
        t.start()
        assert done.wait(timeout=5), "the read waited for the write lock"
        t.join()
        assert seen == [before]
        w.commit()
    with db.reads() as r:
        assert r.scalar(select(func.count()).select_from(Department)) == before + 1


def test_short_reads_skip_the_transaction_and_stay_read_only(db: Database) -> None:
    """PostgreSQL: a short read runs its statements in autocommit (no transaction is open
    after one) and read-only; its connection goes back to the pool as it came, so that an
    ordinary read on the same connection is a transaction again. SQLite: the ordinary reads."""
    if db.reader.dialect.name == "sqlite":
        assert db.short_reads is db.reads
        return
    from psycopg.pq import TransactionStatus

    for _ in range(3):  # the pool (size 2) hands the same connections round
        with db.short_reads() as s:
            assert durability(s.connection())["default_transaction_read_only"] == "on"
            raw = s.connection().connection.dbapi_connection
            assert raw is not None and raw.autocommit
            assert raw.info.transaction_status == TransactionStatus.IDLE  # no BEGIN sent
            with pytest.raises(DBAPIError, match=r"(?i)read.?only"):
                s.add(Department(key="x", name="x"))
                s.flush()
        with db.reads() as s:
            s.scalar(select(func.count()).select_from(Department))
            raw = s.connection().connection.dbapi_connection
            assert raw is not None and not raw.autocommit
            assert raw.info.transaction_status == TransactionStatus.INTRANS
