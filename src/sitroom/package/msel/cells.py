"""Single MSEL cells read as the values an inject needs: text, numbers, methods, types, lists."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sitroom.package.model import ID_PATTERN, DeliveryMethod, InjectType
from sitroom.package.timeforms import format_duration

_ID = re.compile(ID_PATTERN)
_NUMBER_CHARS = re.compile(r"[^A-Za-z0-9_.\-]+")
_BULLET = re.compile(r"^\s*(?:[-•*·▪◦‣–]|\d{1,2}[.)]|[a-z][.)])\s+", re.IGNORECASE)
# fmt: off
_DELIVERY = {
    "email": "email", "e-mail": "email", "mail": "email", "outlook": "email", "phone": "phone",
    "phone call": "phone", "telephone": "phone", "call": "phone", "voice": "phone",
    "voicemail": "phone", "conference call": "phone", "sms": "phone", "text message": "phone",
    "cell phone": "phone", "radio": "radio", "hf": "radio", "vhf": "radio", "radio call": "radio",
    "video": "video", "vtc": "video", "video call": "video", "video clip": "video",
    "video conference": "video", "teams": "video", "teams meeting": "video", "zoom": "video",
    "webex": "video", "handout": "document", "paper": "document", "document": "document",
    "hard copy": "document", "memo": "document", "letter": "document", "fax": "document",
    "printed": "document", "written": "document", "briefing": "briefing", "brief": "briefing",
    "slide": "briefing", "slides": "briefing", "presentation": "briefing", "powerpoint": "briefing",
    "facilitator": "briefing", "verbal": "in-person", "in person": "in-person",
    "in-person": "in-person", "face to face": "in-person", "runner": "in-person", "media": "media",
    "news": "media", "news report": "media", "press": "media", "tv": "media", "television": "media",
    "newspaper": "media", "press release": "media", "social media": "social-media",
    "social-media": "social-media", "twitter": "social-media", "facebook": "social-media",
    "tweet": "social-media", "social": "social-media", "sitroom": "sitroom", "other": "other",
    "telefon": "phone", "téléphone": "phone", "courriel": "email", "funk": "radio",
}
# fmt: on
# fmt: off
_STANDARD_TYPES = frozenset({
    "", "standard", "scheduled", "planned", "expected", "normal", "regular", "scripted", "msel",
    "inject", "event",
})
# fmt: on


def at(row: Sequence[Any], index: int) -> Any:
    """The value in column ``index`` of a row (rows are trimmed, so it may be past the end)."""
    return row[index] if index < len(row) else None


def cell_text(value: Any) -> str:
    """A cell as the text a planner sees in it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0, 0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds" if value.second else "minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, timedelta):
        return format_duration(value)
    return str(value).strip()


def clean_number(raw: str) -> str:
    """An MSEL number as an inject number: '#12' → '12', 'A 3' → 'A-3'."""
    text = raw.strip()
    if _ID.fullmatch(text):
        return text
    text = text.lstrip("#").strip()
    return _NUMBER_CHARS.sub("-", text).strip("-._")


def is_number(text: str) -> bool:
    """True when ``text`` can be an inject number as written."""
    return bool(_ID.fullmatch(text))


def next_free_number(number: str, used: dict[str, int]) -> str:
    """A new number for a duplicate: '12' → '12b' (then '12c', ...), as inserts are numbered."""
    for letter in "bcdefghijklmnopqrstuvwxyz":
        if f"{number}{letter}" not in used:
            return f"{number}{letter}"
    serial = 2
    while f"{number}-{serial}" in used:
        serial += 1
    return f"{number}-{serial}"


def first_line(text: str) -> str:
    """A title made from a description: its first line, at most 80 characters."""
    line = text.strip().split("\n", 1)[0].strip()
    return line if len(line) <= 80 else line[:79].rstrip() + "…"


def action_lines(value: Any) -> list[str]:
    """The lines of an expected-action cell, bullets and numbering removed, positions kept."""
    if isinstance(value, str):
        text = value.replace("\r\n", "\n").replace("\r", "\n")
    else:
        text = cell_text(value)
    lines = [_BULLET.sub("", line).strip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def actions(columns: dict[str, list[str]]) -> list[dict[str, str]]:
    """Expected actions from language → lines: line N of each language is one action."""
    count = max((len(lines) for lines in columns.values()), default=0)
    result = []
    for index in range(count):
        action = {
            lang: lines[index]
            for lang, lines in columns.items()
            if index < len(lines) and lines[index]
        }
        if action:
            result.append(action)
    return result


_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*(/[A-Za-z0-9_.\-]+)*")


def id_list(text: str) -> tuple[str, ...]:
    """Ids listed in a cell ('obj-1; obj-2'); empty unless every item is an id."""
    tokens = tuple(t.strip() for t in re.split(r"[;,\n]", text) if t.strip())
    if tokens and all(_ID.fullmatch(t) and len(t) <= 80 for t in tokens):
        return tokens
    return ()


def ref_list(text: str) -> tuple[str, ...]:
    """Clause references or document paths listed in a cell ('acg/1.1; acg/2.3')."""
    tokens = tuple(t.strip() for t in re.split(r"[;\n]", text) if t.strip())
    if tokens and all(_REF.fullmatch(t) and len(t) <= 200 for t in tokens):
        return tokens
    return ()


def delivery_method(text: str) -> tuple[DeliveryMethod, bool]:
    """The delivery method a cell names, and whether the cell said exactly that."""
    key = " ".join(re.sub(r"[^\w+-]+", " ", text.lower()).split())
    if key in _DELIVERY:
        return DeliveryMethod(_DELIVERY[key]), True
    for word, method in _DELIVERY.items():
        if len(word) > 3 and re.search(rf"\b{re.escape(word)}\b", key):
            return DeliveryMethod(method), False
    return DeliveryMethod.OTHER, False


def inject_type(text: str) -> tuple[InjectType, bool]:
    """The inject type a cell names, and whether the cell said exactly that."""
    key = text.strip().lower()
    if key in ("contingency", "adaptive"):
        return InjectType(key), True
    if "contingen" in key:
        return InjectType.CONTINGENCY, False
    if "adaptive" in key:
        return InjectType.ADAPTIVE, False
    return InjectType.STANDARD, key in _STANDARD_TYPES
