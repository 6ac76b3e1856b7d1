"""Helpers for the control, evaluation and design pages in a browser."""

from __future__ import annotations

from typing import Any

import httpx

from tests.browser.conftest import ADMIN_PASSWORD
from tests.support.server import join


def sign_in_admin(page: Any, base: str) -> None:
    """Sign the admin account in with the sign-in form."""
    page.goto(base + "/signin")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/")


def wait_live(page: Any) -> None:
    """Wait until the page's event stream is connected."""
    page.locator('[data-live-status][data-state="live"]').wait_for()


def player(base: str, invitation: dict[str, Any]) -> httpx.Client:
    """An API client that joined with the invitation's join code."""
    return join(base, invitation["code"])


def act(client: httpx.Client, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """POST to the API as ``client``; the reply must be 200."""
    reply = client.post(path, json=body or {})
    assert reply.status_code == 200, reply.text
    return reply.json()  # type: ignore[no-any-return]
