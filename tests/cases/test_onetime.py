"""Purpose-tagged one-time codes on SQLite and PostgreSQL: stored hashed, expiring, used
once, attempts and sends limited (their delivery through the outbox is tested in
tests/web/test_resident_ownership.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from wanzheng.cases.models import OneTimeCode
from wanzheng.cases.onetime import CodePolicy, IssuedCode, issue_code, verify_code
from wanzheng.cases.store import make_engine, make_sessionmaker
from wanzheng.errors import RateLimitedError

T0 = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)
SECRET = "a-test-secret-that-is-long-enough-0123456789"
PHONE = "13912345678"


def test_codes_are_hashed_sent_expire_and_are_used_once(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=1)
    policy = CodePolicy(ttl_s=600, max_attempts=3, max_sends=2, send_window_s=3600)

    def issue(s: Session, now: dt.datetime, code: str | None = None) -> IssuedCode:
        return issue_code(
            s,
            secret=SECRET,
            purpose="resident-phone",
            subject=PHONE,
            now=now,
            policy=policy,
            code=code,
        )

    def verify(s: Session, code: str, now: dt.datetime, purpose: str = "resident-phone") -> bool:
        return verify_code(
            s, secret=SECRET, purpose=purpose, subject=PHONE, code=code, now=now, policy=policy
        )

    try:
        with make_sessionmaker(engine)() as s:
            issued = issue(s, T0)
            s.commit()
            code = issued.code
            assert len(code) == 6 and code.isdigit() and issued.minutes == 10
            (row,) = s.scalars(select(OneTimeCode)).all()
            # neither the code nor the phone can be read from the table
            assert code not in row.code_hash and PHONE not in row.subject_key
            assert row.expires_at == T0 + dt.timedelta(minutes=10)
            # another purpose, a wrong code, an expired code: refused
            assert not verify(s, code, T0, purpose="voter")
            wrong = "000000" if code != "000000" else "111111"
            assert not verify(s, wrong, T0)
            assert row.attempts == 1 and row.used_at is None
            late = T0 + dt.timedelta(seconds=601)
            assert not verify(s, code, late)
            # the right code within its life: once
            assert verify(s, f" {code} ", T0)
            assert not verify(s, code, T0)
            s.commit()
            # a second send is allowed, a third within the hour is not (Retry-After: until
            # the first send leaves the window)
            t1 = T0 + dt.timedelta(minutes=20)
            issue(s, t1, "424242")
            s.commit()
            with pytest.raises(RateLimitedError) as exc:
                issue(s, t1)
            assert exc.value.retry_after_s == 40 * 60
            s.rollback()
            # max_attempts wrong codes burn the code: the right one no longer works
            for _ in range(3):
                assert not verify(s, "999999", t1)
            assert not verify(s, "424242", t1)
            s.commit()
            # after the window, a new code can be sent, and it replaces the earlier ones
            t2 = T0 + dt.timedelta(minutes=81)
            issue(s, t2, "123123")
            issue(s, t2, "456456")
            assert not verify(s, "123123", t2)
            assert verify(s, "456456", t2)
            s.commit()
    finally:
        engine.dispose()


def test_the_policy_of_the_settings() -> None:
    from wanzheng.settings import Settings

    s = Settings(otp_ttl_s=120, otp_max_attempts=2, otp_max_sends=4, otp_send_window_s=900)
    assert CodePolicy.from_settings(s) == CodePolicy(
        ttl_s=120, max_attempts=2, max_sends=4, send_window_s=900
    )
