"""wanzheng (完整) — complete communities under 民呼我为.

The public API is assembled here; ``tests/test_public_api.py`` checks it against ``__all__``.
"""

from __future__ import annotations

from wanzheng.errors import (
    ConfigError,
    ConflictError,
    DataError,
    InfeasibleError,
    NotFoundError,
    PermissionDeniedError,
    RoutingError,
    WanzhengError,
)

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "ConflictError",
    "DataError",
    "InfeasibleError",
    "NotFoundError",
    "PermissionDeniedError",
    "RoutingError",
    "WanzhengError",
    "__version__",
]
