"""Brute-force protection of the login: per-account and per-address lockouts kept in the
database (so every process of the service sees them), 429 with ``Retry-After``, each lockout
logged, and the same work for unknown accounts as for existing ones."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher, extract_parameters

from wanzheng.cases import users
from wanzheng.settings import Settings
from wanzheng.web import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"  # tests/web/conftest.py


def _login(client: Any, username: str, password: str) -> Any:
    return client.post("/api/auth/token", json={"username": username, "password": password})


def test_wrong_passwords_lock_the_account_in_every_process(
    api: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="wanzheng.security")
    for i in range(4):
        r = _login(api.client, "dispatcher", f"guess-{i}")
        assert r.status_code == 403, r.text
        assert "retry-after" not in r.headers
    # the 5th failure within the window locks the account for 900 s (the defaults)
    r = _login(api.client, "dispatcher", "guess-5")
    assert r.status_code == 429 and r.headers["retry-after"] == "900"
    assert r.json()["error"] == "RateLimitedError" and r.json()["field"] == "password"
    (record,) = [r for r in caplog.records if "lockout" in r.getMessage()]
    assert "account 'dispatcher'" in record.getMessage()
    # the right password during the lockout is refused as well
    api.clock.advance(hours=100 / 3600)
    r = _login(api.client, "dispatcher", PASSWORD)
    assert r.status_code == 429 and r.headers["retry-after"] == "800"
    # another process of the service (its own engines, same database) refuses it too
    other = create_app(Settings(data_dir=tmp_path, database_url=api.url), clock=api.clock)
    with TestClient(other) as client:
        r = _login(client, "dispatcher", PASSWORD)
        assert r.status_code == 429 and r.headers["retry-after"] == "800"
        # only that account: another one logs in from the same address
        assert _login(client, "admin", PASSWORD).status_code == 200
    # after the lockout the right password works, and the count starts again
    api.clock.advance(hours=801 / 3600)
    assert _login(api.client, "dispatcher", PASSWORD).status_code == 200
    assert _login(api.client, "dispatcher", "again-wrong").status_code == 403
    # the stored keys are HMACs: no username or address in the table
    with api.client.app.state.desk.reads() as s:
        from wanzheng.cases.models import AuthThrottle

        keys = [row.key for row in s.query(AuthThrottle).all()]
    assert keys and not any("dispatcher" in k or "testclient" in k for k in keys)


def test_failures_from_one_address_lock_the_address(api: Any) -> None:
    # 20 unknown accounts, one wrong password each: the address is locked, for every account
    for i in range(19):
        assert _login(api.client, f"nobody{i}", "guess").status_code == 403
    r = _login(api.client, "nobody19", "guess")
    assert r.status_code == 429 and int(r.headers["retry-after"]) == 900
    r = _login(api.client, "admin", PASSWORD)
    assert r.status_code == 429


class _Counting(PasswordHasher):
    """The argon2 hasher, recording each operation with the parameters it used."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, Any]] = []

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.calls.append(("hash", self._parameters))
        return super().hash(password, salt=salt)

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.calls.append(("verify", extract_parameters(str(hash))))
        return super().verify(hash, password)


def test_unknown_user_costs_the_same_hash_work(
    api: Any, monkeypatch: pytest.MonkeyPatch, password_hash: str
) -> None:
    counting = _Counting()
    monkeypatch.setattr(users, "_hasher", counting)
    _login(api.client, "warm-up", "guess")  # a process makes its dummy hash once
    work = {}
    for username in ("dispatcher", "no-such-user"):
        counting.calls.clear()
        r = _login(api.client, username, "wrong-password")
        assert r.status_code == 403
        assert r.json()["detail"] == "password: wrong username or password"
        work[username] = list(counting.calls)
    # exactly one argon2 verification, with the parameters of a real password hash
    assert work["dispatcher"] == [("verify", extract_parameters(password_hash))]
    assert work["no-such-user"] == work["dispatcher"]
