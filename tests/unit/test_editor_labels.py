"""The package editor names every field and part with a UI string (English and Korean), not
its YAML key: every key of every package model has a label, and every label a translation."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

from babel.messages.pofile import read_po
from pydantic import BaseModel

from sitroom.package.model import Package
from sitroom.web.render import LOCALE_DIR, ui_translations
from sitroom.web.views.editor_labels import FIELD_LABELS, PART_LABELS, field_label

EDITOR_PO = LOCALE_DIR / "ko" / "LC_MESSAGES" / "web-editor.po"


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for argument in typing.get_args(annotation):
        yield from _models_in(argument)


def model_keys() -> dict[str, str]:
    """Every field key (its alias where it has one) of the models reachable from Package →
    the model it was first found in."""
    keys: dict[str, str] = {}
    seen: set[type[BaseModel]] = set()
    waiting: list[type[BaseModel]] = [Package]
    while waiting:
        model = waiting.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, info in model.model_fields.items():
            keys.setdefault(info.alias or name, model.__name__)
            waiting.extend(_models_in(info.annotation))
    assert len(seen) > 20, "the walk should reach the nested models"
    return keys


def test_the_walk_uses_aliases_and_reaches_nested_models() -> None:
    keys = model_keys()
    assert "from" in keys and "from_" not in keys
    assert keys["expected_actions"] == "Inject"
    assert {"red_lines", "minimum_estimates", "played_by"} <= keys.keys()


def test_every_field_of_the_package_models_has_a_label() -> None:
    missing = {key: model for key, model in model_keys().items() if key not in FIELD_LABELS}
    assert not missing, "label these fields in web/views/editor_labels.py: " + ", ".join(
        f"{key} ({model})" for key, model in sorted(missing.items())
    )


def test_every_top_level_part_has_a_part_label() -> None:
    parts = {info.alias or name for name, info in Package.model_fields.items()}
    assert parts == set(PART_LABELS)
    assert all(FIELD_LABELS[key] == label for key, label in PART_LABELS.items())


def test_labels_are_words_for_planners_not_keys() -> None:
    assert FIELD_LABELS["expected_actions"] == "Expected player actions"
    assert FIELD_LABELS["to"] == "Addressees"
    assert FIELD_LABELS["offset"] == "Planned release (offset)"
    for key, label in FIELD_LABELS.items():
        assert label and label[0].isupper(), (key, label)
        assert "_" not in label, (key, label)


def test_an_unknown_key_falls_back_to_its_words() -> None:
    assert field_label("some_new_field") == "some new field"
    assert field_label("title") == "Title"


def test_every_label_has_a_korean_translation_in_the_editor_catalog() -> None:
    with EDITOR_PO.open("rb") as handle:
        catalog = read_po(handle, locale="ko")
    missing = sorted(
        label
        for label in set(FIELD_LABELS.values())
        if label not in catalog or not str(catalog[label].string).strip()
    )
    assert not missing, f"translate in {EDITOR_PO.name}: {missing}"


def test_the_merged_catalog_shows_the_editor_translation() -> None:
    """Another web catalog with the same msgid must not give it a different Korean word."""
    with EDITOR_PO.open("rb") as handle:
        catalog = read_po(handle, locale="ko")
    shown = ui_translations("ko").gettext
    differ = {
        label: (catalog[label].string, shown(label))
        for label in set(FIELD_LABELS.values())
        if shown(label) != catalog[label].string
    }
    assert not differ, differ
    assert shown(FIELD_LABELS["expected_actions"]) == "기대 조치"
    assert shown(FIELD_LABELS["offset"]) == "배포 예정 (경과 시간)"
