"""Message catalogs for the reports and documents: finding and loading a gettext domain.

Both the documents (domain ``messages``) and the AAR/IP (domain ``reports``) read their
catalogs the same way, so the loading lives here once, apart from either renderer.
Catalogs are read from ``sitroom/locale/<lang>/LC_MESSAGES/<domain>.mo`` (or ``.po``).
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
"""Where the message catalogs live: ``<lang>/LC_MESSAGES/messages.po`` and ``.mo``."""
DOMAIN = "messages"
"""The documents' own domain (the AAR/IP has ``reports``)."""


def _locale_candidates(lang: str) -> list[str]:
    """``fr-CA`` → ``['fr_CA', 'fr']``: the specific catalog first, then the base language."""
    specific = lang.replace("-", "_")
    base = specific.split("_", 1)[0]
    return [specific] if specific == base else [specific, base]


def load_domain(domain: str, lang: str, locale_dir: Path | None = None) -> gettext.NullTranslations:
    """The ``domain`` catalog for ``lang``, or a null catalog (English) when there is none.

    A compiled ``.mo`` is used unless the ``.po`` beside it is newer, in which case the
    ``.po`` is compiled in memory, so an edited catalog shows without a build step.
    """
    for candidate in _locale_candidates(lang):
        folder = (locale_dir or LOCALE_DIR) / candidate / "LC_MESSAGES"
        mo, po = folder / f"{domain}.mo", folder / f"{domain}.po"
        if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
            with mo.open("rb") as handle:
                return Translations(handle, domain=domain)
        if po.is_file():
            with po.open("rb") as handle:
                catalog = read_po(handle, locale=candidate, domain=domain)
            buffer = io.BytesIO()
            write_mo(buffer, catalog)
            buffer.seek(0)
            return Translations(buffer, domain=domain)
    return gettext.NullTranslations()


@cache
def load_translations(lang: str) -> gettext.NullTranslations:
    """The documents' message catalog for ``lang`` (English when there is none)."""
    return load_domain(DOMAIN, lang)


def babel_locale(lang: str) -> Locale:
    """The Babel locale for ``lang`` (its base language, else English) to format dates."""
    for candidate in _locale_candidates(lang):
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("en")
