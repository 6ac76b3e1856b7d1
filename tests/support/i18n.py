"""UI strings of the web pages: extract them the way Babel does, find the untranslated.

Besides the web layer's templates and Python (``_``, ``N_``, ``pgettext``), the messages the
pure core and the services make with ``lazy`` (refusals shown on the pages) are UI strings.
A message with a context (``pgettext("verb", "Release")``) is looked up with its context.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_file

from sitroom.web.render import LOCALE_DIR, TEMPLATES, ui_translations

WEB = TEMPLATES.parent
SOURCE = WEB.parent
KEYWORDS: dict[str, object] = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
    "pgettext": ((1, "c"), 2),
    "lazy": None,
}
SAID_ELSEWHERE = ("conduct", "improvement", "services")
"""Packages whose ``lazy`` messages reach the pages (refusals of the rules)."""
CONTEXT = "\x04"
"""How a message with a context is keyed here: ``context\x04message`` (as in a .mo)."""


def _key(message: str, context: str | None) -> str:
    return f"{context}{CONTEXT}{message}" if context else message


def web_messages() -> dict[str, str]:
    """Every UI msgid of the web layer → where it was found (file:line).

    A message with a context is keyed ``context\x04msgid``.
    """
    found: dict[str, str] = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        for line, message, _comments, context in extract_from_file(
            "jinja2",
            str(path),
            keywords=KEYWORDS,
            options={"extensions": "jinja2.ext.i18n", "trim_blocks": "true"},
        ):
            for msgid in message if isinstance(message, tuple) else (message,):
                if msgid:
                    found.setdefault(_key(msgid, context), f"{path.relative_to(WEB)}:{line}")
    python = [*sorted(WEB.rglob("*.py"))]
    for package in SAID_ELSEWHERE:
        python += sorted((SOURCE / package).rglob("*.py"))
    for path in python:
        keywords = KEYWORDS if path.is_relative_to(WEB) else {"lazy": None}
        for line, message, _comments, context in extract_from_file(
            "python", str(path), keywords=keywords
        ):
            for msgid in message if isinstance(message, tuple) else (message,):
                if msgid:
                    found.setdefault(_key(msgid, context), f"{path.relative_to(SOURCE)}:{line}")
    return found


def untranslated(lang: str) -> dict[str, str]:
    """UI msgids with no translation in ``lang`` → where they are used."""
    ui_translations.cache_clear()
    catalog = ui_translations(lang)
    missing = {}
    for key, where in web_messages().items():
        context, _, message = key.rpartition(CONTEXT)
        shown = catalog.pgettext(context, message) if context else catalog.gettext(message)
        if shown == message and not _same_in_both(message):
            missing[key.replace(CONTEXT, " | ")] = where
    return missing


def _same_in_both(message: str) -> bool:
    """Names and codes that read the same in every language (e.g. 'sitroom', 'ABCD-EFGH')."""
    return message.strip() in {"sitroom", "ABCD-EFGH"}


def catalog_files(lang: str) -> list[Path]:
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    return sorted(folder.glob("web-*.po"))
