"""Messages the pure core says to people, kept translatable until someone reads them.

The core has no catalogs and no idea who will read a refusal: a facilitator in Seoul and an
API client in a script see the same ``Rejected``. So a message is made with ``lazy``: it *is*
its English text (a ``str``, for logs, the JSON API and tests), and it carries its msgid and
parameters, so a page translates it at render time into the viewer's language
(``sitroom.web.render.say``). Parameters are filled in after translation, and a translation
that does not fit its parameters falls back to English rather than failing.

``lazy("inject %(number)s was already released", number="4")`` is found by Babel's extractor
under the keyword ``lazy`` (``babel.cfg``/``tests/support/i18n.py``), like ``_`` in templates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Phrase(str):
    """An English message with what it takes to say it in another language."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, params: dict[str, Any] | None = None) -> Phrase:
        values = dict(params or {})
        text = msgid % values if values else msgid
        made = super().__new__(cls, text)
        made.msgid = msgid
        made.params = values
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return (Phrase, (self.msgid, self.params))

    def translated(self, gettext: Callable[[str], str]) -> str:
        """The message through ``gettext``, its parameters filled in (English if it misfits).

        A catalog may also translate one filled-in message as a whole ("text is empty", where
        the field's name needs words of its own): that translation comes first.
        """
        if self.params:
            whole = gettext(str(self))
            if whole != str(self):
                return whole
        found = gettext(self.msgid)
        if not self.params:
            return found
        try:
            return found % self.params
        except (KeyError, ValueError, TypeError):
            return str(self)


def lazy(msgid: str, **params: Any) -> Phrase:
    """Mark a message for translation where it is said; it is translated where it is shown.

    Name the parameters (``%(number)s``): a translation may put them in another order.
    """
    return Phrase(msgid, params)


def said(message: str, gettext: Callable[[str], str]) -> str:
    """``message`` in the language of ``gettext``: a ``Phrase`` by its msgid, else as a msgid."""
    if isinstance(message, Phrase):
        return message.translated(gettext)
    return gettext(message) if message else message
