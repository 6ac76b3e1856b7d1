"""The AAR/IP's own words (headings, table headers, labels) in the report's language.

They live in their own gettext domain, ``reports``, beside the documents' ``messages``:
``sitroom/locale/<lang>/LC_MESSAGES/reports.po`` (or a compiled ``reports.mo``). As for the
documents, an edited ``.po`` newer than its ``.mo`` is compiled in memory, so a translator
sees the change without a build step. Every renderer (HTML, PDF, DOCX, charts) uses
``report_translations(lang)``, so the three formats say the same thing.
"""

from __future__ import annotations

import gettext
from functools import cache

from sitroom.reports.catalogs import load_domain

DOMAIN = "reports"


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


RATING_NAMES = {
    "P": N_("Performed without Challenges"),
    "S": N_("Performed with Some Challenges"),
    "M": N_("Performed with Major Challenges"),
    "U": N_("Unable to be Performed"),
}
"""HSEEP's four ratings, by letter."""
RATINGS = tuple(RATING_NAMES)
"""The rating letters in order: P, S, M, U."""

RATING_DEFINITIONS = {
    "P": N_(
        "The targets and critical tasks associated with the core capability were completed in "
        "a manner that achieved the objective(s) and did not negatively impact the performance "
        "of other activities. Performance of this activity did not contribute to additional "
        "health and/or safety risks for the public or for emergency workers, and it was "
        "conducted in accordance with applicable plans, policies, procedures, regulations, and "
        "laws."
    ),
    "S": N_(
        "The targets and critical tasks associated with the core capability were completed in "
        "a manner that achieved the objective(s) and did not negatively impact the performance "
        "of other activities. Performance of this activity did not contribute to additional "
        "health and/or safety risks for the public or for emergency workers, and it was "
        "conducted in accordance with applicable plans, policies, procedures, regulations, and "
        "laws. However, opportunities to enhance effectiveness and/or efficiency were "
        "identified."
    ),
    "M": N_(
        "The targets and critical tasks associated with the core capability were completed in "
        "a manner that achieved the objective(s), but some or all of the following were "
        "observed: demonstrated performance had a negative impact on the performance of other "
        "activities; contributed to additional health and/or safety risks for the public or "
        "for emergency workers; and/or was not conducted in accordance with applicable plans, "
        "policies, procedures, regulations, and laws."
    ),
    "U": N_(
        "The targets and critical tasks associated with the core capability were not performed "
        "in a manner that achieved the objective(s)."
    ),
}
"""HSEEP's rating definitions (AAR/IP, Table 1), in full."""

RATING_GROUPS = {
    "targets": N_("Capability targets"),
    "capabilities": N_("Core capabilities"),
    "observations": N_("Observations"),
}
"""The keys of ``ReportModel.rating_counts``: what was rated."""

IP_HEADERS = (
    N_("Core Capability"),
    N_("Issue/Area for Improvement"),
    N_("Corrective Action"),
    N_("Capability Element"),
    N_("Primary Responsible Organization"),
    N_("Organization POC"),
    N_("Start Date"),
    N_("Completion Date"),
)
"""``model.IP_COLUMNS``, marked for translation (a test keeps the two equal)."""

EVIDENCE_KINDS = {
    "inject": N_("Inject"),
    "response": N_("Response"),
    "note": N_("Note"),
    "decision": N_("Decision"),
    "answer": N_("Answer"),
    "vote": N_("Vote"),
    "observation": N_("Observation"),
    "rating": N_("Rating"),
    "clause-record": N_("Clause record"),
    "hot-wash": N_("Hot wash"),
    "feedback": N_("Feedback"),
    "broadcast": N_("Broadcast"),
    "module": N_("Module"),
    "poll": N_("Poll"),
    "other": N_("Other"),
}
TIMELINE_KINDS = {
    "startex": N_("STARTEX"),
    "pause": N_("Paused"),
    "resume": N_("Resumed"),
    "endex": N_("ENDEX"),
    "module": N_("Module"),
    "inject": N_("Inject released"),
    "decision": N_("Decision proposed"),
    "concurred": N_("Concurred"),
    "non-concurred": N_("Not concurred"),
    "poll": N_("Poll opened"),
    "milestone": N_("Milestone reached"),
    "branch": N_("Branch taken"),
}
FINDING_KINDS = {"strength": N_("Strength"), "improvement": N_("Area for Improvement")}
MISSION_AREAS = {
    "prevention": N_("Prevention"),
    "protection": N_("Protection"),
    "mitigation": N_("Mitigation"),
    "response": N_("Response"),
    "recovery": N_("Recovery"),
}
EXERCISE_TYPES = {
    "tabletop": N_("Tabletop exercise"),
    "seminar": N_("Seminar"),
    "workshop": N_("Workshop"),
    "game": N_("Game"),
}
RETEST_OUTCOMES = {
    "verified": N_("Verified"),
    "not-verified": N_("Not verified"),
    "not-exercised": N_("Not exercised"),
}
"""Whether a corrective action carried from an earlier edition held up when re-tested."""
CONCURRENCE_STATUS = {
    "concurred": N_("Concurred"),
    "non-concurred": N_("Not concurred"),
    "proposed": N_("Awaiting concurrence"),
    "pending": N_("Awaiting concurrence"),
}


@cache
def report_translations(lang: str) -> gettext.NullTranslations:
    """The report wording for ``lang`` (``reports`` domain); English when there is no catalog."""
    return load_domain(DOMAIN, lang)
