"""The web service: ``create_app(settings)`` with the case desk API and Open311 GeoReport v2.

The names load lazily (PEP 562): ``wanzheng serve --workers`` imports
``wanzheng.web.workers`` in its parent process, which should not pay for importing FastAPI and
the case desk it never runs itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wanzheng.web.app import CaseDesk, create_app

__all__ = ["CaseDesk", "create_app"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from wanzheng.web import app

        return getattr(app, name)
    raise AttributeError(f"module 'wanzheng.web' has no attribute {name!r}")
