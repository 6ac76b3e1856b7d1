"""The answers a cell may give, as JSON schemas for the model and pydantic models to check them.

An answer is valid when it parses, matches its model, and names only ids the situation
allows (this inject, these questions, these options, guideline clauses that exist, a party
of the package); then it becomes the commands a person of the team would send.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sitroom.conduct import commands as cmd
from sitroom.conduct import gamecommands as gcmd
from sitroom.services.cells.situation import Situation

MAX = 4_000


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Proposal(Strict):
    title: str = Field(max_length=200)
    text: str = Field(max_length=MAX)
    joint_with: list[str]
    clauses: list[str]


class InjectAnswer(Strict):
    acknowledge: bool
    response: str = Field(max_length=MAX)
    clauses: list[str]
    proposal: Proposal | None


class QuestionAnswer(Strict):
    question: str
    text: str = Field(max_length=MAX)


class QuestionsAnswer(Strict):
    answers: list[QuestionAnswer]


class PollAnswer(Strict):
    options: list[str] = Field(min_length=1)
    confidence: int = Field(ge=1, le=5)


class DecisionAnswer(Strict):
    concur: bool
    reasons: str = Field(max_length=MAX)
    clauses: list[str]


class ArgumentAnswer(Strict):
    action: str = Field(min_length=1, max_length=MAX)
    result: str = Field(min_length=1, max_length=MAX)
    reasons: str = Field(min_length=1, max_length=MAX)
    audience: list[str]
    secret: bool


MODELS: dict[str, type[Strict]] = {
    "inject": InjectAnswer,
    "questions": QuestionsAnswer,
    "poll": PollAnswer,
    "decision": DecisionAnswer,
    "argument": ArgumentAnswer,
}


class InvalidAnswer(ValueError):
    """An answer that does not parse, match its schema, or names an unknown id."""


def schema(kind: str) -> dict[str, Any]:
    """The JSON schema the model is asked to answer against."""
    return MODELS[kind].model_json_schema()


def parse(kind: str, text: str) -> Strict:
    """The answer ``text`` as its model; ``InvalidAnswer`` says what is wrong."""
    try:
        return MODELS[kind].model_validate_json(text)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the answer"
        raise InvalidAnswer(f"{where}: {first['msg']}") from None


def _check(situation: Situation, kind: str, values: list[str]) -> None:
    known = situation.ids.get(kind, frozenset())
    for value in values:
        if value not in known:
            shown = ", ".join(sorted(known)[:20]) or "none"
            raise InvalidAnswer(f"unknown {kind} '{value}' (known: {shown})")


def commands(
    situation: Situation, answer: Strict, parties: frozenset[str], own_party: str | None
) -> list[cmd.Command]:
    """The commands ``answer`` stands for, once every id it names is checked."""
    match answer:
        case InjectAnswer():
            _check(situation, "clause", answer.clauses)
            found: list[cmd.Command] = []
            if answer.acknowledge:
                found.append(cmd.AcknowledgeInject(situation.ref))
            if answer.response.strip():
                found.append(cmd.SubmitResponse("inject", situation.ref, answer.response))
            if answer.proposal is not None and answer.proposal.title.strip():
                found.append(_proposal(situation, answer.proposal, parties, own_party))
            return found
        case QuestionsAnswer():
            _check(situation, "question", [a.question for a in answer.answers])
            return [
                cmd.SubmitResponse("question", a.question, a.text)
                for a in answer.answers
                if a.text.strip()
            ]
        case PollAnswer():
            _check(situation, "option", answer.options)
            if len(answer.options) > 1 and not situation.multiple:
                raise InvalidAnswer("options: this poll takes one option")
            return [cmd.CastVote(situation.ref, tuple(answer.options), answer.confidence)]
        case DecisionAnswer():
            _check(situation, "clause", answer.clauses)
            if not answer.concur and not answer.reasons.strip():
                raise InvalidAnswer("reasons: a non-concurrence must give reasons")
            return [
                cmd.AnswerDecision(
                    situation.ref, answer.concur, answer.reasons, tuple(answer.clauses)
                )
            ]
        case ArgumentAnswer():
            _check(situation, "actor", answer.audience)
            return [
                gcmd.SubmitArgument(
                    answer.action,
                    answer.result,
                    answer.reasons,
                    audience=tuple(answer.audience),
                    secret=answer.secret,
                )
            ]
    raise InvalidAnswer(f"no commands for a {type(answer).__name__}")


def _proposal(
    situation: Situation, proposal: Proposal, parties: frozenset[str], own: str | None
) -> cmd.Command:
    _check(situation, "clause", proposal.clauses)
    for party in proposal.joint_with:
        if party not in parties or party == own:
            raise InvalidAnswer(f"joint_with: '{party}' is not another party of the exercise")
    return cmd.ProposeDecision(
        proposal.title, proposal.text, tuple(proposal.joint_with), tuple(proposal.clauses)
    )
