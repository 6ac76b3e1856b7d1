"""Time to first answer per simulated organisation, for the complete AAR.

For each organisation of the package: how many threads teams opened with it, how many it
answered, and of those the median and the longest time from the team's first message to the
organisation's first answer (minutes, wall time). Exercise-staff material: party AARs leave it
out, as they leave out milestones.
"""

from __future__ import annotations

from statistics import median

from sitroom.conduct.state import RunState
from sitroom.reports.model import AnswerTimeRow


def answer_times(state: RunState) -> tuple[AnswerTimeRow, ...]:
    """One row per organisation of the package (none when it names none)."""
    rows = []
    threads = list(state.inbox.threads.values())
    for org in state.package.organisations:
        mine = [t for t in threads if t.organisation == org.id]
        waits = [
            (first.at - t.at).total_seconds() / 60
            for t in mine
            if (first := t.first_answer) is not None
        ]
        rows.append(
            AnswerTimeRow(
                org.id,
                dict(org.name),
                threads=len(mine),
                answered=len(waits),
                median_minutes=round(median(waits), 1) if waits else None,
                max_minutes=round(max(waits), 1) if waits else None,
            )
        )
    return tuple(rows)
