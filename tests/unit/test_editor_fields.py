"""The editor's forms from the package model: which input each field gets, and which edits a
posted form means (only what changed, texts per language)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from sitroom.package.model import Exercise, Inject, Module, Package
from sitroom.web.views.editor_fields import (
    changes,
    choices_of,
    fields_of,
    lines_in,
    model_at,
    shown,
    skeleton,
    texts_in,
)

LANGS = ("en", "ko")


def kinds(model: Any, data: Any = None) -> dict[str, str]:
    return {f.key: f.kind for f in fields_of(model, data or {}, {})}


def test_every_field_gets_an_input_from_its_type() -> None:
    inject = kinds(Inject)
    assert inject["title"] == "texts" and inject["from"] == "texts"
    assert inject["to"] == "pick" and inject["tasks"] == "pick" and inject["clauses"] == "pick"
    assert inject["expected_actions"] == "list-texts"
    assert inject["delivery"] == "choice" and inject["marking"] == "part"
    assert inject["attachments"] == "parts"
    assert kinds(Module)["key_issues"] == "list-texts"
    assert kinds(Package)["assumptions"] == "list-texts"
    assert kinds(Exercise)["languages"] == "words"


def test_paths_name_the_model_of_each_part() -> None:
    assert model_at(()) is Package
    assert model_at(("modules", 0)) is Module
    assert model_at(("modules", 0, "injects", 3)) is Inject
    assert model_at(("modules",)) is None  # a list, not a part
    assert model_at(("nothing",)) is None


def form(fields: list[Any], **typed: Any) -> FormData:
    """What a browser posts for ``fields`` as shown, with ``typed`` changed."""
    items: list[tuple[str, str]] = []
    for f in fields:
        items.append((f"present:{f.key}", "1"))
        if f.kind == "texts":
            for lang, text in texts_in(f.value, LANGS).items():
                items.append((f"{f.key}:{lang}", text))
        elif f.kind == "list-texts":
            for lang, text in lines_in(f.value, LANGS).items():
                items.append((f"{f.key}:{lang}", text))
        elif f.kind == "pick":
            items.extend((f.key, v) for v in f.value or [])
        elif f.kind not in ("part", "parts", "bool"):
            items.append((f.key, shown(f.value)))
    return FormData([(k, v) for k, v in items if k not in typed] + list(typed.items()))


INJECT = {
    "number": "1.1",
    "title": "Plain English title",
    "offset": "0m",
    "content": "Line one.\nLine two.\n",
    "to": ["ald-nss"],
    "expected_actions": [{"en": "Alert leadership.", "ko": "지휘부 보고."}],
}


def test_a_form_posted_back_unchanged_means_no_edit() -> None:
    fields = fields_of(Inject, INJECT, choices_of({}))
    assert changes(fields, form(fields), LANGS) == []


def test_a_text_changes_per_language_and_a_plain_string_stays_plain() -> None:
    fields = fields_of(Inject, INJECT, {})
    posted = form(fields, **{"title:ko": "한국어 제목"})
    assert changes(fields, posted, LANGS) == [("set", ("title", "ko"), "한국어 제목")]
    posted = form(fields, **{"title:en": "New title"})
    assert changes(fields, posted, LANGS) == [("set", ("title", "en"), "New title")]


def test_emptied_optional_fields_are_removed_and_picks_are_lists() -> None:
    fields = fields_of(Inject, INJECT, {})
    posted = form(fields, offset="")
    assert changes(fields, posted, LANGS) == [("remove", ("offset",), None)]
    items = [(k, v) for k, v in form(fields).multi_items() if k != "to"]
    items += [("to", "ald-nss"), ("to", "brn-nss")]
    assert changes(fields, FormData(items), LANGS) == [("set", ("to",), ["ald-nss", "brn-nss"])]


def test_a_new_part_has_its_required_fields() -> None:
    made = skeleton(Inject, LANGS, [{"number": "1"}])
    assert made["number"] == "2" and made["title"] and made["content"]
    assert set(skeleton(Module, LANGS, [])) == {"id", "title"}
