"""Marking banners: classification or TLP label with releasability, and the EXERCISE mark."""

from __future__ import annotations

from collections.abc import Mapping

from sitroom.package.model import Marking, Package

EXERCISE_MARK = "EXERCISE EXERCISE EXERCISE"


def releasability_codes(marking: Marking, codes: Mapping[str, str]) -> list[str]:
    """Party codes for REL TO: the originating (first listed) party first, the rest alphabetical."""
    listed = [codes.get(p, p.upper()) for p in marking.releasable_to]
    if not listed:
        return []
    first, rest = listed[0], sorted(set(listed[1:]) - {listed[0]})
    return [first, *rest]


def banner(marking: Marking, codes: Mapping[str, str] | None = None) -> str:
    """One-line banner, e.g. ``SECRET//REL TO ALD, BRN`` or ``TLP:AMBER``."""
    codes = codes or {}
    parts: list[str] = []
    head = (marking.classification or "").strip().upper()
    rel = releasability_codes(marking, codes)
    if head:
        text = head
        if marking.caveat:
            text += f"//{marking.caveat.upper()}"
        if rel:
            text += "//REL TO " + ", ".join(rel)
        parts.append(text)
    if marking.tlp:
        parts.append(f"TLP:{marking.tlp.value}")
    if not head and rel:
        parts.append("REL TO " + ", ".join(rel))
    return " · ".join(parts) or "UNMARKED"


def party_codes(package: Package) -> dict[str, str]:
    """Party id → short code, for banners."""
    return {p.id: p.code for p in package.parties}


def exercise_banner(marking: Marking, package: Package) -> str:
    """The full banner for exercise traffic: the EXERCISE mark and the marking."""
    return f"{EXERCISE_MARK} · {banner(marking, party_codes(package))}"
