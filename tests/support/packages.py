"""Small packages for tests: two allied parties, player teams, control-only markers."""

from __future__ import annotations

from sitroom.package.load import load_text
from sitroom.package.model import Package

SECRET_MARKERS = (
    "ZZEXPECTED-ACTION",
    "ZZCONTROLLER-NAME",
    "ZZINJECT-NOTES",
    "ZZFACILITATOR",
    "ZZCONTINGENCY-TEXT",
    "ZZALD-ONLY-TEXT",
)

TWO_PARTIES = """
exercise:
  id: duo
  title: {en: Duo exercise, ko: 듀오 연습}
  languages: [en, ko]
  default_marking: {classification: UNCLASSIFIED, releasable_to: [ald, brn]}
parties:
  - {id: ald, name: {en: Aldoria, ko: 알도리아}, code: ALD}
  - {id: brn, name: {en: Brenland, ko: 브렌란드}, code: BRN}
teams:
  - {id: ald-nsc, name: {en: Aldoria staff, ko: 알도리아 참모}, party: ald}
  - {id: brn-nsc, name: {en: Brenland staff, ko: 브렌란드 참모}, party: brn}
  - {id: excon, name: {en: EXCON, ko: 통제반}, kind: control}
references:
  - id: guide
    title: {en: Guidelines, ko: 지침}
    clauses:
      - {id: "1.1", text: {en: Consult early., ko: 조기에 협의한다.}}
objectives:
  - id: o1
    text: {en: Consult within two hours., ko: 두 시간 내 협의한다.}
    capabilities: [operational-coordination]
    targets:
      - id: t1
        capability: operational-coordination
        text: {en: Consult., ko: 협의.}
        tasks: [{id: k1, text: {en: Call the ally., ko: 동맹국에 연락.}, source: guide/1.1}]
modules:
  - id: m1
    title: {en: Day 1, ko: 1일차}
    start: 2027-03-04T09:00:00Z
    facilitator_notes: {en: ZZFACILITATOR, ko: ZZFACILITATOR}
    questions:
      - id: q1
        text: {en: "What do you tell the ally?", ko: "동맹국에 무엇을 알리는가?"}
        objectives: [o1]
      - id: q2
        text: {en: Aldoria only question, ko: 알도리아 질문}
        parties: [ald]
    polls:
      - id: p1
        question: {en: "Raise the level?", ko: "수준을 높이는가?"}
        ask_confidence: true
        options:
          - {id: yes, text: {en: Yes, ko: 예}}
          - {id: no, text: {en: No, ko: 아니오}}
    injects:
      - number: 1
        title: {en: Announcement, ko: 발표}
        content: {en: A test is announced., ko: 시험이 발표되었다.}
        offset: 10m
        objectives: [o1]
        expected_actions: [{en: ZZEXPECTED-ACTION, ko: ZZEXPECTED-ACTION}]
        controller: ZZCONTROLLER-NAME
        notes: {en: ZZINJECT-NOTES, ko: ZZINJECT-NOTES}
      - number: 2
        title: {en: National assessment, ko: 국가 평가}
        content: {en: ZZALD-ONLY-TEXT, ko: ZZALD-ONLY-TEXT}
        to: [ald-nsc]
        marking: {classification: SECRET, releasable_to: [ald]}
      - number: 3
        title: {en: Nudge, ko: 유도}
        type: contingency
        contingency_for: 1
        content: {en: ZZCONTINGENCY-TEXT, ko: ZZCONTINGENCY-TEXT}
  - id: m2
    title: {en: Day 2, ko: 2일차}
    start: 2027-03-05T09:00:00Z
    injects:
      - number: 4
        title: {en: Statement, ko: 성명}
        content: {en: Draft a joint statement., ko: 공동 성명을 작성하라.}
"""


def two_parties() -> Package:
    """The two-party test package (validated)."""
    result = load_text(TWO_PARTIES, "duo.yaml")
    assert result.package is not None, [str(p) for p in result.problems]
    return result.package


BRANCHES = {
    "milestones": [
        {
            "id": "agreed",
            "name": {"en": "Joint statement agreed", "ko": "공동성명 합의"},
            "objectives": ["o1"],
            "tasks": ["k1"],
            "trigger": {"when": "concurred(with=ald)", "mode": "fires"},
        },
        {"id": "acc", "name": {"en": "ACC session requested", "ko": "ACC 회의 요청"}},
    ],
    "m1": [
        {
            "number": "5",
            "title": {"en": "Wire story: allies split", "ko": "통신사: 동맹 이견"},
            "content": {"en": "ZZREFUSAL-BRANCH", "ko": "ZZREFUSAL-BRANCH"},
            "to": ["brn-nsc"],
            "trigger": "not-concurred(with=ald, within=30m, after=module:m1)",
        },
        {
            "number": "6",
            "title": {"en": "Statement welcomed", "ko": "성명 환영"},
            "content": {"en": "ZZCONCUR-BRANCH", "ko": "ZZCONCUR-BRANCH"},
            "trigger": {"when": "concurred(with=ald)", "mode": "fires"},
        },
        {
            "number": "7",
            "title": {"en": "Reminder", "ko": "독촉"},
            "content": {"en": "ZZREMINDER", "ko": "ZZREMINDER"},
            "trigger": {"when": "not-acknowledged(1, within=20m)", "mode": "fires"},
        },
        {
            "number": "8",
            "title": {"en": "ACC convenes", "ko": "ACC 소집"},
            "content": {"en": "ACC convenes.", "ko": "ACC 소집."},
            "trigger": {"when": "milestone(acc)", "mode": "fires"},
        },
    ],
    "m2": [
        {
            "number": "9",
            "title": {"en": "Option A follows", "ko": "A안 후속"},
            "content": {"en": "A follows.", "ko": "A안 후속."},
            "trigger": {"when": "choice(4, is=a)", "mode": "fires"},
        },
    ],
}


def branching() -> Package:
    """The two-party package with branches: a refusal and a concurrence branch on module m1's
    joint decision, a not-acknowledged reminder, two milestones, a joint choice on inject 4."""
    import yaml

    from sitroom.package.dump import _Dumper, to_data

    data = to_data(two_parties())
    data["milestones"] = BRANCHES["milestones"]
    data["modules"][0]["injects"] += BRANCHES["m1"]
    data["modules"][1]["injects"] += BRANCHES["m2"]
    data["modules"][1]["injects"][0]["choice"] = {
        "joint": True,
        "options": [{"id": "a", "text": "Option A"}, {"id": "b", "text": "Option B"}],
    }
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False)
    result = load_text(text, "branches.yaml")
    assert result.package is not None, [str(p) for p in result.problems]
    return result.package


ORGANISATIONS = [
    {
        "id": "ministry",
        "name": {"en": "Ministry of Foreign Affairs of Velmora", "ko": "벨모라 외교부"},
        "kind": "ministry",
        "played_by": ["White Cell"],
    },
    {
        "id": "press",
        "name": {"en": "Meridian Press Agency", "ko": "메리디안 통신"},
        "kind": "press",
        "played_by": ["White Cell"],
    },
]


def simcell() -> Package:
    """The two-party package with two simulated organisations (a ministry, a press agency)
    and inject 10, an e-mail from the ministry to Aldoria's team."""
    import yaml

    from sitroom.package.dump import _Dumper, to_data

    data = to_data(two_parties())
    data["organisations"] = ORGANISATIONS
    data["modules"][0]["injects"].append(
        {
            "number": "10",
            "title": {"en": "Note verbale", "ko": "구상서"},
            "content": {"en": "ZZMINISTRY-NOTE", "ko": "ZZMINISTRY-NOTE"},
            "to": ["ald-nsc"],
            "from_organisation": "ministry",
        }
    )
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False)
    result = load_text(text, "simcell.yaml")
    assert result.package is not None, [str(p) for p in result.problems]
    return result.package
