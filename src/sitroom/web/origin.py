"""Login CSRF: the forms that sign a browser in or out are taken only from this site's pages.

A session's CSRF token protects what a signed-in person does, but it cannot protect signing
in itself: before it there is no session. Another site could otherwise post a form to
``/signin`` or ``/join/{token}`` and sign the visitor's browser in as someone else (the
attacker's own team, say), so that what they type next lands in the attacker's record.

So ``POST /signin``, ``POST /join``, ``POST /join/{token}`` and ``POST /signout`` need the
browser's word that the form came from one of our pages: the ``Origin`` header (else the
``Referer``) must name this site — the scheme and host the request came to, or the
configured ``SITROOM_BASE_URL``. A request with neither, or with ``Origin: null``, is
refused: browsers send one of them on every form post from a page whose referrer policy
allows it (our pages use ``same-origin``, see `sitroom.web.render.page`). A browser's
``Sec-Fetch-Site`` header that says the form came from another site is refused too.
Scripts do not use these forms: they sign in with ``/api/session`` or ``/api/join`` (JSON
only, which another site cannot post without the browser asking first) or an API token.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from fastapi import Request

from sitroom.web.deps import services

log = logging.getLogger("sitroom.web")

_DEFAULT_PORTS = {"http": 80, "https": 443}
_FOREIGN_FETCH = frozenset({"cross-site", "same-site"})


class ForeignForm(Exception):
    """A sign-in, join or sign-out form that did not come from this site's own pages."""

    def __init__(self, sent_from: str | None, expected: tuple[str, ...]) -> None:
        super().__init__(f"form sent from {sent_from or 'an unnamed page'}")
        self.sent_from = sent_from
        self.expected = expected


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of a URL, lower case, the default port left out; or None."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return (
        f"{scheme}://{host}"
        if port in (None, _DEFAULT_PORTS[scheme])
        else f"{scheme}://{host}:{port}"
    )


def own_origins(request: Request, base_url: str) -> tuple[str, ...]:
    """The origins this request may come from: the one it was sent to, and the base URL's."""
    found = [origin_of(f"{request.url.scheme}://{request.url.netloc}"), origin_of(base_url)]
    return tuple(dict.fromkeys(o for o in found if o))


def sent_from(request: Request) -> str | None:
    """The origin the browser names for the page that sent the form, if it names one."""
    origin = request.headers.get("origin")
    if origin is not None and origin.strip().lower() != "null":
        return origin_of(origin) or origin.strip()
    referer = request.headers.get("referer")
    if referer:
        return origin_of(referer) or referer.strip()
    return None


def is_own_form(request: Request, base_url: str) -> bool:
    """True if the browser says the form came from one of this site's pages."""
    if request.headers.get("sec-fetch-site", "").lower() in _FOREIGN_FETCH:
        return False
    source = sent_from(request)
    return source is not None and source in own_origins(request, base_url)


async def same_origin(request: Request) -> None:
    """Route dependency: refuse (`ForeignForm`, answered 403) a form from another site."""
    base_url = services(request).settings.base_url
    if is_own_form(request, base_url):
        return
    expected = own_origins(request, base_url)
    source = sent_from(request)
    log.warning(
        "refused %s %s: the form came from %s, not from %s (set SITROOM_BASE_URL, or"
        " SITROOM_TRUSTED_PROXIES behind a proxy, if this is your own site)",
        request.method,
        request.url.path if not request.url.path.startswith("/join/") else "/join/[redacted]",
        source or "a page that did not say (no Origin or Referer)",
        " or ".join(expected),
    )
    raise ForeignForm(source, expected)
