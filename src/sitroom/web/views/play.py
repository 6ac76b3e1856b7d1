"""What the player and display pages show of a run, as plain values for the templates.

Every item is chosen by the visibility gate (``sitroom.conduct.visibility``); this module only
turns what the gate lets through into localised text, times and bar lengths.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time

from sitroom.conduct.principal import Principal
from sitroom.conduct.state import DecisionStatus, InjectStatus, PollState, RunState, RunStatus
from sitroom.conduct.visibility import inject_view, visible_injects, visible_polls
from sitroom.package.model import DeliveryMethod, Inject, Package, Poll, text_in
from sitroom.web import forms
from sitroom.web.render import N_

RUN_STATUS = {
    RunStatus.PLANNED: N_("Not started"),
    RunStatus.RUNNING: N_("Running"),
    RunStatus.PAUSED: N_("Paused"),
    RunStatus.ENDED: N_("Ended (ENDEX)"),
}
DECISION_STATUS = {
    DecisionStatus.PROPOSED: N_("Proposed"),
    DecisionStatus.AWAITING_CONCURRENCE: N_("Awaiting concurrence"),
    DecisionStatus.CONCURRED: N_("Concurred"),
    DecisionStatus.NON_CONCURRED: N_("Non-concurred"),
}
INJECT_STATUS = {
    InjectStatus.RELEASED: N_("Released"),
    InjectStatus.CORRECTED: N_("Corrected"),
    InjectStatus.RETRACTED: N_("Retracted"),
}
DELIVERY = {
    DeliveryMethod.SITROOM: N_("On screen"),
    DeliveryMethod.EMAIL: N_("Email"),
    DeliveryMethod.PHONE: N_("Phone call"),
    DeliveryMethod.RADIO: N_("Radio"),
    DeliveryMethod.VIDEO: N_("Video"),
    DeliveryMethod.DOCUMENT: N_("Document"),
    DeliveryMethod.BRIEFING: N_("Briefing"),
    DeliveryMethod.IN_PERSON: N_("In person"),
    DeliveryMethod.MEDIA: N_("Media report"),
    DeliveryMethod.SOCIAL_MEDIA: N_("Social media"),
    DeliveryMethod.OTHER: N_("Other"),
}
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


# --- times ----------------------------------------------------------------------------------


def zone(package: Package) -> ZoneInfo:
    """The exercise's time zone (UTC when the name is unknown here)."""
    return forms.zone(package.exercise.time_zone)


def scenario_text(moment: datetime, package: Package, lang: str) -> str:
    """A scenario date and time in the viewer's language, in the exercise's time zone."""
    tz = zone(package)
    day = format_skeleton("yMMMEd", moment, tzinfo=tz, locale=lang)
    return f"{day} {format_time(moment, 'HH:mm', tzinfo=tz, locale=lang)} {tz.key}"


def dtg(moment: datetime) -> str:
    """A date-time group in Zulu time, e.g. ``140600ZSEP27``."""
    z = moment.astimezone(UTC) if moment.tzinfo else moment
    return f"{z:%d%H%M}Z{MONTHS[z.month - 1]}{z:%y}"


def wall_time(moment: datetime, package: Package, lang: str) -> str:
    """The real time something happened, as HH:MM in the exercise's time zone."""
    return format_time(moment, "HH:mm", tzinfo=zone(package), locale=lang)


@dataclass(frozen=True)
class Clock:
    """The run's status and the scenario clock."""

    status: RunStatus
    status_label: str
    module_title: str | None
    scenario: str | None
    dtg: str | None
    elapsed: str


def clock(state: RunState, now: datetime, lang: str) -> Clock:
    """The clock as the pages show it (nothing here is team-specific)."""
    package = state.package
    module = state.current_module()
    scenario = state.scenario_time(now)
    languages = package.exercise.languages
    return Clock(
        status=state.status,
        status_label=RUN_STATUS[state.status],
        module_title=text_in(module.title, lang, languages) if module else None,
        scenario=scenario_text(scenario, package, lang) if scenario else None,
        dtg=dtg(scenario) if scenario else None,
        elapsed=forms.clock_text(state.run_clock(now)),
    )


# --- injects --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentLink:
    """A document attached to an inject; ``href`` only when the server can hand it out."""

    index: int
    title: str
    path: str
    href: str | None


@dataclass(frozen=True)
class ChoiceView:
    """The options an inject offers, what this team (or party) picked and what was settled."""

    prompt: str
    options: tuple[tuple[str, str], ...]  # (id, text)
    joint: bool
    picked: str | None
    settled: str | None

    def text_of(self, option: str | None) -> str:
        return next((text for oid, text in self.options if oid == option), option or "")


def choice_view(
    principal: Principal, state: RunState, inject: Inject, lang: str
) -> ChoiceView | None:
    """What a player sees of an inject's choice: their own side's pick and the result."""
    if inject.choice is None:
        return None
    languages = state.package.exercise.languages
    record = state.branches.choices.get(inject.number)
    own = (principal.party or principal.team) if inject.choice.joint else principal.team
    pick = record.picks.get(own or "") if record else None
    return ChoiceView(
        prompt=text_in(inject.choice.prompt, lang, languages),
        options=tuple((o.id, text_in(o.text, lang, languages)) for o in inject.choice.options),
        joint=inject.choice.joint,
        picked=pick.option if pick else None,
        settled=record.settled if record else None,
    )


@dataclass(frozen=True)
class InjectCard:
    """A released inject as one viewer may see it."""

    number: str
    title: str
    content: str
    sender: str | None
    delivery: str
    banner: str
    scenario: str | None
    status: InjectStatus
    status_label: str
    released_seq: int
    released_at: str
    acknowledged_at: str | None
    attachments: tuple[AttachmentLink, ...]
    label: dict[str, Any] | None = None
    """The inject's confidentiality label, which its banner is rendered from."""
    choice: ChoiceView | None = None

    @property
    def retracted(self) -> bool:
        return self.status == InjectStatus.RETRACTED

    @property
    def corrected(self) -> bool:
        return self.status == InjectStatus.CORRECTED


def released_injects(
    principal: Principal,
    state: RunState,
    lang: str,
    attachment_href: str | None = None,
    only: str | None = None,
) -> list[InjectCard]:
    """Released injects the gate lets ``principal`` see, newest first.

    ``attachment_href`` is a URL prefix (``…/attachments``) when attachments can be served;
    ``only``: just the inject of that number (if the gate lets the principal see it).
    """
    package = state.package
    languages = package.exercise.languages
    cards: list[InjectCard] = []
    for inject, status in visible_injects(principal, state):
        if only is not None and inject.number != only:
            continue
        if status.status == InjectStatus.PLANNED or status.released_seq is None:
            continue  # the MSEL to come, for those who hold it: not a released inject
        view = inject_view(principal, package, inject, lang, status.content)
        attachments = tuple(
            AttachmentLink(
                index=index,
                title=text_in(item.get("title"), lang, languages) or str(item["path"]),
                path=str(item["path"]),
                href=f"{attachment_href}/{inject.number}/{index}" if attachment_href else None,
            )
            for index, item in enumerate(view.get("attachments") or [])
        )
        scenario = view.get("scenario_time")
        acknowledged = status.acknowledged.get(principal.id)
        cards.append(
            InjectCard(
                number=inject.number,
                title=str(view["title_text"]),
                content=str(view["content_text"]),
                sender=view.get("from_text") or None,
                delivery=DELIVERY.get(DeliveryMethod(view["delivery"]), N_("Other")),
                banner=str(view["banner"]),
                label=view.get("label"),
                scenario=(
                    scenario_text(datetime.fromisoformat(scenario), package, lang)
                    if scenario
                    else None
                ),
                status=status.status,
                status_label=INJECT_STATUS.get(status.status, N_("Released")),
                released_seq=status.released_seq,
                released_at=wall_time(status.released_at, package, lang)
                if status.released_at
                else "",
                acknowledged_at=wall_time(acknowledged, package, lang) if acknowledged else None,
                attachments=attachments,
                choice=choice_view(principal, state, inject, lang),
            )
        )
    cards.sort(key=lambda card: card.released_seq, reverse=True)
    return cards


# --- polls ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PollRow:
    """One option with its votes and its share of the voters (0–100)."""

    id: str
    text: str
    count: int
    percent: int


@dataclass(frozen=True)
class PollView:
    """A poll that has been opened, with the viewer's vote and (when shown) its results."""

    id: str
    question: str
    options: tuple[tuple[str, str], ...]
    multiple: bool
    ask_confidence: bool
    open: bool
    closed: bool
    opened_seq: int
    votes: int
    my_vote: tuple[str, ...]
    my_confidence: int | None
    results: tuple[PollRow, ...] | None
    mean_confidence: float | None


def _rows(poll: Poll, ps: PollState, lang: str, languages: tuple[str, ...]) -> tuple[PollRow, ...]:
    counts = ps.results()
    voters = len(ps.votes)
    return tuple(
        PollRow(
            id=option.id,
            text=text_in(option.text, lang, languages),
            count=counts.get(option.id, 0),
            percent=round(100 * counts.get(option.id, 0) / voters) if voters else 0,
        )
        for option in poll.options
    )


def opened_polls(
    principal: Principal, state: RunState, lang: str, *, results: bool
) -> list[PollView]:
    """Polls the gate lets ``principal`` see that have been opened, the latest opened first.

    Results are included for closed polls, or for every poll when ``results`` is true.
    """
    package = state.package
    languages = package.exercise.languages
    found: list[PollView] = []
    for _, poll, ps in visible_polls(principal, state):
        if ps.opened_seq is None:
            continue
        closed = ps.closed_seq is not None and not ps.open
        mine = ps.votes.get(principal.id)
        found.append(
            PollView(
                id=poll.id,
                question=text_in(poll.question, lang, languages),
                options=tuple((o.id, text_in(o.text, lang, languages)) for o in poll.options),
                multiple=poll.multiple,
                ask_confidence=poll.ask_confidence,
                open=ps.open,
                closed=closed,
                opened_seq=ps.opened_seq,
                votes=len(ps.votes),
                my_vote=mine.options if mine else (),
                my_confidence=mine.confidence if mine else None,
                results=_rows(poll, ps, lang, languages) if closed or results else None,
                mean_confidence=ps.mean_confidence() if closed or results else None,
            )
        )
    found.sort(key=lambda view: view.opened_seq, reverse=True)
    return found
