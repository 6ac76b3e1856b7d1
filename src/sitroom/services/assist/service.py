"""Running an assistant for a person: gather what they may see, ask (a model, or the
deterministic scripted assistant), check, and record the proposal as ``RecordProposal``.

The request's ``user`` field names the assistant's principal (``assist:evaluator``,
``assist:facilitator``, ``assist:report``). With no endpoint configured every assistant is
scripted: deterministic, from the evidence alone, so it works offline and in CI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sitroom.conduct import commands as cmd
from sitroom.conduct.handlers.assist import check_asker
from sitroom.conduct.handlers.checks import check_started
from sitroom.conduct.principal import Principal
from sitroom.conduct.run import Rejected
from sitroom.config import Settings
from sitroom.services.assist import evaluator, facilitator, report
from sitroom.services.assist.asking import Asked, ask, messages, scripted_trace
from sitroom.services.assist.evidence import gather
from sitroom.services.cells.provider import ChatClient, Endpoint
from sitroom.services.runs import Engine, Outcome

NOTHING = "no proposal: nothing in the record to rest on"


@dataclass(frozen=True, slots=True)
class Proposed:
    """A recorded proposal: its id, its items, and the outcome of recording it."""

    id: str
    items: list[dict[str, Any]]
    note: str
    outcome: Outcome


class Assistants:
    """The three assistants of one process, on one model endpoint (None: scripted)."""

    def __init__(self, engine: Engine, client: ChatClient | None = None) -> None:
        self.engine = engine
        self.client = client

    @classmethod
    def from_settings(cls, engine: Engine, settings: Settings) -> Assistants:
        """A model at SITROOM_LLM_BASE_URL when one is set, else the scripted assistants."""
        if not settings.llm_base_url:
            return cls(engine)
        endpoint = Endpoint(
            settings.llm_base_url,
            settings.llm_model,
            settings.llm_api_key,
            settings.llm_timeout,
            settings.llm_retries,
        )
        return cls(engine, ChatClient(endpoint))

    @property
    def provider(self) -> str:
        return "openai-compatible" if self.client else "scripted"

    def propose(
        self, run_id: str, principal: Principal, assistant: str, about: int | None = None
    ) -> Proposed:
        """Ask ``assistant`` for ``principal`` and record what it proposes (or that it has
        nothing). ``about``: for the facilitator, the response's event (default: the latest
        the facilitator sees). Raises ``Rejected`` for someone who may not ask."""
        check_asker(assistant, principal)
        state = self.engine.state(run_id)
        check_started(state)  # before the model is asked: nothing to propose before STARTEX
        about_ref = ""
        if assistant == "evaluator":
            facts = gather(self.engine, run_id, principal)
            shown = evaluator.facts_of(state.package, facts)
            asked = self._ask(
                shown,
                evaluator.USER,
                evaluator.SYSTEM,
                evaluator.TASK,
                evaluator.RatingsAnswer,
                evaluator.check,
                evaluator.scripted,
            )
            objective_of = {
                t.id: o.id for o in state.package.objectives for tg in o.targets for t in tg.tasks
            }
            for item in asked.result or ():
                item["objective"] = objective_of.get(item["task"])
        elif assistant == "facilitator":
            response = self._response(run_id, principal, about)
            if response is None:
                raise Rejected("no response to follow up yet", field="about", status=409)
            about_ref = str(response["event"])
            shown = facilitator.facts_of(state, response)
            asked = self._ask(
                shown,
                facilitator.USER,
                facilitator.SYSTEM,
                facilitator.TASK,
                facilitator.FollowUp,
                facilitator.check,
                facilitator.scripted,
            )
        else:
            facts = gather(self.engine, run_id, principal)
            shown = report.facts_of(state, facts)
            asked = self._ask(
                shown,
                report.USER,
                report.SYSTEM,
                report.TASK,
                report.FindingsAnswer,
                report.check,
                lambda s: report.scripted(state, s),
            )
        items = list(asked.result or [])
        note = asked.note or ("" if items else NOTHING)
        command = cmd.RecordProposal(
            assistant, tuple(items), asked.trace, about_ref, asked.dropped, note
        )
        outcome = self.engine.handle(run_id, command, principal)
        return Proposed(str(outcome.events[0].payload["id"]), items, note, outcome)

    def _ask(
        self,
        shown: dict[str, Any],
        user: str,
        system: list[str],
        task: str,
        answer: Any,
        check: Any,
        scripted: Any,
    ) -> Asked:
        if self.client is None:
            return Asked(scripted(shown), scripted_trace(shown))
        prompt = messages(system, task, shown)
        return ask(self.client, user, prompt, answer, lambda parsed: check(shown, parsed))

    def _response(
        self, run_id: str, principal: Principal, about: int | None
    ) -> dict[str, Any] | None:
        """The response to follow up, as the facilitator sees it (minimised)."""
        found = None
        for fact in gather(self.engine, run_id, principal, ("response-submitted",)):
            if about is None or fact.seq == about:
                found = fact
        return found.as_json() if found is not None else None
