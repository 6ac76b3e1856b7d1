"""The words of sitroom's e-mail, in the recipient's language (gettext domain ``mail``).

Bodies are plain text: nothing a recipient's mail program renders as markup, so nothing
typed by a planner can become a link or a script. Translations live in
``sitroom/locale/<lang>/LC_MESSAGES/mail.po``, like the reports' own ``reports.po``.
"""

from __future__ import annotations

import gettext
from functools import cache
from typing import Any

from sitroom.package.model import text_in
from sitroom.reports.catalogs import load_domain

DOMAIN = "mail"
RULE = "-" * 60


@cache
def _catalog(lang: str) -> gettext.NullTranslations:
    return load_domain(DOMAIN, lang)


def words(lang: str) -> Any:
    """The ``gettext`` function for ``lang`` (English when there is no catalog)."""
    return _catalog(lang).gettext


def invitation_letter(
    lang: str, *, name: str, exercise: str, role: str, link: str, expires: str
) -> tuple[str, str]:
    """Subject and body of an invitation into a run."""
    _ = words(lang)
    subject = _("Invitation: {exercise}").format(exercise=exercise)
    body = "\n".join(
        [
            _("Hello {name},").format(name=name),
            "",
            _("You are invited to the exercise {exercise} as {role}.").format(
                exercise=exercise, role=_(role)
            ),
            _("Open this link to join (it works until {expires}):").format(expires=expires),
            "",
            link,
            "",
            _("Anyone who has this link can join as you: do not forward it."),
            _("If you did not expect this message, tell the exercise control team."),
        ]
    )
    return subject, body + "\n"


def reset_letter(lang: str, *, name: str, link: str, minutes: int) -> tuple[str, str]:
    """Subject and body of a password-reset message."""
    _ = words(lang)
    subject = _("Reset your sitroom password")
    body = "\n".join(
        [
            _("Hello {name},").format(name=name),
            "",
            _("Someone asked to reset the password of your sitroom account."),
            _("Open this link within {minutes} minutes to choose a new password:").format(
                minutes=minutes
            ),
            "",
            link,
            "",
            _("The link works once. If you did not ask for it, ignore this message:"),
            _("your password stays as it is."),
        ]
    )
    return subject, body + "\n"


def inject_letter(
    lang: str, inject: dict[str, Any], *, exercise: str, fallbacks: tuple[str, ...], link: str
) -> tuple[str, str]:
    """Subject and body of a released inject, from the gate's view of it for the recipient.

    ``inject`` is what ``Engine.view`` gave for the recipient's principal (its ``banner``,
    ``title``, ``content``, ``from``): nothing else of the package reaches the message.
    The marking banner opens and closes both the subject and the body.
    """
    _ = words(lang)
    banner = str(inject.get("banner") or "UNMARKED")
    title = " ".join(text_in(inject.get("title"), lang, fallbacks).split())
    content = text_in(inject.get("content"), lang, fallbacks)
    number = inject.get("number", "")
    sender = inject.get("from")
    subject = f"[{banner}] {_('Inject')} {number}: {title} [{banner}]"
    lines = [banner, RULE, f"{_('Inject')} {number}: {title}", exercise]
    if sender:
        lines.append(_("From: {sender}").format(sender=sender))
    lines += [
        "",
        content.strip(),
        "",
        _("Reply and acknowledge in sitroom: {link}").format(link=link),
        RULE,
        banner,
    ]
    return subject, "\n".join(lines) + "\n"
