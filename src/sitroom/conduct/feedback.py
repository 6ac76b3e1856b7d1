"""The Participant Feedback Form's fixed statements, each rated 1 (strongly disagree) to 5
(strongly agree). Ids are stable: feedback events store them, reports look the text up here."""

from __future__ import annotations

from dataclasses import dataclass

PRIORITIES = ("High", "Medium", "Low")
"""Priorities a suggested corrective action may carry."""

MAX_ITEMS = 20
"""Most entries in one list of the form (strengths, improvements, actions)."""


@dataclass(frozen=True, slots=True)
class Statement:
    """One Likert statement of the form, in every language the interface speaks."""

    id: str
    text: dict[str, str]


STATEMENTS: tuple[Statement, ...] = (
    Statement(
        "briefings",
        {
            "en": "Pre-exercise briefings were informative and gave the background I needed.",
            "ko": "연습 전 브리핑은 유익했고 필요한 배경을 제공했다.",
        },
    ),
    Statement(
        "scenario-plausible",
        {
            "en": "The scenario was plausible and realistic.",
            "ko": "시나리오는 개연성 있고 현실적이었다.",
        },
    ),
    Statement(
        "right-people",
        {
            "en": "The right people took part in the exercise.",
            "ko": "적절한 인원이 연습에 참여했다.",
        },
    ),
    Statement(
        "objectives-clear",
        {
            "en": "The exercise objectives were clear and the discussion served them.",
            "ko": "연습 목표가 명확했고 토의가 목표에 부합했다.",
        },
    ),
    Statement(
        "facilitation",
        {
            "en": "The facilitator kept the discussion focused and moving.",
            "ko": "진행자는 토의를 집중되고 원활하게 이끌었다.",
        },
    ),
    Statement(
        "materials",
        {
            "en": "The exercise materials were clear and useful.",
            "ko": "연습 자료는 명확하고 유용했다.",
        },
    ),
    Statement(
        "consultation",
        {
            "en": "The exercise tested how we consult our allies and partners.",
            "ko": "연습은 동맹국 및 협력기관과의 협의 방식을 점검했다.",
        },
    ),
    Statement(
        "better-prepared",
        {
            "en": "After this exercise I am better prepared to carry out my role.",
            "ko": "이 연습 후 나는 내 역할을 수행할 준비가 더 잘 되었다.",
        },
    ),
)

STATEMENT_IDS = frozenset(s.id for s in STATEMENTS)
