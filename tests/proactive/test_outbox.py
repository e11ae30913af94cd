"""The outbox: retries with backoff, dead letters, crash between send and mark, dedup."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from wanzheng.cases.store import make_engine, make_sessionmaker
from wanzheng.proactive.outbox import (
    Message,
    PageLogSender,
    Sender,
    deliver,
    enqueue,
    notices_for,
    outbox_frame,
    requeue,
)

T0 = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url, pool_size=4)
    yield make_sessionmaker(engine)
    engine.dispose()


@dataclass
class FlakySender:
    """Fails the first ``failures`` calls, then records what it delivered."""

    failures: int
    calls: int = 0
    delivered: list[str] = field(default_factory=list)

    def send(self, message: Message) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError(f"gateway down (call {self.calls})")
        if message.key not in self.delivered:  # dedup by key, as the Protocol asks
            self.delivered.append(message.key)


class Crash(BaseException):
    """The process dies (not an Exception: the outbox cannot catch it)."""


@dataclass
class CrashAfterSend:
    inner: Sender

    def send(self, message: Message) -> None:
        self.inner.send(message)
        raise Crash


def _put(sessions: sessionmaker[Session], key: str = "notice:k1") -> None:
    with sessions() as s:
        assert enqueue(s, key=key, recipient="R04", subject="提示", body="请按时接种", now=T0)
        s.commit()


def test_enqueue_is_idempotent(sessions: sessionmaker[Session]) -> None:
    _put(sessions)
    with sessions() as s:
        assert not enqueue(s, key="notice:k1", recipient="R04", subject="x", body="y", now=T0)
        s.commit()
        assert len(outbox_frame(s)) == 1


def test_sender_failing_three_times_is_retried_with_backoff(
    sessions: sessionmaker[Session],
) -> None:
    _put(sessions)
    sender = FlakySender(failures=3)
    assert isinstance(sender, Sender)
    r = deliver(sessions, sender, now=T0, backoff_s=60)
    assert (r.claimed, r.sent, r.failed) == (1, 0, 1)
    # Not due again before 60 s; then after 60, 120, 240 s of backoff.
    assert deliver(sessions, sender, now=T0 + dt.timedelta(seconds=59)).claimed == 0
    assert deliver(sessions, sender, now=T0 + dt.timedelta(seconds=60)).failed == 1
    assert deliver(sessions, sender, now=T0 + dt.timedelta(seconds=179)).claimed == 0
    assert deliver(sessions, sender, now=T0 + dt.timedelta(seconds=180)).failed == 1
    with sessions() as s:
        row = outbox_frame(s).iloc[0]
        assert row["attempts"] == 3 and row["status"] == "pending"
        assert "gateway down (call 3)" in row["last_error"]
    assert deliver(sessions, sender, now=T0 + dt.timedelta(seconds=419)).claimed == 0
    r = deliver(sessions, sender, now=T0 + dt.timedelta(seconds=420))
    assert (r.sent, r.failed) == (1, 0)
    assert sender.delivered == ["notice:k1"] and sender.calls == 4
    assert deliver(sessions, sender, now=T0 + dt.timedelta(days=1)).claimed == 0
    with sessions() as s:
        assert outbox_frame(s).iloc[0]["status"] == "sent"


def test_dead_letters_are_kept_and_requeued(sessions: sessionmaker[Session]) -> None:
    _put(sessions)
    sender = FlakySender(failures=10)
    t = T0
    for _ in range(3):
        deliver(sessions, sender, now=t, max_attempts=3, backoff_s=1)
        t += dt.timedelta(hours=1)
    with sessions() as s:
        assert outbox_frame(s, status="dead").shape[0] == 1
    assert deliver(sessions, sender, now=t + dt.timedelta(days=30)).claimed == 0  # never lost,
    with sessions() as s:  # but not retried forever either
        assert requeue(s, now=t) == 1
        s.commit()
    sender.failures = 0
    assert deliver(sessions, sender, now=t).sent == 1
    assert sender.delivered == ["notice:k1"]


def test_crash_between_send_and_mark_gives_exactly_once_effect(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _put(sessions)
    log = tmp_path / "notices.jsonl"
    page = PageLogSender(sessions, log, clock=lambda: T0)
    with pytest.raises(Crash):
        deliver(sessions, CrashAfterSend(page), now=T0, lease_s=300)
    with sessions() as s:
        assert outbox_frame(s).iloc[0]["status"] == "sending"  # sent, but not marked
        assert len(notices_for(s, person_id="R04")) == 1
    # Within the lease nobody takes it over; after the lease it is sent again …
    assert deliver(sessions, page, now=T0 + dt.timedelta(seconds=299)).claimed == 0
    r = deliver(sessions, page, now=T0 + dt.timedelta(seconds=301))
    assert r.sent == 1
    # … and the sender's dedup key makes the second delivery a no-op.
    with sessions() as s:
        notices = notices_for(s, person_id="R04")
        assert len(notices) == 1 and notices[0]["body"] == "请按时接种"
        assert outbox_frame(s).iloc[0]["status"] == "sent"
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["key"] == "notice:k1"


def test_many_messages_in_batches(sessions: sessionmaker[Session]) -> None:
    for i in range(25):
        _put(sessions, key=f"notice:{i:02d}")
    sender = FlakySender(failures=0)
    assert deliver(sessions, sender, now=T0, batch=10).sent == 10
    assert deliver(sessions, sender, now=T0, batch=10).sent == 10
    assert deliver(sessions, sender, now=T0, batch=10).sent == 5
    assert sender.delivered == [f"notice:{i:02d}" for i in range(25)]


def test_two_workers_never_send_the_same_message(sessions: sessionmaker[Session]) -> None:
    import threading
    import time

    for i in range(20):
        _put(sessions, key=f"notice:{i:02d}")
    seen: list[str] = []
    lock = threading.Lock()

    class SlowSender:
        def send(self, message: Message) -> None:
            time.sleep(0.005)
            with lock:
                seen.append(message.key)  # no dedup here: a double send would show

    barrier = threading.Barrier(2)

    def work() -> None:
        barrier.wait()
        deliver(sessions, SlowSender(), now=T0, batch=20)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == [f"notice:{i:02d}" for i in range(20)]
    with sessions() as s:
        assert set(outbox_frame(s)["status"]) == {"sent"}


class EchoingGateway:
    """An SMS gateway whose error repeats the message it refused (as real ones do)."""

    def send(self, message: Message) -> None:
        raise RuntimeError(f"template rejected: {message.body!r} to {message.recipient}")


def test_staff_listing_never_shows_a_one_time_code(sessions: sessionmaker[Session]) -> None:
    from wanzheng.proactive.outbox import ChannelSender

    with sessions() as s:
        enqueue(
            s,
            key="otp:resident-phone:1",
            recipient="13912345678",
            subject="resident-phone",
            body="【民呼】您的验证码为 804215，10 分钟内有效。",
            now=T0,
            channel="sms",
        )
        s.commit()
    sender = ChannelSender(PageLogSender(sessions, Path("/nonexistent")), {"sms": EchoingGateway()})
    assert deliver(sessions, sender, now=T0).failed == 1
    with sessions() as s:
        frame = outbox_frame(s)
    listed = str(frame.to_dict("records"))
    assert "804215" not in listed and "13912345678" not in listed
    row = frame.iloc[0]
    assert row["recipient"] == "139****5678"
    assert "template rejected" in row["last_error"] and "******" in row["last_error"]


def test_file_sender_is_refused_outside_development(sessions: sessionmaker[Session]) -> None:
    from wanzheng.errors import ConfigError
    from wanzheng.proactive.outbox import FileSender, build_sender
    from wanzheng.settings import Settings

    production = Settings(environment="production", secret_key="k9-" + "Zq4xW8rT2mLp7vBn" * 3)
    with pytest.raises(ConfigError, match="WANZHENG_SMS_SENDER is not set"):
        build_sender(production, sessions)
    # a gateway given explicitly is fine in production; the file sender in development
    assert build_sender(production, sessions, sms=EchoingGateway()) is not None
    dev = build_sender(Settings(data_dir=Path("/nonexistent")), sessions)
    assert isinstance(dev._channels["sms"], FileSender)  # type: ignore[attr-defined]
