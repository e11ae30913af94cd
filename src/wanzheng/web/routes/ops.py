"""Operations: liveness, readiness and Prometheus metrics.

- ``GET /healthz``: the process answers (no database call) — for a process supervisor.
- ``GET /readyz``: the database answers on the read path and its schema is at the head
  revision of this version — for a load balancer or an orchestrator; 503 with the usual
  ``{error, field, detail}`` body otherwise. It also reports whether PostGIS is installed
  (detected, never required).
- ``GET /metrics``: Prometheus text format (:mod:`wanzheng.web.metrics`): requests and their
  latencies per route, the intake queue depth, the overdue cases.

None of them needs a login; put ``/metrics`` behind the reverse proxy's allow-list
(``deploy/nginx.conf``) when the service is reachable from outside the intranet.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from wanzheng import __version__
from wanzheng.db.status import database_status
from wanzheng.web.deps import Desk
from wanzheng.web.openapi import ErrorBody

__all__ = ["router"]

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive (no database call)."""
    return {"status": "ok", "version": __version__}


@router.get(
    "/readyz",
    responses={503: {"model": ErrorBody, "description": "Not ready: database or schema"}},
)
async def readyz(desk: Desk) -> Any:
    """Ready to serve: the database answers and its schema is at this version's head."""
    try:
        status = await run_in_threadpool(database_status, desk.database.reader)
    except Exception as exc:  # any driver error means "not ready", said plainly
        return JSONResponse(
            status_code=503,
            content={
                "error": "NotReady",
                "field": "database",
                "detail": f"the database does not answer: {type(exc).__name__}: {exc}"[:500],
            },
        )
    if not status.at_head:
        return JSONResponse(
            status_code=503,
            content={
                "error": "NotReady",
                "field": "database",
                "detail": (
                    f"schema revision {status.revision} is not {status.head}, the head of "
                    "this version: run `wanzheng db upgrade` (or restart `wanzheng serve`)"
                ),
            },
        )
    return {
        "status": "ready",
        "version": __version__,
        "database": status.dialect,
        "server_version": status.server_version,
        "revision": status.revision,
        "postgis": status.postgis,
    }


@router.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """Prometheus metrics in the text exposition format."""
    from wanzheng.web.metrics import exposition

    body, content_type = await run_in_threadpool(exposition, request.app)
    return Response(content=body, media_type=content_type)
