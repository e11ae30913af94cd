"""The anonymous intake fast path is wrapped by every middleware the application has: it is
the innermost user middleware, so headers, limits, throttling and logging added to the app
apply to its answers as to every route's, and an unexpected error is the framework's 500."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from fastapi.testclient import TestClient
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import wanzheng.web.routes.cases as case_routes
from wanzheng.cases.seed import prepare_database
from wanzheng.settings import Settings
from wanzheng.web import create_app
from wanzheng.web.routes.cases import IntakeFastPath

GOOD = {"text": "小区北门路灯不亮", "lon": 116.350, "lat": 40.005}


class Mark:
    """A middleware of the application's own kind: records requests, adds a header."""

    seen: ClassVar[list[str]] = []

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        Mark.seen.append(f"{scope['method']} {scope['path']}")

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-mark", b"seen")]
            await send(message)

        await self.app(scope, receive, marked)


def _chain(app: Any) -> list[type]:
    out = []
    node = app.middleware_stack
    while node is not None and len(out) < 20:
        out.append(type(node))
        node = getattr(node, "app", None)
    return out


def test_the_fast_path_is_inside_the_app_middleware(tmp_path: Path, monkeypatch: Any) -> None:
    url = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    prepare_database(url)
    app = create_app(Settings(data_dir=tmp_path, database_url=url, escalation_interval_s=0))
    app.add_middleware(Mark)
    Mark.seen = []
    with TestClient(app, raise_server_exceptions=False) as client:
        chain = _chain(app)
        # the framework's error middleware outermost, the app's own next, the fast path after
        assert chain[0] is ServerErrorMiddleware
        assert chain.index(Mark) < chain.index(IntakeFastPath)
        ok = client.post("/api/cases", json=GOOD)
        assert ok.status_code == 201 and ok.headers["x-mark"] == "seen"
        refused = client.post("/api/cases", json={**GOOD, "text": " "})
        assert refused.status_code == 422 and refused.headers["x-mark"] == "seen"
        assert refused.json()["field"] == "text"
        too_big = client.post(
            "/api/cases",
            content=b'{"text": "' + b"x" * 70_000 + b'"}',
            headers={"content-type": "application/json"},
        )
        assert too_big.status_code == 413 and too_big.headers["x-mark"] == "seen"

        def broken(*_a: Any, **_k: Any) -> Any:
            raise RuntimeError("broken on purpose")

        monkeypatch.setattr(case_routes, "submit_case", broken)
        failed = client.post("/api/cases", json=GOOD)
        assert failed.status_code == 500 and failed.text == "Internal Server Error"
    assert Mark.seen == ["POST /api/cases"] * 4
