"""How the documents write times: durations, module offsets, scenario times, spans and dates.

Kept apart from the builder because the web's console shows offsets and scenario times the
same way the handbook prints them.
"""

from __future__ import annotations

import gettext
from datetime import date, datetime, timedelta

from babel import Locale
from babel.dates import format_date, format_interval


def format_duration(value: timedelta | None, gettext_: gettext.NullTranslations) -> str:
    """A duration in hours and minutes, e.g. ``1 h 30 min``; empty for none."""
    if value is None:
        return ""
    minutes = round(value.total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    _ = gettext_.gettext
    if hours and minutes:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if hours:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(minutes)d min") % {"minutes": minutes}


def format_offset(value: timedelta | None) -> str:
    """An offset from the start of a module as ``+H:MM``; empty for none."""
    if value is None:
        return ""
    minutes = round(value.total_seconds() / 60)
    return f"+{minutes // 60}:{minutes % 60:02d}"


def format_scenario_time(value: datetime | None) -> str:
    """A scenario time as ``2027-03-04 09:00``, with ``UTC`` or the offset when it has a zone."""
    if value is None:
        return ""
    text = value.strftime("%Y-%m-%d %H:%M")
    offset = value.utcoffset()
    if offset is None:
        return text
    if offset == timedelta(0):
        return f"{text} UTC"
    sign = "+" if offset >= timedelta(0) else "-"
    minutes = abs(round(offset.total_seconds() / 60))
    return f"{text} {sign}{minutes // 60:02d}:{minutes % 60:02d}"


def format_span(start: datetime | None, end: datetime | None) -> str:
    """A scenario time span, ``start – end``; either side may be missing."""
    first, last = format_scenario_time(start), format_scenario_time(end)
    if first and last:
        return f"{first} – {last}"
    return first or last


def format_dates(start: date, end: date | None, locale: Locale) -> str:
    """The exercise dates in the document's language, e.g. ``Mar 4 – 6, 2027``."""
    if end is None or end == start:
        return str(format_date(start, "long", locale=locale))
    return str(format_interval(start, end, "yMMMd", locale=locale))
