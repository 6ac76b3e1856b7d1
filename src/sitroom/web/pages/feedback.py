"""The HSEEP Participant Feedback Form: a page of the run that opens after ENDEX.

Everyone in the run but a room display may fill it in. A second form replaces the first, so
the page comes back pre-filled with the viewer's latest form. On ``Rejected`` the form comes
back with what was typed and the reason next to the field it is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from sitroom.conduct import commands as cmd
from sitroom.conduct import events as ev
from sitroom.conduct.feedback import PRIORITIES, STATEMENTS
from sitroom.conduct.state import RunStatus
from sitroom.conduct.visibility import is_room_display
from sitroom.web.deps import services
from sitroom.web.forms import key_of, new_key, posted, render, run_command, text
from sitroom.web.pages.home import PageError, RunPage, run_page
from sitroom.web.render import N_, translator

router = APIRouter(include_in_schema=False)

SLOTS = 3
"""How many strengths, improvements and corrective actions the page offers."""
SHORT = 300
LONG = 20_000

SCALE: tuple[tuple[str, str], ...] = (
    ("1", N_("Strongly disagree")),
    ("2", N_("Disagree")),
    ("3", N_("Neutral")),
    ("4", N_("Agree")),
    ("5", N_("Strongly agree")),
)
PRIORITY_LABELS = {"High": N_("High"), "Medium": N_("Medium"), "Low": N_("Low")}

ANONYMOUS_WITH_NAME = N_(
    "An anonymous form carries no name: clear your name or untick “Submit anonymously”."
)
BAD_RATING = N_("Choose a rating from 1 (strongly disagree) to 5 (strongly agree).")
BAD_PRIORITY = N_("Choose a priority: High, Medium or Low.")
ACTION_MISSING = N_("Describe the action, or clear its responsible party.")

FIELDS = (
    "name",
    "organisation",
    "role",
    "missed",
    *(
        f"{name}-{i}"
        for i in range(1, SLOTS + 1)
        for name in ("strength", "improvement", "action", "priority", "responsible")
    ),
    *(f"rating-{s.id}" for s in STATEMENTS),
)
"""Every field of the page an error can be shown at (other errors are shown for the form)."""

RULE_FIELDS = {
    "strengths": "strength-1",
    "improvements": "improvement-1",
    "corrective_actions": "action-1",
}
"""Fields the run's rules name → the page's field the error is shown at."""


@dataclass(frozen=True)
class StatementView:
    id: str
    text: str


def _statements(lang: str) -> list[StatementView]:
    """The Likert statements in the page's language (English when it has none)."""
    return [StatementView(s.id, s.text.get(lang) or s.text["en"]) for s in STATEMENTS]


async def _feedback_page(request: Request, run_id: str) -> RunPage:
    ctx = await run_page(request, run_id)
    if is_room_display(ctx.viewer.principal):
        raise PageError(403, N_("This page is not for your role."))
    return ctx


def _latest_form(request: Request, ctx: RunPage) -> dict[str, Any] | None:
    """The viewer's latest feedback form as the page's field values, or None."""
    svc = services(request)
    me = ctx.viewer.principal.id
    mine = {me, svc.engine.pseudonym(ctx.run_id, me)}
    latest = None
    for stored in svc.engine.read(ctx.run_id):
        if stored.type == ev.FeedbackSubmitted.TYPE and stored.actor in mine:
            latest = stored.payload
    if latest is None:
        return None
    values: dict[str, Any] = {
        "anonymous": bool(latest.get("anonymous")),
        "name": latest.get("name", ""),
        "organisation": latest.get("organisation", ""),
        "role": latest.get("role", ""),
        "missed": latest.get("missed", ""),
    }
    for label, items in (("strength", "strengths"), ("improvement", "improvements")):
        for i, item in enumerate(list(latest.get(items) or ())[:SLOTS], start=1):
            values[f"{label}-{i}"] = item
    for i, action in enumerate(list(latest.get("corrective_actions") or ())[:SLOTS], start=1):
        values[f"action-{i}"] = action.get("action", "")
        values[f"priority-{i}"] = action.get("priority", "Medium")
        values[f"responsible-{i}"] = action.get("responsible", "")
    for statement, score in (latest.get("ratings") or {}).items():
        values[f"rating-{statement}"] = str(score)
    return values


def _values(form: FormData) -> dict[str, Any]:
    """What was typed into the form, by the page's field names."""
    values: dict[str, Any] = {"anonymous": text(form, "anonymous") == "yes"}
    for name in ("name", "organisation", "role"):
        values[name] = text(form, name, SHORT)
    values["missed"] = text(form, "missed", LONG)
    for i in range(1, SLOTS + 1):
        for name in (f"strength-{i}", f"improvement-{i}", f"action-{i}"):
            values[name] = text(form, name, LONG)
        values[f"responsible-{i}"] = text(form, f"responsible-{i}", SHORT)
        values[f"priority-{i}"] = text(form, f"priority-{i}", 20) or "Medium"
    for s in STATEMENTS:
        values[f"rating-{s.id}"] = text(form, f"rating-{s.id}", 5)
    return values


def _command(values: dict[str, Any]) -> tuple[cmd.SubmitFeedback | None, str, str]:
    """The command the form asks for, or None with the message and the field it is about."""
    if values["anonymous"] and values["name"].strip():
        return None, ANONYMOUS_WITH_NAME, "name"
    actions = []
    for i in range(1, SLOTS + 1):
        action, responsible = values[f"action-{i}"], values[f"responsible-{i}"]
        priority = values[f"priority-{i}"]
        if priority not in PRIORITIES:
            return None, BAD_PRIORITY, f"priority-{i}"
        if not action.strip():
            if responsible.strip():
                return None, ACTION_MISSING, f"action-{i}"
            continue
        actions.append(cmd.SuggestedAction(action, priority, responsible))
    ratings: dict[str, int] = {}
    for s in STATEMENTS:
        raw = values[f"rating-{s.id}"].strip()
        if not raw:
            continue
        if raw not in {value for value, _ in SCALE}:
            return None, BAD_RATING, f"rating-{s.id}"
        ratings[s.id] = int(raw)
    command = cmd.SubmitFeedback(
        anonymous=values["anonymous"],
        name=values["name"],
        organisation=values["organisation"],
        role=values["role"],
        strengths=_filled(values, "strength"),
        improvements=_filled(values, "improvement"),
        missed=values["missed"],
        corrective_actions=tuple(actions),
        ratings=ratings,
    )
    return command, "", ""


def _filled(values: dict[str, Any], label: str) -> tuple[str, ...]:
    items = (values[f"{label}-{i}"] for i in range(1, SLOTS + 1))
    return tuple(item for item in items if item.strip())


async def _reply(
    request: Request,
    ctx: RunPage,
    values: dict[str, Any],
    *,
    error: dict[str, str] | None = None,
    sent: bool = False,
    key: str | None = None,
) -> Response:
    ended = ctx.state.status == RunStatus.ENDED
    return await render(
        request,
        "feedback/page.html",
        ctx.lang,
        **ctx.context(
            ended=ended,
            statements=_statements(ctx.lang),
            scale=SCALE,
            priorities=PRIORITY_LABELS,
            slots=range(1, SLOTS + 1),
            values=values,
            error=error,
            sent=sent,
            key=key or new_key(),
            known=FIELDS,
        ),
    )


@router.get("/runs/{run_id}/feedback")
async def feedback_form(run_id: str, request: Request, sent: str = "") -> Response:
    """The form (after ENDEX), pre-filled with the viewer's latest one."""
    ctx = await _feedback_page(request, run_id)
    values: dict[str, Any] | None = None
    if ctx.state.status == RunStatus.ENDED:
        values = await run_in_threadpool(_latest_form, request, ctx)
    return await _reply(request, ctx, values or {}, sent=bool(sent) and values is not None)


@router.post("/runs/{run_id}/feedback")
async def submit_feedback(run_id: str, request: Request) -> Response:
    """Submit the form; back to the page with a confirmation, or the form with the error."""
    ctx = await _feedback_page(request, run_id)
    _, form = await posted(request)
    values, key = _values(form), key_of(form)
    command, message, field = _command(values)
    if command is not None:
        svc = services(request)
        rejected = await run_command(svc, run_id, ctx.viewer.principal, command, key)
        if rejected is None:
            return RedirectResponse(f"/runs/{run_id}/feedback?sent=1#sent", status_code=303)
        message = rejected.message
        field = RULE_FIELDS.get(rejected.field or "", rejected.field or "")
    shown = translator(ctx.lang)(message)
    return await _reply(request, ctx, values, error={"message": shown, "field": field}, key=key)
