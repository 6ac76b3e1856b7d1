"""The confidentiality labels inside a run archive, and the check that they fit its content.

``labels.json`` holds the label and banner of the exercise's default marking and of every
inject, computed from the package at export and covered by the signed manifest. An import
computes them again from ``package.json`` and refuses the archive if any differs — a label
edited so the marking differs, or an inject whose marking was changed under its label — and
names the item.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sitroom.package.marking import (
    SIDECAR_SUFFIX,
    highest,
    label_xml,
    package_label,
    render_banner,
    sidecar,
)
from sitroom.package.model import Package, text_in

LABELS_MEMBER = "labels.json"
LABELS_XML_MEMBER = "labels.xml"


def package_of(package_json: str | bytes) -> Package:
    """The package of an archive's ``package.json``."""
    return Package.model_validate(json.loads(package_json), context={"default_language": "en"})


def archive_labels(package: Package) -> dict[str, Any]:
    """The labels of the exercise and of each inject, each with the banner it renders."""
    default = package_label(package.exercise.default_marking, package)
    injects = {}
    for inject in package.injects():
        found = package_label(package.marking_of(inject), package)
        injects[inject.number] = {"label": found, "banner": render_banner(found)}
    return {
        "scheme": package.exercise.marking_scheme,
        "exercise": {"label": default, "banner": render_banner(default)},
        "injects": injects,
    }


def write_archive_sidecar(package: Package, archive: Path) -> Path:
    """Write ``ARCHIVE.label.json``: the highest marking of the exercise and its injects."""
    markings = [package.exercise.default_marking, *map(package.marking_of, package.injects())]
    found = package_label(highest(markings, package.exercise.marking_scheme), package)
    path = archive.with_name(archive.name + SIDECAR_SUFFIX)
    path.write_text(sidecar(found, archive.name, archive.read_bytes()), encoding="utf-8")
    return path


def labels_xml(labels: dict[str, Any]) -> str:
    """The same labels in the STANAG 4778-shaped XML binding, one element per item."""
    items = [("exercise", labels["exercise"]["label"])]
    items += [(f"inject {n}", e["label"]) for n, e in labels["injects"].items()]
    body = "".join(f'<item name="{name}">{label_xml(found)}</item>' for name, found in items)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<labels>{body}</labels>\n'


def check_labels(package: Package, stored: Any) -> list[str]:
    """Where ``stored`` (labels.json) and the package disagree, one line per item."""
    if not isinstance(stored, dict):
        return [f"{LABELS_MEMBER} is not a mapping of labels"]
    expected = archive_labels(package)
    problems: list[str] = []

    def compare(name: str, want: dict[str, Any], got: Any) -> None:
        if not isinstance(got, dict) or not isinstance(got.get("label"), dict):
            problems.append(f"{name} has no label in {LABELS_MEMBER}")
            return
        try:
            shown = render_banner(got["label"])
        except (KeyError, TypeError, AttributeError) as exc:
            problems.append(f"{name}: its label cannot be read ({exc})")
            return
        if shown != got.get("banner"):
            problems.append(
                f"{name}: its label renders '{shown}' but its banner reads '{got.get('banner')}'"
            )
        elif got["label"] != want["label"]:
            problems.append(
                f"{name}: the label says '{shown}' but the content is marked '{want['banner']}'"
            )

    compare("the exercise", expected["exercise"], stored.get("exercise"))
    got_injects = stored.get("injects")
    got_injects = got_injects if isinstance(got_injects, dict) else {}
    for number, want in expected["injects"].items():
        inject = package.inject(number)
        title = text_in(inject.title, "en", package.exercise.languages) if inject else ""
        compare(f"inject {number} ('{title}')", want, got_injects.get(number))
    for number in sorted(set(got_injects) - set(expected["injects"])):
        problems.append(f"inject {number} has a label but is not in package.json")
    return problems
