"""Conditions of triggers: a compact text syntax, parsed into a typed tree and written back.

A condition is one fact of the run's log, or ``all(...)``/``any(...)`` of several::

    not-concurred(with=ald, within=1h30m, after=module:day2)
    all(module(day2), not-answered(2.3, within=30m, by=ald-nss))

Every fact is *monotone*: once true it stays true (a "not" is always bounded by a time: "not
answered within 30 minutes of release"), so "the moment a condition first became true" is
well defined, and a trigger fires at most once. The facts and their arguments are listed in
``FACTS``; ``docs/package-format.md`` documents them for planners.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sitroom.package.timeforms import parse_duration, parse_scenario_time

COMBINATIONS = ("all", "any")


@dataclass(frozen=True, slots=True)
class Fact:
    """What a fact takes: its subject (first, unnamed argument), its named arguments."""

    subject: str | None  # the kind of thing the first argument names, or None: no subject
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    summary: str = ""


FACTS: dict[str, Fact] = {
    "released": Fact("inject", summary="the inject was released"),
    "acknowledged": Fact("inject", (), ("by",), "a player (of team `by`) acknowledged it"),
    "answered": Fact("inject", (), ("by",), "a team (`by`) answered it"),
    "not-acknowledged": Fact(
        "inject", (), ("within", "before", "by"), "released, and no acknowledgement in time"
    ),
    "not-answered": Fact(
        "inject", (), ("within", "before", "by"), "released, and no answer in time"
    ),
    "proposed": Fact(None, (), ("by", "with"), "a decision (of party/team `by`, asking `with`)"),
    "concurred": Fact(
        None, (), ("by", "with", "within", "after", "before"), "a joint decision was concurred"
    ),
    "not-concurred": Fact(
        None,
        (),
        ("by", "with", "within", "after", "before"),
        "a party refused to concur, or (with `within`) had not concurred by the deadline",
    ),
    "poll": Fact(
        "poll",
        (),
        ("wins", "confidence-below"),
        "the poll closed with option `wins` ahead, or mean confidence below the value",
    ),
    "milestone": Fact("milestone", summary="the milestone was reached"),
    "module": Fact("module", summary="the module was opened"),
    "choice": Fact("inject", ("is",), (), "the choice offered by the inject settled on `is`"),
}
"""Every fact a condition may name."""

ANCHORS = ("inject", "module", "milestone")
"""What ``after=`` may name: an inject's release, a module's opening, a milestone reached."""

_TOKEN = re.compile(r"\s*(?:(?P<word>[A-Za-z0-9][A-Za-z0-9_.:\-]*)|(?P<sym>[(),=]))")


class ConditionSyntaxError(ValueError):
    """A condition that does not parse; the message says where and what was expected."""


@dataclass(frozen=True, slots=True)
class Condition:
    """One node: a fact (``op`` in FACTS) with its subject and arguments, or all/any of parts."""

    op: str
    subject: str | None = None
    args: tuple[tuple[str, str], ...] = ()
    parts: tuple[Condition, ...] = ()

    def arg(self, name: str) -> str | None:
        return dict(self.args).get(name)

    def facts(self) -> list[Condition]:
        """Every fact in this condition, depth first."""
        if self.op in COMBINATIONS:
            return [fact for part in self.parts for fact in part.facts()]
        return [self]

    def __str__(self) -> str:
        return format_condition(self)


def format_condition(condition: Condition) -> str:
    """The compact text of ``condition`` (``parse_condition`` reads it back to the same tree)."""
    if condition.op in COMBINATIONS:
        return f"{condition.op}({', '.join(format_condition(p) for p in condition.parts)})"
    inside = [condition.subject] if condition.subject is not None else []
    inside += [f"{key}={value}" for key, value in condition.args]
    return f"{condition.op}({', '.join(inside)})"


def parse_condition(text: str) -> Condition:
    """Parse the compact syntax; raise ConditionSyntaxError naming the position and the fix."""
    tokens = _tokens(text)
    condition, at = _parse(tokens, 0, text)
    if at != len(tokens):
        raise ConditionSyntaxError(f"unexpected '{tokens[at][1]}' after the condition")
    return condition


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ConditionSyntaxError(
                f"unexpected character '{text[pos:].strip()[:1]}' at position {pos + 1}"
            )
        kind = "word" if match.group("word") else "sym"
        tokens.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    if not tokens:
        raise ConditionSyntaxError("the condition is empty")
    return tokens


def _expect(tokens: list[tuple[str, str]], at: int, sym: str) -> int:
    if at >= len(tokens) or tokens[at] != ("sym", sym):
        found = f"'{tokens[at][1]}'" if at < len(tokens) else "the end"
        raise ConditionSyntaxError(f"expected '{sym}' but found {found}")
    return at + 1


def _parse(tokens: list[tuple[str, str]], at: int, text: str) -> tuple[Condition, int]:
    if at >= len(tokens) or tokens[at][0] != "word":
        raise ConditionSyntaxError("expected a fact such as released(1.2), or all(...)/any(...)")
    op = tokens[at][1]
    at = _expect(tokens, at + 1, "(")
    if op in COMBINATIONS:
        parts: list[Condition] = []
        while True:
            part, at = _parse(tokens, at, text)
            parts.append(part)
            if at < len(tokens) and tokens[at] == ("sym", ","):
                at += 1
                continue
            break
        at = _expect(tokens, at, ")")
        return Condition(op, parts=tuple(parts)), at
    fact = FACTS.get(op)
    if fact is None:
        known = ", ".join([*FACTS, *COMBINATIONS])
        raise ConditionSyntaxError(f"unknown fact '{op}'; known: {known}")
    subject: str | None = None
    args: list[tuple[str, str]] = []
    while at < len(tokens) and tokens[at] != ("sym", ")"):
        if args or subject is not None:
            at = _expect(tokens, at, ",")
        if at >= len(tokens) or tokens[at][0] != "word":
            raise ConditionSyntaxError(f"expected an argument of {op}(...)")
        word = tokens[at][1]
        if at + 1 < len(tokens) and tokens[at + 1] == ("sym", "="):
            if at + 2 >= len(tokens) or tokens[at + 2][0] != "word":
                raise ConditionSyntaxError(f"{op}: '{word}=' needs a value")
            args.append((word, tokens[at + 2][1]))
            at += 3
        elif subject is None and not args:
            subject = word
            at += 1
        else:
            raise ConditionSyntaxError(f"{op}: write '{word}' as name=value")
    at = _expect(tokens, at, ")")
    condition = Condition(op, subject, tuple(args))
    _check_arguments(condition, fact)
    return condition, at


def _check_arguments(condition: Condition, fact: Fact) -> None:
    op = condition.op
    if fact.subject is not None and condition.subject is None:
        raise ConditionSyntaxError(f"{op}(...) needs the {fact.subject} it is about first")
    if fact.subject is None and condition.subject is not None:
        raise ConditionSyntaxError(f"{op}(...) takes only name=value arguments")
    allowed = (*fact.required, *fact.optional)
    names = [name for name, _ in condition.args]
    for name in names:
        if name not in allowed:
            accepted = ", ".join(allowed) or "none"
            raise ConditionSyntaxError(f"{op}: unknown argument '{name}' (accepted: {accepted})")
        if names.count(name) > 1:
            raise ConditionSyntaxError(f"{op}: '{name}' is given twice")
    for name in fact.required:
        if name not in names:
            raise ConditionSyntaxError(f"{op}(...) needs {name}=...")
    within, after = condition.arg("within"), condition.arg("after")
    if within is not None:
        try:
            parse_duration(within)
        except ValueError as error:
            raise ConditionSyntaxError(
                f"{op}: within={within} is not a duration ({error})"
            ) from None
    if op in ("concurred", "not-concurred") and (within is None) != (after is None):
        raise ConditionSyntaxError(f"{op}: within= and after= go together (a deadline)")
    before = condition.arg("before")
    if before is not None:
        if within is not None:
            raise ConditionSyntaxError(
                f"{op}: give one deadline, within= (exercise time) or before= (scenario time)"
            )
        try:
            parse_scenario_time(before)
        except ValueError as error:
            raise ConditionSyntaxError(f"{op}: before={before}: {error}") from None
    if op in ("not-acknowledged", "not-answered") and within is None and before is None:
        raise ConditionSyntaxError(
            f"{op}(...) needs a deadline: within=30m (exercise time after the release) "
            "or before=<scenario time>"
        )
    if after is not None:
        kind, _, ref = after.partition(":")
        if kind not in ANCHORS or not ref:
            raise ConditionSyntaxError(
                f"{op}: after={after} should be inject:<number>, module:<id> or milestone:<id>"
            )
    if op == "poll" and (condition.arg("wins") is None) == (
        condition.arg("confidence-below") is None
    ):
        raise ConditionSyntaxError("poll(...) needs exactly one of wins= or confidence-below=")
    below = condition.arg("confidence-below")
    if below is not None and not re.fullmatch(r"\d+(\.\d+)?", below):
        raise ConditionSyntaxError(f"poll: confidence-below={below} should be a number")


def condition_from(value: Any) -> Any:
    """Pydantic before-validator: text becomes a Condition; anything else passes on."""
    if isinstance(value, str):
        try:
            return parse_condition(value)
        except ConditionSyntaxError as error:
            raise ValueError(f"condition '{value}': {error}") from None
    return value
