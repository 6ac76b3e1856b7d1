"""Markings: the banner a person reads and the label a machine reads, from one table.

A marking (classification or TLP label, caveat, releasability) is turned into a
**confidentiality label** shaped after NATO STANAG 4774 — a policy identifier, a
classification with its value (rank) in that policy, and categories such as "Releasable
To" with their values — and the banner is rendered from that label and the scheme table
(``schemes.yaml``). So the banner a page shows and the label next to it cannot disagree.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any
from xml.etree import ElementTree

from sitroom.package.model import TLP, Marking, Package
from sitroom.package.schemes import TLP_SCHEME, Classification, Scheme, get_scheme

EXERCISE_MARK = "EXERCISE EXERCISE EXERCISE"
TLP_CATEGORY = "TLP"
UNMARKED = "UNMARKED"
LABEL_VERSION = 1
XML_NAMESPACE = "urn:nato:stanag:4774:confidentialitymetadatalabel:1:0"

Label = dict[str, Any]


def releasability_codes(marking: Marking, codes: Mapping[str, str]) -> list[str]:
    """Party codes for REL TO: the originating (first listed) party first, the rest alphabetical."""
    listed = [codes.get(p, p.upper()) for p in marking.releasable_to]
    if not listed:
        return []
    first, rest = listed[0], sorted(set(listed[1:]) - {listed[0]})
    return [first, *rest]


def _rank(scheme: Scheme, text: str | None) -> float:
    """Order of a classification in its scheme; an unknown one just above the lowest (as
    before there was a table), none at all below everything."""
    if not (text or "").strip():
        return -1.0
    found = scheme.find(text)
    return float(found.rank) if found else scheme.classifications[0].rank + 0.5


def label(
    marking: Marking,
    codes: Mapping[str, str] | None = None,
    scheme_id: str | None = None,
    *,
    exercise: bool = False,
) -> Label:
    """The confidentiality label of ``marking`` in the scheme ``scheme_id`` (default generic).

    A classification is read in the scheme (by name or alias); a marking with only a TLP
    label has the TLP 2.0 policy. A TLP label next to a classification is a category.
    """
    scheme = get_scheme(scheme_id)
    tlp_scheme = get_scheme(TLP_SCHEME)
    head = (marking.classification or "").strip()
    policy, found, value = scheme, None, None
    if head:
        found = scheme.find(head)
        classification: str | None = found.name if found else head.upper()
        value = found.rank if found else None
    elif marking.tlp is not None:
        policy = tlp_scheme
        found = tlp_scheme.find(marking.tlp.value)
        classification = marking.tlp.value
        value = found.rank if found else None
    else:
        classification = None
    categories: list[dict[str, Any]] = []
    if marking.caveat:
        categories.append(
            {
                "name": policy.caveat.name,
                "type": policy.caveat.type,
                "values": [marking.caveat.upper()],
            }
        )
    rel = releasability_codes(marking, codes or {})
    if rel:
        kind = policy.releasable_to
        categories.append({"name": kind.name, "type": kind.type, "values": rel})
    if head and marking.tlp is not None:
        categories.append(
            {
                "name": TLP_CATEGORY,
                "type": "informative",
                "policy_identifier": tlp_scheme.policy_identifier,
                "values": [marking.tlp.value],
            }
        )
    return {
        "version": LABEL_VERSION,
        "policy": policy.id,
        "policy_identifier": policy.policy_identifier,
        "classification": classification,
        "classification_value": value,
        "categories": categories,
        "exercise": exercise,
    }


def _values(found: Label, name: str) -> list[str]:
    for category in found.get("categories", ()):
        if category.get("name") == name:
            return [str(v) for v in category.get("values", ())]
    return []


def render_banner(found: Label) -> str:
    """The one-line banner of a label, e.g. ``SECRET//REL TO ALD, BRN · TLP:AMBER``."""
    scheme = get_scheme(found.get("policy"))
    text = found.get("classification")
    item: Classification | None = scheme.find(text) if text else None
    head = item.banner if item else (str(text).upper() if text else "")
    caveat = _values(found, scheme.caveat.name)
    rel = _values(found, scheme.releasable_to.name)
    rel_text = f"{scheme.releasable_to.banner or 'REL TO'} " + ", ".join(rel) if rel else ""
    parts: list[str] = []
    if head and scheme.id != TLP_SCHEME:
        line = head + "".join(scheme.separator + c for c in caveat)
        if rel_text:
            line += scheme.separator + rel_text
        parts.append(line)
        tlp = _values(found, TLP_CATEGORY)
        if tlp:
            tlp_item = get_scheme(TLP_SCHEME).find(tlp[0])
            parts.append(tlp_item.banner if tlp_item else f"TLP:{tlp[0]}")
    else:
        parts.extend([head] if head else [])
        parts.extend(caveat)
        parts.extend([rel_text] if rel_text else [])
    text_line = " · ".join(parts) or UNMARKED
    return f"{EXERCISE_MARK} · {text_line}" if found.get("exercise") else text_line


def banner(
    marking: Marking, codes: Mapping[str, str] | None = None, scheme_id: str | None = None
) -> str:
    """One-line banner, e.g. ``SECRET//REL TO ALD, BRN`` or ``TLP:AMBER``."""
    return render_banner(label(marking, codes, scheme_id))


def party_codes(package: Package) -> dict[str, str]:
    """Party id → short code, for banners."""
    return {p.id: p.code for p in package.parties}


def package_label(marking: Marking, package: Package, *, exercise: bool = True) -> Label:
    """The label of ``marking`` in ``package``'s scheme, with its parties' codes."""
    return label(marking, party_codes(package), package.exercise.marking_scheme, exercise=exercise)


def exercise_banner(marking: Marking, package: Package) -> str:
    """The full banner for exercise traffic: the EXERCISE mark and the marking."""
    return render_banner(package_label(marking, package))


def highest(markings: Iterable[Marking], scheme_id: str | None = None) -> Marking:
    """The highest of ``markings``: the most protected classification and the most
    restrictive TLP label, each the maximum of its parts' in the scheme's order."""
    scheme, tlp_scheme = get_scheme(scheme_id), get_scheme(TLP_SCHEME)
    items = list(markings)
    if not items:
        return Marking()
    top = max(items, key=lambda m: _rank(scheme, m.classification))
    tlps = [m.tlp for m in items if m.tlp is not None]
    tlp: TLP | None = max(tlps, key=lambda t: _rank(tlp_scheme, t.value)) if tlps else None
    classification = top.classification if _rank(scheme, top.classification) >= 0 else None
    return Marking(
        classification=classification, tlp=tlp, releasable_to=top.releasable_to, caveat=top.caveat
    )


def label_json(found: Label) -> str:
    """The label as compact JSON, keys sorted (for attributes, headers and comparisons)."""
    return json.dumps(found, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


SIDECAR_SUFFIX = ".label.json"


def sidecar(found: Label, file_name: str, content: bytes) -> str:
    """The JSON written next to an exported file: which file (name and SHA-256), its banner,
    its label, and the label in the XML binding."""
    data = {
        "file": file_name,
        "sha256": hashlib.sha256(content).hexdigest(),
        "banner": render_banner(found),
        "label": found,
        "label_xml": label_xml(found),
    }
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def label_xml(found: Label) -> str:
    """The label in an XML binding shaped after STANAG 4778 / ADatP-4774."""
    ns = XML_NAMESPACE
    root = ElementTree.Element(f"{{{ns}}}ConfidentialityLabel")
    ElementTree.SubElement(root, f"{{{ns}}}PolicyIdentifier").text = found["policy_identifier"]
    if found.get("classification") is not None:
        ElementTree.SubElement(root, f"{{{ns}}}Classification").text = str(
            found["classification_value"] or found["classification"]
        )
        ElementTree.SubElement(root, f"{{{ns}}}ClassificationName").text = found["classification"]
    for category in found.get("categories", ()):
        element = ElementTree.SubElement(
            root,
            f"{{{ns}}}Category",
            {"TagName": category["name"], "Type": category["type"]},
        )
        for value in category["values"]:
            ElementTree.SubElement(element, f"{{{ns}}}GenericValue").text = str(value)
    ElementTree.register_namespace("slab", ns)
    return ElementTree.tostring(root, encoding="unicode")
