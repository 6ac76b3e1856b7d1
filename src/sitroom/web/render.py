"""Server-rendered pages: one Jinja environment per language, UI strings through gettext.

UI strings live in ``locale/<lang>/LC_MESSAGES/web-*.po`` (one catalog per audience, merged
here); English is the msgid itself. Everything users type reaches a page through autoescape
or ``render_markdown`` only.
"""

from __future__ import annotations

import io
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from sitroom.package.markdown import render_markdown
from sitroom.package.model import text_in

TEMPLATES = Path(__file__).parent / "templates"
LOCALE_DIR = Path(__file__).parent.parent / "locale"
UI_LANGUAGES = ("en", "ko")
LANG_COOKIE = "sitroom_lang"


def N_(message: str) -> str:
    """Mark a message for translation where it is defined; it is translated where shown."""
    return message


@cache
def ui_translations(lang: str) -> Translations:
    """Every ``web-*.po`` catalog of ``lang`` merged into one (empty for English)."""
    merged = Translations(domain="web")
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    for po in sorted(folder.glob("web-*.po")) if folder.is_dir() else []:
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        merged.merge(Translations(buffer, domain="web"))
    return merged


_LEVELS = (
    ("TOP SECRET", "top-secret"),
    ("SECRET", "secret"),
    ("CONFIDENTIAL", "confidential"),
    ("RESTRICTED", "restricted"),
    ("TLP:RED", "tlp-red"),
    ("TLP:AMBER", "tlp-amber"),
    ("TLP:GREEN", "tlp-green"),
    ("TLP:CLEAR", "tlp-clear"),
    ("UNCLASSIFIED", "unclassified"),
)


def marking_class(banner: str | None) -> str:
    """A CSS class for a banner's highest marking, so SECRET looks unlike UNCLASSIFIED."""
    text = (banner or "").upper()
    for word, level in _LEVELS:
        if word in text:
            return f"marking-{level}"
    return "marking-unmarked"


MARKDOWN_CACHE = 8192
"""Texts whose HTML is kept: a long run shows the same responses and notes on every page."""


@lru_cache(maxsize=MARKDOWN_CACHE)
def markdown_html(text: str) -> Markup:
    """A text's Markdown as safe HTML under a page's own headings (kept: the same texts
    appear on every page of a long run, and parsing them was a fifth of a page's time)."""
    return Markup(render_markdown(text, heading_offset=2))


@cache
def environment(lang: str) -> Environment:
    """The Jinja environment for pages in ``lang``.

    Templates are compiled once and not checked for changes on disk: an ``include`` in a
    loop would otherwise ask the file system about its template on every turn.
    """
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    translations = ui_translations(lang)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        translations.gettext, translations.ngettext, newstyle=True
    )
    env.filters["markdown"] = lambda text: markdown_html(text or "")
    env.filters["marking_class"] = marking_class
    env.globals["UI_LANGUAGES"] = UI_LANGUAGES
    return env


def ui_language(request: Request, fallback: str = "en") -> str:
    """The viewer's UI language: the language cookie, else their invitation's, else English."""
    chosen = request.cookies.get(LANG_COOKIE) or fallback
    return chosen if chosen in UI_LANGUAGES else "en"


def local(text: dict[str, str] | None, lang: str, languages: tuple[str, ...] = ()) -> str:
    """Exercise content in ``lang``, falling back to the exercise's other languages."""
    return text_in(text, lang, languages)


def page(
    request: Request, template: str, lang: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render a page (or a fragment) in ``lang`` with the shared context."""
    return respond(html(request, template, lang, **context), status_code)


def html(request: Request, template: str, lang: str, **context: Any) -> str:
    """A page (or a fragment) in ``lang`` as text, for ``page`` or a shared page's cache."""
    return fragment(template, lang, request=request, **context)


def fragment(template: str, lang: str, **context: Any) -> str:
    """Render a template in ``lang``, also outside any request (HTML a server pushes to pages)."""
    content_languages = context.get("content_languages", ())
    context.setdefault("banner", None)
    context.setdefault("csrf_token", None)
    context.setdefault("viewer", None)
    return (
        environment(lang)
        .get_template(template)
        .render(lang=lang, t=lambda text: local(text, lang, content_languages), **context)
    )


def respond(html: str | bytes, status_code: int = 200) -> HTMLResponse:
    """An HTML page; the security headers (CSP and the rest) are added to every response by
    ``web.headers``."""
    return HTMLResponse(html, status_code=status_code)
