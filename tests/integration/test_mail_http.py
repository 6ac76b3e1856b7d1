"""E-mail over HTTP: a server on a real SMTP server (aiosmtpd, STARTTLS, AUTH) mails an
invitation and shows its delivery state on the invitations page and in the API; the console
shows each inject's e-mail beside the screen receipts, a player's page never; the password
reset pages, and reset links kept out of the access log."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from sitroom.config import load_settings
from sitroom.services.identity import Identity
from sitroom.web.access_log import redact
from tests.support.packages import TWO_PARTIES
from tests.support.server import create_admin, invite_and_join, running_server, sign_in
from tests.support.smtp import MailServer, make_certificate

pytestmark = pytest.mark.filterwarnings("ignore:Session.login_data is deprecated")

PASSWORD = "mail-http-password"
RUN = "mail-http"


@dataclass
class Setup:
    base: str
    admin: httpx.Client
    mail: MailServer


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    folder = tmp_path_factory.mktemp("mail-http")
    cert, key = make_certificate(folder)
    create_admin(folder, PASSWORD, "admin")
    settings = load_settings({"SITROOM_DATA_DIR": str(folder)})
    identity = Identity.open(settings.effective_database_url, settings)
    identity.set_account_email("admin", "root@aldoria.example")  # as `sitroom account email`
    identity.close()
    with MailServer(cert, key) as mail:
        env = {
            **mail.env(cert),
            "SITROOM_FOLLOWERS": "scheduler,mail",
            "SITROOM_FOLLOWER_TICK": "0.1",
            "SITROOM_MAIL_RETRY": "3600",
        }
        with running_server(folder, **env) as base:
            admin = sign_in(base, "admin", PASSWORD)
            assert admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": RUN})
            yield Setup(base, admin, mail)
            admin.close()


def until(check: Callable[[], bool], what: str, limit: float = 30.0) -> None:
    """Wait for the server's background work (bounded); fail naming what never happened."""
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"never happened: {what}")
        time.sleep(0.05)


def delivery(setup: Setup, invitation_id: str) -> dict[str, object]:
    listed = setup.admin.get(f"/api/runs/{RUN}/invitations").json()
    found = next(i for i in listed if i["id"] == invitation_id)
    return found["email"]  # type: ignore[no-any-return]


def test_the_invitations_page_shows_each_delivery(setup: Setup) -> None:
    made = setup.admin.post(
        f"/api/runs/{RUN}/invitations",
        json={"name": "Ada", "role": "player", "team": "ald-nsc", "email": "ada@aldoria.example"},
    )
    assert made.status_code == 201, made.text
    ada = made.json()["id"]
    until(lambda: delivery(setup, ada)["state"] == "sent", "Ada's invitation sent")
    (message,) = setup.mail.inbox.to("ada@aldoria.example")
    assert made.json()["link"] in message.get_content()

    setup.mail.inbox.refusals = 1
    refused = setup.admin.post(
        f"/api/runs/{RUN}/invitations",
        json={"name": "Bo", "role": "player", "team": "brn-nsc", "email": "bo@brenland.example"},
    ).json()["id"]
    until(lambda: delivery(setup, refused)["state"] == "bounced", "Bo's invitation refused")
    page = setup.admin.get(f"/design/runs/{RUN}/invitations").text
    assert "E-mail sent" in page and "ada@aldoria.example" in page
    assert "E-mail refused, will retry" in page and "next attempt: " in page
    assert "550 5.1.1 Mailbox unavailable (test refusal)" in page
    assert f"/invitations/{refused}/resend" in page
    with httpx.Client(base_url=setup.base, headers=setup.admin.headers) as korean_client:
        korean_client.cookies.update(setup.admin.cookies)
        korean_client.cookies.set("sitroom_lang", "ko")
        korean = korean_client.get(f"/design/runs/{RUN}/invitations")
    assert "이메일 보냄" in korean.text and "이메일 거부됨, 다시 시도 예정" in korean.text

    again = setup.admin.post(f"/api/runs/{RUN}/invitations/{refused}/resend")
    assert again.status_code == 200, again.text
    until(lambda: delivery(setup, refused)["state"] == "sent", "Bo's invitation sent again")
    scraped = httpx.get(f"{setup.base}/metrics", timeout=30).text
    sent = re.search(
        r'sitroom_deliveries\{channel="mail:invitation",state="sent"\} ([0-9.]+)', scraped
    )
    assert sent and float(sent.group(1)) >= 2, scraped[-2000:]
    bad = setup.admin.post(
        f"/api/runs/{RUN}/invitations",
        json={"name": "Cy", "role": "player", "team": "brn-nsc", "email": "cy at brenland"},
    )
    assert bad.status_code == 422 and "email" in bad.text


def test_the_console_shows_inject_mail_and_the_player_page_does_not(setup: Setup) -> None:
    made = setup.admin.post(
        f"/api/runs/{RUN}/invitations",
        json={"name": "Dee", "role": "player", "team": "ald-nsc", "email": "dee@aldoria.example"},
    ).json()
    dee = invite_and_join(
        setup.admin, setup.base, RUN, name="Dee's screen", role="player", team="ald-nsc"
    )
    assert setup.admin.post(f"/api/runs/{RUN}/start", json={}).status_code == 200
    assert setup.admin.post(f"/api/runs/{RUN}/modules/m1/open", json={}).status_code == 200
    assert setup.admin.post(f"/api/runs/{RUN}/injects/2/release", json={}).status_code == 200

    def mailed() -> list[dict[str, object]]:
        rows = setup.admin.get(f"/api/runs/{RUN}/injects").json()
        return next(r for r in rows if r["number"] == "2")["mail"]  # type: ignore[no-any-return]

    until(lambda: any(m["recipient"] == f"invite:{made['id']}" for m in mailed()), "inject 2")
    (message,) = [
        m for m in setup.mail.inbox.to("dee@aldoria.example") if "Inject 2" in m["Subject"]
    ]
    assert message["Subject"].startswith("[EXERCISE EXERCISE EXERCISE · SECRET//REL TO ALD]")
    panel = setup.admin.get(f"/runs/{RUN}/console/panels/msel").text
    assert re.search(r"Dee: e-mailed", panel), panel
    # Bo (Brenland) may not see inject 2: nothing was mailed to him about it.
    assert not [m for m in setup.mail.inbox.to("bo@brenland.example") if "Inject 2" in m["Subject"]]
    # A player's screen and API show no deliveries.
    play = dee.get(f"/runs/{RUN}/play").text
    assert "e-mailed" not in play and "dee@aldoria.example" not in play
    player_rows = dee.get(f"/api/runs/{RUN}/injects").json()
    assert all("mail" not in row for row in player_rows)
    dee.close()


def test_the_reset_pages_change_a_password_once(setup: Setup) -> None:
    browser = httpx.Client(base_url=setup.base, headers={"Origin": setup.base}, timeout=30)
    assert "Forgot your password?" in browser.get("/signin").text
    for who in ("nobody-here", "admin"):
        reply = browser.post("/reset", data={"who": who})
        assert reply.status_code == 200
        assert "a link to reset its password is on its way" in reply.text
    until(lambda: bool(setup.mail.inbox.to("root@aldoria.example")), "the reset link mailed")
    (message,) = setup.mail.inbox.to("root@aldoria.example")
    token = re.search(r"/reset/(\S+)", message.get_content()).group(1)  # type: ignore[union-attr]
    form = browser.get(f"/reset/{token}")
    assert form.status_code == 200 and "Choose a new password" in form.text
    assert form.headers["cache-control"] == "no-store"
    differ = browser.post(f"/reset/{token}", data={"password": "x" * 12, "again": "y" * 12})
    assert differ.status_code == 422 and "The two passwords differ." in differ.text
    done = browser.post(
        f"/reset/{token}",
        data={"password": "a new admin passphrase", "again": "a new admin passphrase"},
    )
    assert done.status_code == 200 and "Your password was changed" in done.text
    assert browser.get(f"/reset/{token}").status_code == 404  # used
    sign_in(setup.base, "admin", "a new admin passphrase").close()
    browser.close()
    assert redact(f"GET /reset/{token} HTTP/1.1") == "GET /reset/[redacted] HTTP/1.1"
