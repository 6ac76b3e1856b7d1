"""UI strings of the web pages: extract them the way Babel does, find the untranslated."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_file

from sitroom.web.render import LOCALE_DIR, TEMPLATES, ui_translations

WEB = TEMPLATES.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def web_messages() -> dict[str, str]:
    """Every UI msgid of the web layer → where it was found (file:line)."""
    found: dict[str, str] = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        for line, message, _comments, _context in extract_from_file(
            "jinja2",
            str(path),
            keywords=KEYWORDS,
            options={"extensions": "jinja2.ext.i18n", "trim_blocks": "true"},
        ):
            for msgid in message if isinstance(message, tuple) else (message,):
                if msgid:
                    found.setdefault(msgid, f"{path.relative_to(WEB)}:{line}")
    for path in sorted(WEB.rglob("*.py")):
        for line, message, _comments, _context in extract_from_file(
            "python", str(path), keywords=KEYWORDS
        ):
            for msgid in message if isinstance(message, tuple) else (message,):
                if msgid:
                    found.setdefault(msgid, f"{path.relative_to(WEB)}:{line}")
    return found


def untranslated(lang: str) -> dict[str, str]:
    """UI msgids with no translation in ``lang`` → where they are used."""
    ui_translations.cache_clear()
    catalog = ui_translations(lang)
    return {
        m: where
        for m, where in web_messages().items()
        if catalog.gettext(m) == m and not _same_in_both(m)
    }


def _same_in_both(message: str) -> bool:
    """Names and codes that read the same in every language (e.g. 'sitroom', 'ABCD-EFGH')."""
    return message.strip() in {"sitroom", "ABCD-EFGH"}


def catalog_files(lang: str) -> list[Path]:
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    return sorted(folder.glob("web-*.po"))
