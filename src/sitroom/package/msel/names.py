"""What a sheet's name says about it: set aside (deleted, old, examples, lookups, print copies),
a summary of key events, the main MSEL, or one day or phase of a multi-sheet MSEL.

Workbooks grow sheets over a planning cycle: a large sheet of example injects from last year,
an "Old MSEL" kept just in case, a print layout, drop-down lists, a summary of key events for
the senior leaders, and the MSEL itself — sometimes one sheet per day or phase, named "Day 1"
or "14 Sep". The names are the planners' own labels, so they are read before anything else.
"""

from __future__ import annotations

import re

# (stem found anywhere in the lowered name, why the sheet is set aside)
_STEMS: tuple[tuple[str, str], ...] = (
    ("delet", "named like deleted injects"),
    ("archiv", "named like an archive"),
    ("exampl", "named like examples"),
    ("sampl", "named like examples"),
    ("lookup", "named like a lookup or list"),
    ("dropdown", "named like a lookup or list"),
    ("drop-down", "named like a lookup or list"),
    ("instruction", "named like instructions"),
    ("readme", "named like instructions"),
)
# (whole words, why) — a word, so that "Bold" or "Printemps" are not read as "old" or "print".
_WORDS: tuple[tuple[frozenset[str], str], ...] = (
    (
        frozenset({"old", "backup", "bak", "previous", "superseded", "obsolete", "outdated"}),
        "named like an old copy",
    ),
    (frozenset({"removed", "unused", "cut", "parked", "dropped"}), "named like injects left out"),
    (frozenset({"print", "printout", "printable"}), "named like a print copy"),
    (frozenset({"demo", "dummy"}), "named like examples"),
)
# Helper sheets, unless the name also says it holds events ("Main Events List").
# fmt: off
_HELPER_WORDS = frozenset({
    "list", "lists", "help", "validation", "legend", "key", "cover", "changelog", "revisions",
    "values", "contacts", "template",
})
# fmt: on
_EVENT_WORDS = frozenset({"msel", "mel", "mil", "inject", "injects", "event", "events"})
_MAIN_WORDS = frozenset({"main", "master", "final", "current", "live"})
_SUMMARY_WORDS = frozenset(
    {"summary", "overview", "highlights", "synopsis", "agenda", "schedule", "timeline", "outline"}
)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DAY_OR_PHASE = re.compile(
    r"\b(?:day|tag|jour|d)\s*[-#:.+]?\s*\d{1,2}\b"
    r"|\b(?:phase|module|move|session|part|stage|block|period|turn|vignette|week|segment)"
    r"\s*[-#:.]?\s*(?:\d{1,3}|[ivx]{1,5}|[a-e])\b"
    rf"|\b\d{{1,2}}\s*[-./ ]?\s*{_MONTH}(?![a-z])|\b{_MONTH}\s*[-./ ]?\s*\d{{1,2}}\b"
    r"|\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}[./]\d{1,2}(?:[./]\d{2,4})?\b"
    r"|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    re.IGNORECASE,
)


def _words(name: str) -> set[str]:
    return set(re.findall(r"[a-z]+", name.lower()))


def set_aside(name: str) -> str | None:
    """Why a sheet named ``name`` is not an MSEL to read unasked, or None.

    Deleted injects, archives and old copies, examples, print copies, lookups and lists,
    instructions: a planner names such a sheet to keep it apart from the MSEL.
    """
    lowered = name.lower()
    for stem, reason in _STEMS:
        if stem in lowered or stem in lowered.replace(" ", ""):
            return reason
    words = _words(name)
    for group, reason in _WORDS:
        if words & group:
            return reason
    if words & _HELPER_WORDS and not words & _EVENT_WORDS:
        return "named like a helper sheet (list, legend, template)"
    return None


def excluded_sheet(name: str) -> bool:
    """True for sheets named like deleted injects, archives, examples, lookups or instructions."""
    return set_aside(name) is not None


def is_summary(name: str) -> bool:
    """True for a sheet named like a summary of key events ('Summary', 'Key Events')."""
    lowered = " ".join(re.findall(r"[a-z]+", name.lower()))
    return bool(_words(name) & _SUMMARY_WORDS) or "key event" in lowered


def is_main(name: str) -> bool:
    """True for a sheet named as the MSEL itself ('MSEL', 'Master', 'Main Events List')."""
    words = _words(name)
    return bool(words & (_MAIN_WORDS | _EVENT_WORDS) or "msel" in name.lower())


def is_day_or_phase(name: str) -> bool:
    """True for a sheet named by a day, a date or a phase ('Day 2', '14 Sep', 'Phase II')."""
    return bool(_DAY_OR_PHASE.search(name))
