"""Security headers on every response, error pages and refusals included (pure ASGI).

The pages load scripts and styles from ``/static`` only: no inline script, no inline style
attribute, no ``on*`` handler (htmx runs with ``allowEval`` and ``allowScriptTags`` off, its
indicator styles off, and settles no ``style`` attribute). The charts are SVG drawn with
presentation attributes (``fill``, ``stroke``), which a policy does not count as inline style,
and the report's own HTML export carries its own, stricter policy. So ``style-src 'self'``
holds without ``'unsafe-inline'``; the browser tests fail on any violation.

A route that sets a header itself keeps its own value (the downloads' sandbox policy, the API
documentation page's policy for its one inline script). ``Strict-Transport-Security`` is sent
only over https, as the server sees the scheme after believing the trusted proxies
(``SITROOM_TRUSTED_PROXIES``): a plain-http deployment must not pin browsers to https.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'"
)

_COMMON: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
)
_HSTS = (b"strict-transport-security", b"max-age=31536000")
# `same-origin` on every page, the join pages included: an invitation link's token never
# reaches another site, while our own form posts still carry an Origin. Under `no-referrer`
# browsers send `Origin: null` on a page's own posts (over plain http nothing else), and the
# sign-in and join forms could no longer be told from another site's (`sitroom.web.origin`).
_REFERRER = (b"referrer-policy", b"same-origin")


def headers_for(
    scope: Scope, common: tuple[tuple[bytes, bytes], ...] = _COMMON
) -> tuple[tuple[bytes, bytes], ...]:
    """The security headers a response to ``scope`` gets (where the route set none itself)."""
    if scope.get("scheme") == "https":
        return (*common, _REFERRER, _HSTS)
    return (*common, _REFERRER)


def with_form_origins(origins: tuple[str, ...]) -> tuple[tuple[bytes, bytes], ...]:
    """The common headers, the policy letting forms lead to ``origins`` too.

    Signing out of a single sign-on is a form post whose answer sends the browser on to the
    provider's logout page (RP-initiated logout); ``form-action`` governs where a form's
    redirects may go, so the provider's origin is named there, and nothing else is opened.
    """
    if not origins:
        return _COMMON
    policy = POLICY.replace("form-action 'self'", "form-action 'self' " + " ".join(origins))
    return ((b"content-security-policy", policy.encode()), *_COMMON[1:])


class SecurityHeaders:
    """Add `headers_for` the request to the start of every HTTP response."""

    def __init__(self, app: ASGIApp, form_origins: tuple[str, ...] = ()) -> None:
        """``form_origins``: other origins a form's answer may lead to (see `with_form_origins`)."""
        self.app = app
        self._common = with_form_origins(form_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers_for(scope, self._common)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _value in headers}
                headers.extend(item for item in extra if item[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
