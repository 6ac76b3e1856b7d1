"""Form posts of the control, evaluation and design pages: checked, run, answered in place.

A page form carries the session's CSRF token and a per-render idempotency key. Its route
builds a command, hands it to the engine in a threadpool and answers with the re-rendered
fragment: on success a fresh form, on ``Rejected`` the same form with what the person typed
and the reason next to it. Nothing typed is lost, and a retried post never records twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from sitroom.bootstrap import Services
from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal
from sitroom.conduct.run import Rejected
from sitroom.web.deps import CSRF_HEADER, Viewer, optional_viewer, services
from sitroom.web.pagecache import new_form_key
from sitroom.web.pages.home import NotSignedIn, PageError
from sitroom.web.render import N_, page, translator, ui_language

KEY_FIELD = "key"
MAX_KEY = 200


def new_key() -> str:
    """A fresh idempotency key for one rendering of a form."""
    return new_form_key()


@dataclass
class FormState:
    """What a form shows: the values typed, an error (with its field), or a notice."""

    values: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    error_field: str | None = None
    notice: str | None = None
    key: str = field(default_factory=new_key)
    translate: bool = False
    """Whether ``error`` is a UI message to translate (else it is shown as it came)."""

    def get(self, name: str, default: Any = "") -> Any:
        """The value typed into ``name``, or ``default``."""
        return self.values.get(name, default)


def is_htmx(request: Request) -> bool:
    """Whether the request came from htmx (answer with a fragment) or a plain form post."""
    return request.headers.get("HX-Request") == "true"


async def posted(request: Request) -> tuple[Viewer, FormData]:
    """The signed-in viewer and the form of a post whose CSRF token is right."""
    svc = services(request)
    who = await optional_viewer(request)
    if who is None:
        raise NotSignedIn
    form = await request.form()
    submitted = request.headers.get(CSRF_HEADER)
    if submitted is None:
        value = form.get("csrf_token")
        submitted = value if isinstance(value, str) else None
    if who.session is not None and not svc.identity.auth.csrf.check_csrf(who.session, submitted):
        raise PageError(403, N_("This form has expired. Reload the page and try again."))
    return who, form


def text(form: FormData, name: str, limit: int = 20_000) -> str:
    """A text field of ``form`` (empty when absent), cut at ``limit`` characters."""
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def choices(form: FormData, name: str) -> tuple[str, ...]:
    """Every value of a repeated field (checkboxes, multiple selects), without blanks."""
    return tuple(v for v in form.getlist(name) if isinstance(v, str) and v)


def key_of(form: FormData) -> str:
    """The form's idempotency key (a fresh one if the form carried none)."""
    value = text(form, KEY_FIELD, MAX_KEY).strip()
    if not value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return new_key()
    return value


async def run_command(
    svc: Services, run_id: str, principal: Principal, command: cmd.Command, key: str
) -> Rejected | None:
    """Hand ``command`` to the engine; the ``Rejected`` reason, or None when it was recorded."""
    try:
        await run_in_threadpool(svc.engine.handle, run_id, command, principal, key)
    except Rejected as exc:
        return exc
    return None


async def render(
    request: Request, template: str, lang: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render a page or fragment off the event loop (views of long runs take a moment)."""
    return await run_in_threadpool(lambda: page(request, template, lang, status_code, **context))


def principal_names(svc: Services, run_id: str) -> dict[str, str]:
    """Principal id → the name people know: invitation display names and account names
    (both held for a moment: `Identity.names`, `Identity.account_names`)."""
    return _named(svc.identity.names(run_id), svc.identity.account_names())


def _named(people: Mapping[str, str], accounts: Mapping[str, str]) -> dict[str, str]:
    names = {p: n or p for p, n in people.items()}
    names.update(accounts)
    names.setdefault("system:scheduler", "scheduler")
    return names


async def names_of(request: Request, run_id: str) -> dict[str, str]:
    """``principal_names``: from what is held, or read off the event loop."""
    svc = services(request)
    people, accounts = svc.identity.held_names(run_id), svc.identity.held_account_names()
    if people is not None and accounts is not None:
        return _named(people, accounts)
    return await run_in_threadpool(principal_names, svc, run_id)


def zone(name: str) -> ZoneInfo:
    """The exercise's time zone (UTC when the name is not known here)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def clock_text(value: timedelta | None) -> str:
    """A duration as ``H:MM:SS`` (an exercise clock)."""
    if value is None:
        return ""
    seconds = max(0, int(value.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def wall_time(value: datetime | None, tz: ZoneInfo) -> str:
    """A moment as ``HH:MM:SS`` in the exercise's time zone."""
    if value is None:
        return ""
    return value.astimezone(tz).strftime("%H:%M:%S")


def wall_datetime(value: datetime | None, tz: ZoneInfo) -> str:
    """A moment as ``YYYY-MM-DD HH:MM`` in the exercise's time zone."""
    if value is None:
        return ""
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def viewer_page(
    request: Request, who: Viewer, template: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A page for a signed-in viewer outside a run: in their language, with their CSRF token,
    a fresh form key and the UI catalog (``tr``) for labels kept in Python."""
    svc = services(request)
    lang = ui_language(request, who.language)
    return page(
        request,
        template,
        lang,
        status_code,
        viewer=who,
        principal=who.principal,
        csrf_token=svc.identity.csrf_token(who.session) if who.session else None,
        new_key=new_key,
        tr=translator(lang),
        **context,
    )
