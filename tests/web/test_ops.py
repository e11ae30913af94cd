"""Health, readiness, Prometheus metrics and structured logs of the service, on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from wanzheng.db import make_engine
from wanzheng.db.status import head_revision
from wanzheng.settings import Settings
from wanzheng.web import create_app
from wanzheng.web.logs import JsonFormatter, log_config

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def _sample(metrics: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition text (labels in any order)."""
    for line in metrics.splitlines():
        m = re.match(rf"{name}(\{{(.*)\}})? (\S+)$", line)
        if not m:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(m.group(3))
    raise AssertionError(f"{name} {labels} not in the metrics")


def test_health_readiness_and_a_schema_behind_the_head(database_url: str, tmp_path: Path) -> None:
    settings = Settings(database_url=database_url, data_dir=tmp_path, escalation_interval_s=0)
    with TestClient(create_app(settings)) as c:
        assert c.get("/healthz").json()["status"] == "ok"
        ready = c.get("/readyz")
        assert ready.status_code == 200
        body = ready.json()
        assert body["database"] == database_url.split(":")[0].split("+")[0]
        assert body["revision"] == head_revision()
        assert body["postgis"] is None  # the test servers have no PostGIS: reported, not needed
        engine = make_engine(database_url, pool_size=1)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0002'"))
        engine.dispose()
        stale = c.get("/readyz")
        assert stale.status_code == 503
        assert stale.json()["error"] == "NotReady"
        assert "0002" in stale.json()["detail"] and head_revision() in stale.json()["detail"]


def test_metrics_count_requests_by_route_and_the_overdue_cases(
    database_url: str, tmp_path: Path
) -> None:
    now = [T0]
    settings = Settings(database_url=database_url, data_dir=tmp_path, escalation_interval_s=0)
    with TestClient(create_app(settings, clock=lambda: now[0])) as c:
        r = c.post("/api/cases", json={"text": "小区北门路灯不亮", "lon": 116.355, "lat": 40.004})
        assert r.status_code == 201
        code = r.json()["tracking_code"]
        for _ in range(2):
            assert c.get(f"/api/track/{code}?x=1").status_code == 200
        assert c.get("/nowhere").status_code == 404
        first = c.get("/metrics")
        assert first.headers["content-type"].startswith("text/plain")
        m = first.text
        assert _sample(m, "wanzheng_http_requests_total", route="/api/cases", status="201") == 1
        assert (
            _sample(m, "wanzheng_http_requests_total", route="/api/track/{code}", status="200") == 2
        )
        assert _sample(m, "wanzheng_http_requests_total", route="unmatched", status="404") == 1
        assert (
            _sample(m, "wanzheng_http_request_duration_seconds_count", route="/api/track/{code}")
            == 2
        )
        assert _sample(m, "wanzheng_intake_queue_depth") == 0
        assert _sample(m, "wanzheng_cases_overdue") == 0
        now[0] = T0 + dt.timedelta(days=60)  # every deadline of the new case has passed
        assert _sample(c.get("/metrics").text, "wanzheng_cases_overdue") == 1


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_access_log_lines_carry_fields_and_no_query_string(
    database_url: str, tmp_path: Path
) -> None:
    # a handler on the logger itself: `wanzheng serve`'s configuration does not propagate
    access = logging.getLogger("wanzheng.access")
    seen, level = _Records(), access.level
    access.addHandler(seen)
    access.setLevel(logging.INFO)
    try:
        settings = Settings(database_url=database_url, data_dir=tmp_path, escalation_interval_s=0)
        with TestClient(create_app(settings)) as c:
            c.get("/api/track/NOSUCHCODE?token=secret")
    finally:
        access.removeHandler(seen)
        access.setLevel(level)
    (rec,) = seen.records
    line = json.loads(JsonFormatter().format(rec))
    assert line["logger"] == "wanzheng.access" and line["level"] == "info"
    assert line["route"] == "/api/track/{code}" and line["status"] == 404
    assert line["path"] == "/api/track/NOSUCHCODE" and "secret" not in json.dumps(line)
    assert line["duration_ms"] >= 0 and line["client"] == "testclient"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$", line["ts"])


def test_log_config_json_and_text() -> None:
    js = log_config(log_format="json", level="info")
    assert js["formatters"]["default"]["()"].endswith("JsonFormatter")
    assert js["loggers"]["wanzheng"]["level"] == "INFO"
    plain = log_config(log_format="text", level="warning")
    assert "format" in plain["formatters"]["default"]
    with pytest.raises(ValueError, match="log_format"):
        Settings(log_format="xml")  # type: ignore[arg-type]
