"""The marking scheme table: order, banners and labels drawn from it, and its checks."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from sitroom.package.load import load_text
from sitroom.package.marking import (
    XML_NAMESPACE,
    banner,
    highest,
    label,
    label_xml,
    render_banner,
)
from sitroom.package.model import TLP, Marking
from sitroom.package.schemes import SCHEMES_FILE, SchemeError, all_schemes, parse_schemes
from sitroom.package.validate import check_package
from sitroom.web.markings import markings_css
from sitroom.web.render import marking_class
from tests.support.packages import TWO_PARTIES

CODES = {"ald": "ALD", "brn": "BRN"}
CSS = Path(__file__).parents[2] / "src" / "sitroom" / "web" / "static" / "sitroom.css"


def test_each_scheme_orders_its_classifications_by_rank() -> None:
    schemes = all_schemes()
    assert {"generic", "aldoria", "nato", "tlp"} <= set(schemes)
    assert schemes["generic"].names() == [
        "UNCLASSIFIED",
        "RESTRICTED",
        "CONFIDENTIAL",
        "SECRET",
        "TOP SECRET",
    ]
    assert schemes["tlp"].names() == ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"]
    for scheme in schemes.values():
        ranks = [c.rank for c in scheme.classifications]
        assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)


@pytest.mark.parametrize(
    ("marking", "expected"),
    [
        (Marking(classification="SECRET", releasable_to=("ald", "brn")), "SECRET//REL TO ALD, BRN"),
        (Marking(classification="secret", releasable_to=("brn", "ald")), "SECRET//REL TO BRN, ALD"),
        (Marking(tlp=TLP.AMBER), "TLP:AMBER"),
        (
            Marking(classification="SECRET", tlp=TLP.AMBER, releasable_to=("ald",)),
            "SECRET//REL TO ALD · TLP:AMBER",
        ),
        (Marking(classification="RESTRICTED", caveat="ops"), "RESTRICTED//OPS"),
        (Marking(tlp=TLP.RED, releasable_to=("ald",)), "TLP:RED · REL TO ALD"),
        (Marking(releasable_to=("ald",)), "REL TO ALD"),
        (Marking(), "UNMARKED"),
    ],
)
def test_banners_of_the_generic_scheme_read_as_they_always_did(
    marking: Marking, expected: str
) -> None:
    assert banner(marking, CODES) == expected
    assert render_banner(label(marking, CODES)) == expected


def test_a_nato_package_writes_secret_and_reads_nato_secret() -> None:
    found = label(Marking(classification="SECRET", releasable_to=("ald", "brn")), CODES, "nato")
    assert found["policy"] == "nato"
    assert found["classification"] == "NATO SECRET" and found["classification_value"] == 4
    assert found["categories"] == [
        {"name": "Releasable To", "type": "permissive", "values": ["ALD", "BRN"]}
    ]
    assert render_banner(found) == "NATO SECRET//RELEASABLE TO ALD, BRN"
    assert banner(Marking(classification="STATE SECRET"), CODES, "aldoria") == (
        "ALDORIA STATE SECRET"
    )


def test_tlp_alone_is_the_policy_and_beside_a_classification_a_category() -> None:
    alone = label(Marking(tlp=TLP.AMBER_STRICT), CODES)
    assert alone["policy"] == "tlp" and alone["classification"] == "AMBER+STRICT"
    assert alone["policy_identifier"] == all_schemes()["tlp"].policy_identifier
    both = label(Marking(classification="CONFIDENTIAL", tlp=TLP.GREEN), CODES)
    assert both["policy"] == "generic" and both["classification_value"] == 3
    assert both["categories"][-1]["name"] == "TLP" and both["categories"][-1]["values"] == ["GREEN"]


CLASSIFICATIONS = st.sampled_from([None, "UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET"])
MARKINGS = st.builds(
    Marking,
    classification=CLASSIFICATIONS,
    tlp=st.one_of(st.none(), st.sampled_from(list(TLP))),
)


@given(st.lists(MARKINGS, min_size=1, max_size=8))
def test_the_highest_marking_of_a_document_is_the_max_of_its_parts(parts: list[Marking]) -> None:
    scheme = all_schemes()["generic"]
    tlp = all_schemes()["tlp"]
    top = highest(parts)
    ranks = [scheme.find(p.classification).rank for p in parts if p.classification]  # type: ignore[union-attr]
    if ranks:
        assert scheme.find(top.classification).rank == max(ranks)  # type: ignore[union-attr]
    else:
        assert top.classification is None
    tlps = [tlp.find(p.tlp.value).rank for p in parts if p.tlp]  # type: ignore[union-attr]
    assert (tlp.find(top.tlp.value).rank if top.tlp else None) == (max(tlps) if tlps else None)  # type: ignore[union-attr]


def test_an_unknown_classification_ranks_just_above_the_lowest() -> None:
    parts = [Marking(classification="UNCLASSIFIED"), Marking(classification="OFFICIAL")]
    assert highest(parts).classification == "OFFICIAL"
    parts.append(Marking(classification="RESTRICTED"))
    assert highest(parts).classification == "RESTRICTED"


def test_the_web_colours_come_from_the_table() -> None:
    css = markings_css()
    for scheme_id in ("generic", "tlp"):
        for item in all_schemes()[scheme_id].classifications:
            rule = re.search(rf"\.banner\.marking-{item.css},[^{{]*\{{([^}}]*)\}}", css)
            assert rule, f"no rule for marking-{item.css}"
            if item.name != "AMBER+STRICT":  # shares AMBER's class, and its colours
                assert f"background: {item.colour};" in rule.group(1)
                assert f"color: {item.text_colour};" in rule.group(1)
    site = CSS.read_text(encoding="utf-8")
    assert ".banner.marking-secret" not in site  # no second copy of the colours
    assert marking_class("EXERCISE · NATO SECRET//RELEASABLE TO ALD") == "marking-secret"
    assert marking_class("RESTRICTED · TLP:AMBER") == "marking-restricted"
    assert marking_class("UNCLASSIFIED · TLP:RED") == "marking-tlp-red"
    assert marking_class("COSMIC TOP SECRET") == "marking-top-secret"


def test_the_xml_binding_carries_policy_classification_and_categories() -> None:
    found = label(Marking(classification="SECRET", releasable_to=("ald",)), CODES, "nato")
    root = ET.fromstring(label_xml(found))
    ns = {"s": XML_NAMESPACE}
    assert root.findtext("s:PolicyIdentifier", namespaces=ns) == found["policy_identifier"]
    assert root.findtext("s:Classification", namespaces=ns) == "4"
    category = root.find("s:Category", ns)
    assert category is not None and category.get("TagName") == "Releasable To"
    assert [v.text for v in category.findall("s:GenericValue", ns)] == ["ALD"]


def test_a_malformed_table_is_refused_with_the_scheme_named() -> None:
    data = yaml.safe_load(SCHEMES_FILE.read_text(encoding="utf-8"))
    data["schemes"][0]["classifications"][1]["rank"] = 1
    shared = r"schemes\[0\] \('generic'\): two classifications share a rank"
    with pytest.raises(SchemeError, match=shared):
        parse_schemes(data)
    data = yaml.safe_load(SCHEMES_FILE.read_text(encoding="utf-8"))
    data["schemes"] = [s for s in data["schemes"] if s["id"] != "tlp"]
    with pytest.raises(SchemeError, match="'tlp' scheme is missing"):
        parse_schemes(data)


def _problems(text: str) -> dict[str, str]:
    loaded = load_text(text, "duo.yaml")
    assert loaded.package is not None
    return {p.code: p.severity for p in check_package(loaded.package, loaded.source)}


def test_the_package_picks_a_known_scheme_and_its_classifications() -> None:
    nato = TWO_PARTIES.replace("  id: duo\n", "  id: duo\n  marking_scheme: nato\n", 1)
    assert "unknown-marking-scheme" not in _problems(nato)
    assert "unknown-classification" not in _problems(nato)  # SECRET is NATO SECRET's alias
    wrong = TWO_PARTIES.replace("  id: duo\n", "  id: duo\n  marking_scheme: brenland\n", 1)
    assert _problems(wrong)["unknown-marking-scheme"] == "error"
    odd = TWO_PARTIES.replace("classification: UNCLASSIFIED", "classification: OFFICIAL", 1)
    assert _problems(odd)["unknown-classification"] == "warning"
