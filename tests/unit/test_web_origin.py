"""Login CSRF: which form posts count as coming from this site's own pages."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from sitroom.web.origin import is_own_form, origin_of, sent_from

BASE_URL = "https://sitroom.aldoria.example"


def form_post(host: str = "10.0.0.5:8000", scheme: str = "http", **headers: str) -> Request:
    """A POST /signin as it reaches the app, with ``headers`` (underscores for dashes)."""
    raw = [(b"host", host.encode())] + [
        (name.replace("_", "-").lower().encode(), value.encode()) for name, value in headers.items()
    ]
    scope = {
        "type": "http",
        "method": "POST",
        "scheme": scheme,
        "path": "/signin",
        "raw_path": b"/signin",
        "query_string": b"",
        "headers": raw,
        "server": ("10.0.0.5", 8000),
        "client": ("10.0.0.9", 50000),
    }
    return Request(scope)


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://10.0.0.5:8000/signin", "http://10.0.0.5:8000"),
        ("HTTP://Sitroom.Example:80/x", "http://sitroom.example"),
        ("https://sitroom.example:443", "https://sitroom.example"),
        ("http://[::1]:8000/", "http://[::1]:8000"),
        ("null", None),
        ("ftp://sitroom.example/", None),
        ("http://sitroom.example:99999/", None),
        ("", None),
    ],
)
def test_an_origin_is_scheme_host_and_a_port_other_than_the_default(
    url: str, origin: str | None
) -> None:
    assert origin_of(url) == origin


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "http://10.0.0.5:8000"},
        {"referer": "http://10.0.0.5:8000/signin"},
        {"origin": "null", "referer": "http://10.0.0.5:8000/join/abc"},
        {"origin": "https://sitroom.aldoria.example"},  # the configured address (a proxy)
        {"origin": "http://10.0.0.5:8000", "sec_fetch_site": "same-origin"},
    ],
)
def test_a_form_from_this_sites_pages_is_accepted(headers: dict[str, str]) -> None:
    assert is_own_form(form_post(**headers), BASE_URL)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"origin": "null"},
        {"origin": "http://brenland.example"},
        {"origin": "http://10.0.0.5:8001"},
        {"origin": "https://10.0.0.5:8000"},
        {"origin": "http://brenland.example", "referer": "http://10.0.0.5:8000/signin"},
        {"referer": "http://brenland.example/10.0.0.5:8000/signin"},
        {"referer": "not a url"},
        {"origin": "http://10.0.0.5:8000", "sec_fetch_site": "cross-site"},
        {"origin": "http://10.0.0.5:8000", "sec_fetch_site": "same-site"},
    ],
)
def test_a_form_from_elsewhere_or_from_nowhere_is_refused(headers: dict[str, str]) -> None:
    assert not is_own_form(form_post(**headers), BASE_URL)


def test_the_origin_named_is_the_one_a_refusal_reports() -> None:
    assert sent_from(form_post(origin="http://Brenland.example:80")) == "http://brenland.example"
    assert sent_from(form_post(origin="null")) is None
    assert sent_from(form_post()) is None
