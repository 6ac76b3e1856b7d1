"""Every bundled example survives MSEL export and import: every inject field comes back
(attachments come back by path; their titles and media types live only in the YAML)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitroom.package.examples import example_names, example_path
from sitroom.package.load import load_package
from sitroom.package.model import Inject
from sitroom.package.msel import export_msel, import_msel


@pytest.mark.parametrize("name", example_names())
def test_example_round_trips_through_the_msel(name: str, tmp_path: Path) -> None:
    package = load_package(example_path(name)).package
    assert package is not None
    report = import_msel(export_msel(package, tmp_path / "msel.xlsx"))
    assert report.package is not None and not report.errors
    again = report.package
    assert [m.id for m in again.modules] == [m.id for m in package.modules]
    assert [i.number for i in again.injects()] == [i.number for i in package.injects()]
    for inject in package.injects():
        back = again.inject(inject.number)
        assert back is not None
        for field in Inject.model_fields:
            if field == "attachments":
                assert [a.path for a in back.attachments] == [a.path for a in inject.attachments]
            else:
                assert getattr(back, field) == getattr(inject, field), (inject.number, field)
