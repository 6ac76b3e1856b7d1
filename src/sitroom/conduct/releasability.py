"""Which parties a run's events concern, for a party's AAR: an event is in Aldoria's report
only if everything it shows is releasable to Aldoria (``reports.build`` reads the log through
``releasable_log``)."""

from __future__ import annotations

from collections.abc import Iterable

from sitroom.conduct import events as ev
from sitroom.conduct.gameevents import GAME_EVENTS
from sitroom.conduct.principal import CONTROL_ROLES as CONTROL_ROLES
from sitroom.conduct.principal import STAFF_ROLES as STAFF_ROLES
from sitroom.conduct.state import (
    Recorded,
)

# --- who is who: the roles that hold more than a player ---------------------------------------
from sitroom.conduct.visibility import inject_parties
from sitroom.package.model import (
    Package,
)


class Releasability:
    """Which parties each event of a run may be released to, walking the log in order.

    A party's AAR carries only what this says is releasable to it; a joint AAR only what is
    releasable to every party it names. Team material belongs to the team's party; an inject
    to the parties it went to, within its marking; a rating, clause record or finding to the
    parties all its evidence is releasable to (narrowed further by a finding's REL TO).
    """

    def __init__(self, package: Package) -> None:
        self.package = package
        self.all = frozenset(p.id for p in package.parties)
        self.by_seq: dict[int, frozenset[str]] = {}
        self._decisions: dict[str, frozenset[str]] = {}
        self._threads: dict[str, frozenset[str]] = {}  # SimCell thread -> its parties
        self._team_party = {t.id: t.party for t in package.teams}

    def _team(self, team: str | None) -> frozenset[str]:
        party = self._team_party.get(team) if team else None
        return frozenset((party,)) if party else frozenset()

    def _inject(self, number: str | None) -> frozenset[str]:
        inject = self.package.inject(number) if number else None
        return inject_parties(self.package, inject) if inject else frozenset()

    def _audience(self, teams: Iterable[str], parties: Iterable[str]) -> frozenset[str]:
        named = {p for t in teams for p in self._team(t)} | set(parties)
        return frozenset(named) if (teams or parties) else self.all

    def _thread(self, event: ev.Event) -> frozenset[str]:
        """A SimCell thread: its team's party, and the parties control forwarded it to."""
        match event:
            case ev.ThreadOpened(id=thread, team=team):
                self._threads[thread] = self._team(team)
                return self._threads[thread]
            case ev.ThreadForwarded(thread=thread, teams=teams, parties=parties):
                widened = self._threads.get(thread, frozenset()) | self._audience(teams, parties)
                self._threads[thread] = widened
                return widened
            case ev.ThreadRead(thread=thread) if thread.startswith("inject:"):
                return self._inject(thread.partition(":")[2])
            case ev.ThreadMessagePosted(thread=thread) | ev.ThreadRead(thread=thread):
                return self._threads.get(thread, frozenset())
        return frozenset()

    def evidence(self, seqs: Iterable[int]) -> frozenset[str]:
        """The parties every one of these events is releasable to (all, for no evidence)."""
        result = self.all
        for seq in seqs:
            result = result & self.by_seq.get(seq, frozenset())
        return result

    def add(self, recorded: Recorded) -> frozenset[str]:
        """Record and return the parties ``recorded`` is releasable to."""
        parties = self._of(recorded.event)
        self.by_seq[recorded.seq] = parties
        return parties

    def _of(self, event: ev.Event) -> frozenset[str]:
        match event:
            case (
                ev.InjectReleased(number=number)
                | ev.InjectCorrected(number=number)
                | ev.InjectRetracted(number=number)
                | ev.InjectReceived(number=number)
                | ev.InjectAcknowledged(number=number)
                | ev.InjectMailed(number=number)
                | ev.MailFailed(number=number)
            ):
                return self._inject(number)
            case ev.UpdateBroadcast(teams=teams, parties=parties):
                return self._audience(teams, parties)
            case ev.ResponseSubmitted(team=team) | ev.TeamNoteAdded(team=team):
                return self._team(team)
            case ev.DecisionProposed(id=decision, party=party, joint_with=joint_with):
                concerned = frozenset(p for p in (party, *joint_with) if p)
                self._decisions[decision] = concerned
                return concerned
            case (
                ev.DecisionConcurred(decision=decision) | ev.DecisionNonConcurred(decision=decision)
            ):
                return self._decisions.get(decision, frozenset())
            case ev.PollOpened(poll=poll_id) | ev.PollClosed(poll=poll_id):
                poll = next(
                    (p for m in self.package.modules for p in m.polls if p.id == poll_id), None
                )
                return self._audience(poll.teams, poll.parties) if poll else frozenset()
            case ev.PollVoteCast(team=team, party=party):
                return frozenset((party,)) if party else self._team(team)
            case ev.ObservationRecorded(team=team, inject=inject):
                about = self._team(team) if team else self.all
                return about & self._inject(inject) if inject else about
            case (
                ev.TargetRated(evidence=evidence)
                | ev.CapabilityRated(evidence=evidence)
                | ev.ClauseRecorded(evidence=evidence)
            ):
                return self.evidence(evidence)
            case ev.HotWashItemAdded(team=team, party=party):
                if team:
                    return self._team(team)
                return frozenset((party,)) if party else self.all
            case ev.FeedbackSubmitted(party=party):
                return frozenset((party,)) if party else self.all
            case ev.FindingSaved(evidence=evidence, rel_to=rel_to):
                allowed = frozenset(rel_to) if rel_to else self.all
                return allowed & self.evidence(evidence)
            case ev.ReportFinalised(parties=parties):
                return frozenset(parties)
            case (
                ev.CellActed()
                | ev.CellActionHeld()
                | ev.CellActionReleased()
                | ev.CellActionDiscarded()
                | ev.CellModeSet()
                | ev.AssistProposed()
                | ev.AssistAnswered()
            ):
                return frozenset()  # control's record of its cells and assistants: no party's
            case ev.ChoiceMade(inject=number):
                return self._inject(number)
            case (
                ev.ThreadOpened()
                | ev.ThreadMessagePosted()
                | ev.ThreadForwarded()
                | ev.ThreadRead()
            ):
                return self._thread(event)
            case (
                ev.TriggerMet(trigger=t)
                | ev.TriggerAccepted(trigger=t)
                | ev.TriggerDismissed(trigger=t)
            ) if t.startswith("inject:"):
                return self._inject(t.partition(":")[2])
        if isinstance(event, GAME_EVENTS):
            return frozenset()  # a matrix game's record: the complete AAR's turns section only
        # The run's lifecycle, modules opened, findings removed: every party's record.
        return self.all


def releasable_log(
    package: Package, log: Iterable[Recorded], parties: tuple[str, ...]
) -> tuple[list[Recorded], Releasability]:
    """The events of ``log`` releasable to every one of ``parties`` (all of it for none)."""
    releasability = Releasability(package)
    wanted = frozenset(parties)
    kept: list[Recorded] = []
    for recorded in log:
        allowed = releasability.add(recorded)
        if wanted <= allowed:
            kept.append(recorded)
    return kept, releasability
