"""The parts of a webhook that need no network: the signature (checked against the
``standardwebhooks`` reference library and a check written here from the spec), the address
policy against server-side request forgery, the backoff, and the chat formats' banners."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from sitroom.services.hooks import formats
from sitroom.services.hooks.addresses import AddressPolicy, AddressRefused
from sitroom.services.hooks.sender import MAX_BACKOFF, backoff
from sitroom.services.hooks.signature import headers, new_secret, sign
from tests.support.packages import two_parties


def test_signature_matches_the_spec_and_the_reference_library() -> None:
    secret = new_secret()
    body = '{"type":"inject-released","ünicode":"알도리아"}'.encode()
    sent = headers(secret, "msg_wh_1_4", 1_700_000_000, body)
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, b"msg_wh_1_4.1700000000." + body, hashlib.sha256).digest()
    assert sent["webhook-signature"] == "v1," + base64.b64encode(mac).decode()
    # The reference library checks the timestamp against its clock: sign for now.
    import time

    now = int(time.time())
    fresh = headers(secret, "msg_wh_1_4", now, body)
    Webhook(secret).verify(body, fresh)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, fresh)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b"x", fresh)
    assert sign(secret, "a", 1, b"") != sign(secret, "b", 1, b"")


def _policy(allow: list[str], answers: dict[str, list[str]]) -> AddressPolicy:
    return AddressPolicy(allow, resolver=lambda host, port: answers[host])


@pytest.mark.parametrize(
    ("url", "answers"),
    [
        ("http://169.254.169.254/latest/meta-data", {"169.254.169.254": ["169.254.169.254"]}),
        ("http://metadata.internal/", {"metadata.internal": ["169.254.169.254"]}),
        ("http://[fd00:ec2::254]/", {"fd00:ec2::254": ["fd00:ec2::254"]}),
        ("http://mapped/", {"mapped": ["::ffff:169.254.169.254"]}),
        ("http://localhost:8000/", {"localhost": ["127.0.0.1", "::1"]}),
        ("http://chat.corp/", {"chat.corp": ["10.1.2.3"]}),
        ("http://0.0.0.0/", {"0.0.0.0": ["0.0.0.0"]}),
        ("file:///etc/passwd", {}),
        ("gopher://example.org/", {}),
    ],
)
def test_private_and_metadata_addresses_are_refused_by_default(
    url: str, answers: dict[str, list[str]]
) -> None:
    with pytest.raises(AddressRefused):
        _policy([], answers).check(url)


def test_an_allow_list_opens_private_hosts_but_a_name_never_opens_metadata() -> None:
    answers = {
        "chat.corp": ["10.1.2.3"],
        "evil.corp": ["169.254.169.254"],
        "hooks.example.org": ["93.184.216.34"],
    }
    policy = _policy(["chat.corp", "evil.corp", "10.0.0.0/8"], answers)
    policy.check("https://chat.corp/hooks/abc")
    policy.check("https://hooks.example.org/x")  # public: no listing needed
    with pytest.raises(AddressRefused, match="link-local or metadata"):
        policy.check("http://evil.corp/")
    _policy(["169.254.0.0/16"], answers).check("http://evil.corp/")  # a network says so


def test_a_host_that_resolves_to_one_private_address_among_public_ones_is_refused() -> None:
    policy = _policy([], {"mixed.example": ["93.184.216.34", "192.168.1.5"]})
    with pytest.raises(AddressRefused, match=r"192\.168\.1\.5"):
        policy.check("https://mixed.example/")


def test_backoff_doubles_with_jitter_and_stops_at_an_hour() -> None:
    assert backoff(1, 10, lambda: 1.0) == 10
    assert backoff(3, 10, lambda: 1.0) == 40
    assert backoff(3, 10, lambda: 0.0) == 20  # half taken off at most
    assert backoff(40, 10, lambda: 1.0) == MAX_BACKOFF


@pytest.mark.parametrize("fmt", formats.FORMATS)
def test_every_format_carries_the_banner(fmt: str) -> None:
    package = two_parties()
    inject = {
        "number": "2",
        "title": {"en": "National assessment"},
        "content": {"en": "Text"},
        "banner": "EXERCISE EXERCISE EXERCISE · SECRET//REL TO ALD",
    }
    text = formats.body(
        fmt,
        package=package,
        run_id="r",
        seq=4,
        event_type="inject-released",
        at="2027-03-04T09:00:00+00:00",
        data={"number": "2", "inject": inject},
        audience="Aldoria",
        lang="en",
    )
    assert "SECRET//REL TO ALD" in text and "National assessment" in text
    json.loads(text)
    update = formats.body(
        fmt,
        package=package,
        run_id="r",
        seq=5,
        event_type="update-broadcast",
        at="2027-03-04T09:00:00+00:00",
        data={"id": "u1", "text": {"en": "<b>&</b>"}},
        audience="all",
        lang="ko",
    )
    assert "UNCLASSIFIED" in update
    if fmt == "slack":
        assert "&lt;b&gt;&amp;&lt;/b&gt;" in update
