"""The one error tree of wanzheng.

::

    WanzhengError                      base of everything the package raises on purpose
    ├── DataError(ValueError)          bad input data: names the file, row and field
    ├── ConfigError(ValueError)        bad configuration: catalogue, rules, settings, model files
    ├── RoutingError                   the network cannot answer (no walkable ways, nothing snapped)
    ├── InfeasibleError                an optimisation model has no solution
    ├── NotFoundError(LookupError)     a named record does not exist
    ├── PermissionDeniedError(PermissionError)  the caller's role may not do this
    ├── RateLimitedError               too many failed attempts: retry after ``retry_after_s``
    └── ConflictError                  the request contradicts the stored state
                                       (illegal state transition, repeated idempotency key …)

The CLI prints ``str(error)`` and exits with status 2 for any ``WanzhengError``; the web
service maps the classes to HTTP status codes in one handler.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ConflictError",
    "DataError",
    "InfeasibleError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RoutingError",
    "WanzhengError",
]


class WanzhengError(Exception):
    """Base class of every error wanzheng raises on purpose."""


class DataError(WanzhengError, ValueError):
    """Input data is wrong; the message names the file, row and field and what was expected."""


class ConfigError(WanzhengError, ValueError):
    """Configuration (catalogue, rules, settings, a saved model) is wrong or incompatible."""


class RoutingError(WanzhengError):
    """The walking network cannot answer the question asked of it."""


class InfeasibleError(WanzhengError):
    """An optimisation model has no feasible solution."""


class NotFoundError(WanzhengError, LookupError):
    """A record that was asked for does not exist."""


class PermissionDeniedError(WanzhengError, PermissionError):
    """The caller's role does not allow this action."""


class RateLimitedError(WanzhengError):
    """Too many failed attempts (passwords, one-time codes) or requests: the caller is locked
    out for ``retry_after_s`` seconds (HTTP 429 with ``Retry-After``)."""

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ConflictError(WanzhengError):
    """The request contradicts the stored state (illegal transition, repeated submission)."""
