"""Joining over real HTTP: a link shows whom it signs in as and changes nothing until its
button is pressed; typed Markdown cannot make a reader's browser fetch a join link; the
sign-in, join and sign-out forms are taken only from this site's own pages.

The attack these tests replay: a Brenland player puts ``![ ](../../../join/<their link>)``
in a joint decision. Before, every Aldoria browser that rendered the decision fetched the
link as an image, and ``GET /join/…`` signed it in as the Brenland player.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from tests.support.packages import TWO_PARTIES
from tests.support.server import create_admin, invite_and_join, running_server, sign_in

PASSWORD = "join-http-password"
RUN = "duo"
HX = {"HX-Request": "true"}


@dataclass
class Room:
    base: str
    admin: httpx.Client
    ald: httpx.Client
    brn: httpx.Client

    def invite(self, **body: object) -> dict[str, str]:
        body.setdefault("single_use", False)
        reply = self.admin.post(f"/api/runs/{RUN}/invitations", json=body)
        assert reply.status_code == 201, reply.text
        return dict(reply.json())

    def invitation(self, invitation_id: str) -> dict[str, object]:
        listed = self.admin.get(f"/api/runs/{RUN}/invitations").json()
        return next(i for i in listed if i["id"] == invitation_id)

    def browser(self) -> httpx.Client:
        """A client that sends the Origin a browser sends from this site's pages."""
        return httpx.Client(base_url=self.base, headers={"Origin": self.base}, timeout=30)


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Room]:
    data_dir = tmp_path_factory.mktemp("join-http")
    create_admin(data_dir, PASSWORD)
    with running_server(data_dir) as base:
        admin = sign_in(base, "admin", PASSWORD)
        admin.post("/api/runs", json={"package_yaml": TWO_PARTIES, "run_id": RUN})
        assert admin.post(f"/api/runs/{RUN}/start", json={}).status_code == 200
        ald = invite_and_join(admin, base, RUN, name="Ada Aldor", role="player", team="ald-nsc")
        brn = invite_and_join(admin, base, RUN, name="Bo Brenner", role="player", team="brn-nsc")
        yield Room(base, admin, ald, brn)
        for client in (admin, ald, brn):
            client.close()


def token_of(invitation: dict[str, str]) -> str:
    return invitation["link"].rsplit("/join/", 1)[1]


class _Resources(HTMLParser):
    """Every attribute value of every tag: where a page could send the browser."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: list[tuple[str, str, str]] = []
        self.images = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.images += tag in ("img", "image", "picture", "source", "video", "audio")
        self.values.extend((tag, name, value or "") for name, value in attrs)


def resources(html: str) -> _Resources:
    parser = _Resources()
    parser.feed(html)
    parser.close()
    return parser


def me(client: httpx.Client) -> dict[str, object]:
    reply = client.get("/api/me")
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def test_a_join_link_in_a_decision_is_never_fetched_by_a_reader(room: Room) -> None:
    link = room.invite(name="Bo's second seat", role="player", team="brn-nsc")
    token = token_of(link)
    bait = (
        f"Agreed text below.\n\n![ ](../../../join/{token})\n\n![map](/join/{token})\n\n"
        f'[the statement](../../join/{token}) <img src="../../join/{token}">'
        f" <{room.base}/join/{token}>"
    )
    proposed = room.brn.post(
        f"/api/runs/{RUN}/decisions",
        json={"title": "Joint statement", "text": bait, "joint_with": ["ald"]},
    )
    assert proposed.status_code == 200, proposed.text
    decision = next(
        d
        for d in room.ald.get(f"/api/runs/{RUN}/decisions").json()
        if d["title"] == "Joint statement"
    )
    answered = room.ald.post(
        f"/api/runs/{RUN}/decisions/{decision['id']}/answer",
        json={"concur": False, "reasons": f"Not this: ![x](../../../join/{token})"},
    )
    assert answered.status_code == 200, answered.text
    readers = {
        "aldoria page": room.ald.get(f"/runs/{RUN}/play").text,
        "aldoria panel": room.ald.get(f"/runs/{RUN}/play/panels/decisions", headers=HX).text,
        "brenland panel": room.brn.get(f"/runs/{RUN}/play/panels/decisions", headers=HX).text,
        "console": room.admin.get(f"/runs/{RUN}/console").text,
    }
    assert "Agreed text below." in readers["aldoria panel"]
    for reader, html in readers.items():
        found = resources(html)
        assert found.images == 0, reader
        for tag, name, value in found.values:
            assert "/join" not in value.lower(), (reader, tag, name, value)
    assert me(room.ald)["team"] == "ald-nsc"


def test_opening_a_join_link_leaves_the_browsers_session_alone(room: Room) -> None:
    link = room.invite(name="Bo's third seat", role="player", team="brn-nsc", single_use=True)
    ald_cookie = room.ald.cookies["sitroom_session"]
    opened = room.ald.get(f"/join/{token_of(link)}")
    assert opened.status_code == 200
    assert "set-cookie" not in opened.headers
    assert opened.headers["cache-control"] == "no-store"
    assert opened.headers["referrer-policy"] == "same-origin"
    assert "Joining replaces your current sign-in" in opened.text
    assert "Ada Aldor" in opened.text and "Bo&#39;s third seat" in opened.text
    assert "Brenland staff" in opened.text and "Duo exercise" in opened.text
    assert room.ald.cookies["sitroom_session"] == ald_cookie
    assert me(room.ald)["name"] == "Ada Aldor"
    assert room.invitation(link["id"])["used_at"] is None  # a look does not use it up


def test_the_button_joins_and_ends_the_sign_in_it_replaces(room: Room) -> None:
    ada = room.invite(name="Ada at the kiosk", role="player", team="ald-nsc")
    link = room.invite(name="Bo at the kiosk", role="player", team="brn-nsc", single_use=True)
    with room.browser() as kiosk:
        assert kiosk.post("/join", data={"code": ada["code"]}).status_code == 303
        before = kiosk.cookies["sitroom_session"]
        assert me(kiosk)["name"] == "Ada at the kiosk"
        joined = kiosk.post(f"/join/{token_of(link)}")
        assert joined.status_code == 303 and joined.headers["location"] == f"/runs/{RUN}"
        assert me(kiosk)["name"] == "Bo at the kiosk"
        assert room.invitation(link["id"])["used_at"] is not None
        with httpx.Client(base_url=room.base, cookies={"sitroom_session": before}) as old:
            assert old.get("/api/me").status_code == 401  # replaced means ended
        again = kiosk.get(f"/join/{token_of(link)}")
        assert "This browser already joined with this invitation." in again.text
        assert f'href="/runs/{RUN}"' in again.text


def test_a_used_or_broken_link_is_explained_on_the_page(room: Room) -> None:
    link = room.invite(name="Used once", role="player", team="brn-nsc", single_use=True)
    token = token_of(link)
    with room.browser() as first, room.browser() as second:
        assert first.post(f"/join/{token}").status_code == 303
        looked = second.get(f"/join/{token}")
        assert looked.status_code == 410
        assert "This invitation was already used" in looked.text
        refused = second.post(f"/join/{token}")
        assert refused.status_code == 410 and "already used" in refused.text
        assert "sitroom_session" not in second.cookies
        broken = second.get(f"/join/{token[:-3]}xyz")
        assert broken.status_code == 404
        assert "This invitation link is not valid" in broken.text


def test_a_korean_invitation_shows_its_join_page_in_korean(room: Room) -> None:
    link = room.invite(name="Min", role="observer", party="brn", language="ko")
    with httpx.Client(base_url=room.base) as fresh:
        html = fresh.get(f"/join/{token_of(link)}").text
    assert '<html lang="ko">' in html
    assert "브렌란드" in html and "듀오 연습" in html
    assert "Join as" not in html


FOREIGN = (
    {},
    {"Origin": "null"},
    {"Origin": "http://brenland.example"},
    {"Referer": "http://brenland.example/page"},
    {"Origin": "http://brenland.example", "Referer": "{base}/signin"},
)


@pytest.mark.parametrize("headers", FOREIGN, ids=["none", "null", "origin", "referer", "both"])
def test_forms_from_another_site_sign_nobody_in(room: Room, headers: dict[str, str]) -> None:
    sent = {k: v.format(base=room.base) for k, v in headers.items()}
    link = room.invite(name="Target seat", role="player", team="brn-nsc", single_use=True)
    attempts = (
        ("/signin", {"username": "admin", "password": PASSWORD}),
        ("/join", {"code": link["code"]}),
        (f"/join/{token_of(link)}", {}),
    )
    with httpx.Client(base_url=room.base, headers=sent) as victim:
        for path, form in attempts:
            refused = victim.post(path, data=form)
            assert refused.status_code == 403, (path, refused.text)
            assert "This form was sent from another site" in refused.text
            assert "set-cookie" not in refused.headers, path
    assert room.invitation(link["id"])["used_at"] is None


def test_a_sign_out_form_from_another_site_signs_nobody_out(room: Room) -> None:
    seat = room.invite(name="Signed in seat", role="observer", party="ald")
    with room.browser() as person:
        assert person.post("/join", data={"code": seat["code"]}).status_code == 303
        refused = person.post("/signout", headers={"Origin": "http://brenland.example"})
        assert refused.status_code == 403
        assert me(person)["name"] == "Signed in seat"
        assert person.post("/signout").status_code == 303
        assert person.get("/api/me").status_code == 401


def test_this_sites_own_forms_sign_in_by_origin_or_by_referer(room: Room, tmp_path: Path) -> None:
    with room.browser() as by_origin:
        assert (
            by_origin.post("/signin", data={"username": "admin", "password": PASSWORD}).status_code
            == 303
        )
        assert me(by_origin)["role"] == "admin"
    with httpx.Client(base_url=room.base, headers={"Referer": f"{room.base}/signin"}) as by_referer:
        assert (
            by_referer.post("/signin", data={"username": "admin", "password": PASSWORD}).status_code
            == 303
        )
    named = f"http://sitroom.test:{room.base.rsplit(':', 1)[1]}"
    with httpx.Client(base_url=room.base, headers={"Host": named[7:], "Origin": named}) as lan:
        assert (
            lan.post("/signin", data={"username": "admin", "password": PASSWORD}).status_code == 303
        )


def test_the_code_form_binds_a_device_and_names_why_another_browser_is_refused(
    room: Room,
) -> None:
    seat = room.invite(name="Bound seat", role="observer", party="brn", bind_device=True)
    with room.browser() as laptop, room.browser() as phone:
        assert laptop.post("/join", data={"code": seat["code"]}).status_code == 303
        assert "sitroom_device" in laptop.cookies
        refused = phone.post("/join", data={"code": seat["code"]})
        assert refused.status_code == 403
        assert "bound to the browser that used it first" in refused.text
        assert "wrong password" not in refused.text
