"""A scripted cell that plays a simulated organisation (``simcell-<id>``, principal
``cell:org:<id>``): it reads the threads teams open with the organisation — nothing else of
the run passes the gate for it — and answers each message of a team with the first canned
answer of the organisation's ``script`` whose keywords the message holds.

Like every follower it acts by commands under keys derived from the event it answers, so a
restart never answers twice; a message no canned answer fits is left for the SimCell staff.

With a language model configured (``SITROOM_LLM_BASE_URL``), the model plays the organisation
instead (services/cells/orgmind.py): it is shown the organisation's own threads — what the gate
showed this cell — and its answer is sent as ``CellAct`` with the trace, or a recorded "no
action" when the model fails twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.visibility import ORGANISATION_CELL
from sitroom.package.model import Package
from sitroom.package.orgmodel import CannedAnswer
from sitroom.services.cells.orgmind import ask_model
from sitroom.services.cells.provider import ChatClient
from sitroom.services.followers import Act, BaseFollower, FollowedRun, Seen

PREFIX = "simcell-"
"""Followers named ``simcell-<organisation>`` (``sitroom follow simcell-velmora-mfa``)."""


def organisation_principal(organisation: str) -> Principal:
    """The cell's principal: no team, no party, no role beyond a player's — the gate shows it
    the threads of its organisation and nothing else."""
    return Principal(id=f"{ORGANISATION_CELL}{organisation}", role=Role.PLAYER, name=organisation)


def canned_answer(answers: Iterable[CannedAnswer], message: str) -> CannedAnswer | None:
    """The first answer whose keywords ``message`` holds (any case); one without keywords
    fits any message."""
    lowered = message.casefold()
    for answer in answers:
        if not answer.keywords or any(k.casefold() in lowered for k in answer.keywords):
            return answer
    return None


class OrganisationCell(BaseFollower):
    """Answers as ``organisation`` in every followed run whose package scripts it."""

    def __init__(
        self,
        organisation: str,
        packages: Callable[[str], Package],
        client: ChatClient | None = None,
    ) -> None:
        self.name = f"{PREFIX}{organisation}"
        self.organisation = organisation
        self.principal = organisation_principal(organisation)
        self._packages = packages
        self._client = client
        self._threads: dict[tuple[str, str], list[dict[str, str]]] = {}

    def on_event(self, run: FollowedRun, seen: Seen) -> Iterable[Act]:
        package = self._packages(run.run_id)
        found = package.organisation(self.organisation)
        if found is None or (found.script is None and self._client is None):
            return []
        data = seen.data
        if seen.type == "thread-opened" and data.get("organisation") == self.organisation:
            thread, message = str(data["id"]), f"{data['subject']}\n{data['body']}"
            side = "team"
        elif seen.type == "thread-message-posted":
            thread, message, side = str(data["thread"]), str(data["body"]), str(data["side"])
        else:
            return []
        history = self._threads.setdefault((run.run_id, thread), [])
        history.append({"from": side, "text": message})
        if side != "team":
            return []
        if self._client is not None:
            choice = ask_model(self._client, package, found, list(history), seed=seen.seq)
            if choice.answer is None:
                return [Act(cmd.CellAct(None, choice.trace, choice.note), key=seen.key("none"))]
            post = cmd.PostInThread(thread, choice.answer.text, choice.answer.classification)
            return [Act(cmd.CellAct(post, choice.trace), key=seen.key())]
        if found.script is None:
            return []
        answer = canned_answer(found.script.answers, message)
        if answer is None:
            return []
        command = cmd.PostInThread(thread, answer.text, found.script.classification)
        return [Act(command, key=seen.key())]
