"""Marking schemes from ``schemes.yaml``: classifications in order, banner texts, colours.

The file is the one table banners, labels and marking colours come from (see
docs/markings.md). It is read once, on first use, and checked: a scheme without
classifications, a rank used twice or a category without a name is refused with the
scheme and the field named.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SCHEMES_FILE = Path(__file__).with_name("schemes.yaml")
DEFAULT_SCHEME = "generic"
TLP_SCHEME = "tlp"


class SchemeError(ValueError):
    """The scheme table is malformed; the message names the scheme and field."""


@dataclass(frozen=True, slots=True)
class Classification:
    name: str
    banner: str
    rank: int
    css: str
    colour: str
    text_colour: str
    aliases: tuple[str, ...] = ()
    border_colour: str | None = None


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    type: str  # permissive | restrictive | informative (ADatP-4774 category types)
    banner: str = ""


@dataclass(frozen=True, slots=True)
class Scheme:
    id: str
    name: str
    policy_identifier: str
    classifications: tuple[Classification, ...]
    releasable_to: Category
    caveat: Category
    separator: str = "//"

    def find(self, text: str | None) -> Classification | None:
        """The classification named ``text`` (or one of its aliases), any case; else None."""
        wanted = (text or "").strip().upper()
        for item in self.classifications:
            if wanted == item.name.upper() or wanted in (a.upper() for a in item.aliases):
                return item
        return None

    def names(self) -> list[str]:
        return [c.name for c in self.classifications]


def _category(scheme: str, key: str, raw: Any) -> Category:
    if not isinstance(raw, dict) or not raw.get("name"):
        raise SchemeError(f"{SCHEMES_FILE.name}: scheme '{scheme}': categories.{key} needs a name")
    kind = str(raw.get("type", "informative"))
    if kind not in ("permissive", "restrictive", "informative"):
        raise SchemeError(
            f"{SCHEMES_FILE.name}: scheme '{scheme}': categories.{key}.type is '{kind}';"
            " give permissive, restrictive or informative"
        )
    return Category(str(raw["name"]), kind, str(raw.get("banner", "")))


def parse_schemes(data: Any, source: str = "schemes.yaml") -> dict[str, Scheme]:
    """Schemes by id from the loaded YAML; `SchemeError` naming what is wrong."""
    if not isinstance(data, dict) or not isinstance(data.get("schemes"), list):
        raise SchemeError(f"{source}: expected a mapping with a 'schemes' list")
    found: dict[str, Scheme] = {}
    for index, raw in enumerate(data["schemes"]):
        where = f"{source}: schemes[{index}]"
        if not isinstance(raw, dict) or not raw.get("id"):
            raise SchemeError(f"{where}: every scheme needs an id")
        sid = str(raw["id"])
        if sid in found:
            raise SchemeError(f"{where}: the id '{sid}' is used twice")
        items = []
        for number, item in enumerate(raw.get("classifications") or []):
            try:
                items.append(
                    Classification(
                        name=str(item["name"]),
                        banner=str(item.get("banner", item["name"])),
                        rank=int(item["rank"]),
                        css=str(item.get("css", "unmarked")),
                        colour=str(item.get("colour", "#4a5561")),
                        text_colour=str(item.get("text_colour", "#ffffff")),
                        aliases=tuple(str(a) for a in item.get("aliases", ())),
                        border_colour=str(item["border_colour"])
                        if item.get("border_colour")
                        else None,
                    )
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise SchemeError(
                    f"{where} ('{sid}'): classifications[{number}]: {exc!r};"
                    " each needs a name and a whole-number rank"
                ) from None
        if not items:
            raise SchemeError(f"{where} ('{sid}'): no classifications")
        ranks = [c.rank for c in items]
        if len(set(ranks)) != len(ranks):
            raise SchemeError(f"{where} ('{sid}'): two classifications share a rank")
        categories = raw.get("categories") or {}
        found[sid] = Scheme(
            id=sid,
            name=str(raw.get("name", sid)),
            policy_identifier=str(raw.get("policy_identifier", f"urn:sitroom:spif:{sid}")),
            classifications=tuple(sorted(items, key=lambda c: c.rank)),
            releasable_to=_category(sid, "releasable_to", categories.get("releasable_to")),
            caveat=_category(sid, "caveat", categories.get("caveat")),
            separator=str(raw.get("separator", "//")),
        )
    for needed in (DEFAULT_SCHEME, TLP_SCHEME):
        if needed not in found:
            raise SchemeError(f"{source}: the '{needed}' scheme is missing")
    return found


@functools.cache
def all_schemes() -> dict[str, Scheme]:
    """Every scheme of the shipped table, by id (read once)."""
    with SCHEMES_FILE.open(encoding="utf-8") as handle:
        return parse_schemes(yaml.safe_load(handle), SCHEMES_FILE.name)


def get_scheme(scheme_id: str | None) -> Scheme:
    """The scheme ``scheme_id`` (default: generic); KeyError naming the known ones."""
    schemes = all_schemes()
    try:
        return schemes[scheme_id or DEFAULT_SCHEME]
    except KeyError:
        raise KeyError(
            f"no marking scheme '{scheme_id}'; known: {', '.join(sorted(schemes))}"
        ) from None
