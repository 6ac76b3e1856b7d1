"""A small, fictional exercise package for document tests.

Two fictional allies, Aldoria (ALD) and Borenia (BRN), consult on a cross-border grid
outage. Some texts have Korean versions and some do not, so language fallback is exercised.
"""

from __future__ import annotations

import copy
from typing import Any

from sitroom.package.model import Package

BASE: dict[str, Any] = {
    "exercise": {
        "id": "northern-lantern-27",
        "title": {"en": "NORTHERN LANTERN 27", "ko": "노던 랜턴 27"},
        "series": {"id": "NL", "edition": "2027"},
        "type": "tabletop",
        "dates": {"start": "2027-03-04", "end": "2027-03-06"},
        "venue": "Joint Staff College, Port Miren",
        "scope": {
            "en": "A three-day policy-level tabletop exercise on allied consultation.",
            "ko": "동맹 협의에 관한 3일간의 정책 수준 토의식 연습.",
        },
        "mission_areas": ["response", "recovery"],
        "threat_or_hazard": {"en": "Cross-border power grid outage", "ko": "국경 간 전력망 정전"},
        "scenario": {
            "en": "A winter storm and a **cyber intrusion** cut power in both countries.",
            "ko": "겨울 폭풍과 **사이버 침입**으로 양국의 전력이 끊긴다.",
        },
        "sponsor": "Aldorian Ministry of Civil Defence",
        "participating_organizations": [
            "Aldorian Ministry of Civil Defence",
            "Borenian Grid Authority",
        ],
        "points_of_contact": [
            {
                "name": "Mara Velt",
                "organization": "Aldorian Ministry of Civil Defence",
                "role": "Exercise Director",
                "email": "mara.velt@example.org",
            },
        ],
        "languages": ["en", "ko"],
        "default_marking": {"classification": "UNCLASSIFIED", "releasable_to": ["ald", "brn"]},
    },
    "parties": [
        {"id": "ald", "name": {"en": "Aldoria", "ko": "알도리아"}, "code": "ALD"},
        {"id": "brn", "name": {"en": "Borenia", "ko": "보레니아"}, "code": "BRN"},
    ],
    "teams": [
        {
            "id": "ald-policy",
            "name": {"en": "Aldorian policy cell", "ko": "알도리아 정책반"},
            "party": "ald",
        },
        {"id": "brn-policy", "name": {"en": "Borenian policy cell"}, "party": "brn"},
        {"id": "excon", "name": "Exercise control", "kind": "control"},
        {"id": "eval", "name": "Evaluation team", "kind": "evaluators"},
    ],
    "capabilities": [
        {"id": "allied-consultation", "name": {"en": "Allied Consultation", "ko": "동맹 협의"}},
    ],
    "objectives": [
        {
            "id": "obj-1",
            "text": {
                "en": "Agree a joint public statement within two hours of the outage.",
                "ko": "정전 후 2시간 이내에 공동 대국민 발표문에 합의한다.",
            },
            "capabilities": ["public-information-and-warning", "allied-consultation"],
            "targets": [
                {
                    "id": "tg-1",
                    "capability": "public-information-and-warning",
                    "text": "Issue a joint statement within two hours.",
                    "tasks": [
                        {
                            "id": "t-1",
                            "text": "Consult the ally before publishing.",
                            "source": "acg/4.2",
                        },
                    ],
                }
            ],
        },
        {
            "id": "obj-2",
            "text": "Decide who leads recovery coordination.",
            "capabilities": ["operational-coordination"],
        },
    ],
    "references": [
        {
            "id": "acg",
            "title": "Allied Consultation Guidelines",
            "short_title": "ACG",
            "clauses": [
                {
                    "id": "4.2",
                    "title": "Prior consultation",
                    "text": "Each party consults the other before public statements.",
                },
            ],
        }
    ],
    "modules": [
        {
            "id": "m1",
            "title": {"en": "The lights go out", "ko": "전기가 꺼지다"},
            "start": "2027-01-14T06:00",
            "end": "2027-01-14T12:00",
            "duration": "1h30m",
            "facilitator_notes": "Let each cell answer before opening the plenary.",
            "narrative": {
                "en": "At 06:00 the grid fails across the border region.",
                "ko": "06:00에 국경 지역 전역에서 전력망이 멈춘다.",
            },
            "key_issues": [
                {"en": "Who speaks first to the public?", "ko": "누가 먼저 발표하는가?"}
            ],
            "questions": [
                {
                    "id": "q1",
                    "text": {
                        "en": "What do you tell the public?",
                        "ko": "국민에게 무엇을 알리는가?",
                    },
                },
                {
                    "id": "q2",
                    "text": "Whom does the Aldorian cell call first?",
                    "teams": ["ald-policy"],
                },
                {"id": "q3", "text": "What does Borenia need from its ally?", "parties": ["brn"]},
            ],
            "injects": [
                {
                    "number": "1",
                    "title": "Grid operator report",
                    "offset": "10m",
                    "scenario_time": "2027-01-14T06:15",
                    "from": "Borenian Grid Authority",
                    "to": ["ald-policy", "brn-policy"],
                    "delivery": "email",
                    "content": "Both interconnectors are down. Restoration time unknown.",
                    "objectives": ["obj-1"],
                    "tasks": ["t-1"],
                    "clauses": ["acg/4.2"],
                    "expected_actions": ["Aldoria calls Borenia before any statement."],
                    "controller": "EXCON lead",
                    "notes": "If no call within *15 min*, prompt via the liaison officer.",
                },
                {
                    "number": "2",
                    "title": "Press enquiry",
                    "offset": "30m",
                    "content": "A reporter asks whether the outage is an attack.",
                    "marking": {"tlp": "AMBER", "releasable_to": ["ald"]},
                },
            ],
            "polls": [
                {
                    "id": "p1",
                    "question": "Is a joint statement needed now?",
                    "options": [{"id": "y", "text": "Yes"}, {"id": "n", "text": "No"}],
                },
            ],
        },
        {
            "id": "m2",
            "title": "Recovery",
            "duration": "2h",
            "narrative": "Power returns slowly; questions of lead and cost remain.",
            "questions": [{"id": "q4", "text": "Who leads recovery coordination?"}],
        },
    ],
    "assumptions": [
        {"en": "Communications between capitals work.", "ko": "수도 간 통신은 작동한다."}
    ],
    "artificialities": ["Time is compressed."],
}


def package_data() -> dict[str, Any]:
    """A fresh, mutable copy of the package data."""
    return copy.deepcopy(BASE)


def make_package(data: dict[str, Any] | None = None) -> Package:
    """Validate ``data`` (default: the base package) into a ``Package``."""
    return Package.model_validate(
        data if data is not None else package_data(), context={"default_language": "en"}
    )
