"""`wanzheng serve` end to end: a real uvicorn process on a real socket, on both databases."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
from serving import free_port, start_serve, wait_until_serving


def test_serve_migrates_creates_admin_and_answers(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "WANZHENG_DATA_DIR": str(tmp_path),
        "WANZHENG_ADMIN_PASSWORD": "admin-password-1",
        "WANZHENG_ESCALATION_INTERVAL_S": "0",
    }
    log = tmp_path / "serve.log"
    proc = start_serve(database_url, port=port, env=env, log=log)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base, proc, log)
        r = httpx.get(f"{base}/open311/v2/services.json", timeout=2)
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
        proc.wait(timeout=20)
