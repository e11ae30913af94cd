"""Security headers on every response of the application.

:class:`SecurityHeaders` is a plain ASGI middleware that ``create_app`` installs as a user
middleware, so it wraps the routes *and* the anonymous intake fast path
(:class:`wanzheng.web.routes.cases.IntakeFastPath`, always the innermost middleware).

=============================  ===============================================================
header                         why
=============================  ===============================================================
``X-Content-Type-Options``     ``nosniff``: a photo or a JSON body is never run as a script
``X-Frame-Options``            ``DENY``: no page of the desk inside another site's frame
``Content-Security-Policy``    ``frame-ancestors 'none'`` (the same, for current browsers)
``Referrer-Policy``            ``same-origin``: tracking codes in URLs never leave the site
``Cache-Control``              ``no-store`` on everything under ``/api/`` and ``/open311/``
                               (cases, contacts, photos, tokens: personal data is never kept
                               by a browser or a proxy); other responses keep the caching
                               their route chose (hashed assets for a year), else ``no-store``
=============================  ===============================================================
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["PERSONAL_PREFIXES", "SECURITY_HEADERS", "SecurityHeaders"]

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"referrer-policy", b"same-origin"),
)
"""Headers set on every response (replacing any a route set)."""

PERSONAL_PREFIXES = ("/api/", "/open311/")
"""Path prefixes whose responses may carry personal data: always ``Cache-Control: no-store``."""

_OURS = {name for name, _ in SECURITY_HEADERS} | {b"cache-control"}


class SecurityHeaders:
    """ASGI middleware adding :data:`SECURITY_HEADERS` and ``Cache-Control`` to responses."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        personal = str(scope["path"]).startswith(PERSONAL_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                cache = next((v for k, v in headers if k.lower() == b"cache-control"), None)
                kept = [(k, v) for k, v in headers if k.lower() not in _OURS]
                if personal or cache is None:
                    cache = b"no-store"
                message = {
                    **message,
                    "headers": [*kept, *SECURITY_HEADERS, (b"cache-control", cache)],
                }
            await send(message)

        await self.app(scope, receive, send_with_headers)
