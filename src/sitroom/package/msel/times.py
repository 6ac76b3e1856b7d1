"""Times in MSEL cells: Excel date-times and serial numbers, clock times, DTGs and exercise days.

A row may spread its time over several columns (Date | Time, Day | Time). Each cell is read
into :class:`TimeParts`, the parts of a row are combined, and the row gets a full scenario
time when a date is known; otherwise a time relative to the first exercise day, which becomes
the inject's offset from the start of its module.

Dates written without a year ('4-Mar') take the year given to the importer, else the year of
the first full date found in the sheet (a date-time cell, a DTG, a dated title block), else
the current year — and the importer says which.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from sitroom.package.timeforms import (
    CLOCK_FORMS,
    DAY_FORMS,
    parse_calendar_date,
    parse_clock,
    parse_day_number,
    parse_dtg,
    parse_duration,
)

TIME_CELL_FORMS = (
    f"an Excel date-time, a clock time ({CLOCK_FORMS}), a DTG ('210900AUG2027', "
    f"'041300ZMAR27'), an ISO date-time ('2027-03-04 09:00'), a day ({DAY_FORMS}), "
    "a day and a time ('Day 2 0900', '4-Mar 14:30') or a time after STARTEX ('H+2', 'T+0:30')"
)

_EXCEL_TIME_ONLY_YEAR = 1910  # Excel stores a bare time as a date-time in 1899/1900
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}")
_RELATIVE = re.compile(r"^(?P<unit>h|t|e|ex|sx|stx|startex)?\s*\+\s*(?P<rest>\S.*)$", re.IGNORECASE)
_RANGE = re.compile(r"\s*(?:-|–|—|\bto\b)\s*", re.IGNORECASE)
_YEAR_IN_TEXT = re.compile(r"\b(19[5-9]\d|20\d\d|21\d\d)\b")
_SPLIT = re.compile(r"[\s,@]+")


@dataclass(frozen=True)
class TimeParts:
    """What one cell (or a whole row) says about when an inject happens."""

    moment: datetime | None = None
    day: date | None = None
    day_index: int | None = None
    clock: time | None = None
    delta: timedelta | None = None
    exact: bool = True
    yearless: bool = False

    def merge(self, other: TimeParts) -> TimeParts:
        """Fill the parts this one lacks from ``other``."""
        return TimeParts(
            moment=self.moment or other.moment,
            day=self.day or other.day,
            day_index=self.day_index if self.day_index is not None else other.day_index,
            clock=self.clock or other.clock,
            delta=self.delta if self.delta is not None else other.delta,
            exact=self.exact and other.exact,
            yearless=self.yearless or other.yearless,
        )


@dataclass(frozen=True)
class RowTime:
    """The time of one row: a scenario time, or a time relative to the first exercise day."""

    scenario_time: datetime | None = None
    relative: timedelta | None = None
    offset: timedelta | None = None
    exact: bool = True
    yearless: bool = False


def read_time_cell(value: object, *, role: str, year: int, epoch: datetime) -> TimeParts | None:
    """Read one cell of a time, date or day column; None when it cannot be read.

    ``role`` is 'time', 'date' or 'day': a date-time at midnight in a date or day column is
    a date to combine with the time column, while in a time column it is a full time.
    """
    if value is None or isinstance(value, bool):
        return TimeParts() if value is None else None
    if isinstance(value, datetime):
        if value.year < _EXCEL_TIME_ONLY_YEAR:
            return TimeParts(clock=value.time())
        if role != "time" and value.time() == time(0, 0):
            return TimeParts(day=value.date())
        return TimeParts(moment=value)
    if isinstance(value, date):
        return TimeParts(day=value)
    if isinstance(value, time):
        return TimeParts(clock=value.replace(tzinfo=None))
    if isinstance(value, timedelta):
        return TimeParts(delta=value) if value >= timedelta() else None
    if isinstance(value, int | float):
        return _read_number(float(value), role=role, epoch=epoch)
    text = " ".join(str(value).split())
    if not text:
        return TimeParts()
    return read_time_text(text, year=year)


def _read_number(value: float, *, role: str, epoch: datetime) -> TimeParts | None:
    if value != value or value < 0:  # NaN or negative
        return None
    if value < 1:  # a fraction of a day: Excel's form of a bare time
        return TimeParts(clock=time(*_hms(min(round(value * 86400), 86399))))
    if value.is_integer():
        whole = int(value)
        if role == "day" and whole <= 366:
            return TimeParts(day_index=whole - 1)
        if role == "time" and whole <= 2359 and whole % 100 < 60:  # 700 is 07:00
            return TimeParts(clock=time(whole // 100, whole % 100))
    if 10000 <= value < 2958466:  # an Excel serial date (10000 is 1927)
        whole = int(value)
        seconds = round((value - whole) * 86400)
        moment = epoch + timedelta(days=whole, seconds=seconds)
        if seconds == 0 and role != "time":
            return TimeParts(day=moment.date())
        return TimeParts(moment=moment)
    return None


def _hms(seconds: int) -> tuple[int, int, int]:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return hours, minutes, secs


def _clock(text: str) -> time:
    return time(*parse_clock(text))


def _calendar(text: str, year: int) -> TimeParts:
    written_year, month, day = parse_calendar_date(text)
    try:
        day_value = date(written_year or year, month, day)
        known = written_year is not None
        return TimeParts(day=day_value, exact=known, yearless=not known)
    except ValueError:  # 29 February in a year without it
        raise ValueError(f"'{text}' is not a date in {year}") from None


def _single(text: str, year: int) -> TimeParts | None:
    """One time form, without combining a day and a clock."""
    try:
        return TimeParts(moment=parse_dtg(text))
    except ValueError:
        pass
    if _ISO_MOMENT.match(text):
        try:
            return TimeParts(moment=datetime.fromisoformat(text.replace("Z", "+00:00")))
        except ValueError:
            return None
    if match := _RELATIVE.match(text):
        rest = match["rest"].strip()
        unit = (match["unit"] or "").lower()
        try:
            if unit == "h" and re.fullmatch(r"\d+(\.\d+)?", rest):
                return TimeParts(delta=timedelta(hours=float(rest)))
            return TimeParts(delta=parse_duration(rest))
        except ValueError:
            return None
    try:
        return TimeParts(day_index=parse_day_number(text))
    except ValueError:
        pass
    try:
        return TimeParts(clock=_clock(text))
    except ValueError:
        pass
    try:
        return _calendar(text, year)
    except ValueError:
        return None


def read_time_text(text: str, *, year: int) -> TimeParts | None:
    """Read a time written as text: a DTG, a clock time, a day, or a day and a clock time."""
    single = _single(text, year)
    if single is not None:
        return single
    pieces = _RANGE.split(text)
    if len(pieces) == 2:  # '0900-0930': the start; the note keeps the range
        try:
            start, _ = _clock(pieces[0]), _clock(pieces[1])
            return TimeParts(clock=start, exact=False)
        except ValueError:
            pass
    words = [w for w in _SPLIT.split(text) if w and w not in ("-", "at")]
    for cut in range(1, len(words)):
        left, right = " ".join(words[:cut]), " ".join(words[cut:])
        for day_text, clock_text in ((left, right), (right, left)):
            day = _single(day_text, year)
            if day is None or not (day.day or day.day_index is not None):
                continue
            try:
                clock = _clock(clock_text)
            except ValueError:
                continue
            return replace(day, clock=clock)
    return None


def combine(parts: Iterable[TimeParts]) -> RowTime:
    """The time of a row from the parts its time, date and day columns gave."""
    whole = TimeParts()
    for part in parts:
        whole = whole.merge(part)
    if whole.moment is not None:
        moment = whole.moment
        if whole.clock is not None and moment.time() == time(0, 0):
            moment = datetime.combine(moment.date(), whole.clock, moment.tzinfo)
        return RowTime(moment, None, whole.delta, whole.exact, whole.yearless)
    if whole.day is not None:
        moment = datetime.combine(whole.day, whole.clock or time(0, 0))
        return RowTime(moment, None, whole.delta, whole.exact, whole.yearless)
    relative: timedelta | None = None
    if whole.clock is not None or whole.day_index is not None:
        clock = whole.clock or time(0, 0)
        relative = timedelta(
            days=whole.day_index or 0, hours=clock.hour, minutes=clock.minute, seconds=clock.second
        )
    return RowTime(None, relative, whole.delta, whole.exact and relative is None, whole.yearless)


def year_in(value: object) -> int | None:
    """The year a cell states in full, if it does: a date-time, a DTG, a dated text."""
    if isinstance(value, datetime | date):
        return value.year if value.year >= _EXCEL_TIME_ONLY_YEAR else None
    if not isinstance(value, str) or not value.strip():
        return None
    text = " ".join(value.split())
    try:
        return parse_dtg(text).year
    except ValueError:
        pass
    if len(text) <= 40:
        try:
            written_year, _, _ = parse_calendar_date(text)
            return written_year
        except ValueError:
            pass
        head = text.split(" ")[0]
        try:
            return parse_calendar_date(head)[0]
        except ValueError:
            pass
    return None


def year_in_text(text: str) -> int | None:
    """A four-digit year mentioned in free text, such as a title block ('Exercise 2027')."""
    match = _YEAR_IN_TEXT.search(text)
    return int(match[1]) if match else None
