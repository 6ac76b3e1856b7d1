"""Inject e-mail deliveries in the log: who may record them, how they fold, who sees them;
the e-mail settings; and the outbox's backoff and Message-IDs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sitroom.conduct import commands as cmd
from sitroom.conduct.mailstate import BOUNCED, DEAD, FAILED, SENT
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.run import Rejected
from sitroom.config import load_settings
from sitroom.services.mailer import Letter, compose, message_id
from sitroom.services.outbox import backoff
from sitroom.services.runs import Engine
from sitroom.storage import MemoryRecorder
from tests.support.packages import two_parties

FACILITATOR = Principal("account:fac", Role.FACILITATOR, "Fac")
EVALUATOR = Principal("invite:eve", Role.EVALUATOR, "Eve")
ALD = Principal("invite:ald1", Role.PLAYER, "Ald player", team="ald-nsc", party="ald")
MID = "<abc.sitroom@aldoria.example>"


def engine() -> Engine:
    clock = lambda: datetime(2027, 3, 4, 9, 0, tzinfo=UTC)  # noqa: E731
    found = Engine(MemoryRecorder(clock=clock), clock=clock)
    found.create_run(two_parties(), run_id="duo")
    found.handle("duo", cmd.StartRun(), FACILITATOR)
    return found


def record(e: Engine, attempt: int, error: str = "", **flags: bool) -> None:
    e.handle("duo", cmd.RecordMailDelivery("1", ALD.id, MID, attempt, error, **flags), FACILITATOR)


def test_deliveries_fold_into_one_record_per_inject_and_recipient() -> None:
    e = engine()
    e.handle("duo", cmd.ReleaseInject("1"), FACILITATOR)
    record(e, 1, "421 try later")
    assert [(r.state, r.attempts) for r in e.state("duo").mail.values()] == [(FAILED, 1)]
    record(e, 2, "550 no such user", bounced=True)
    assert [r.state for r in e.state("duo").mail.values()] == [BOUNCED]
    record(e, 3, "550 no such user", bounced=True, final=True)
    (dead,) = e.state("duo").mail.values()
    assert (dead.state, dead.attempts, dead.error) == (DEAD, 3, "550 no such user")
    record(e, 4)
    record(e, 2, "421 a late answer to an older attempt")
    (sent,) = e.state("duo").mail.values()
    assert (sent.state, sent.attempts, sent.error) == (SENT, 4, "")


def test_only_control_records_deliveries_of_released_injects() -> None:
    e = engine()
    with pytest.raises(Rejected) as planned:
        record(e, 1)
    assert planned.value.status == 409
    e.handle("duo", cmd.ReleaseInject("1"), FACILITATOR)
    for who in (ALD, EVALUATOR):
        with pytest.raises(Rejected):
            e.handle("duo", cmd.RecordMailDelivery("1", ALD.id, MID, 1), who)
    with pytest.raises(Rejected) as zero:
        record(e, 0)
    assert zero.value.field == "attempt"


def test_the_gate_shows_deliveries_to_control_only() -> None:
    e = engine()
    e.handle("duo", cmd.ReleaseInject("1"), FACILITATOR)
    record(e, 1, "550 refused")
    (event,) = [s for s in e.read("duo") if s.type == "mail-failed"]
    assert e.view(FACILITATOR, "duo", event) is not None
    assert e.view(ALD, "duo", event) is None  # not even the recipient
    assert e.view(EVALUATOR, "duo", event) is None


def test_backoff_doubles_from_the_first_wait() -> None:
    assert [backoff(30, n) for n in (1, 2, 3, 4)] == [
        timedelta(seconds=s) for s in (30, 60, 120, 240)
    ]


def test_a_message_id_depends_on_the_key_alone() -> None:
    sender = "Aldoria EXCON <excon@aldoria.example>"
    assert message_id("run:7:invite:a", sender) == message_id("run:7:invite:a", sender)
    assert message_id("run:7:invite:a", sender) != message_id("run:7:invite:b", sender)
    assert message_id("k", sender).endswith(".sitroom@aldoria.example>")
    message = compose(Letter("a@b.example", "S", "body", MID, "ko"), sender)
    assert message["Message-ID"] == MID and message["Content-Language"] == "ko"


def test_mail_is_off_by_default_and_checked_when_on(tmp_path: object) -> None:
    base = {"SITROOM_DATA_DIR": str(tmp_path)}
    off = load_settings(base)
    assert off.smtp_host == "" and off.mail_tries == 6
    with pytest.raises(ValueError, match="SITROOM_MAIL_FROM"):
        load_settings({**base, "SITROOM_SMTP_HOST": "relay.aldoria.example"})
    with pytest.raises(ValueError, match="SITROOM_SMTP_SECURITY"):
        load_settings({**base, "SITROOM_SMTP_SECURITY": "ssl"})
    tls = load_settings(
        {
            **base,
            "SITROOM_SMTP_HOST": "relay.aldoria.example",
            "SITROOM_SMTP_SECURITY": "tls",
            "SITROOM_MAIL_FROM": "excon@aldoria.example",
        }
    )
    assert tls.smtp_port == 465
    assert "SITROOM_SMTP_PASSWORD" not in repr(tls) and "smtp_password" not in repr(tls)
