"""Prometheus metrics of the service (prometheus-client).

Per application (a registry of its own, so that several apps in one process do not share
counts):

``wanzheng_http_requests_total{method, route, status}``
    Requests answered; ``route`` is the route's template (``/api/cases/{case_id}``), never the
    raw path, so ids do not multiply the series. The intake fast path counts as
    ``POST /api/cases``; paths that match no route count as ``unmatched``.
``wanzheng_http_request_duration_seconds{method, route}``
    Latency histogram (from the first byte of the request to the last of the answer).
``wanzheng_intake_queue_depth``
    Writes waiting for this process's group committer at scrape time.
``wanzheng_cases_overdue``
    Open cases with a deadline passed and unmet (the whole desk, from the database).

With several processes (``wanzheng serve --workers N``) a scrape reaches one of them: counters
and histograms are then summed over the processes through prometheus-client's multiprocess
mode when ``PROMETHEUS_MULTIPROC_DIR`` is set (``wanzheng serve --workers`` sets it to
``<data_dir>/metrics`` unless it is set already); the queue depth is that of the process
answering; the overdue count is the database's.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["MetricsMiddleware", "exposition"]

_access = logging.getLogger("wanzheng.access")

BUCKETS_S = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _DeskCollector(Collector):
    """Gauges read at scrape time: intake queue depth and overdue cases."""

    def __init__(self, app: Any) -> None:
        self._app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        desk = getattr(self._app.state, "desk", None)
        if desk is None:
            return
        yield GaugeMetricFamily(
            "wanzheng_intake_queue_depth",
            "Writes waiting for this process's group committer.",
            value=desk.committer.pending,
        )
        from wanzheng.cases.crud import count_overdue

        with desk.reads() as session:
            n = count_overdue(session, now=desk.now(), states=list(desk.machine.states))
        yield GaugeMetricFamily(
            "wanzheng_cases_overdue",
            "Open cases with a deadline passed and unmet.",
            value=n,
        )


class _Metrics:
    def __init__(self, app: Any) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "wanzheng_http_requests",
            "HTTP requests answered.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "wanzheng_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            ["method", "route"],
            buckets=BUCKETS_S,
            registry=self.registry,
        )
        self.desk = _DeskCollector(app)
        self.registry.register(self.desk)


def _metrics(app: Any) -> _Metrics:
    m = getattr(app.state, "metrics", None)
    if m is None:
        m = _Metrics(app)
        app.state.metrics = m
    return m


def _route(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    if scope.get("path") == "/api/cases" and scope.get("method") == "POST":
        return "/api/cases"  # the intake fast path answers before routing
    return "unmatched"


class MetricsMiddleware:
    """Counts every HTTP request and times it (pure ASGI: streaming answers are timed to
    their last byte)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def _send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            elapsed = time.perf_counter() - started
            m = _metrics(scope["app"])
            method, route = str(scope.get("method", "")), _route(scope)
            m.requests.labels(method, route, str(status)).inc()
            m.latency.labels(method, route).observe(elapsed)
            if _access.isEnabledFor(logging.INFO):
                client = scope.get("client")
                # the path only: query strings may carry tracking codes
                _access.info(
                    "%s %s %d",
                    method,
                    route,
                    status,
                    extra={
                        "method": method,
                        "route": route,
                        "path": str(scope.get("path", "")),
                        "status": status,
                        "duration_ms": round(1000 * elapsed, 2),
                        "client": client[0] if client else None,
                    },
                )


def exposition(app: Any) -> tuple[bytes, str]:
    """The metrics of ``app`` in Prometheus text format, and its content type."""
    m = _metrics(app)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(m.desk)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(m.registry), CONTENT_TYPE_LATEST
