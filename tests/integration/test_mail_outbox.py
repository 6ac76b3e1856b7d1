"""Invitation and password-reset e-mail through a real SMTP server (aiosmtpd with STARTTLS
and AUTH): queued, sent, refused and sent again, a server that is down, dead letters sent
again by hand; reset links that work once, expire, never say whether an account exists,
and whose secret does not stay in the outbox."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sitroom.auth.errors import AuthError, TooManyAttempts
from sitroom.bootstrap import Services, build_services
from sitroom.config import load_settings
from tests.support.packages import two_parties
from tests.support.postgres import fresh_database
from tests.support.smtp import MailServer, free_port, make_certificate, smtp_env

pytestmark = pytest.mark.filterwarnings("ignore:Session.login_data is deprecated")

RUN = "duo-invite"
PASSWORD = "outbox-test-password"
BASE = "https://sitroom.aldoria.example"


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The outbox on both backends: claims and settlements are plain SQL on each."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sitroom.db'}"
        return
    with fresh_database() as url:
        yield url


@pytest.fixture
def svc(
    tmp_path: Path, port: int, cert: tuple[Path, Path], clock: Clock, database: str
) -> Iterator[Services]:
    env = {
        "SITROOM_DATA_DIR": str(tmp_path / "data"),
        "SITROOM_DATABASE_URL": database,
        "SITROOM_BASE_URL": BASE,
        "SITROOM_MAIL_TRIES": "3",
        **smtp_env(port, cert[0]),
    }
    services = build_services(load_settings(env))
    assert services.outbox is not None
    services.outbox.clock = clock
    services.engine.create_run(two_parties(), RUN)
    yield services
    services.close()


def invite(svc: Services, email: str, name: str = "Ada") -> dict[str, object]:
    return svc.identity.invite(
        RUN, two_parties(), "account:fac", name=name, role="player", team="ald-nsc", email=email
    )


def listed(svc: Services, invitation_id: object) -> dict[str, object]:
    return next(i for i in svc.identity.invitations(RUN) if i["id"] == invitation_id)


def test_an_invitation_is_mailed_with_its_link(
    svc: Services, port: int, cert: tuple[Path, Path]
) -> None:
    made = invite(svc, "ada@aldoria.example")
    assert listed(svc, made["id"])["email"] == {
        **listed(svc, made["id"])["email"],  # type: ignore[dict-item]
        "address": "ada@aldoria.example",
        "state": "queued",
        "attempts": 0,
    }
    assert svc.outbox is not None
    with MailServer(*cert, port=port) as server:
        assert svc.outbox.deliver_due() == 1
        assert svc.outbox.deliver_due() == 0  # sent once
    (message,) = server.inbox.to("ada@aldoria.example")
    assert message["Subject"] == "Invitation: Duo exercise"
    body = message.get_content()
    assert made["link"] in body and str(made["link"]).startswith(f"{BASE}/join/")
    assert str(made["code"]) not in body  # the join code is printed, never mailed
    shown = listed(svc, made["id"])["email"]
    assert isinstance(shown, dict) and shown["state"] == "sent" and shown["attempts"] == 1
    # The mailed link signs Ada in.
    assert svc.identity.check_link(str(made["link"]).rsplit("/", 1)[1]).display_name == "Ada"


def test_a_refused_invitation_shows_the_smtp_error_and_is_sent_on_retry(
    svc: Services, port: int, cert: tuple[Path, Path], clock: Clock
) -> None:
    made = invite(svc, "ada@aldoria.example")
    assert svc.outbox is not None
    with MailServer(*cert, port=port) as server:
        server.inbox.refusals = 1
        assert svc.outbox.deliver_due() == 0
        shown = listed(svc, made["id"])["email"]
        assert isinstance(shown, dict)
        assert shown["state"] == "bounced" and str(shown["error"]).startswith("550 5.1.1")
        assert svc.outbox.deliver_due() == 0  # waits before the next attempt
        clock.now += timedelta(seconds=31)
        assert svc.outbox.deliver_due() == 1
    assert listed(svc, made["id"])["email"]["state"] == "sent"  # type: ignore[index]
    assert len(server.inbox.messages) == 1


def test_a_server_that_is_down_gives_a_dead_letter_that_can_be_sent_again(
    svc: Services, port: int, cert: tuple[Path, Path], clock: Clock
) -> None:
    made = invite(svc, "ada@aldoria.example")
    assert svc.outbox is not None
    waits = []
    for _ in range(3):
        svc.outbox.deliver_due()
        shown = listed(svc, made["id"])["email"]
        assert isinstance(shown, dict)
        waits.append(datetime.fromisoformat(str(shown["next_at"])) - clock.now)
        clock.now += timedelta(hours=1)
    assert shown["state"] == "dead" and shown["attempts"] == 3
    assert "Connection" in str(shown["error"])
    assert waits[0] == timedelta(seconds=30) and waits[1] == timedelta(seconds=60)
    assert svc.outbox.deliver_due() == 0  # given up: not tried by itself
    svc.identity.send_again(RUN, str(made["id"]))
    with MailServer(*cert, port=port) as server:
        assert svc.outbox.deliver_due() == 1
    assert len(server.inbox.to("ada@aldoria.example")) == 1
    with pytest.raises(AuthError):
        svc.identity.send_again(RUN, str(made["id"]))  # sent: nothing to send again


def test_a_bad_address_is_refused_naming_the_field(svc: Services) -> None:
    for bad in ("ada", "ada@", "ada@aldoria", "a b@aldoria.example", "x@y.example\r\nBcc: z@q.ex"):
        with pytest.raises(AuthError) as refused:
            invite(svc, bad)
        assert refused.value.field == "email"
    assert svc.identity.invitations(RUN) == []


def test_no_address_can_be_given_where_mail_is_off(tmp_path: Path) -> None:
    svc = build_services(load_settings({"SITROOM_DATA_DIR": str(tmp_path)}))
    try:
        svc.engine.create_run(two_parties(), RUN)
        with pytest.raises(AuthError, match="SITROOM_SMTP_HOST") as refused:
            invite(svc, "ada@aldoria.example")
        assert refused.value.field == "email"
        assert svc.identity.resets is None
    finally:
        svc.close()


# --- password reset ---------------------------------------------------------------------------


def reset_link(body: str) -> str:
    found = re.search(rf"{re.escape(BASE)}/reset/(\S+)", body)
    assert found, body
    return found.group(1)


def test_a_reset_link_works_once_and_signs_every_browser_out(
    svc: Services, port: int, cert: tuple[Path, Path]
) -> None:
    svc.identity.create_account("fac", PASSWORD, "facilitator", "Fay")
    svc.identity.set_account_email("fac", "fay@aldoria.example")
    session = svc.identity.login("fac", PASSWORD, "10.0.0.1")
    svc.identity.request_reset("fay@ALDORIA.example", "10.0.0.2")
    assert svc.outbox is not None
    with MailServer(*cert, port=port) as server:
        assert svc.outbox.deliver_due() == 1
    (message,) = server.inbox.to("fay@aldoria.example")
    token = reset_link(message.get_content())
    # The sent message keeps no copy of the link.
    (stored,) = svc.identity.mail.messages(kind="reset")  # type: ignore[union-attr]
    assert stored.body == "" and token not in stored.key
    assert svc.identity.check_reset(token).username == "fac"
    with pytest.raises(AuthError) as weak:
        svc.identity.reset_password(token, "short", "10.0.0.2")
    assert weak.value.field == "password"  # the token still works after a weak password
    svc.identity.reset_password(token, "a brand new passphrase", "10.0.0.2")
    assert svc.identity.resolve(session, None) is None  # signed out
    assert svc.identity.login("fac", "a brand new passphrase", "10.0.0.3")
    with pytest.raises(AuthError) as used:
        svc.identity.reset_password(token, "another new passphrase", "10.0.0.2")
    assert used.value.field == "token"


def test_a_reset_link_expires(svc: Services, port: int, cert: tuple[Path, Path]) -> None:
    svc.identity.create_account("fac", PASSWORD, "facilitator", "Fay")
    svc.identity.set_account_email("fac", "fay@aldoria.example")
    svc.identity.request_reset("fac", "10.0.0.2")
    assert svc.outbox is not None
    with MailServer(*cert, port=port) as server:
        svc.outbox.deliver_due()
    token = reset_link(server.inbox.messages[0].get_content())
    resets = svc.identity.resets
    assert resets is not None
    resets._clock = lambda: datetime.now(UTC) + timedelta(minutes=61)
    with pytest.raises(AuthError):
        svc.identity.check_reset(token)


def test_asking_for_a_reset_never_tells_whether_the_account_exists(svc: Services) -> None:
    svc.identity.create_account("fac", PASSWORD, "facilitator", "Fay")
    svc.identity.create_account("nomail", PASSWORD, "facilitator", "No Mail")
    svc.identity.set_account_email("fac", "fay@aldoria.example")
    for who in ("nobody", "ghost@brenland.example", "nomail", "fac"):
        assert svc.identity.request_reset(who, f"10.1.0.{len(who)}") is None
    assert svc.identity.mail is not None
    assert [m.recipient for m in svc.identity.mail.messages(kind="reset")] == [
        "fay@aldoria.example"
    ]


def test_asking_for_resets_is_rate_limited_per_address(svc: Services) -> None:
    for _ in range(5):
        svc.identity.request_reset("nobody", "10.2.0.1")
    with pytest.raises(TooManyAttempts):
        svc.identity.request_reset("nobody", "10.2.0.1")
    svc.identity.request_reset("nobody", "10.2.0.2")  # another address may still ask


def test_a_relay_whose_certificate_does_not_verify_gets_nothing(
    svc: Services, port: int, cert: tuple[Path, Path]
) -> None:
    from sitroom.services.mailer import Letter, MailError, SmtpMailer, SmtpSettings

    untrusting = SmtpMailer(
        SmtpSettings("127.0.0.1", port, sender="excon@aldoria.example", timeout=5)
    )
    letter = Letter("ada@aldoria.example", "S", "body", "<x@aldoria.example>")
    with (
        MailServer(*cert, port=port) as server,
        pytest.raises(MailError, match="CERTIFICATE_VERIFY_FAILED") as failed,
    ):
        untrusting.send(letter)
    assert not failed.value.permanent  # tried again later, like a relay that is down
    assert server.inbox.messages == []


def test_a_withdrawn_invitation_is_never_mailed(
    svc: Services, port: int, cert: tuple[Path, Path]
) -> None:
    made = invite(svc, "ada@aldoria.example")
    svc.identity.revoke(RUN, str(made["id"]))
    assert svc.outbox is not None
    with MailServer(*cert, port=port) as server:
        assert svc.outbox.deliver_due() == 0
    assert server.inbox.messages == []
    shown = listed(svc, made["id"])["email"]
    assert isinstance(shown, dict)
    assert (shown["state"], shown["error"]) == ("dead", "the invitation was withdrawn")
