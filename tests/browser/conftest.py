"""Browser tests: Debian's chromium driven by Playwright, against a real sitroom server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.server import create_admin, running_server, sign_in

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).parents[2] / "test-results" / "screenshots"
ADMIN_PASSWORD = "browser-test-password"
LAN_HOST = "sitroom.test"
"""A name the browser resolves to 127.0.0.1: a site on plain HTTP that is not loopback, as on
a room's LAN, where browsers send no Sec-Fetch-* headers and only the Origin says where a
form came from."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
    # Browser tests last: Playwright's loop runs until the session ends, and asyncio tests
    # collected after it could not start their own.
    items.sort(key=lambda item: "tests/browser/" in str(item.fspath))


@dataclass
class Site:
    """A running server with an admin account."""

    base: str
    data_dir: Path

    @contextmanager
    def admin(self) -> Iterator[httpx.Client]:
        client = sign_in(self.base, "admin", ADMIN_PASSWORD)
        try:
            yield client
        finally:
            client.close()

    def invite(self, run_id: str, **body: Any) -> dict[str, Any]:
        # A fixture's invitation is opened by many fresh browser contexts, one per test, so
        # it is reusable here; single-use links are tested in test_access_http.py.
        body.setdefault("single_use", False)
        with self.admin() as admin:
            reply = admin.post(f"/api/runs/{run_id}/invitations", json=body)
            reply.raise_for_status()
            return reply.json()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("site")
    create_admin(data_dir, ADMIN_PASSWORD, "admin")
    with running_server(data_dir, SITROOM_HEARTBEAT="2") as base:
        yield Site(base, data_dir)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("SITROOM_SKIP_BROWSER") == "1":
            pytest.skip("no chromium and SITROOM_SKIP_BROWSER=1")
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (make test does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--host-resolver-rules=MAP {LAN_HOST} 127.0.0.1",
            ],
        )
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """Open pages in fresh contexts (one per person); all closed at the end of the test.

    The pages run under the server's Content-Security-Policy, as in a real browser; any
    violation the browser reports fails the test, so a policy that breaks a page shows."""
    contexts: list[Any] = []
    violations: list[str] = []

    def watch(message: Any) -> None:
        if "Content Security Policy" in message.text:
            violations.append(f"{message.location.get('url', '')}: {message.text}")

    def open_page(locale: str = "en-US") -> Any:
        context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        context.on("console", watch)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


def open_invitation(page: Any, invitation: dict[str, Any]) -> None:
    """Open an invitation link and press its Join button, as a person does; wait until joined.

    Opening the link only shows whom it signs in as; the button's form post joins.
    """
    page.goto(invitation["link"])
    page.locator('form[action^="/join/"] button[type="submit"]').click()
    page.wait_for_url(lambda url: "/join/" not in url)


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under test-results/screenshots/ (to look at)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """Run the vendored axe-core in the page; the serious and critical violations."""
    # From the site itself: the page's policy allows scripts from 'self' only.
    page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
    result = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def chromium_available() -> bool:
    return shutil.which("chromium") is not None or Path(CHROMIUM).exists()
