"""`wanzheng serve` end to end: a real uvicorn process on a real socket, on both databases."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_migrates_creates_admin_and_answers(database_url: str, tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "WANZHENG_DATA_DIR": str(tmp_path),
        "WANZHENG_ADMIN_PASSWORD": "admin-password-1",
        "WANZHENG_ESCALATION_INTERVAL_S": "0",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from wanzheng.cli import main; main()",
            "serve",
            "--database",
            database_url,
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                r = httpx.get(f"{base}/open311/v2/services.json", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("the service did not start")
        assert r.status_code == 200 and len(r.json()) >= 15
        tok = httpx.post(
            f"{base}/api/auth/token", json={"username": "admin", "password": "admin-password-1"}
        ).json()
        h = {"Authorization": f"Bearer {tok['access_token']}"}
        c = httpx.post(f"{base}/api/cases", json={"text": "路灯不亮", "lon": 116.35, "lat": 40.005})
        assert c.status_code == 201, c.text
        listed = httpx.get(f"{base}/api/cases", headers=h).json()
        assert [x["id"] for x in listed] == [c.json()["id"]]
        assert httpx.get(f"{base}/openapi.json").json()["info"]["title"].startswith("wanzheng")
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
