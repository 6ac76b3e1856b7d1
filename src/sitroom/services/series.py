"""The series service: each series is a stream ``series:<id>`` in the same event log as the runs.

Commands are decided by the pure ``rules`` on the state folded from the stream and appended with
the expected sequence number (retried on ``SequenceConflict``), so several processes can serve
one series. Evidence files are stored by content hash under ``evidence_dir``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sitroom.conduct.principal import Principal
from sitroom.conduct.run import Rejected
from sitroom.conduct.wording import lazy
from sitroom.improvement import commands as cmd
from sitroom.improvement import events as ev
from sitroom.improvement.rules import can_read, decide
from sitroom.improvement.state import CARRIED, Recorded, SeriesState, apply, fold
from sitroom.improvement.xlsx import export_actions, plan_import
from sitroom.package.model import Objective, Package, Series
from sitroom.services.idempotency import check_client_key, check_replay, command_hash
from sitroom.services.runs import Engine, RunNotFound
from sitroom.storage.recorder import (
    NewEvent,
    Recorder,
    RunAlreadyExists,
    SequenceConflict,
    StoredEvent,
    UnknownRun,
    canonical_json,
)

PREFIX = "series:"
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
MAX_RETRIES = 20


def stream_id(series_id: str) -> str:
    """The log stream of a series."""
    return PREFIX + series_id


def to_recorded(stored: StoredEvent) -> Recorded:
    """A stored event as the series state folds it."""
    return Recorded(
        stored.seq, stored.recorded_at, ev.from_wire(stored.type, stored.payload), stored.actor
    )


@dataclass(frozen=True, slots=True)
class Applied:
    """What a command (or a spreadsheet import) recorded."""

    events: list[StoredEvent]
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class XlsxImport:
    """What a spreadsheet import did: rows applied and events recorded, or the problems."""

    rows: int = 0
    events: int = 0
    problems: tuple[str, ...] = ()


class SeriesService:
    """Series and their corrective actions, on one recorder."""

    def __init__(
        self,
        recorder: Recorder,
        *,
        evidence_dir: Path,
        clock: Callable[[], datetime] | None = None,
        publish: Callable[[str, int], None] | None = None,
    ) -> None:
        self.recorder = recorder
        self.evidence_dir = evidence_dir
        self.clock = clock or (lambda: datetime.now(UTC))
        self.publish = publish or (lambda stream, seq: None)
        """Told after each commit that a series' stream has events up to N (the broker)."""

    # -- reads -------------------------------------------------------------------------------

    @staticmethod
    def can_read(principal: Principal) -> bool:
        """Whether ``principal`` may see series and their actions."""
        return can_read(principal)

    def _check_read(self, principal: Principal) -> None:
        if not can_read(principal):
            raise Rejected(
                lazy("only an admin or a facilitator may see corrective actions"), status=403
            )

    def _fold(self, series_id: str) -> SeriesState:
        if self.recorder.get_run(stream_id(series_id)) is None:
            return SeriesState.initial(series_id)
        return fold(series_id, (to_recorded(s) for s in self.recorder.read(stream_id(series_id))))

    def watched(self, series_id: str, engine: Engine, principal: Principal) -> list[str]:
        """The logs a series page shows: the series' own stream and every run of the series
        (a run whose package names it, imported or not)."""
        self._check_read(principal)
        streams = [stream_id(series_id)]
        for record in engine.runs():
            try:
                named = engine.package(record.id).exercise.series
            except RunNotFound:
                continue
            if named is not None and named.id == series_id:
                streams.append(record.id)
        return streams

    def version(self, streams: Sequence[str]) -> int:
        """How far the logs of ``streams`` reach, as one number that only grows (the sum of
        their last sequence numbers): a series page is out of date when it has grown."""
        total = 0
        for stream in streams:
            record = self.recorder.get_run(stream)
            total += record.last_seq if record is not None else 0
        return total

    def state(self, series_id: str, principal: Principal) -> SeriesState:
        """The series folded from its stream; ``Rejected`` (404) for an unknown series."""
        self._check_read(principal)
        state = self._fold(series_id)
        if not state.created:
            raise Rejected(lazy("no series '%(series)s'", series=series_id), status=404)
        return state

    def list_series(self, principal: Principal) -> list[SeriesState]:
        """Every series, oldest first."""
        self._check_read(principal)
        return [
            self._fold(record.id.removeprefix(PREFIX))
            for record in self.recorder.list_runs()
            if record.id.startswith(PREFIX)
        ]

    # -- writes ------------------------------------------------------------------------------

    def create_series(
        self, series_id: str, title: str, principal: Principal, key: str | None = None
    ) -> SeriesState:
        """Create a series and its stream."""
        command = cmd.CreateSeries(series_id, title)
        decide(SeriesState.initial(series_id), command, principal, self.clock())  # check first
        document = canonical_json({"series": series_id, "title": title.strip()})
        digest = "sha256:" + hashlib.sha256(document.encode("utf-8")).hexdigest()
        try:
            self.recorder.create_run(stream_id(series_id), title.strip(), document, digest)
        except RunAlreadyExists:
            if self._fold(series_id).created:
                raise Rejected(
                    lazy("a series '%(series)s' exists already", series=series_id), status=409
                ) from None
        self.handle(series_id, command, principal, key)
        return self.state(series_id, principal)

    def handle(
        self, series_id: str, command: cmd.Command, principal: Principal, key: str | None = None
    ) -> Applied:
        """Decide and record one command. A retried ``key`` returns the first outcome.

        `Rejected` (422, field ``key``) for a key in a server namespace or a key the principal
        already used for a different command.
        """
        check_client_key(key)
        digest = None if key is None else command_hash(command)
        return self._record(
            series_id,
            lambda state: self._decide(state, command, principal),
            principal,
            key,
            digest,
        )

    def handle_many(
        self, series_id: str, commands: Sequence[cmd.Command], principal: Principal
    ) -> Applied:
        """Decide several commands in order and record all their events in one append, or none."""

        def decide_all(state: SeriesState) -> list[ev.Event]:
            events: list[ev.Event] = []
            for command in commands:
                found = self._decide(state, command, principal)
                for event in found:
                    # Fold on the working copy so the next command sees this one's effect.
                    apply(state, Recorded(state.seq + 1, self.clock(), event, principal.id))
                events.extend(found)
            return events

        return self._record(series_id, decide_all, principal, None, None)

    def _decide(
        self, state: SeriesState, command: cmd.Command, principal: Principal
    ) -> list[ev.Event]:
        return decide(state, command, principal, self.clock())

    def _record(
        self,
        series_id: str,
        decide_on: Callable[[SeriesState], list[ev.Event]],
        principal: Principal,
        key: str | None,
        digest: str | None,
    ) -> Applied:
        stream = stream_id(series_id)
        if key is not None and self.recorder.get_run(stream) is not None:
            earlier = self.recorder.find_by_key(stream, key, actor=principal.id)
            if earlier:
                check_replay(earlier, digest or "")
                return Applied(earlier, duplicate=True)
        for _ in range(MAX_RETRIES):
            state = self._fold(series_id)
            seq = state.seq
            events = decide_on(state)
            if not events:
                return Applied([])
            batch = [
                NewEvent(
                    e.TYPE,
                    e.payload(),
                    principal.id,
                    key if i == 0 else None,
                    digest if i == 0 else None,
                )
                for i, e in enumerate(events)
            ]
            try:
                result = self.recorder.append(stream, batch, expected_seq=seq)
            except SequenceConflict:
                continue
            except UnknownRun:
                raise Rejected(
                    lazy("no series '%(series)s'", series=series_id), status=404
                ) from None
            if result.duplicate:  # another worker was first
                check_replay(result.events, digest or "")
            elif result.events:
                self.publish(stream, result.events[-1].seq)
            return Applied(list(result.events), result.duplicate)
        raise Rejected(lazy("the series is too busy; try again"), status=503)

    def import_report(
        self,
        series_id: str,
        engine: Engine,
        run_id: str,
        principal: Principal,
        parties: Sequence[str] = (),
        key: str | None = None,
    ) -> Applied:
        """Import the finalised AAR/IP of ``run_id`` as the edition its package names.

        Importing a run (or an edition) a second time is refused (409), unless it is a retry
        with the same ``key``."""
        self.state(series_id, principal)
        try:
            package = engine.package(run_id)
        except RunNotFound:
            raise Rejected(lazy("no run '%(run)s'", run=run_id), field="run", status=404) from None
        series = package.exercise.series
        if series is None or series.id != series_id:
            named = f"series {series.id}" if series else "no series"
            raise Rejected(
                lazy(
                    "run %(run)s is an exercise of %(named)s, not of series %(series)s;"
                    " set exercise.series in its package",
                    run=run_id,
                    named=named,
                    series=series_id,
                ),
                field="run",
            )
        report = engine.report(run_id, tuple(parties))
        if not report.intact:
            raise Rejected(
                lazy(
                    "the final AAR of run %(run)s no longer matches the hash it was finalised with;"
                    " check the run with 'sitroom verify'",
                    run=run_id,
                ),
                field="run",
                status=409,
            )
        model = report.model
        names = {c.capability: _first(c.name) for c in model.capabilities}
        command = cmd.ImportReport(
            edition=series.edition,
            run=run_id,
            report_hash=report.hash,
            final=report.final,
            actions=tuple(
                cmd.ImportedAction(
                    id=row.id,
                    finding=row.finding,
                    capability=row.capability or "",
                    capability_name=_first(row.capability_name) if row.capability_name else "",
                    issue=row.issue,
                    action=row.action,
                    element=row.element,
                    organisation=row.organisation,
                    poc=row.poc,
                    start=row.start,
                    completion=row.completion,
                )
                for row in model.improvement_plan
            ),
            ratings=tuple((c.objective, c.capability, c.rating) for c in model.capabilities),
            retests=tuple(
                cmd.ImportedRetest(r.action, r.objective, r.rating, r.outcome)
                for r in model.retests
            ),
            capability_names=tuple(sorted(names.items())),
        )
        return self.handle(series_id, command, principal, key)

    def attach(
        self,
        series_id: str,
        action_id: str,
        filename: str,
        data: bytes,
        media_type: str,
        note: str,
        principal: Principal,
    ) -> Applied:
        """Store an evidence file (by SHA-256) and record it on the action."""
        if len(data) > MAX_EVIDENCE_BYTES:
            raise Rejected(
                lazy(
                    "%(filename)s is %(size)s MB; evidence files may be at most %(limit)s MB",
                    filename=filename,
                    size=format(len(data) / 1024 / 1024, ".1f"),
                    limit=MAX_EVIDENCE_BYTES // 1024 // 1024,
                ),
                field="file",
                status=413,
            )
        digest = hashlib.sha256(data).hexdigest()
        name = Path(filename).name
        command = cmd.AttachEvidence(action_id, name, media_type, len(data), digest, note)
        # Check before writing, so a refused attachment leaves no file behind.
        decide(self.state(series_id, principal), command, principal, self.clock())
        self.evidence_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        target = self.evidence_dir / digest
        if not target.exists():
            partial = target.with_suffix(".part")
            partial.write_bytes(data)
            partial.replace(target)
        return self.handle(series_id, command, principal)

    def evidence_path(self, sha256: str) -> Path | None:
        """Where the evidence file with this hash is stored, if it is."""
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            return None
        path = self.evidence_dir / sha256
        return path if path.is_file() else None

    # -- spreadsheets ---------------------------------------------------------------------------

    def export_xlsx(self, series_id: str, principal: Principal) -> bytes:
        """The series' corrective actions as an .xlsx workbook."""
        return export_actions(self.state(series_id, principal))

    def import_xlsx(self, series_id: str, data: bytes, principal: Principal) -> XlsxImport:
        """Apply a workbook of actions: everything in one append, or nothing and the problems.

        Raises ``UnreadableWorkbook`` for a file that is not an .xlsx workbook.
        """
        plan = plan_import(self.state(series_id, principal), data, principal, self.clock())
        if not plan.ok:
            return XlsxImport(problems=tuple(plan.problems))
        rows = len({n for n, _ in plan.commands})
        if not plan.events:  # nothing changed: nothing to record
            return XlsxImport(rows=rows, events=0)

        def replan(state: SeriesState) -> list[ev.Event]:
            # Planned again on the state the append is checked against, so ids and
            # transitions are those of the stream as it is now.
            again = plan_import(state, data, principal, self.clock())
            if not again.ok:
                raise Rejected("; ".join(again.problems), status=409)
            return again.events

        applied = self._record(series_id, replan, principal, None, None)
        return XlsxImport(rows=rows, events=len(applied.events))

    # -- the next edition ---------------------------------------------------------------------

    def retest_objectives(
        self,
        series_id: str,
        package: Package,
        principal: Principal,
        edition: str | None = None,
    ) -> Package:
        """``package`` with one objective re-testing each carried action (not verified or
        cancelled) that no objective re-tests yet; with ``edition``, also set as this series'
        edition."""
        state = self.state(series_id, principal)
        covered = {a for o in package.objectives for a in o.retests}
        ids = {o.id for o in package.objectives}
        korean = "ko" in package.exercise.languages
        added: list[Objective] = []
        for action in state.actions.values():
            if action.status not in CARRIED or action.id in covered:
                continue
            objective_id = "retest-" + _slug(action.id)
            if objective_id in ids:
                continue
            what = f"{action.action} ({action.issue})"
            text = {"en": f"Re-test: {what}"}
            if korean:
                text["ko"] = f"재검증: {what}"
            added.append(
                Objective(
                    id=objective_id,
                    text=text,
                    capabilities=(action.capability,) if action.capability else (),
                    retests=(action.id,),
                )
            )
        exercise = package.exercise
        if edition is not None:
            exercise = exercise.model_copy(update={"series": Series(id=series_id, edition=edition)})
        return package.model_copy(
            update={"objectives": (*package.objectives, *added), "exercise": exercise}
        )


def _first(text: Mapping[str, str]) -> str:
    """English text of a package text, else its first language."""
    return text.get("en") or next(iter(text.values()), "")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
