"""The web service: ``create_app(settings)`` with the case desk API and Open311 GeoReport v2."""

from __future__ import annotations

from wanzheng.web.app import CaseDesk, create_app

__all__ = ["CaseDesk", "create_app"]
