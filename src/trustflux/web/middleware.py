"""Security headers on every response, and CORS for the parts other sites may call.

A plain ASGI middleware (no per-request task or body copy) so that the JSON hot paths pay
almost nothing for it. Pages get a strict Content-Security-Policy (own scripts and styles
only, no framing); the embeddable badge may be framed anywhere; the banner's API, its script
and the public JSON may be called from the operator's other sites, without cookies.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
EMBED_CSP = PAGE_CSP.replace("frame-ancestors 'none'", "frame-ancestors *")
CORS_PREFIXES = (
    "/banner/",
    "/banner.js",
    "/static/",
    "/api/v1/purposes",
    "/api/v1/badges",
)
NO_CSP_PREFIXES = ("/docs", "/redoc")  # Swagger UI and ReDoc load their own assets


class SecurityHeaders:
    """Adds headers by path; answers CORS preflight for the cross-site paths."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        cors = path.startswith(CORS_PREFIXES)
        if cors and scope["method"] == "OPTIONS":
            await _preflight(send)
            return
        extra: list[tuple[bytes, bytes]] = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
        ]
        if path.endswith("/embed") and path.startswith("/badges/"):
            extra.append((b"content-security-policy", EMBED_CSP.encode()))
        elif not path.startswith(NO_CSP_PREFIXES) and not path.startswith("/api/"):
            extra.append((b"content-security-policy", PAGE_CSP.encode()))
            extra.append((b"x-frame-options", b"DENY"))
        if cors:
            extra.append((b"access-control-allow-origin", b"*"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _preflight(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 204,
            "headers": [
                (b"access-control-allow-origin", b"*"),
                (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
                (b"access-control-allow-headers", b"content-type, sec-gpc"),
                (b"access-control-max-age", b"600"),
                (b"vary", b"origin"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})
