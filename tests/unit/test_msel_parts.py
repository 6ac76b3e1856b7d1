"""The pieces of the MSEL importer: headers, time forms, recipients, cells, sections."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from sitroom.package.model import DeliveryMethod, InjectType, Team
from sitroom.package.msel.cells import (
    action_lines,
    actions,
    cell_text,
    clean_number,
    delivery_method,
    inject_type,
)
from sitroom.package.msel.csvfile import parse_csv, sniff_delimiter
from sitroom.package.msel.headers import (
    find_header,
    map_columns,
    match_header,
    normalize_header,
    parse_field,
    split_language,
)
from sitroom.package.msel.names import excluded_sheet
from sitroom.package.msel.sections import first_label, row_kind
from sitroom.package.msel.teams import Recipients, slugify
from sitroom.package.msel.times import TimeParts, combine, read_time_cell, read_time_text
from sitroom.package.timeforms import parse_calendar_date, parse_clock, parse_day_number

EPOCH = datetime(1899, 12, 30)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("MSEL #", "number"),
        ("MSEL NUMBER", "number"),
        ("MSEL No.", "number"),
        ("Event #", "number"),
        ("Inject #", "number"),
        ("Inject No", "number"),
        ("#", "number"),
        ("No.", "number"),
        ("EVENT TIME", "time"),
        ("INJECT DTG", "time"),
        ("Time", "time"),
        ("DTG", "time"),
        ("Scenario Time", "time"),
        ("Inject Time", "time"),
        ("Delivery Time", "time"),
        ("Date/Time", "time"),
        ("Time (EST)", "time"),
        ("Date", "date"),
        ("Day", "day"),
        ("SEND TO", "to"),
        ("Sent To:", "to"),
        ("To", "to"),
        ("Recipient", "to"),
        ("Intended Player(s)", "to"),
        ("Player", "to"),
        ("SEND FROM (Simulated)", "from"),
        ("From", "from"),
        ("Originator", "from"),
        ("Simulated Sender", "from"),
        ("INJECT MODE", "delivery"),
        ("METHOD", "delivery"),
        ("Delivery Method", "delivery"),
        ("Mode", "delivery"),
        ("Inject Type", "type"),
        ("Type", "type"),
        ("SUBJECT", "title"),
        ("TITLE", "title"),
        ("Event", "title"),
        ("Event Synopsis", "title"),
        ("Inject Title", "title"),
        ("Synopsis", "title"),
        ("DESCRIPTION/SCRIPT", "content"),
        ("EVENT DESCRIPTION", "content"),
        ("Description", "content"),
        ("Inject", "content"),
        ("Script", "content"),
        ("Message", "content"),
        ("Inject Description", "content"),
        ("EXPECTED ACTION", "expected"),
        ("Expected Outcome", "expected"),
        ("Expected Player Action", "expected"),
        ("Expected Response", "expected"),
        ("Expected Player Response", "expected"),
        ("Expected Player Actions", "expected"),
        ("CONTROLLER", "controller"),
        ("INJECTED BY", "controller"),
        ("Controller Responsible", "controller"),
        ("Responsible Controller", "controller"),
        ("STATUS", "status"),
        ("Phase", "phase"),
        ("Module", "phase"),
        ("Segment", "phase"),
        ("Objective", "objective"),
        ("Objectives", "objective"),
        ("Exercise Objective", "objective"),
        ("Core Capability", "capability"),
        ("Capability", "capability"),
        ("Notes", "notes"),
        ("Remarks", "notes"),
        ("Comments", "notes"),
        ("Evaluator Notes", "notes"),
        ("Offset", "offset"),
        ("Inject Description and Script", "content"),
    ],
)
def test_header_synonyms(header: str, field: str) -> None:
    assert match_header(header)[0] == field


def test_headers_that_name_no_field() -> None:
    assert match_header("Evaluator POC") == (None, 0.0)
    assert match_header("Actual Time") == (None, 0.0)
    assert match_header("") == (None, 0.0)


def test_normalised_headers() -> None:
    assert normalize_header("MSEL No.") == normalize_header(" msel  number: ") == "mselno"
    assert normalize_header("Intended Player(s)") == "intendedplayer"
    assert split_language("Description/Script (ko)") == ("Description/Script", "ko")
    assert split_language("Intended Player(s)") == ("Intended Player(s)", None)
    assert split_language("Time (UTC)") == ("Time (UTC)", None)


def test_mapping_targets() -> None:
    assert parse_field("content") == ("content", None)
    assert parse_field("Expected Actions") == ("expected", None)
    assert parse_field("content (ko)") == ("content", "ko")
    assert parse_field("channel") is None


def test_header_row_is_the_best_match_in_the_first_rows() -> None:
    rows: list[list[object]] = [
        ["Harbor TTX"],
        ["Time", "Exercise date"],
        [],
        ["#", "Time", "To", "Subject"],
        ["1", "0900", "EOC", "Opening"],
    ]
    assert find_header(rows) == (3, 4.0)
    assert find_header([["just", "words"], ["1", "2"]]) is None
    assert find_header([*[[None]] * 30, ["#", "Time", "To"]]) is None


def test_columns_keep_every_header_and_give_a_field_once() -> None:
    columns = map_columns(["Subject", "Title", None, "Notes", "Remarks", "Notes"], 7)
    assert [(c.key, c.field, c.how) for c in columns] == [
        ("Subject", "title", "synonym"),
        ("Title", "notes", "duplicate"),
        ("Column C", "notes", "unmapped"),
        ("Notes", "notes", "synonym"),
        ("Remarks", "notes", "synonym"),
        ("Notes (2)", "notes", "synonym"),
        ("Column G", "notes", "unmapped"),
    ]


def test_archive_sheet_names() -> None:
    for name in (
        "Deleted Injects",
        "ARCHIVE",
        "Lookups",
        "Drop-down lists",
        "Instructions",
        "Old MSEL",
        "Print Layout",
        "DeletedInjects",
    ):
        assert excluded_sheet(name), name
    for name in ("MSEL", "Injects", "Master Events List", "Day 1", "Sheet1"):
        assert not excluded_sheet(name), name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0700", (7, 0, 0)),
        ("600", (6, 0, 0)),
        ("09:10", (9, 10, 0)),
        ("9:10 AM", (9, 10, 0)),
        ("9:10 p.m.", (21, 10, 0)),
        ("12 AM", (0, 0, 0)),
        ("0900 hrs", (9, 0, 0)),
        ("1430Z", (14, 30, 0)),
        ("9h10", (9, 10, 0)),
        ("noon", (12, 0, 0)),
    ],
)
def test_clock_times(text: str, expected: tuple[int, int, int]) -> None:
    assert parse_clock(text) == expected


@pytest.mark.parametrize("text", ["2400", "1260", "13 PM", "soon", "9", ""])
def test_not_clock_times(text: str) -> None:
    with pytest.raises(ValueError):
        parse_clock(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4- Mar", (None, 3, 4)),
        ("4-Mar", (None, 3, 4)),
        ("4 March 2027", (2027, 3, 4)),
        ("Mar 4", (None, 3, 4)),
        ("March 4, 2027", (2027, 3, 4)),
        ("2027-03-04", (2027, 3, 4)),
        ("3/4/2027", (2027, 3, 4)),
        ("13/4/27", (2027, 4, 13)),
        ("04.03.2027", (2027, 3, 4)),
        ("Tue 4 Mar", (None, 3, 4)),
        ("Sept 3", (None, 9, 3)),
        ("29-Feb", (None, 2, 29)),
    ],
)
def test_calendar_dates(text: str, expected: tuple[int | None, int, int]) -> None:
    assert parse_calendar_date(text) == expected


def test_day_numbers() -> None:
    assert [parse_day_number(t) for t in ("Day 1", "Day2", "D+1", "D-1", "D3")] == [0, 1, 1, -1, 2]
    with pytest.raises(ValueError):
        parse_day_number("Day 0")


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("210900AUG2027", TimeParts(moment=datetime(2027, 8, 21, 9, 0))),
        ("041300ZMAR27", TimeParts(moment=datetime(2027, 3, 4, 13, 0, tzinfo=UTC))),
        ("2027-03-04 09:00", TimeParts(moment=datetime(2027, 3, 4, 9, 0))),
        ("Day 2 0900", TimeParts(day_index=1, clock=time(9, 0))),
        ("D+1 09:00", TimeParts(day_index=1, clock=time(9, 0))),
        (
            "4-Mar 14:30",
            TimeParts(day=date(2027, 3, 4), clock=time(14, 30), exact=False, yearless=True),
        ),
        ("Mar 4, 2027 9:00 AM", TimeParts(day=date(2027, 3, 4), clock=time(9, 0))),
        ("H+2", TimeParts(delta=timedelta(hours=2))),
        ("T+0:30", TimeParts(delta=timedelta(minutes=30))),
        ("+45m", TimeParts(delta=timedelta(minutes=45))),
        ("0900-0930", TimeParts(clock=time(9, 0), exact=False)),
    ],
)
def test_time_texts(text: str, parts: TimeParts) -> None:
    assert read_time_text(text, year=2027) == parts


def test_time_cells() -> None:
    def read(value: object, role: str = "time") -> TimeParts | None:
        return read_time_cell(value, role=role, year=2027, epoch=EPOCH)

    assert read(datetime(2027, 3, 4, 9)) == TimeParts(moment=datetime(2027, 3, 4, 9))
    assert read(datetime(1899, 12, 30, 9)) == TimeParts(clock=time(9))
    assert read(datetime(2027, 3, 4), "date") == TimeParts(day=date(2027, 3, 4))
    assert read(0.25) == TimeParts(clock=time(6))
    assert read(700) == TimeParts(clock=time(7))
    assert read(2, "day") == TimeParts(day_index=1)
    assert read(46085.5) == TimeParts(moment=datetime(2026, 3, 4, 12))
    assert read(None) == TimeParts()
    assert read(True) is None
    assert read(-3) is None
    assert read("after lunch") is None


def test_time_parts_combine() -> None:
    date_and_clock = combine([TimeParts(clock=time(9)), TimeParts(day=date(2027, 3, 4))])
    assert date_and_clock.scenario_time == datetime(2027, 3, 4, 9)
    day_and_clock = combine([TimeParts(clock=time(9)), TimeParts(day_index=1)])
    assert (day_and_clock.scenario_time, day_and_clock.relative) == (None, timedelta(hours=33))
    assert not day_and_clock.exact
    assert combine([]).relative is None


def test_recipients() -> None:
    known = [Team(id="eoc", name={"en": "County EOC", "ko": "상황실"})]
    recipients = Recipients(known, "en")
    assert recipients.resolve("County EOC; Public Information Officer") == (
        "eoc",
        "public-information-officer",
    )
    assert recipients.resolve("상황실\nFire/EMS and Public Works") == (
        "eoc",
        "fire",
        "ems",
        "public-works",
    )
    assert recipients.resolve("eoc, public information officer") == (
        "eoc",
        "public-information-officer",
    )
    assert recipients.resolve("All players; County EOC") == ()
    assert recipients.resolve("Everyone") == ()
    assert [t.id for t in recipients.teams()] == [
        "eoc",
        "public-information-officer",
        "fire",
        "ems",
        "public-works",
    ]
    assert Recipients([], "ko").resolve("재난안전대책본부, 소방서") == ("team", "team-2")


def test_slugs() -> None:
    assert slugify("Direction générale", "x") == "direction-generale"
    assert slugify("재난", "team") == "team"
    assert len(slugify("a" * 200, "x")) == 60


def test_cells() -> None:
    assert cell_text(12.0) == "12"
    assert cell_text(1.1) == "1.1"
    assert cell_text(datetime(2027, 3, 4)) == "2027-03-04"
    assert cell_text(datetime(2027, 3, 4, 9, 5)) == "2027-03-04 09:05"
    assert cell_text(time(9, 5)) == "09:05"
    assert cell_text(" a\r\nb ") == "a\nb"
    assert clean_number("#12") == "12"
    assert clean_number("A 3") == "A-3"
    assert clean_number("1.") == "1."
    assert clean_number("??") == ""


def test_expected_action_lines() -> None:
    assert action_lines("- one\n• two\n\n3) three\n") == ["one", "two", "", "three"]
    assert actions({"en": ["one", "", "three"], "ko": ["하나", "둘"]}) == [
        {"en": "one", "ko": "하나"},
        {"ko": "둘"},
        {"en": "three"},
    ]


@pytest.mark.parametrize(
    ("text", "method", "exact"),
    [
        ("e-mail", DeliveryMethod.EMAIL, True),
        ("Email", DeliveryMethod.EMAIL, True),
        ("Phone call", DeliveryMethod.PHONE, True),
        ("Radio", DeliveryMethod.RADIO, True),
        ("Briefing", DeliveryMethod.BRIEFING, True),
        ("Video", DeliveryMethod.VIDEO, True),
        ("Handout", DeliveryMethod.DOCUMENT, True),
        ("Paper", DeliveryMethod.DOCUMENT, True),
        ("In person", DeliveryMethod.IN_PERSON, True),
        ("Tweet", DeliveryMethod.SOCIAL_MEDIA, True),
        ("Email to the director", DeliveryMethod.EMAIL, False),
        ("Carrier pigeon", DeliveryMethod.OTHER, False),
    ],
)
def test_delivery_methods(text: str, method: DeliveryMethod, exact: bool) -> None:
    assert delivery_method(text) == (method, exact)


def test_inject_types() -> None:
    assert inject_type("Contingency") == (InjectType.CONTINGENCY, True)
    assert inject_type("Contingency (if no decision)") == (InjectType.CONTINGENCY, False)
    assert inject_type("adaptive") == (InjectType.ADAPTIVE, True)
    assert inject_type("Scheduled") == (InjectType.STANDARD, True)
    assert inject_type("Key event") == (InjectType.STANDARD, False)


def test_section_rows() -> None:
    def kind(row: list[object]) -> str | None:
        return row_kind(row, None, {0, 3}, 6)

    assert kind([]) == "blank row"
    assert kind(["STARTEX"]) == "exercise marker 'STARTEX'"
    assert (
        kind(["0", "0800", "Ctrl", "ENDEX", "Closing", "Facilitator"]) == "exercise marker 'ENDEX'"
    )
    assert kind(["KEY EVENT: Landfall"]) == "section title 'KEY EVENT: Landfall'"
    assert kind(["Day 2", "Wednesday"]) == "section title 'Day 2 — Wednesday'"
    assert kind([None, None, "Lunch break"]) == "section title 'Lunch break'"
    assert kind(["12"]) is None
    assert kind(["12", "0900", "EOC", "Title"]) is None
    assert row_kind(["Day 2"], "Day 2", set(), 6) == "section title 'Day 2' (merged across the row)"
    assert first_label(["Day 2"]) == "Day 1"
    assert first_label(["Phase II: Response"]) == "Phase I"
    assert first_label(["Module 3"]) is None


def test_csv_delimiters() -> None:
    assert sniff_delimiter("a;b;c\n1;2,5;3\n4;5;6\n") == ";"
    assert sniff_delimiter("a\tb\tc\n1\t2\t3\n") == "\t"
    assert sniff_delimiter("a,b,c\n1,2,3\n") == ","
    rows, problems = parse_csv('a,b\n"x\ny",2\n\n', "f.csv", 10)
    assert (rows, problems) == ([["a", "b"], ["x\ny", "2"]], [])
