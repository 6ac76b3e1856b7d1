"""MSEL column headers: the words agencies write above their columns, and which field each means.

Every agency titles its MSEL columns differently ("MSEL #", "Event No.", "Inject #"), so a
header is compared after normalising case, spaces and punctuation, against a list of synonyms
per field. A planner's mapping file overrides the synonyms. The header row itself is found by
scoring the first rows of a sheet: the row naming the most distinct fields wins.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

FIELDS: dict[str, str] = {
    "number": "the MSEL / inject number",
    "time": "scenario or delivery time: a date-time, a clock time ('0700') or a DTG",
    "date": "the date the inject is delivered",
    "day": "the exercise day ('Day 2', 'D+1', '4-Mar')",
    "offset": "time after the module starts ('30m', '1h15m')",
    "to": "recipients (player teams)",
    "from": "the simulated sender",
    "delivery": "delivery method (email, phone, radio, briefing, ...)",
    "type": "inject type (standard, contingency, adaptive)",
    "title": "subject / event synopsis",
    "content": "description / script of the inject",
    "expected": "expected player actions, one per line",
    "controller": "the controller responsible",
    "status": "inject status (kept in notes)",
    "phase": "module / phase / day the inject belongs to",
    "objective": "exercise objectives (kept in notes)",
    "capability": "core capabilities or critical tasks (kept in notes)",
    "marking": "classification or TLP marking (kept in notes)",
    "clauses": "guideline clauses the inject cites, as reference-id/clause-id (kept in notes)",
    "attachments": "attached documents, paths under documents/ (kept in notes)",
    "contingency_for": "for a contingency inject: the inject it backs up (kept in notes)",
    "storyline": "the storyline or thread the inject belongs to (kept in notes)",
    "condition": "the condition that releases the inject (docs/package-format.md#triggers)",
    "trigger": "what a met condition does: 'proposes' (the default) or 'fires'",
    "choice": "the options the inject offers its teams ('Choice: prompt', then '- id: text')",
    "from_organisation": "the simulated organisation whose e-mail the inject is (its id)",
    "notes": "controller notes",
    "ignore": "a column to leave out",
}
"""Fields a column can map to, with what each means."""

MULTI_COLUMN_FIELDS = frozenset(
    {
        "status",
        "objective",
        "capability",
        "marking",
        "notes",
        "ignore",
        "clauses",
        "attachments",
        "storyline",
    }
)
"""Fields several columns may map to at once; the others take the first matching column."""

TEXT_FIELDS = frozenset({"title", "content", "expected", "notes", "from", "choice"})
"""Fields that can come in several languages: 'Description (ko)'."""

# fmt: off
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "number": (
        "MSEL #", "MSEL Number", "MSEL No", "MSEL ID", "MEL #", "MIL #", "Event #", "Event ID",
        "Inject #", "Inject ID", "#", "Number", "Serial", "Serial #", "Ser", "ID", "Item #",
        "Ref #", "Reference #", "Seq", "Sequence #", "Event Number", "Inject Number",
    ),
    "time": (
        "Event Time", "Inject DTG", "Time", "DTG", "Scenario Time", "Inject Time", "Delivery Time",
        "Date/Time", "Date & Time", "Time/Date", "Scheduled Time", "Planned Time", "Time of Inject",
        "Release Time", "Start Time", "Exercise Time", "Game Time", "Scenario DTG", "Event DTG",
        "Designated Scenario Time", "Time (Local)", "Local Time", "Time (Zulu)", "Zulu Time",
        "Planned Delivery Time", "Inject Date/Time", "Scheduled Delivery Time", "Event Date/Time",
        "Clock Time",
    ),
    "date": (
        "Date", "Event Date", "Inject Date", "Scenario Date", "Delivery Date",
    ),
    "day": (
        "Day", "Exercise Day", "Scenario Day", "Day #", "Day Number",
    ),
    "offset": (
        "Offset", "Elapsed Time", "Time from STARTEX", "Time after STARTEX", "Relative Time", "T+",
        "H+", "Exercise Elapsed Time",
    ),
    "to": (
        "Send To", "Sent To", "To", "Recipient", "Intended Player(s)", "Player", "Receiving Player",
        "Receiving Agency", "Recipient Agency", "Addressee", "Audience", "Target Audience",
        "Primary Player", "Player Agency", "Responding Agency", "Intended Recipient",
        "Delivered To", "Inject Recipient", "Receiver", "To (Player)", "Intended Audience",
    ),
    "from": (
        "Send From (Simulated)", "Send From", "Sent From", "From", "From (Simulated)", "Originator",
        "Simulated Sender", "Sender", "Simulated Originator", "Source", "Inject Source",
        "Message From", "Originating Agency", "Simulated From", "Simulated By", "Originator/Source",
    ),
    "delivery": (
        "Inject Mode", "Method", "Delivery Method", "Mode", "Delivery", "Delivery Mode", "Means",
        "Inject Method", "Method of Delivery", "Mode of Delivery", "Delivery Means", "Medium",
        "Channel", "Communication Method", "Comms Method", "Delivery Mechanism",
    ),
    "type": (
        "Inject Type", "Type", "Event Type", "Category", "Inject Category",
    ),
    "title": (
        "Subject", "Title", "Event", "Event Synopsis", "Inject Title", "Synopsis", "Event Title",
        "Inject Name", "Event Name", "Inject Subject", "Headline", "Summary", "Short Description",
        "Brief Description", "Event Summary", "Inject Summary", "Topic",
    ),
    "content": (
        "Description/Script", "Event Description", "Description", "Inject", "Script", "Message",
        "Inject Description", "Inject Text", "Message Text", "Content", "Details", "Narrative",
        "Inject Details", "Event Details", "Inject Script", "Inject Content", "Body", "Text",
        "Detailed Description", "Inject Message", "Scenario Inject", "Inject/Event",
    ),
    "expected": (
        "Expected Action", "Expected Outcome", "Expected Player Action", "Expected Response",
        "Expected Player Response", "Anticipated Response", "Anticipated Player Response",
        "Anticipated Action", "Desired Response", "Desired Outcome", "Expected Result",
        "Expected Player Outcome", "Expected Decision", "Player Action", "Player Response",
        "Expected", "Expected Player Action/Response",
    ),
    "controller": (
        "Controller", "Injected By", "Controller Responsible", "Responsible Controller",
        "Controller Name", "Lead Controller", "Inject By", "Delivered By", "Responsible Party",
        "Controller/Simcell", "Simcell",
    ),
    "status": (
        "Status", "Inject Status", "Delivery Status", "Delivered?", "Sent?",
    ),
    "phase": (
        "Phase", "Module", "Segment", "Stage", "Block", "Move", "Session", "Vignette",
        "Exercise Phase", "Scenario Phase", "Module #", "Phase/Module", "Module Title",
        "Module Name", "Phase #",
    ),
    "objective": (
        "Objective", "Exercise Objective", "Objective #", "Related Objective", "Obj",
        "Linked Objective", "Objective Number",
    ),
    "capability": (
        "Core Capability", "Capability", "Core Capabilities/Tasks", "Critical Task", "Task",
        "Capability/Task", "Core Capability/Critical Task", "Target Capability",
        "Core Capability/Capability Target",
    ),
    "clauses": (
        "Guideline Clauses", "Clauses", "Clause", "Plan Reference", "Reference Clauses",
    ),
    "attachments": (
        "Attachments", "Attachment", "Documents", "Handouts",
    ),
    "contingency_for": (
        "Contingency For", "Backs Up", "Contingency Of",
    ),
    "condition": (
        "Condition", "Trigger Condition", "Release Condition", "Release If", "Branch Condition",
    ),
    "trigger": (
        "Trigger", "Trigger Mode", "On Condition",
    ),
    "choice": (
        "Choice", "Choices", "Player Choice", "Branch Choice", "Decision Options",
    ),
    "from_organisation": (
        "From Organisation", "From Organization", "Sent As", "Simulated Organisation",
    ),
    "marking": (
        "Marking", "Classification", "TLP", "Releasability", "Security Classification",
    ),
    "storyline": (
        "Storyline", "Story Line", "Story", "Thread", "Storyline/Thread", "Thread/Storyline",
        "Scenario Thread", "Scenario Storyline", "Storyline Thread", "Narrative Thread",
        "Line of Effort",
    ),
    "notes": (
        "Notes", "Remarks", "Comments", "Evaluator Notes", "Controller Notes", "Note", "Comment",
        "Remark", "Additional Notes", "Notes/Comments", "Additional Information",
    ),
}
# fmt: on

# Words that, inside an unlisted header, still say which field it is ("Inject Description
# and Script" → content). Checked after the synonyms, and worth half a match when scoring.
# fmt: off
_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("expected", "expected"), ("anticipated", "expected"), ("description", "content"),
    ("script", "content"), ("narrative", "content"), ("synopsis", "title"), ("subject", "title"),
    ("headline", "title"), ("controller", "controller"), ("recipient", "to"), ("sendto", "to"),
    ("sentto", "to"), ("intendedplayer", "to"), ("originator", "from"), ("sender", "from"),
    ("sendfrom", "from"), ("sentfrom", "from"), ("deliverymethod", "delivery"),
    ("injectmode", "delivery"), ("dtg", "time"), ("objective", "objective"),
    ("capabilit", "capability"), ("storyline", "storyline"), ("thread", "storyline"),
    ("remark", "notes"), ("comment", "notes"), ("notes", "notes"),
)
# fmt: on

# Model and common names a mapping file may use for a field.
# fmt: off
_FIELD_ALIASES = {
    "expected_actions": "expected", "expected_action": "expected", "scenario_time": "time",
    "module": "phase", "objectives": "objective", "tasks": "capability",
    "capabilities": "capability", "subject": "title", "description": "content", "recipient": "to",
    "recipients": "to", "sender": "from", "from_": "from", "delivery_method": "delivery",
    "inject_type": "type", "msel": "number",
}
# fmt: on

_NUMBER_WORDS = frozenset({"number", "num", "nbr", "nr", "no"})
_LANGUAGE_SUFFIX = re.compile(
    r"^(?P<base>.*\S)\s*[(\[](?P<lang>[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?)[)\]]$"
)


def normalize_header(text: str) -> str:
    """The comparable form of a header: lower case, no spaces or punctuation.

    'MSEL No.', 'MSEL #' and 'msel number' all become 'mselno'; 'Sent To:' becomes 'sentto';
    'Intended Player(s)' becomes 'intendedplayer'.
    """
    lowered = text.lower().replace("(s)", "").replace("&", " and ").replace("#", " no ")
    tokens = re.findall(r"[^\W_]+|\+", lowered)
    return "".join("no" if token in _NUMBER_WORDS else token for token in tokens)


def _singular(norm: str) -> str:
    return norm[:-1] if norm.endswith("s") and len(norm) > 3 else norm


_LOOKUP: dict[str, str] = {}
for _field, _names in _SYNONYMS.items():
    for _name in _names:
        _LOOKUP.setdefault(normalize_header(_name), _field)
        _LOOKUP.setdefault(_singular(normalize_header(_name)), _field)


def split_language(header: str) -> tuple[str, str | None]:
    """'Description/Script (ko)' → ('Description/Script', 'ko'); other headers unchanged."""
    match = _LANGUAGE_SUFFIX.match(header.strip())
    if match:
        return match["base"], match["lang"]
    return header, None


def match_header(header: str) -> tuple[str | None, float]:
    """The field a header names and how sure that is: 1.0 for a synonym, 0.5 for a keyword."""
    norm = normalize_header(header)
    if not norm:
        return None, 0.0
    field = _LOOKUP.get(norm) or _LOOKUP.get(_singular(norm))
    if field:
        return field, 1.0
    if "(" in header:  # "Time (EST)", "Controller (name)": the words before the brackets
        bare = normalize_header(re.sub(r"\([^)]*\)", " ", header))
        field = _LOOKUP.get(bare) or _LOOKUP.get(_singular(bare))
        if field:
            return field, 1.0
    if "actual" in norm:  # "Actual Time", "Actual Response": what happened, not the plan
        return None, 0.0
    for word, keyword_field in _KEYWORDS:
        if word in norm:
            return keyword_field, 0.5
    return None, 0.0


def parse_field(value: str) -> tuple[str, str | None] | None:
    """A mapping-file target: 'content', 'expected_actions', 'content (ko)' → (field, lang)."""
    base, lang = split_language(value.strip())
    key = base.strip().lower().replace(" ", "_").replace("-", "_")
    key = _FIELD_ALIASES.get(key, key)
    if key not in FIELDS:
        return None
    return key, lang


@dataclass(frozen=True)
class Column:
    """One column of the MSEL: where it is, its header as written, and what it holds."""

    index: int
    header: str
    """The header as written, without a trailing ':' (notes lines and problems use it)."""
    key: str
    """The header exactly as written (spaces tidied), numbered if it repeats."""
    field: str
    lang: str | None = None
    how: str = "synonym"

    @property
    def label(self) -> str:
        """The field, with its language if any: 'content (ko)'."""
        return f"{self.field} ({self.lang})" if self.lang else self.field


Mapping = dict[str, tuple[str, str | None, str]]
"""Normalised header text → (field, language, header as written) from a mapping file."""


def _classify(header: str, mapping: Mapping) -> tuple[str | None, str | None, float, str]:
    """(field, language, weight, how) for one header cell."""
    norm = normalize_header(header)
    if norm and norm in mapping:
        mapped, mapped_lang, _ = mapping[norm]
        return mapped, mapped_lang, 1.0, "mapping"
    base, lang = split_language(header)
    if lang:
        base_norm = normalize_header(base)
        if base_norm in mapping:
            return mapping[base_norm][0], lang, 1.0, "mapping"
        base_field, base_weight = match_header(base)
        if base_field in TEXT_FIELDS:
            return base_field, lang, base_weight, "synonym" if base_weight == 1.0 else "keyword"
    field, weight = match_header(header)
    return field, None, weight, "synonym" if weight == 1.0 else "keyword"


def header_fields(cells: Sequence[Any], mapping: Mapping | None = None) -> dict[str, float]:
    """The distinct fields a header-like row names, each with how sure that is."""
    best: dict[str, float] = {}
    texts = 0
    for cell in cells:
        if not isinstance(cell, str) or not cell.strip() or len(cell) > 80:
            continue
        texts += 1
        field, _, weight, _ = _classify(cell, mapping or {})
        if field and field != "ignore":
            best[field] = max(best.get(field, 0.0), weight)
    return best if texts >= 2 else {}


def header_score(cells: Sequence[Any], mapping: Mapping | None = None) -> float:
    """How much a row looks like an MSEL header: the sum of its distinct fields' weights."""
    return sum(header_fields(cells, mapping).values())


def find_header(
    rows: Sequence[Sequence[Any]], mapping: Mapping | None = None, limit: int = 30
) -> tuple[int, float] | None:
    """The 0-based index of the header row within the first ``limit`` rows, and its score."""
    found: tuple[int, float] | None = None
    for index, row in enumerate(rows[:limit]):
        score = header_score(row, mapping)
        if score >= 2.0 and (found is None or score > found[1]):
            found = (index, score)
    return found


def column_letter(index: int) -> str:
    """0-based column index → spreadsheet letters ('A', 'AB')."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def map_columns(header: Sequence[Any], width: int, mapping: Mapping | None = None) -> list[Column]:
    """Decide what every column holds. Unrecognised columns, and a second column for a field
    that takes one, become notes so that nothing is lost."""
    mapping = mapping or {}
    candidates: list[tuple[int, str, str | None, str | None, float, str]] = []
    written: list[str] = []
    for index in range(width):
        cell = header[index] if index < len(header) else None
        text = " ".join(str(cell).split()) if cell is not None else ""
        written.append(text or f"Column {column_letter(index)}")
        header_text = text.rstrip(":").strip() or f"Column {column_letter(index)}"
        field, lang, weight, how = _classify(text, mapping) if text else (None, None, 0.0, "")
        candidates.append((index, header_text, field, lang, weight, how))
    # A field taken by a synonym is not given to a keyword-only column as well.
    winners: dict[tuple[str, str | None], int] = {}
    for index, _, field, lang, _weight, _ in sorted(candidates, key=lambda c: (-c[4], c[0])):
        if field and field not in MULTI_COLUMN_FIELDS and (field, lang) not in winners:
            winners[(field, lang)] = index
    columns: list[Column] = []
    keys: set[str] = set()
    for index, header_text, field, lang, _, how in candidates:
        key = written[index]
        serial = 2
        while key in keys:
            key = f"{written[index]} ({serial})"
            serial += 1
        keys.add(key)
        if field is None:
            columns.append(Column(index, header_text, key, "notes", None, "unmapped"))
        elif field in MULTI_COLUMN_FIELDS or winners.get((field, lang)) == index:
            columns.append(Column(index, header_text, key, field, lang, how))
        else:
            columns.append(Column(index, header_text, key, "notes", None, "duplicate"))
    return columns
