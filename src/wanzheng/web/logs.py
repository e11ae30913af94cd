"""Logging of the service: plain text for a terminal, or one JSON object per line.

``WANZHENG_LOG_FORMAT=json`` makes every record of the service (``wanzheng.*``, uvicorn's
errors) one JSON line on standard error — ``ts`` (UTC, ISO 8601), ``level``, ``logger``,
``message`` and any structured fields — which journald, Loki or Elasticsearch take as is.
With ``WANZHENG_LOG_LEVEL=info`` each request is also logged by ``wanzheng.access`` with
``method``, ``route``, ``path``, ``status``, ``duration_ms`` and ``client``; query strings
are never logged (tracking codes and tokens travel there).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

__all__ = ["ACCESS_FIELDS", "JsonFormatter", "log_config"]

ACCESS_FIELDS = ("method", "route", "path", "status", "duration_ms", "client")
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record; extra fields given with ``extra=`` are kept."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def log_config(*, log_format: str, level: str) -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` (and uvicorn ``log_config``) for the service."""
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"}
        if log_format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    )
    lvl = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "wanzheng": {"handlers": ["stderr"], "level": lvl, "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": lvl, "propagate": False},
            "uvicorn.error": {"level": lvl},
            # uvicorn's own access log carries raw paths with query strings: ours replaces it
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
    }
