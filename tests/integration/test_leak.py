"""Leak test: typed markers in controller-only, party-only and team-private material; every
role (and nobody signed in) reads every GET route of a run — the JSON API, every page and
panel, the SSE stream and the player page's stream of pushed HTML — and each marker reaches
only the readers it is meant for.

Two checks, independent of each other. A table says who each marker is for (written by hand,
so a wrong rule in the gate fails it). And every reply of every route is compared with what
the visibility gate itself lets that reader see (computed in this process from the same log),
so a route that shows something the gate would not — a rule restated beside the gate — fails.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.visibility import (
    inject_view,
    is_staff,
    module_view,
    visible_broadcasts,
    visible_decisions,
    visible_hot_wash,
    visible_injects,
    visible_modules,
    visible_notes,
    visible_observations,
    visible_polls,
    visible_responses,
    visible_threads,
)
from sitroom.config import load_settings
from sitroom.services.runs import Engine
from sitroom.storage.factory import open_recorder
from sitroom.web.app import create_app
from sitroom.web.pages import display as display_pages
from sitroom.web.pages import play as play_pages
from sitroom.web.views.console import PANEL_EVENTS
from sitroom.web.views.evaluate import EVALUATE_EVENTS
from sitroom.web.views.game import game_view
from tests.support.packages import TWO_PARTIES
from tests.support.server import create_admin, join, running_server, sign_in

PASSWORD = "leak-test-password"
RUN = "leak"

# The two-party package with a second module that is never opened: its poll and question
# are control material for the whole run.
PACKAGE = (
    TWO_PARTIES
    + """    questions:
      - id: q3
        text: {en: ZZM2-QUESTION, ko: ZZM2-QUESTION}
    polls:
      - id: p2
        question: {en: ZZM2-POLL, ko: ZZM2-POLL}
        options:
          - {id: a, text: {en: ZZM2-POLL-OPTION, ko: ZZM2-POLL-OPTION}}
          - {id: b, text: {en: B, ko: 나}}
milestones:
  - id: ZZMILESTONE-ID
    name: {en: ZZMILESTONE-NAME, ko: ZZMILESTONE-NAME}
    objectives: [o1]
organisations:
  - id: ministry
    name: {en: Velmora ministry, ko: 벨모라 외교부}
    kind: ministry
    played_by: [ZZPLAYED-BY]
"""
)
# An inject that a trigger proposes once the milestone is reached, and that control never
# releases: proposed-but-unreleased material is control's until released.
PACKAGE = PACKAGE.replace(
    """      - number: 3
""",
    """      - number: P1
        title: {en: ZZPROPOSED-TITLE, ko: ZZPROPOSED-TITLE}
        content: {en: ZZPROPOSED-TEXT, ko: ZZPROPOSED-TEXT}
        to: [ald-nsc]
        trigger: milestone(ZZMILESTONE-ID)
      - number: 3
""",
    1,
)
# A matrix game on the same teams: Aldoria's secret argument (never revealed), the umpire's
# counter-argument and ruling on it, Brenland's argument addressed to itself alone, and an
# outcome told to Aldoria alone.
PACKAGE = PACKAGE.replace("  default_marking:", "  type: game\n  default_marking:", 1) + (
    """game:
  adjudication: umpire
  actors:
    - {id: aldoria, name: {en: Aldoria, ko: 알도리아}, team: ald-nsc}
    - {id: brenland, name: {en: Brenland, ko: 브렌란드}, team: brn-nsc}
  turns:
    - {number: 1, title: {en: First move, ko: 첫 수}}
    - {number: 2, title: {en: ZZGAME-TURN-TO-COME, ko: ZZGAME-TURN-TO-COME}}
"""
)

STAFF = frozenset({"admin", "facilitator", "evaluator"})
CONTROL = frozenset({"admin", "facilitator"})
ALD = frozenset({"player:ald-nsc"})
BRN = frozenset({"player:brn-nsc"})
ROOM = frozenset({"observer", "display"})
SIGNED_IN = STAFF | ALD | BRN | ROOM
ANONYMOUS = "anonymous"
READERS = (*sorted(SIGNED_IN), ANONYMOUS)

AUDIENCE: dict[str, frozenset[str]] = {
    # The C/E handbook: control staff and evaluators only.
    "ZZEXPECTED-ACTION": STAFF,
    "ZZCONTROLLER-NAME": STAFF,
    "ZZINJECT-NOTES": STAFF,
    "ZZFACILITATOR": STAFF,
    "ZZCONTINGENCY-TEXT": STAFF,  # an inject never released
    "ZZM2-POLL": STAFF,  # a module never opened
    "ZZM2-POLL-OPTION": STAFF,
    "ZZM2-QUESTION": STAFF,
    "ZZMILESTONE-ID": STAFF,  # milestones and branches: control and evaluators
    "ZZMILESTONE-NAME": STAFF,
    "ZZPROPOSED-TITLE": STAFF,  # proposed by a trigger, never released
    "ZZPROPOSED-TEXT": STAFF,
    # Aldoria's: its inject, broadcast, team material, form and hot-wash item.
    "ZZALD-ONLY-TEXT": STAFF | ALD,
    "ZZALD-BROADCAST": STAFF | ALD,
    "ZZALD-RESPONSE": STAFF | ALD,
    "ZZALD-NOTE": STAFF | ALD,
    "ZZALD-DECISION": STAFF | ALD,
    "ZZALD-FEEDBACK": STAFF | ALD,
    "ZZALD-TEAM-HOT-WASH": STAFF | ALD,
    # Brenland's.
    "ZZBRN-BROADCAST": STAFF | BRN,
    "ZZBRN-RESPONSE": STAFF | BRN,
    "ZZBRN-NOTE": STAFF | BRN,
    "ZZBRN-FEEDBACK": STAFF | BRN,
    "ZZBRN-PARTY-HOT-WASH": STAFF | BRN,
    # The evaluation record.
    "ZZOBSERVATION": STAFF,
    "ZZTARGET-RATING": STAFF,
    "ZZCAPABILITY-RATING": STAFF,
    "ZZCLAUSE-RECORD": STAFF,
    # Said to the whole room.
    "ZZROOM-HOT-WASH": SIGNED_IN,
    # A matrix game: a secret argument is its team's and control's until revealed; an
    # argument or outcome addressed to one actor reaches that actor's team alone.
    "ZZALD-SECRET-ARG": STAFF | ALD,
    "ZZUMPIRE-COUNTER": STAFF | ALD,
    "ZZSECRET-RULING": STAFF | ALD,
    "ZZBRN-OWN-ARG": STAFF | BRN,
    "ZZALD-OUTCOME": STAFF | ALD,
    "ZZGAME-TURN-TO-COME": STAFF,  # a turn not opened: control's, like a module to come
    # An inject's e-mail to a player and the SMTP server's answer: control's (EXCON) alone.
    "ZZMAIL-ERROR": CONTROL,
    "ZZMAIL-ID": CONTROL,
    # Assistants' proposals: the asking evaluator's (and control's); a follow-up, control's.
    "ZZASSIST-WHY": STAFF,
    "ZZASSIST-FOLLOW-UP": CONTROL,
    # SimCell threads: the team that wrote, control and evaluators; a forwarded thread also
    # the party it went to. Who plays an organisation is control material.
    "ZZALD-THREAD-SUBJECT": STAFF | ALD,
    "ZZALD-THREAD-BODY": STAFF | ALD,
    "ZZSIMCELL-ANSWER": STAFF | ALD,
    "ZZBRN-THREAD-BODY": STAFF | BRN,
    "ZZFORWARDED-THREAD": STAFF | ALD | BRN,
    "ZZPLAYED-BY": STAFF,
}
SHOWN_TO_NOBODY = frozenset({"ZZM2-QUESTION"})
"""Markers no run route shows even to control: the console and the API list the questions of
modules opened so far (the handbook, not a run route, prints the rest)."""

# --- which routes are walked -----------------------------------------------------------------

EXCLUDED = {
    "/openapi.json": "the API's description: no run data",
    "/docs": "the API's description: no run data",
    "/api/health": "liveness: no run data",
    "/api/ready": "readiness: ready or not, and why; no run data",
    "/markings.css": "the banners' colours from the marking scheme table: no run data",
    "/metrics": "counts by route template and follower name, no run id (test_probes_metrics)",
    "/api/me": "the viewer's own identity: no run material",
    "/api/runs": "run ids and titles; an invitation lists only its own run",
    "/join/{token}": "joining by invitation link, before anyone is in a run",
    "/": "the home page: a link by role, no run material",
    "/signin": "the sign-in form",
    "/reset": "asking for a password-reset link: the same page for everyone",
    "/reset/{token}": "a password-reset link: names the account it resets, no run material",
    "/signin/oidc": "single sign-on: a redirect to the provider, no run data (test_sso_http)",
    "/signin/oidc/callback": "single sign-on's return: a session or a refusal (test_sso_http)",
    "/language/{code}": "sets the language cookie",
    "/design": "packages before they are runs: planner accounts only",
    "/design/packages/{name}": "packages before they are runs: planner accounts only",
    "/design/examples/{name}": "bundled examples: planner accounts only",
    "/design/retest/{source}/{name}": "packages before they are runs: planner accounts only",
    "/design/packages/{name}/{kind}": "packages before they are runs: planner accounts only",
    "/design/examples/{name}/{kind}": "bundled examples: planner accounts only",
    "/api/series": "exercise series: admin and facilitator accounts only (test_series_api)",
    "/api/series/{series_id}": "exercise series: accounts only (test_series_api)",
    "/api/series/{series_id}/trends": "exercise series: accounts only (test_series_api)",
    "/api/series/{series_id}/actions": "exercise series: accounts only (test_series_api)",
    "/api/series/{series_id}/actions/{action_id}": "exercise series: accounts only",
    "/api/series/{series_id}/actions/{action_id}/evidence/{sha256}": "series: accounts only",
    "/api/series/{series_id}/export.xlsx": "exercise series: accounts only (test_series_xlsx)",
    "/api/series/{series_id}/events": "series: accounts only; says 'changed' and a version number,"
    " nothing of a run (test_words_http)",
    "/series": "exercise series: accounts only",
    "/series/{series_id}": "exercise series: accounts only",
    "/series/{series_id}/actions/{action_id}": "exercise series: accounts only",
    **{
        route: "package drafts before they are runs: planner accounts only; every one refused"
        " to a player (test_editor_http)"
        for route in (
            "/api/drafts",
            "/api/drafts/{draft_id}",
            "/api/drafts/{draft_id}/diff",
            "/api/drafts/{draft_id}/download/{fmt}",
            "/api/drafts/{draft_id}/history",
            "/editor",
            "/editor/{draft_id}",
            "/editor/{draft_id}/diff",
            "/editor/{draft_id}/documents",
            "/editor/{draft_id}/download",
            "/editor/{draft_id}/download/{fmt}",
            "/editor/{draft_id}/grid",
            "/editor/{draft_id}/history",
            "/editor/{draft_id}/part",
            "/editor/{draft_id}/preview",
            "/editor/{draft_id}/preview/{kind}",
        )
    },
}
"""GET routes that do not take a run id, each with why it is not walked here."""

STREAM = "/api/runs/{run_id}/events"
PAGE_STREAM = STREAM + "?fragments=play"
"""The player page's stream: the HTML of what changed, rendered once per audience and shared."""
TEAMS = ({}, {"team": "ald-nsc"}, {"team": "brn-nsc"})
QUERIES: dict[str, tuple[dict[str, str], ...]] = {
    "/runs/{run_id}/evaluate": TEAMS,
    "/runs/{run_id}/evaluate/panels/{name}": TEAMS,
    "/api/runs/{run_id}/report": ({}, {"party": "ald"}, {"party": "brn"}),
    "/runs/{run_id}/report": ({}, {"scope": "ald"}, {"scope": "brn"}),
    "/runs/{run_id}/console": ({}, {"edit": "3"}),
}
"""Query strings that change what a route shows, each walked too."""


def _values(path: str) -> dict[str, tuple[str, ...]]:
    """What each path parameter of ``path`` is walked with."""
    names: tuple[str, ...] = ()
    if path.startswith("/runs/{run_id}/play/"):
        names = tuple(play_pages.PANELS)
    elif path.startswith("/runs/{run_id}/display/"):
        names = tuple(display_pages.PANELS)
    elif path.startswith("/runs/{run_id}/console/"):
        names = tuple(PANEL_EVENTS)
    elif path.startswith("/runs/{run_id}/evaluate/"):
        names = (*EVALUATE_EVENTS, "observe", "rate")
    return {
        "run_id": (RUN,),
        "name": names,
        "number": ("1", "2", "3", "4", "P1"),
        "index": ("0",),
        "assistant": ("evaluator", "facilitator", "report"),
        # a thread's attached documents: ids are made at run time, so the walk asks for an
        # unknown one (the HTTP test of thread documents covers a real attachment)
        "thread": ("no-such-thread",),
        "path:path": ("briefing.md",),
    }


def _get_routes() -> list[str]:
    """Every GET route of the application, as ``create_app`` assembles it."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(load_settings({"SITROOM_DATA_DIR": folder}))

    def walk(routes: list[Any]) -> Iterator[Any]:
        for route in routes:
            nested = getattr(route, "effective_route_contexts", None)
            if nested is not None:  # an included router (FastAPI resolves them lazily)
                yield from nested()
            else:
                yield route

    return sorted(
        {r.path for r in walk(list(app.routes)) if "GET" in (getattr(r, "methods", None) or ())}
    )


def _run_routes() -> list[str]:
    return [path for path in _get_routes() if "{run_id}" in path]


def _requests() -> list[tuple[str, str, dict[str, str]]]:
    """(route, URL, query) for every run-scoped GET route, its parameters filled in."""
    out = []
    for path in _run_routes():
        if path == STREAM:
            continue
        urls = [path]
        for name, values in _values(path).items():
            if "{" + name + "}" in path:
                urls = [u.replace("{" + name + "}", v) for u in urls for v in values]
        for url in urls:
            assert "{" not in url, f"no values for a parameter of {path}: add them to _values"
            for query in QUERIES.get(path, ({},)):
                out.append((path, url, query))
    return out


# --- the run ---------------------------------------------------------------------------------


@dataclass
class Reply:
    route: str
    url: str
    status: int
    text: str


@dataclass
class Played:
    replies: dict[str, list[Reply]]  # reader -> every reply they got
    allowed: dict[str, str]  # reader -> everything the gate lets them see, as text

    def seen(self, reader: str) -> str:
        return "\n".join(r.text for r in self.replies[reader])

    def readers_of(self, marker: str) -> set[str]:
        return {who for who in READERS if marker in self.seen(who)}


def _read_everything(base: str, client: httpx.Client | None, last_seq: int) -> list[Reply]:
    """Every run-scoped GET route as ``client`` (None: nobody signed in), then the stream."""
    cookies = dict(client.cookies) if client else {}
    replies = []
    with httpx.Client(base_url=base, cookies=cookies, timeout=30.0) as http:
        for route, url, query in _requests():
            headers = {"HX-Request": "true"} if "/panels/" in route else {}
            reply = http.get(url, params={"lang": "en", **query}, headers=headers)
            replies.append(Reply(route, f"{url}?{query}", reply.status_code, reply.text))
        for route in (STREAM, PAGE_STREAM):
            status, text = _read_stream(http, route.replace("{run_id}", RUN), last_seq)
            replies.append(Reply(route, route, status, text))
    return replies


def _read_stream(http: httpx.Client, url: str, last_seq: int) -> tuple[int, str]:
    """The stream from the start to the last event's frame or the first heartbeat (a ping, or
    on a page's stream the clock: a message with no id), whichever comes first."""
    lines: list[str] = []
    with http.stream("GET", url) as stream:
        status = stream.status_code
        if status != 200:
            stream.read()
            return status, stream.text
        block: list[str] = []
        for line in stream.iter_lines():
            lines.append(line)
            if line.startswith(": ping"):
                break
            if line:
                block.append(line)
                continue
            ids = [int(x[4:]) for x in block if x.startswith("id: ")]
            has_data = any(x.startswith("data: ") for x in block)
            if (ids and ids[0] >= last_seq) or (has_data and not ids):
                break
            block = []
    return status, "\n".join(lines)


def _principal(client: httpx.Client) -> Principal:
    me = client.get("/api/me").json()
    return Principal(me["id"], Role(me["role"]), team=me["team"], party=me["party"])


def _what_the_gate_allows(engine: Engine, p: Principal) -> str:
    """Everything the visibility gate lets ``p`` see of the run, as one text."""
    state = engine.state(RUN)
    package = state.package
    shown: list[Any] = [package.model_dump(mode="json")] if is_staff(p) else []
    shown += [engine.view(p, RUN, stored) for stored in engine.read(RUN)]
    shown += [inject_view(p, package, i, None, s.content) for i, s in visible_injects(p, state)]
    shown += [module_view(p, package, m.id) for m in visible_modules(p, state)]
    shown += [poll.model_dump(mode="json") for _, poll, _ in visible_polls(p, state)]
    for entries in (visible_responses, visible_notes, visible_observations):
        shown += [e.text for e in entries(p, state)]
    shown += [(d.title, d.text) for d in visible_decisions(p, state)]
    shown += [b.text for b in visible_broadcasts(p, state)]
    shown += [i.text for i in visible_hot_wash(p, state)]
    shown += [(t.subject, [m.body for m in t.messages]) for t in visible_threads(p, state)]
    shown += [game_view(p, state, "en")]
    return json.dumps(shown, ensure_ascii=False)


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Played:
    data_dir = tmp_path_factory.mktemp("leak")
    create_admin(data_dir, PASSWORD, "admin")
    with running_server(data_dir) as base:
        admin = sign_in(base, "admin", PASSWORD)
        created = admin.post("/api/runs", json={"package_yaml": PACKAGE, "run_id": RUN})
        assert created.status_code == 201, created.text
        clients: dict[str, httpx.Client] = {"admin": admin}
        for role, team in (
            ("facilitator", None),
            ("player", "ald-nsc"),
            ("player", "brn-nsc"),
            ("evaluator", None),
            ("observer", None),
            ("display", None),
        ):
            invite = admin.post(
                f"/api/runs/{RUN}/invitations",
                json={"name": f"{role} {team}", "role": role, "team": team},
            )
            assert invite.status_code == 201, invite.text
            clients[f"{role}:{team}" if team else role] = join(base, invite.json()["code"])

        def act(who: str, path: str, body: dict[str, object]) -> None:
            reply = clients[who].post(f"/api/runs/{RUN}{path}", json=body)
            assert reply.status_code == 200, (path, reply.text)

        forged = httpx.post(
            f"{base}/api/runs/{RUN}/start", json={}, cookies=dict(clients["facilitator"].cookies)
        )
        assert forged.status_code == 403, "a cookie without its CSRF token must not write"

        act("facilitator", "/start", {})
        act("facilitator", "/injects/1/release", {})
        act("facilitator", "/injects/2/release", {})
        act("facilitator", "/updates", {"text": {"en": "ZZALD-BROADCAST"}, "parties": ["ald"]})
        act("facilitator", "/updates", {"text": {"en": "ZZBRN-BROADCAST"}, "parties": ["brn"]})
        act(
            "player:ald-nsc",
            "/responses",
            {"target": "inject", "ref": "2", "text": "ZZALD-RESPONSE <script>x</script>"},
        )
        act("player:ald-nsc", "/notes", {"text": "ZZALD-NOTE"})
        act("player:ald-nsc", "/decisions", {"title": "ZZALD-DECISION", "text": "national"})
        act(
            "player:brn-nsc",
            "/responses",
            {"target": "question", "ref": "q1", "text": "ZZBRN-RESPONSE"},
        )
        act("player:brn-nsc", "/notes", {"text": "ZZBRN-NOTE"})
        act("evaluator", "/observations", {"text": "ZZOBSERVATION", "rating": "S"})
        _write_threads(clients, act)
        act("facilitator", "/milestones/ZZMILESTONE-ID/reach", {})
        _play_a_game_turn(act, admin)
        for _ in range(300):  # the server's triggers follower proposes inject P1
            branches = admin.get(f"/api/runs/{RUN}/branches").json()
            if any(t["status"] == "proposed" for t in branches["triggers"]):
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the trigger never proposed inject P1")
        act("facilitator", "/end", {})
        for text, scope in (
            ("ZZALD-TEAM-HOT-WASH", {"team": "ald-nsc"}),
            ("ZZBRN-PARTY-HOT-WASH", {"party": "brn"}),
            ("ZZROOM-HOT-WASH", {}),
        ):
            act("evaluator", "/hot-wash", {"kind": "strength", "text": text, **scope})
        principals = {who: _principal(client) for who, client in clients.items()}
        recorder = open_recorder(f"sqlite:///{data_dir / 'sitroom.db'}")
        try:
            # The server's key, so anonymous forms get the pseudonym the server recognises.
            secret = (data_dir / "secret.key").read_text().strip().encode()
            engine = Engine(recorder, secret=secret)
            _record_evaluation(engine, principals)
            last_seq = admin.get(f"/api/runs/{RUN}").json()["seq"]
            replies = {who: _read_everything(base, c, last_seq) for who, c in clients.items()}
            replies[ANONYMOUS] = _read_everything(base, None, last_seq)
            # After the walk: opening the player's page records delivery receipts.
            allowed = {who: _what_the_gate_allows(engine, p) for who, p in principals.items()}
            allowed[ANONYMOUS] = ""
        finally:
            recorder.close()
        for client in clients.values():
            client.close()
    return Played(replies, allowed)


def _write_threads(clients: dict[str, httpx.Client], act: Any) -> None:
    """Aldoria and Brenland each write to the ministry; control answers Aldoria's and
    forwards a second Aldoria thread to Brenland's party."""
    body = {"organisation": "ministry", "subject": "ZZALD-THREAD-SUBJECT"}
    act("player:ald-nsc", "/threads", {**body, "body": "ZZALD-THREAD-BODY"})
    act("player:ald-nsc", "/threads", {**body, "subject": "Shared", "body": "ZZFORWARDED-THREAD"})
    act("player:brn-nsc", "/threads", {**body, "subject": "Ours", "body": "ZZBRN-THREAD-BODY"})
    threads = clients["player:ald-nsc"].get(f"/api/runs/{RUN}/inbox").json()["threads"]
    ids = {t["subject"]: t["id"] for t in threads}
    act(
        "facilitator",
        f"/threads/{ids['ZZALD-THREAD-SUBJECT']}/messages",
        {"body": "ZZSIMCELL-ANSWER"},
    )
    act("facilitator", f"/threads/{ids['Shared']}/forward", {"parties": ["brn"]})
    act("player:ald-nsc", f"/threads/{ids['ZZALD-THREAD-SUBJECT']}/read", {})


def _play_a_game_turn(act: Any, admin: httpx.Client) -> None:
    """A matrix-game turn: a secret argument the umpire counters and rules on, unrevealed."""
    act("facilitator", "/game/turns/1/open", {})
    secret = {"action": "ZZALD-SECRET-ARG", "result": "r", "reasons": "w", "secret": True}
    act("player:ald-nsc", "/game/arguments", secret)
    own = {"action": "ZZBRN-OWN-ARG", "result": "r", "reasons": "w", "audience": ["brenland"]}
    act("player:brn-nsc", "/game/arguments", own)
    [ald_arg] = [
        a["id"]
        for a in admin.get(f"/api/runs/{RUN}/game").json()["turns"][0]["arguments"]
        if a["actor"] == "aldoria"
    ]
    act("facilitator", f"/game/arguments/{ald_arg}/counter", {"reasons": "ZZUMPIRE-COUNTER"})
    ruling = {"method": "umpire", "success": True, "ruling": "ZZSECRET-RULING"}
    act("facilitator", f"/game/arguments/{ald_arg}/adjudicate", ruling)
    outcome = {"text": "ZZALD-OUTCOME", "audience": ["aldoria"]}
    act("facilitator", "/game/turns/1/outcomes", outcome)


def _record_evaluation(engine: Engine, who: dict[str, Principal]) -> None:
    """The evaluation record, written to the server's log by a second engine (the log is the
    source of truth: the server catches up from it before every read)."""
    evaluator, facilitator = who["evaluator"], who["facilitator"]
    for command, principal in (
        (cmd.RateTarget("t1", "S", "ZZTARGET-RATING", (1,)), evaluator),
        (
            cmd.RateCapability("o1", "operational-coordination", "M", "ZZCAPABILITY-RATING"),
            evaluator,
        ),
        (cmd.RecordClause("guide/1.1", False, "ZZCLAUSE-RECORD"), facilitator),
        (
            cmd.RecordMailDelivery(
                "2", who["player:ald-nsc"].id, "<ZZMAIL-ID@aldoria.example>", 1, "ZZMAIL-ERROR"
            ),
            facilitator,
        ),
        (cmd.SubmitFeedback(name="A. Tester", missed="ZZALD-FEEDBACK"), who["player:ald-nsc"]),
        (
            cmd.SubmitFeedback(anonymous=True, strengths=("ZZBRN-FEEDBACK",)),
            who["player:brn-nsc"],
        ),
        (
            cmd.RecordProposal(
                "evaluator",
                (
                    {
                        "key": "k1",
                        "task": "k1",
                        "rating": "S",
                        "evidence": [1],
                        "why": "ZZASSIST-WHY",
                    },
                ),
                {"provider": "scripted"},
            ),
            evaluator,
        ),
        (
            cmd.RecordProposal(
                "facilitator",
                ({"key": "1", "kind": "update", "text": "ZZASSIST-FOLLOW-UP", "teams": []},),
                {"provider": "scripted"},
            ),
            facilitator,
        ),
    ):
        engine.handle(RUN, command, principal)


# --- the checks ------------------------------------------------------------------------------


def test_every_get_route_is_walked_or_excluded_with_a_reason() -> None:
    routes = set(_get_routes())
    walked = set(_run_routes())
    assert routes - walked == set(EXCLUDED), "a new GET route: walk it here, or say why not"
    assert walked, "the walk found no run routes"


def test_no_route_fails_for_any_role(played: Played) -> None:
    failed = [
        (who, r.url, r.status)
        for who, replies in played.replies.items()
        for r in replies
        if r.status >= 500
    ]
    assert failed == []


def test_nobody_signed_in_reads_nothing_of_the_run(played: Played) -> None:
    for reply in played.replies[ANONYMOUS]:
        signin = reply.status in (303, 307) or (reply.status == 204 and "/panels/" in reply.url)
        assert reply.status == 401 or signin, (reply.url, reply.status)
    assert not [m for m in AUDIENCE if m in played.seen(ANONYMOUS)]


@pytest.mark.parametrize("marker", sorted(AUDIENCE))
def test_each_marker_reaches_only_its_audience(played: Played, marker: str) -> None:
    readers = played.readers_of(marker)
    leaked = {
        who: [r.url for r in played.replies[who] if marker in r.text]
        for who in readers - AUDIENCE[marker]
    }
    assert leaked == {}, f"{marker} leaked"
    # Everyone it is for who is not staff does see it somewhere (else the test proves
    # nothing); control staff see it somewhere too.
    assert AUDIENCE[marker] - STAFF <= readers, f"{marker} missing for its own audience"
    if marker not in SHOWN_TO_NOBODY:
        assert readers & STAFF, f"{marker} missing for control (the test would prove nothing)"


@pytest.mark.parametrize("reader", sorted(SIGNED_IN))
def test_every_route_shows_only_what_the_gate_allows(played: Played, reader: str) -> None:
    allowed = played.allowed[reader]
    beyond = {
        (r.url, marker)
        for r in played.replies[reader]
        for marker in AUDIENCE
        if marker in r.text and marker not in allowed
    }
    assert beyond == set(), f"routes show {reader} what the gate does not"


def test_control_and_evaluators_see_every_marker(played: Played) -> None:
    for who in ("admin", "facilitator", "evaluator"):
        missing = [
            m
            for m, readers in AUDIENCE.items()
            if who in readers and m not in played.seen(who) and m not in SHOWN_TO_NOBODY
        ]
        assert missing == [], who


def test_inject_mail_deliveries_reach_control_alone(played: Played) -> None:
    assert played.readers_of("ZZMAIL-ERROR") == CONTROL


def test_a_scoped_hot_wash_item_reaches_only_its_team_or_party(played: Played) -> None:
    assert played.readers_of("ZZALD-TEAM-HOT-WASH") == STAFF | ALD
    assert played.readers_of("ZZBRN-PARTY-HOT-WASH") == STAFF | BRN
    assert played.readers_of("ZZROOM-HOT-WASH") == SIGNED_IN
    for route in ("/api/runs/{run_id}/log", "/api/runs/{run_id}/evaluation", STREAM):
        [brn] = [r for r in played.replies["player:brn-nsc"] if r.route == route]
        assert "ZZROOM-HOT-WASH" in brn.text and "ZZBRN-PARTY-HOT-WASH" in brn.text, route
        assert "ZZALD-TEAM-HOT-WASH" not in brn.text, route


def test_the_player_pages_stream_is_walked_and_is_for_players_of_a_team(played: Played) -> None:
    for who in sorted(READERS):
        [reply] = [r for r in played.replies[who] if r.route == PAGE_STREAM]
        if who in ALD | BRN:
            assert reply.status == 200 and "event: fragment" in reply.text, who
        else:
            assert reply.status in (401, 403), who
    [ald] = [r for r in played.replies["player:ald-nsc"] if r.route == PAGE_STREAM]
    assert "ZZALD-ONLY-TEXT" in ald.text and "ZZALD-RESPONSE" in ald.text
    assert "<script>x</script>" not in ald.text, "typed markup stays text in pushed HTML"


def test_polls_of_a_module_not_yet_opened_stay_with_control(played: Played) -> None:
    for who in sorted(SIGNED_IN):
        [reply] = [r for r in played.replies[who] if r.route == "/api/runs/{run_id}/polls"]
        ids = {poll["id"] for poll in json.loads(reply.text)}
        assert ids == ({"p1", "p2"} if who in STAFF else {"p1"}), who


def test_anonymous_feedback_names_nobody_even_to_control(played: Played) -> None:
    views: list[dict[str, Any]] = []
    for reply in played.replies["facilitator"]:
        if reply.route == STREAM:
            views += [
                json.loads(line[len("data: ") :])
                for line in reply.text.splitlines()
                if line.startswith("data: ") and "ZZBRN-FEEDBACK" in line
            ]
        elif reply.route == "/api/runs/{run_id}/log":
            body = json.loads(reply.text)
            views += [e for e in body["events"] if "ZZBRN-FEEDBACK" in json.dumps(e)]
    assert len(views) == 2, "the form is in the log route and in the stream"
    for view in views:
        assert view["data"]["respondent"] is None and "actor" not in view["data"]
        assert "invite:" not in json.dumps(view) and "account:" not in json.dumps(view)


def test_nobody_signed_in_is_turned_away(tmp_path: Path) -> None:
    with running_server(tmp_path) as base:
        for path in ("/api/runs", "/api/runs/leak", "/api/runs/leak/events", "/api/me"):
            assert httpx.get(base + path, timeout=5).status_code == 401
