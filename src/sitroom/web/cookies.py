"""The cookies that signing in sets: the session, the browser's device secret, the language.

The JSON API (``/api/session``, ``/api/join``) and the pages (``/signin``, ``/join``) set them
the same way, so a browser is signed in alike whichever door it used.
"""

from __future__ import annotations

import secrets

from fastapi import Request, Response

from sitroom.bootstrap import Services
from sitroom.services.identity import cookie_settings
from sitroom.web.deps import SESSION_COOKIE
from sitroom.web.render import LANG_COOKIE, UI_LANGUAGES

DEVICE_COOKIE = "sitroom_device"
"""A random secret per browser: what a device-bound invitation is bound to."""
_DEVICE_MAX_AGE = 400 * 24 * 3600  # the longest lifetime browsers keep a cookie


def device_of(request: Request) -> tuple[str, bool]:
    """This browser's device secret, and whether it is new (then `set_device` must be called)."""
    known = known_device(request)
    if known is not None:
        return known, False
    return secrets.token_urlsafe(32), True


def known_device(request: Request) -> str | None:
    """The device secret the browser already has, or None."""
    known = request.cookies.get(DEVICE_COOKIE, "")
    return known if 32 <= len(known) <= 128 else None


def set_device(response: Response, svc: Services, device: str) -> None:
    response.set_cookie(
        DEVICE_COOKIE, device, **cookie_settings(svc.settings.secure_cookies, _DEVICE_MAX_AGE)
    )


def set_session(response: Response, svc: Services, token: str) -> None:
    """Sign the browser in: the session cookie, HttpOnly and SameSite=Lax."""
    max_age = svc.identity.auth.sessions.max_age
    response.set_cookie(
        SESSION_COOKIE, token, **cookie_settings(svc.settings.secure_cookies, max_age)
    )


def set_language(response: Response, language: str) -> None:
    """Show the pages in an invitation's language, if the UI has it."""
    if language in UI_LANGUAGES:
        response.set_cookie(LANG_COOKIE, language, samesite="lax", path="/")
