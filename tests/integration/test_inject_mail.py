"""Injects by e-mail through a real SMTP server (aiosmtpd with STARTTLS and AUTH): each
addressed player gets what the gate lets that player see, banner at top and bottom; the
deliveries are events in the log that only control sees; refusals and a server that is
down are retried with backoff and end as a visible dead letter; a crash between sending
and recording sends the same message (same Message-ID) again, never a different one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sitroom.bootstrap import Services, build_services
from sitroom.conduct import commands as cmd
from sitroom.conduct.mailstate import BOUNCED, DEAD, FAILED, SENT
from sitroom.conduct.principal import Principal, Role
from sitroom.config import load_settings
from sitroom.services.followers import FollowerLoop
from sitroom.services.injectmail import InjectMail
from sitroom.services.mailer import Letter
from sitroom.storage.cursors import MemoryCursorStore
from tests.support.packages import SECRET_MARKERS, two_parties
from tests.support.smtp import MailServer, free_port, make_certificate, smtp_env

pytestmark = pytest.mark.filterwarnings("ignore:Session.login_data is deprecated")

RUN = "duo-mail"
FACILITATOR = Principal("account:fac", Role.FACILITATOR, "Fac")
ALD_MAIL = "ada@aldoria.example"
BRN_MAIL = "bo@brenland.example"
EVALUATOR_MAIL = "eve@aldoria.example"


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


@pytest.fixture
def svc(tmp_path: Path, port: int, cert: tuple[Path, Path], clock: Clock) -> Iterator[Services]:
    env = {
        "SITROOM_DATA_DIR": str(tmp_path / "data"),
        "SITROOM_BASE_URL": "https://sitroom.aldoria.example",
        "SITROOM_MAIL_TRIES": "3",
        "SITROOM_MAIL_RETRY": "60",
        **smtp_env(port, cert[0]),
    }
    services = build_services(load_settings(env))
    services.engine.clock = clock
    package = two_parties()
    services.engine.create_run(package, RUN)
    invite = services.identity.invite
    invite(RUN, package, FACILITATOR.id, name="Ada", role="player", team="ald-nsc", email=ALD_MAIL)
    invite(
        RUN,
        package,
        FACILITATOR.id,
        name="Bo",
        role="player",
        team="brn-nsc",
        email=BRN_MAIL,
        language="ko",
    )
    invite(RUN, package, FACILITATOR.id, name="Eve", role="evaluator", email=EVALUATOR_MAIL)
    invite(RUN, package, FACILITATOR.id, name="Cy", role="player", team="brn-nsc")  # no address
    for command in (cmd.StartRun(), cmd.OpenModule("m1")):
        services.engine.handle(RUN, command, FACILITATOR, None)
    yield services
    services.close()


def mail_follower(svc: Services) -> InjectMail:
    follower = svc.followers.make("mail")
    assert isinstance(follower, InjectMail)
    return follower


def release(svc: Services, *numbers: str) -> None:
    for number in numbers:
        svc.engine.handle(RUN, cmd.ReleaseInject(number), FACILITATOR, None)


def body_of(message: object) -> str:
    return message.get_content()  # type: ignore[attr-defined,no-any-return]


def deliveries(svc: Services) -> dict[tuple[str, str], str]:
    state = svc.engine.state(RUN)
    return {(r.number, r.recipient): r.state for r in state.mail.values()}


def test_each_player_gets_only_what_their_principal_may_see(
    svc: Services, port: int, cert: tuple[Path, Path]
) -> None:
    loop = FollowerLoop(svc.engine, MemoryCursorStore())
    with MailServer(*cert, port=port) as server:
        release(svc, "1", "2")
        recorded = loop.round(mail_follower(svc), RUN)
        ada, bo = server.inbox.to(ALD_MAIL), server.inbox.to(BRN_MAIL)
        assert server.inbox.to(EVALUATOR_MAIL) == []
        assert len(server.inbox.messages) == 3

    # Inject 1 goes to both players, inject 2 (SECRET, Aldoria's team) to Ada alone; the
    # player without an address and the evaluator (who follows on screen) get nothing.
    assert sorted(m["Subject"].split(": ")[0] for m in ada) == [
        "[EXERCISE EXERCISE EXERCISE · SECRET//REL TO ALD] Inject 2",
        "[EXERCISE EXERCISE EXERCISE · UNCLASSIFIED//REL TO ALD, BRN] Inject 1",
    ]
    assert len(bo) == 1 and "인젝트 1" in bo[0]["Subject"]  # Bo reads Korean
    assert "시험이 발표되었다." in body_of(bo[0])
    secret = next(m for m in ada if "Inject 2" in m["Subject"])
    text = body_of(secret).strip().splitlines()
    assert text[0] == text[-1] == "EXERCISE EXERCISE EXERCISE · SECRET//REL TO ALD"
    assert secret["Subject"].endswith("[EXERCISE EXERCISE EXERCISE · SECRET//REL TO ALD]")
    for message in [*ada, *bo]:
        whole = message.as_string() + body_of(message)
        for marker in SECRET_MARKERS:
            if marker == "ZZALD-ONLY-TEXT" and message in ada:
                continue
            assert marker not in whole, (marker, message["To"])
        assert message["Message-ID"].endswith(".sitroom@aldoria.example>")
        assert message["From"] == "Aldoria EXCON <excon@aldoria.example>"
    assert "ZZALD-ONLY-TEXT" in body_of(secret)
    # Each delivery is an event, recorded by the mailer.
    assert recorded == len(server.inbox.messages)
    states = deliveries(svc)
    assert set(states.values()) == {SENT}
    assert all(number in ("1", "2") for number, _who in states)


def test_deliveries_are_shown_to_control_only(
    svc: Services, port: int, cert: tuple[Path, Path]
) -> None:
    with MailServer(*cert, port=port):
        release(svc, "1")
        FollowerLoop(svc.engine, MemoryCursorStore()).round(mail_follower(svc), RUN)
    log = svc.engine.read(RUN)
    mailed = [e for e in log if e.type == "inject-mailed"]
    assert mailed and all(e.actor == "system:mailer" for e in mailed)
    ada = next(r.principal for r in svc.identity.recipients(RUN) if r.address == ALD_MAIL)
    evaluator = Principal("invite:e", Role.EVALUATOR, "Eve")
    for event in mailed:
        assert svc.engine.view(FACILITATOR, RUN, event) is not None
        assert svc.engine.view(ada, RUN, event) is None
        assert svc.engine.view(evaluator, RUN, event) is None


def test_a_refusal_is_retried_with_backoff_then_sent(
    svc: Services, port: int, cert: tuple[Path, Path], clock: Clock
) -> None:
    loop = FollowerLoop(svc.engine, MemoryCursorStore())
    follower = mail_follower(svc)
    with MailServer(*cert, port=port) as server:
        server.inbox.refusals = 1  # the first message is refused with 550
        release(svc, "1")  # to Ada and to Bo: one of them is refused
        loop.round(follower, RUN)
        states = deliveries(svc)
        assert sorted(states.values()) == [BOUNCED, SENT]
        refused = next(r for r in svc.engine.state(RUN).mail.values() if r.state == BOUNCED)
        assert refused.error.startswith("550") and refused.attempts == 1
        loop.round(follower, RUN)  # not due yet: nothing is sent again
        assert server.inbox.refused == 1 and len(server.inbox.messages) == 1
        clock.now += timedelta(seconds=61)
        loop.round(follower, RUN)
        assert sorted(deliveries(svc).values()) == [SENT, SENT]
        again = svc.engine.state(RUN).mail
        retried = next(r for r in again.values() if r.recipient == refused.recipient)
        assert retried.attempts == 2 and retried.message_id == refused.message_id
        ids = [m["Message-ID"] for m in server.inbox.messages]
        assert refused.message_id in ids


def test_a_server_that_is_down_is_retried_and_given_up_visibly(svc: Services, clock: Clock) -> None:
    loop = FollowerLoop(svc.engine, MemoryCursorStore())
    follower = mail_follower(svc)
    release(svc, "1")
    loop.round(follower, RUN)  # nothing listens on the port
    assert set(deliveries(svc).values()) == {FAILED}
    for _ in range(2):
        clock.now += timedelta(hours=1)
        loop.round(follower, RUN)
    state = svc.engine.state(RUN)
    assert {r.state for r in state.mail.values()} == {DEAD}
    assert all(r.attempts == 3 and "Connection" in r.error for r in state.mail.values())
    failures = [e for e in svc.engine.read(RUN) if e.type == "mail-failed"]
    assert len(failures) == 3 * len(state.mail)
    clock.now += timedelta(days=1)
    assert loop.round(follower, RUN) == 0  # a dead letter is not tried again by itself


class CrashAfterSending:
    """Sends through the real mailer, then dies before the delivery is recorded."""

    def __init__(self, follower: InjectMail) -> None:
        self.real = follower.mailer
        self.crashes = 1

    def send(self, letter: Letter) -> None:
        self.real.send(letter)
        if self.crashes:
            self.crashes -= 1
            raise RuntimeError("the process died after the SMTP server accepted")


def test_a_crash_after_sending_sends_the_same_message_again(
    svc: Services, port: int, cert: tuple[Path, Path]
) -> None:
    follower = mail_follower(svc)
    follower.recipients = lambda run_id: [
        r for r in svc.identity.recipients(run_id) if r.address == ALD_MAIL
    ]
    follower.mailer = CrashAfterSending(follower)
    cursors = MemoryCursorStore()
    with MailServer(*cert, port=port) as server:
        release(svc, "1")
        with pytest.raises(RuntimeError):
            FollowerLoop(svc.engine, cursors).round(follower, RUN)
        FollowerLoop(svc.engine, cursors).round(follower, RUN)  # restarted
        FollowerLoop(svc.engine, MemoryCursorStore()).round(follower, RUN)  # cursor lost too
        ids = [m["Message-ID"] for m in server.inbox.to(ALD_MAIL)]
    assert len(ids) == 2 and ids[0] == ids[1]  # at least once, always the same message
    assert list(deliveries(svc).values()) == [SENT]


def test_no_mail_follower_without_an_smtp_server(tmp_path: Path) -> None:
    svc = build_services(load_settings({"SITROOM_DATA_DIR": str(tmp_path)}))
    try:
        assert "mail" not in svc.followers.names()
        assert svc.outbox is not None and not svc.outbox.enabled
    finally:
        svc.close()


def test_a_retracted_inject_is_not_tried_again(
    svc: Services, port: int, cert: tuple[Path, Path], clock: Clock
) -> None:
    loop = FollowerLoop(svc.engine, MemoryCursorStore())
    follower = mail_follower(svc)
    release(svc, "1")
    loop.round(follower, RUN)  # the relay is down
    svc.engine.handle(RUN, cmd.RetractInject("1", "sent in error"), FACILITATOR, None)
    clock.now += timedelta(hours=1)
    with MailServer(*cert, port=port) as server:
        loop.round(follower, RUN)
    assert server.inbox.messages == []
    records = svc.engine.state(RUN).mail.values()
    assert {(r.state, r.error) for r in records} == {(DEAD, "the inject was retracted")}
