"""``wanzheng serve --workers N``: the background timers run in one process only, and the
SQLite writers of several processes take turns through one file lock."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

import pytest

from wanzheng.cases.batch import FileLock
from wanzheng.cli import serve
from wanzheng.settings import Settings


def test_timers_run_in_the_process_holding_the_timer_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve, "_timer_lock_fd", None)
    monkeypatch.setattr(serve.gc, "freeze", lambda: None)  # not in the test process
    url = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    from wanzheng.cases.seed import prepare_database

    prepare_database(url)
    settings = Settings(data_dir=tmp_path, database_url=url, escalation_interval_s=60)
    # another worker holds the lock: this one runs no timers
    other = os.open(tmp_path / serve.TIMER_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(other, fcntl.LOCK_EX)
    try:
        app = serve.start_worker(settings)
        assert app.state.desk.settings.escalation_interval_s == 0
        app.state.desk.engine.dispose()
    finally:
        fcntl.flock(other, fcntl.LOCK_UN)
        os.close(other)
    # the lock is free: this process takes it and runs them
    app = serve.start_worker(settings)
    assert app.state.desk.settings.escalation_interval_s == 60
    app.state.desk.engine.dispose()
    assert serve._timer_lock_fd is not None
    os.close(serve._timer_lock_fd)


def test_file_lock_excludes_another_holder(tmp_path: Path) -> None:
    """Two locks on one file (as two processes' writers hold them): the second waits until
    the first is released, then enters at once."""
    a, b = FileLock(tmp_path / "db.writer-lock"), FileLock(tmp_path / "db.writer-lock")
    entered: list[float] = []

    def take_b() -> None:
        with b():
            entered.append(time.monotonic())

    with a():
        t = threading.Thread(target=take_b)
        t.start()
        time.sleep(0.3)
        assert entered == []  # still waiting
        released = time.monotonic()
    t.join(timeout=5)
    assert len(entered) == 1 and 0 <= entered[0] - released < 0.2
    a.close()
    b.close()
