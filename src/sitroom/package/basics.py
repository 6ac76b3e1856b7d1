"""The package's building blocks: ids, texts in several languages, durations and times,
and the base model every part of a package is made of (``package.model`` re-exports them)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
)

from sitroom.package.timeforms import parse_duration, parse_scenario_time

FORMAT_VERSION = 1
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
CONTROL: dict[str, Any] = {"audience": "control"}
"""Mark for fields players must never see."""

UNDETERMINED = "und"


def _to_local_text(value: Any, info: ValidationInfo) -> Any:
    """Accept a plain string (in the exercise's first language) or a language→text mapping.

    Trailing whitespace is dropped: whether a YAML block ends with a newline is layout, not
    content, so it must not change the content hash.
    """
    if isinstance(value, str):
        lang = (info.context or {}).get("default_language", "en")
        return {lang: value.rstrip()}
    if isinstance(value, dict):
        return {k: v.rstrip() if isinstance(v, str) else v for k, v in value.items()}
    if isinstance(value, int | float) and not isinstance(value, bool):
        lang = (info.context or {}).get("default_language", "en")
        return {lang: str(value)}
    return value


LocalText = Annotated[dict[str, str], BeforeValidator(_to_local_text)]
"""Text in one or several languages: ``{"en": "...", "ko": "..."}``."""

Id = Annotated[str, Field(pattern=ID_PATTERN, min_length=1, max_length=80)]


def _coerce_str(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return format(value, "g")
    return value


InjectNumber = Annotated[
    str, BeforeValidator(_coerce_str), Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
]


def _to_duration(value: Any) -> Any:
    if isinstance(value, timedelta) or value is None:
        return value
    return parse_duration(value)


def _to_scenario_time(value: Any) -> Any:
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return parse_scenario_time(str(value))


Duration = Annotated[timedelta, BeforeValidator(_to_duration)]
ScenarioTime = Annotated[datetime, BeforeValidator(_to_scenario_time)]


def text_in(text: dict[str, str] | None, lang: str, fallbacks: tuple[str, ...] = ()) -> str:
    """The text in ``lang``, else in the first fallback that has it, else any text at all."""
    if not text:
        return ""
    for candidate in (lang, *fallbacks):
        if text.get(candidate):
            return text[candidate]
    return next((t for t in text.values() if t), "")


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
