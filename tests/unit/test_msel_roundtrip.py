"""Exporting a package's MSEL and importing it again gives back the same injects and modules."""

from __future__ import annotations

import re
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from sitroom.package.load import load_text
from sitroom.package.model import DeliveryMethod, InjectType, Package, TeamKind
from sitroom.package.msel import export_msel, import_msel
from sitroom.package.msel.teams import ALL_WORDS

HAND_MADE = """
exercise:
  id: amber-tide-27
  title: {en: Exercise AMBER TIDE 27, ko: 앰버 타이드 27 연습}
  languages: [en, ko]
parties:
  - {id: ald, name: {en: Aldoria, ko: 알도리아}, code: ALD}
  - {id: brv, name: {en: Brevonia, ko: 브레보니아}, code: BRV}
teams:
  - {id: ald-mfa, name: {en: Aldoria MFA, ko: 알도리아 외교부}, party: ald}
  - {id: brv-mod, name: {en: Brevonia MOD, ko: 브레보니아 국방부}, party: brv}
  - {id: white-cell, name: White cell, kind: simulation}
objectives:
  - id: obj-1
    text: Consult allies within 24 hours
    capabilities: [operational-coordination]
    targets:
      - id: tgt-1
        capability: operational-coordination
        text: Consultations start within a day
        tasks: [{id: task-1, text: Request consultations}]
modules:
  - id: m1
    title: {en: Crisis onset, ko: 위기 발생}
    injects:
      - number: "1"
        title: {en: Vessel detained, ko: 선박 억류}
        content: {en: "A cargo vessel is detained.\\nCrew are safe.", ko: 화물선이 억류되었다.}
        scenario_time: 2027-08-21T09:00:00
        offset: 30m
        from: Maritime Authority
        to: [ald-mfa, brv-mod]
        delivery: email
        expected_actions:
          - {en: Ministries exchange assessments, ko: 평가 교환}
          - {en: A consultation call is set}
        objectives: [obj-1]
        tasks: [task-1]
        marking: {classification: RESTRICTED, releasable_to: [ald, brv]}
        controller: Lt Col A. Varga
        notes: {en: "Check the press line first", ko: 언론 대응 확인}
      - number: 1.1a
        title: {ko: 추가 보고}
        content: {ko: 추가 보고가 들어온다.}
        scenario_time: 2027-08-21T10:30:00+00:00
        delivery: in-person
        type: contingency
        marking: {tlp: AMBER}
  - id: m2
    title: Escalation
    injects:
      - number: A-3
        title: "=Port access denied"
        content: Ships are refused entry.
        offset: 1h15m
        to: [white-cell]
        delivery: social-media
        type: adaptive
  - id: m3
    title: Hot wash
"""


def _round_trip(package: Package, folder: Path) -> Package:
    report = import_msel(export_msel(package, folder / "msel.xlsx"))
    assert report.ok, report.summary()
    assert report.package is not None
    return report.package


def test_hand_made_package_round_trips(tmp_path: Path) -> None:
    loaded = load_text(HAND_MADE)
    assert loaded.package is not None, loaded.problems
    original = loaded.package
    again = _round_trip(original, tmp_path)
    assert again.modules == original.modules
    assert again.teams == original.teams
    assert again.parties == original.parties
    assert again.exercise.id == original.exercise.id
    assert again.exercise.title == original.exercise.title
    assert again.exercise.languages == original.exercise.languages


def test_export_layout(tmp_path: Path) -> None:
    loaded = load_text(HAND_MADE)
    assert loaded.package is not None
    path = export_msel(loaded.package, tmp_path / "out" / "msel.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == ["MSEL", "Exercise"]
    sheet = book["MSEL"]
    header = [c.value for c in sheet[3]]
    assert header[:10] == [
        "MSEL #",
        "Module",
        "Scenario Time",
        "Offset",
        "From (Simulated)",
        "From (Simulated) (ko)",  # the simulated sender is translated like the texts
        "To",
        "Delivery Method",
        "Inject Type",
        "Subject",
    ]
    assert "Description/Script (ko)" in header
    assert header[-2:] == ["Notes", "Notes (ko)"]
    assert sheet["A1"].value.startswith("EXERCISE EXERCISE EXERCISE")
    assert sheet.freeze_panes == "C4"
    assert all(cell.font.bold for cell in sheet[3])
    assert sheet.column_dimensions["J"].width > 20
    row = {h: c.value for h, c in zip(header, sheet[4], strict=False)}
    assert row["To"] == "Aldoria MFA; Brevonia MOD"
    assert row["Scenario Time"] == datetime(2027, 8, 21, 9, 0)
    assert row["Marking"] == "RESTRICTED//REL TO ALD, BRV"
    assert row["Expected Player Action (ko)"] == "평가 교환\n"
    assert sheet.cell(6, 10).value == "=Port access denied"
    assert sheet.cell(6, 10).data_type == "s"


def test_an_edited_export_reads_new_teams_and_rows(tmp_path: Path) -> None:
    loaded = load_text(HAND_MADE)
    assert loaded.package is not None
    path = export_msel(loaded.package, tmp_path / "msel.xlsx")
    book = load_workbook(path)
    sheet = book["MSEL"]
    sheet.append(
        [
            "4",
            "Escalation",
            None,
            "2h",
            "HICON",
            None,  # From (Simulated) (ko)
            "Brevonia MOD; Press Office",
            "Phone call",
            "standard",
            "New inject",
        ]
    )
    book.save(path)
    report = import_msel(path)
    assert report.package is not None
    added = report.package.inject("4")
    assert added is not None
    assert added.to == ("brv-mod", "press-office")
    assert added.from_ == {"en": "HICON"}
    assert report.package.module_of("4") == report.package.modules[1]
    assert report.package.teams[-1].name == {"en": "Press Office"}


# -- generated packages --------------------------------------------------------------------

_BULLET = re.compile(r"^\s*(?:[-•*·▪◦‣–]|\d{1,2}[.)]|[a-z][.)])\s+", re.IGNORECASE)
_MARKER = re.compile(r"^\W*(startex|endex|stopex)\W*$", re.IGNORECASE)
_LINE = (
    st.text(
        st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")),
        min_size=1,
        max_size=24,
    )
    .map(lambda t: " ".join(t.split()))
    .filter(lambda t: bool(t) and not _MARKER.match(t))
)
_TEXT = st.lists(_LINE, min_size=1, max_size=3).map("\n".join)
_ACTION_LINE = _LINE.filter(lambda t: not _BULLET.match(t))
_ID = st.from_regex(r"[a-z0-9][a-z0-9_.\-]{0,10}", fullmatch=True)
_NUMBER = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,6}", fullmatch=True).filter(
    lambda n: not _MARKER.match(n)
)
_LANGUAGES = st.sampled_from([("en",), ("en", "ko"), ("ko", "en"), ("fr", "en", "ko")])
_MOMENT = st.one_of(
    st.datetimes(datetime(1950, 1, 1), datetime(2100, 1, 1)).map(
        lambda d: d.replace(microsecond=0)
    ),
    st.datetimes(datetime(1950, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)),
    st.datetimes(datetime(1950, 1, 1), datetime(2100, 1, 1)).map(
        lambda d: d.replace(tzinfo=timezone(timedelta(hours=9)))
    ),
)


def _local(
    languages: tuple[str, ...], text: st.SearchStrategy[str]
) -> st.SearchStrategy[dict[str, str]]:
    """Text in a non-empty subset of the languages."""
    return st.fixed_dictionaries({}, optional={lang: text for lang in languages}).filter(bool)


@st.composite
def packages(draw: st.DrawFn) -> Package:
    """Packages with teams, modules and injects using every field the MSEL carries."""
    languages = draw(_LANGUAGES)
    team_ids = draw(st.lists(_ID, max_size=4, unique=True))
    teams: list[dict[str, Any]] = []
    keys: set[str] = {t.casefold() for t in team_ids}
    for team_id in team_ids:
        name = draw(_local(languages, _LINE.filter(lambda t: ";" not in t)))
        lowered = {" ".join(v.split()).casefold() for v in name.values()}
        if lowered & (keys | ALL_WORDS) or len(lowered) < len(name):
            name = {languages[0]: f"Team {team_id}"}
            lowered = {name[languages[0]].casefold()}
        keys |= lowered
        kind = draw(st.sampled_from(list(TeamKind)))
        teams.append({"id": team_id, "name": name, "kind": kind.value})
    numbers = iter(draw(st.lists(_NUMBER, min_size=12, max_size=12, unique=True)))
    modules = []
    for module_id in draw(st.lists(_ID, min_size=1, max_size=3, unique=True)):
        injects = []
        for _ in range(draw(st.integers(0, 4))):
            action = _local(languages, _ACTION_LINE)
            inject: dict[str, Any] = {
                "number": next(numbers),
                "title": draw(_local(languages, _LINE)),
                "content": draw(_local(languages, _TEXT)),
                "scenario_time": draw(st.none() | _MOMENT),
                "offset": draw(
                    st.none() | st.integers(0, 7 * 86400).map(lambda s: timedelta(seconds=s))
                ),
                "from": draw(st.none() | _TEXT),
                "to": draw(st.lists(st.sampled_from(team_ids), unique=True)) if team_ids else [],
                "delivery": draw(st.sampled_from(list(DeliveryMethod))).value,
                "type": draw(st.sampled_from(list(InjectType))).value,
                "expected_actions": draw(st.lists(action, max_size=3)),
                "controller": draw(st.none() | _LINE),
                "notes": draw(st.none() | _local(languages, _TEXT)),
                "objectives": draw(st.lists(_ID, max_size=2)),
                "tasks": draw(st.lists(_ID, max_size=2)),
            }
            injects.append(inject)
        title = draw(_local(languages, _LINE))
        modules.append({"id": module_id, "title": title, "injects": injects})
    data = {
        "exercise": {
            "id": draw(_ID),
            "title": draw(_local(languages, _LINE)),
            "languages": languages,
        },
        "teams": teams,
        "modules": modules,
    }
    return Package.model_validate(data, context={"default_language": languages[0]})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(packages())
def test_generated_packages_round_trip(package: Package) -> None:
    with tempfile.TemporaryDirectory() as folder:
        again = _round_trip(package, Path(folder))
    assert again.modules == package.modules
    assert again.teams == package.teams
    assert again.exercise.languages == package.exercise.languages
    assert again.exercise.title == package.exercise.title
