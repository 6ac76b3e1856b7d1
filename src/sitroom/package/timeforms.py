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
