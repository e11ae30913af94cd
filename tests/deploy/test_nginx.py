"""The deployment of docs/deploy.md on loopback: Debian's nginx with ``deploy/nginx.conf`` in
front of ``wanzheng serve --workers 2`` on PostgreSQL. Health, readiness, a submission and its
tracking page, the body limit and the metrics, all through the proxy."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from dbfixtures import _pg_execute, _with_database
from serving import free_port, start_serve, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "nginx.conf"


def _nginx() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        subprocess.run(
            ["bash", str(ROOT / "scripts" / "ensure-system-deps.sh")],
            check=False,
            capture_output=True,
        )
        found = shutil.which("nginx") or (
            "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
        )
    if found is None:
        pytest.fail(
            "nginx not found; run `bash scripts/ensure-system-deps.sh` as root "
            "(Debian package nginx)",
            pytrace=False,
        )
    return found


def _site(listen: int, upstream: int) -> str:
    """deploy/nginx.conf with the test's ports (each replaced exactly once)."""
    text = CONF.read_text(encoding="utf-8")
    text, n_up = re.subn(r"server 127\.0\.0\.1:8000;", f"server 127.0.0.1:{upstream};", text)
    text, n_listen = re.subn(r"listen 80;", f"listen 127.0.0.1:{listen};", text)
    assert (n_up, n_listen) == (1, 1), "deploy/nginx.conf: upstream or listen line changed"
    return text


@dataclass(frozen=True)
class Deployed:
    front: str  # nginx's address
    log: Path  # the output of wanzheng serve


@pytest.fixture(scope="module")
def deployed(
    postgres_server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployed]:
    nginx = _nginx()
    base = tmp_path_factory.mktemp("deploy")
    name = f"wz_deploy_{os.getpid()}"
    _pg_execute(postgres_server_url, f"CREATE DATABASE {name}")
    url = _with_database(postgres_server_url, name)
    app_port, proxy_port = free_port(), free_port()
    log = base / "serve.log"
    env = {
        **os.environ,
        "WANZHENG_DATA_DIR": str(base / "data"),
        "WANZHENG_ESCALATION_INTERVAL_S": "0",
        "WANZHENG_LOG_FORMAT": "json",
        "WANZHENG_LOG_LEVEL": "info",
    }
    proc = start_serve(
        url, port=app_port, env=env, log=log, args=("--workers", "2"), new_session=True
    )
    conf = base / "nginx"
    (conf / "logs").mkdir(parents=True)
    (conf / "site.conf").write_text(_site(proxy_port, app_port), encoding="utf-8")
    user = "user root;\n" if os.geteuid() == 0 else ""
    (conf / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid {conf}/nginx.pid;\nerror_log {conf}/logs/error.log;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        f"  access_log {conf}/logs/access.log;\n"
        f"  client_body_temp_path {conf}/body; proxy_temp_path {conf}/proxy;\n"
        f"  fastcgi_temp_path {conf}/fcgi; uwsgi_temp_path {conf}/uwsgi; "
        f"scgi_temp_path {conf}/scgi;\n"
        f"  include {conf}/site.conf;\n"
        "}\n",
        encoding="utf-8",
    )
    check = subprocess.run(
        [nginx, "-t", "-p", str(conf), "-c", str(conf / "nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    server = subprocess.Popen(
        [nginx, "-p", str(conf), "-c", str(conf / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_serving(f"http://127.0.0.1:{app_port}", proc, log)
        front = f"http://127.0.0.1:{proxy_port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{front}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise AssertionError(
                    f"nginx did not proxy: {(conf / 'logs' / 'error.log').read_text()}"
                )
            time.sleep(0.1)
        yield Deployed(front, log)
    finally:
        server.terminate()
        server.wait(timeout=20)
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
        _pg_execute(postgres_server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_health_and_readiness_through_the_proxy(deployed: Deployed) -> None:
    assert httpx.get(f"{deployed.front}/healthz").json()["status"] == "ok"
    ready = httpx.get(f"{deployed.front}/readyz")
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["database"] == "postgresql"
    from wanzheng.db.status import head_revision

    assert body["revision"] == head_revision()
    assert "postgis" in body  # reported (None without the extension), never required


def test_a_submission_and_its_tracking_page_through_the_proxy(deployed: Deployed) -> None:
    r = httpx.post(
        f"{deployed.front}/api/cases",
        json={"text": "小区北门路灯不亮，晚上很黑", "lon": 116.355, "lat": 40.004},
    )
    assert r.status_code == 201, r.text
    code = r.json()["tracking_code"]
    page = httpx.get(f"{deployed.front}/api/track/{code}")
    assert page.status_code == 200
    assert page.json()["id"] == r.json()["id"]
    assert "nginx/" not in page.headers.get("server", "")  # server_tokens off


def test_the_proxy_refuses_a_body_beyond_its_limit(deployed: Deployed) -> None:
    r = httpx.post(
        f"{deployed.front}/api/cases",
        content=b"x" * (27 * 1024 * 1024),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 413


def test_the_service_logs_json_lines_with_the_client_behind_the_proxy(deployed: Deployed) -> None:
    httpx.get(f"{deployed.front}/api/track/NOSUCHCODE?token=secret")
    log = deployed.log.read_text(encoding="utf-8")
    access = [
        json.loads(line)
        for line in log.splitlines()
        if line.startswith("{") and '"wanzheng.access"' in line
    ]
    hit = [a for a in access if a["path"] == "/api/track/NOSUCHCODE"]
    assert hit and hit[0]["status"] == 404 and hit[0]["route"] == "/api/track/{code}"
    assert hit[0]["client"] == "127.0.0.1"  # X-Forwarded-For from nginx, trusted on loopback
    assert "secret" not in log


def test_metrics_through_the_proxy_count_the_requests(deployed: Deployed) -> None:
    httpx.get(f"{deployed.front}/healthz")
    text = httpx.get(f"{deployed.front}/metrics").text
    assert re.search(r'wanzheng_http_requests_total\{[^}]*route="/healthz"[^}]*\} [1-9]', text)
    assert "wanzheng_cases_overdue" in text
    assert "wanzheng_intake_queue_depth" in text
