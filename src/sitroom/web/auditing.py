"""Audit events recorded while a request is served name the client's address as their source."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from sitroom.audit import request_source


class AuditSource:
    """Sets the audit source of a request: the peer (uvicorn already believes only the
    X-Forwarded-For of SITROOM_TRUSTED_PROXIES), for every event recorded while serving it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        with request_source(client[0] if client else None):
            await self.app(scope, receive, send)
