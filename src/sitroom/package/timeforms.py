"""Time forms planners write: durations, ISO times and military date-time groups (DTG)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

MONTHS = {
    "JAN": 1,
    "FEB": 2,
    "MAR": 3,
    "APR": 4,
    "MAY": 5,
    "JUN": 6,
    "JUL": 7,
    "AUG": 8,
    "SEP": 9,
    "OCT": 10,
    "NOV": 11,
    "DEC": 12,
}

# Military time-zone letters: Z is UTC, A..M (no J) east, N..Y west.
_ZONE_HOURS = {"Z": 0}
for _i, _letter in enumerate("ABCDEFGHIKLM", start=1):
    _ZONE_HOURS[_letter] = _i
for _i, _letter in enumerate("NOPQRSTUVWXY", start=1):
    _ZONE_HOURS[_letter] = -_i

_DTG = re.compile(
    r"^(?P<day>\d{2})(?P<hour>\d{2})(?P<minute>\d{2})(?P<zone>[A-Z])?\s*"
    r"(?P<month>[A-Z]{3})\s*(?P<year>\d{2}|\d{4})$"
)
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|s)", re.IGNORECASE)
_ISO_DURATION = re.compile(
    r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?$", re.IGNORECASE
)

DURATION_FORMS = "'30m', '1h15m', '2d', '01:30' (hours:minutes), 'PT45M', or a number of minutes"
TIME_FORMS = "an ISO date-time like '2027-03-04T09:00' or a DTG like '041300ZMAR27'"


def parse_duration(value: object) -> timedelta:
    """Parse '30m', '1h 15m', '01:30', 'PT45M' or a number of minutes; raise ValueError."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration: {DURATION_FORMS}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return timedelta(minutes=value)
    text = str(value).strip()
    if not text:
        raise ValueError(f"empty duration; write {DURATION_FORMS}")
    if text.startswith("+"):
        text = text[1:].strip()
    iso = _ISO_DURATION.match(text)
    if iso and any(iso.groupdict().values()):
        parts = {k: int(v or 0) for k, v in iso.groupdict().items()}
        return timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"], seconds=parts["s"])
    clock = re.fullmatch(r"(\d{1,3}):(\d{2})(?::(\d{2}))?", text)
    if clock:
        hours, minutes, seconds = int(clock[1]), int(clock[2]), int(clock[3] or 0)
        if minutes > 59 or seconds > 59:
            raise ValueError(f"'{text}' has minutes or seconds over 59")
        return timedelta(hours=hours, minutes=minutes, seconds=seconds)
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return timedelta(minutes=float(text))
    pieces = _DURATION_PART.findall(text)
    if pieces and _DURATION_PART.sub("", text).strip() == "":
        total = timedelta()
        unit_map = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
        for amount, unit in pieces:
            total += timedelta(**{unit_map[unit.lower()]: float(amount)})
        return total
    raise ValueError(f"'{text}' is not a duration; write {DURATION_FORMS}")


def parse_dtg(text: str) -> datetime:
    """Parse a military date-time group such as '210900AUG2011' or '041300ZMAR19'.

    With a zone letter the result is timezone-aware; without one it is naive (local time).
    """
    match = _DTG.match(text.strip().upper())
    if not match:
        raise ValueError(f"'{text}' is not a date-time group (DDHHMM[Z]MONYY[YY])")
    month = MONTHS.get(match["month"])
    if month is None:
        raise ValueError(f"'{match['month']}' in '{text}' is not a month (JAN..DEC)")
    year = int(match["year"])
    if year < 100:
        year += 2000
    zone = match["zone"]
    tz = None
    if zone:
        if zone not in _ZONE_HOURS:
            raise ValueError(f"'{zone}' in '{text}' is not a time-zone letter (J is not used)")
        tz = UTC if zone == "Z" else timezone(timedelta(hours=_ZONE_HOURS[zone]))
    hour, minute = int(match["hour"]), int(match["minute"])
    if hour == 24 and minute == 0:
        hour = 0
        extra = timedelta(days=1)
    else:
        extra = timedelta()
    try:
        return datetime(year, month, int(match["day"]), hour, minute, tzinfo=tz) + extra
    except ValueError as exc:
        raise ValueError(f"'{text}' is not a real date-time: {exc}") from None


def parse_scenario_time(text: str) -> datetime:
    """Parse an ISO date-time or a DTG; raise ValueError naming the accepted forms."""
    stripped = text.strip()
    if _DTG.match(stripped.upper()):
        return parse_dtg(stripped)
    try:
        return datetime.fromisoformat(stripped.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"'{text}' is not a scenario time; write {TIME_FORMS}") from None


def format_duration(value: timedelta) -> str:
    """The short form sitroom writes: '1h15m', '45m', '2d3h'."""
    seconds = int(value.total_seconds())
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    parts = [
        f"{days}d" if days else "",
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
        f"{seconds}s" if seconds else "",
    ]
    return "".join(parts) or "0m"


# -- spreadsheet time forms ----------------------------------------------------------------
# Planners' MSELs write clock times and days in many ways; these parsers read the text forms.
# Each raises ValueError; the caller decides how to combine a day, a date and a clock time.

CLOCK_FORMS = "'0700', '600', '09:10', '9:10 AM', '9 PM', '0900 hrs'"
DAY_FORMS = "'Day 2', 'D+1', '4-Mar', '4 March 2027', 'Mar 4', '2027-03-04', '3/4/2027'"

_CLOCK_COLON = re.compile(
    r"^(\d{1,2})[:.h](\d{2})(?::(\d{2}))?\s*(?:([ap])\.?\s*m\.?)?$", re.IGNORECASE
)
_CLOCK_AMPM = re.compile(r"^(\d{1,2})\s*([ap])\.?\s*m\.?$", re.IGNORECASE)
_CLOCK_MILITARY = re.compile(r"^(\d{3,4})\s*(?:hrs?|hours|h|[A-IK-Z])?\.?$", re.IGNORECASE)
_MONTH_WORD = r"([A-Za-z]{3,9})\.?"
_ORDINAL = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(\d{4}|\d{2})"
_DATE_DMY = re.compile(rf"^{_ORDINAL}[\s\-/.]*{_MONTH_WORD}(?:[\s\-/.,]+{_YEAR})?$")
_DATE_MDY = re.compile(rf"^{_MONTH_WORD}[\s\-/.]*{_ORDINAL}(?:[\s\-/.,]+{_YEAR})?$")
_DATE_NUMERIC = re.compile(r"^(\d{1,4})([/\-.])(\d{1,2})(?:\2(\d{2}|\d{4}))?$")
_WEEKDAY = re.compile(
    r"^(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s+", re.IGNORECASE
)
# fmt: off
_MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)
# fmt: on


def parse_clock(text: str) -> tuple[int, int, int]:
    """Parse a clock time ('0700', '600', '09:10', '9:10 AM') into (hour, minute, second)."""
    stripped = " ".join(text.split())
    lowered = stripped.lower()
    if lowered == "noon":
        return 12, 0, 0
    if lowered == "midnight":
        return 0, 0, 0
    hour: int
    minute = second = 0
    half: str | None = None
    if match := _CLOCK_COLON.match(stripped):
        hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
        half = match[4]
    elif match := _CLOCK_AMPM.match(stripped):
        hour, half = int(match[1]), match[2]
    elif match := _CLOCK_MILITARY.match(stripped):
        digits = match[1]
        hour, minute = int(digits[:-2]), int(digits[-2:])
    else:
        raise ValueError(f"'{text}' is not a clock time; write {CLOCK_FORMS}")
    if half:
        if not 1 <= hour <= 12:
            raise ValueError(f"'{text}': with AM/PM the hour is 1 to 12")
        hour = hour % 12 + (12 if half.lower() == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"'{text}' is not a time of day (00:00 to 23:59)")
    return hour, minute, second


def _month_number(word: str) -> int:
    lowered = word.lower()
    for number, name in enumerate(_MONTH_NAMES, start=1):
        if len(lowered) >= 3 and name.startswith(lowered):
            return number
    raise ValueError(f"'{word}' is not a month")


def _full_year(text: str | None) -> int | None:
    if text is None:
        return None
    year = int(text)
    return year + 2000 if year < 100 else year


def parse_calendar_date(text: str) -> tuple[int | None, int, int]:
    """Parse a date such as '4-Mar', '4 March 2027', 'Mar 4', '2027-03-04' or '3/4/2027'.

    Returns (year or None when not written, month, day). Numeric dates with '/' or '-' are
    read month first (3/4/2027 is 4 March), unless the first number is over 12 or has four
    digits; dates with dots are read day first (04.03.2027 is 4 March).
    """
    stripped = _WEEKDAY.sub("", " ".join(text.split())).strip()
    year: int | None
    if match := _DATE_DMY.match(stripped):
        day, month, year = int(match[1]), _month_number(match[2]), _full_year(match[3])
    elif match := _DATE_MDY.match(stripped):
        month, day, year = _month_number(match[1]), int(match[2]), _full_year(match[3])
    elif match := _DATE_NUMERIC.match(stripped):
        first, separator, second, last = match[1], match[2], int(match[3]), match[4]
        if len(first) == 4:
            if last is None:
                raise ValueError(f"'{text}' is not a date; write {DAY_FORMS}")
            year, month, day = int(first), second, int(last)
        elif separator == "." or int(first) > 12:
            day, month, year = int(first), second, _full_year(last)
        else:
            month, day, year = int(first), second, _full_year(last)
    else:
        raise ValueError(f"'{text}' is not a date; write {DAY_FORMS}")
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        raise ValueError(f"'{text}' is not a real date")
    try:
        datetime(year or 2000, month, day)  # 2000 is a leap year: 29 Feb passes without a year
    except ValueError:
        raise ValueError(f"'{text}' is not a real date") from None
    return year, month, day


_DAY_NUMBER = re.compile(r"^(?:day\s*[-#:.]?\s*|d)(\d{1,3})$", re.IGNORECASE)
_D_PLUS = re.compile(r"^d\s*([+-])\s*(\d{1,3})$", re.IGNORECASE)


def parse_day_number(text: str) -> int:
    """Parse 'Day 2' (→ 1) or 'D+1' (→ 1): the number of days after the first day."""
    stripped = " ".join(text.split())
    if match := _DAY_NUMBER.match(stripped):
        number = int(match[1])
        if number < 1:
            raise ValueError(f"'{text}': days are numbered from 1")
        return number - 1
    if match := _D_PLUS.match(stripped):
        return int(match[2]) * (1 if match[1] == "+" else -1)
    raise ValueError(f"'{text}' is not a day number; write 'Day 2' or 'D+1'")
