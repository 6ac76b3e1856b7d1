"""The Situation Manual, the handbook and the MSEL workbook carry machine-readable labels
beside their banners (``package.marking``): what each says is what its banner shows."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from openpyxl import load_workbook

from sitroom.package.examples import example_path
from sitroom.package.load import load_package
from sitroom.package.marking import highest, package_label, render_banner
from sitroom.package.model import Package
from sitroom.package.msel.importer import export_msel
from sitroom.package.msel.workbook import MSEL_LABEL_PROPERTY
from sitroom.reports.documents import DocumentKind, render_document


def allied() -> Package:
    package = load_package(example_path("allied-consultation")).package
    assert package is not None
    return package


def test_sitman_and_handbook_carry_the_label_of_their_banner() -> None:
    package = allied()
    expected = package_label(package.exercise.default_marking, package)
    for kind in (DocumentKind.SITMAN, DocumentKind.HANDBOOK):
        page = render_document(package, kind, lang="en")
        meta = re.search(r'<meta name="sitroom-label" content="([^"]*)">', page)
        assert meta, kind
        assert json.loads(html.unescape(meta.group(1))) == json.loads(json.dumps(expected))
        assert f'data-label="{meta.group(1)}">{html.escape(render_banner(expected))}' in page


def test_each_msel_row_of_the_handbook_carries_its_own_label() -> None:
    package = allied()
    page = render_document(package, DocumentKind.HANDBOOK, lang="en")
    rows = re.findall(
        r'<tr class="marking" data-label="([^"]*)"><td colspan="13">([^<]*)</td>', page
    )
    injects = [i for m in package.modules for i in m.injects]
    assert len(rows) == len(injects)
    for (found, banner_text), inject in zip(rows, injects, strict=True):
        label = json.loads(html.unescape(found))
        assert label == json.loads(json.dumps(package_label(package.marking_of(inject), package)))
        assert html.unescape(banner_text) == render_banner(label)


def test_the_msel_workbook_is_labelled_with_its_most_protected_row(tmp_path: Path) -> None:
    package = allied()
    path = export_msel(package, tmp_path / "msel.xlsx")
    workbook = load_workbook(path)
    properties = {p.name: p.value for p in workbook.custom_doc_props}
    markings = [package.exercise.default_marking]
    markings += [package.marking_of(i) for m in package.modules for i in m.injects]
    expected = package_label(highest(markings, package.exercise.marking_scheme), package)
    assert json.loads(properties[MSEL_LABEL_PROPERTY]) == json.loads(json.dumps(expected))
    assert properties["sitroom-banner"] == render_banner(expected)
