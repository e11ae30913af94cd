"""wanzheng (完整) — complete communities under 民呼我为.

The public API is assembled here; ``tests/test_public_api.py`` uses every name of ``__all__``.
The analyst's functions (:mod:`wanzheng.analysis`: ``audit``, ``load_osm``, ``Audit``,
``OsmData``) are imported on first use, so ``import wanzheng`` (and ``wanzheng --help``) stays
fast: no pandas, geopandas or network code is loaded until they are called.

``wanzheng.audit`` is also the name of the audit subpackage, which Python sets on this module
whenever anything imports ``wanzheng.audit.…``. So ``wanzheng.audit`` is that subpackage made
callable: ``wanzheng.audit(area, …)`` is :func:`wanzheng.analysis.audit` and
``wanzheng.audit.AuditResult`` still names the class, in whichever order they are used.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from wanzheng.analysis import Audit, OsmData, load_osm

__version__ = "0.1.0"

_LAZY = frozenset({"Audit", "OsmData", "load_osm"})

__all__ = [
    "Audit",
    "ConfigError",
    "ConflictError",
    "DataError",
    "InfeasibleError",
    "NotFoundError",
    "OsmData",
    "PermissionDeniedError",
    "RoutingError",
    "WanzhengError",
    "__version__",
    "audit",
    "load_osm",
]


class _AuditPackage(types.ModuleType):
    """The ``wanzheng.audit`` subpackage, callable as :func:`wanzheng.analysis.audit`."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from wanzheng.analysis import audit

        return audit(*args, **kwargs)


class _Package(types.ModuleType):
    """This module: whoever sets its ``audit`` (the import system, on importing the
    subpackage) gets the callable subpackage."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "audit" and type(value) is types.ModuleType:
            value.__class__ = _AuditPackage
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    """The analyst's functions, imported when first asked for."""
    if name == "audit":  # importing the subpackage sets it here, made callable
        import wanzheng.audit as package

        return package
    if name in _LAZY:
        from wanzheng import analysis

        value = getattr(analysis, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'wanzheng' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY | {"audit"})
