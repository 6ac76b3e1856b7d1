"""The editor's forms, driven by the package model: what kind of input each field of a part
of the package takes, what the document holds there now, and which edits a posted form means.

The document is the planner's YAML as plain data; a path (``("modules", 0, "injects", 3)``)
names a part of it, and the pydantic model (``package.model``) says what that part is. Every
field gets an input from its type: texts one box per exercise language, side by side; ids of
teams, parties, objectives, tasks and clauses a list to pick from; lists of parts a list with
add, remove and reorder; anything else a YAML box of its own. So a field added to the model
shows in the editor without a change here.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sitroom.package.basics import _to_local_text
from sitroom.package.model import Package
from sitroom.package.redact import is_control_field
from sitroom.web.views.editor_labels import field_label

Path = tuple[str | int, ...]

PICKED = {
    "to": "teams",
    "teams": "teams",
    "parties": "parties",
    "releasable_to": "parties",
    "objectives": "objectives",
    "tasks": "tasks",
    "clauses": "clauses",
    "capabilities": "capabilities",
    "mission_areas": "mission_areas",
}
"""List fields whose items are ids of other parts: picked from a list, not typed."""

SINGLE_PICKED = {"party": "parties", "capability": "capabilities"}


@dataclass
class Field:
    """One input of a form."""

    key: str
    """The key in the YAML document (the field's alias: ``from``, not ``from_``)."""
    kind: str
    """text, texts (one box per language), list-texts, words (a comma-separated list), bool,
    choice, pick, pick-one, part, parts, yaml"""
    required: bool
    control: bool
    value: Any
    choices: list[tuple[str, str]] = field(default_factory=list)
    model: type[BaseModel] | None = None
    description: str = ""

    @property
    def present(self) -> bool:
        return self.value is not None


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The annotation without ``| None`` and ``Annotated``; whether None was allowed."""
    optional = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        annotation = args[0] if len(args) == 1 else annotation
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation, optional


def _is_local_text(annotation: Any, info: FieldInfo | None = None) -> bool:
    metadata: list[Any] = list(info.metadata) if info is not None else []
    if typing.get_origin(annotation) is typing.Annotated:
        metadata.extend(typing.get_args(annotation)[1:])
    for candidate in typing.get_args(annotation):
        if typing.get_origin(candidate) is typing.Annotated:
            metadata.extend(typing.get_args(candidate)[1:])
    return any(getattr(m, "func", None) is _to_local_text for m in metadata)


def _item_type(annotation: Any) -> Any:
    """The item type of ``tuple[X, ...]`` (or None for anything else)."""
    if typing.get_origin(annotation) is tuple:
        args = typing.get_args(annotation)
        if len(args) == 2 and args[1] is Ellipsis:
            return args[0]
    return None


def model_at(path: Path) -> type[BaseModel] | None:
    """The model of the part at ``path`` of a package document (None for a plain value)."""
    model: type[BaseModel] = Package
    index = 0
    while index < len(path):
        key = path[index]
        info = next(
            (f for n, f in model.model_fields.items() if (f.alias or n) == key),
            None,
        )
        if info is None:
            return None
        annotation, _ = _unwrap(info.annotation)
        item = _item_type(annotation)
        if item is not None:
            if index + 1 >= len(path) or not isinstance(path[index + 1], int):
                return None
            index += 1
            annotation, _ = _unwrap(item)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
        index += 1
    return model


def value_at(document: Any, path: Path) -> Any:
    """What the document holds at ``path`` (None where nothing is)."""
    node = document
    for key in path:
        if isinstance(key, int) and isinstance(node, list) and 0 <= key < len(node):
            node = node[key]
        elif isinstance(key, str) and isinstance(node, dict):
            node = node.get(key)
        else:
            return None
    return node


def fields_of(
    model: type[BaseModel], data: Any, choices: dict[str, list[tuple[str, str]]]
) -> list[Field]:
    """The inputs of a form for a part of type ``model`` holding ``data``."""
    data = data if isinstance(data, dict) else {}
    found = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        annotation, _ = _unwrap(info.annotation)
        value = data.get(key)
        common = {
            "key": key,
            "required": info.is_required(),
            "control": is_control_field(model, name),
            "value": value,
            "description": info.description or "",
        }
        item = _item_type(annotation)
        if item is not None and _is_local_text(item):
            found.append(Field(kind="list-texts", **common))
        elif item is None and _is_local_text(info.annotation, info):
            found.append(Field(kind="texts", **common))
        elif item is not None and key in PICKED and not _is_model(_unwrap(item)[0]):
            found.append(Field(kind="pick", choices=choices.get(PICKED[key], []), **common))
        elif item is not None and _unwrap(item)[0] in (str, int):
            found.append(Field(kind="words", **common))
        elif item is not None and _is_model(_unwrap(item)[0]):
            found.append(Field(kind="parts", model=_unwrap(item)[0], **common))
        elif _is_model(annotation):
            found.append(Field(kind="part", model=annotation, **common))
        elif key in SINGLE_PICKED and annotation is str:
            found.append(
                Field(kind="pick-one", choices=choices.get(SINGLE_PICKED[key], []), **common)
            )
        elif isinstance(annotation, type) and issubclass(annotation, Enum):
            options = [(str(m.value), str(m.value)) for m in annotation]
            found.append(Field(kind="choice", choices=options, **common))
        elif annotation is bool:
            found.append(Field(kind="bool", **common))
        elif annotation in (str, int, float, date, datetime, timedelta):
            found.append(Field(kind="text", **common))
        else:
            found.append(Field(kind="yaml", **common))
    return found


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def choices_of(document: Any) -> dict[str, list[tuple[str, str]]]:
    """What a pick list offers: ids (and a label) of teams, parties, objectives, tasks,
    clauses, capabilities and mission areas, read from the document as it stands."""
    from sitroom.package.model import MissionArea

    doc = document if isinstance(document, dict) else {}

    def ids(items: Any, label: str = "name") -> list[tuple[str, str]]:
        out = []
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and item.get("id") is not None:
                out.append((str(item["id"]), short(item.get(label))))
        return out

    tasks: list[tuple[str, str]] = []
    for objective in doc.get("objectives") or []:
        for target in (objective or {}).get("targets") or []:
            tasks.extend(ids((target or {}).get("tasks"), "text"))
    clauses: list[tuple[str, str]] = []
    for reference in doc.get("references") or []:
        for clause in (reference or {}).get("clauses") or []:
            if isinstance(clause, dict) and clause.get("id") is not None:
                ref = f"{reference.get('id')}/{clause['id']}"
                clauses.append((ref, short(clause.get("title") or clause.get("text"))))
    capabilities = ids(doc.get("capabilities"))
    from sitroom.package.capabilities import library_names, load_library

    exercise = doc.get("exercise") if isinstance(doc.get("exercise"), dict) else {}
    library = str((exercise or {}).get("capability_library") or "fema-core")
    known = {c for c, _ in capabilities}
    if library in library_names():
        for capability in load_library(library).values():
            if capability.id not in known:
                capabilities.append((capability.id, short(capability.name)))
    return {
        "teams": ids(doc.get("teams")),
        "parties": ids(doc.get("parties")),
        "objectives": ids(doc.get("objectives"), "text"),
        "tasks": tasks,
        "clauses": clauses,
        "capabilities": capabilities,
        "mission_areas": [(m.value, m.value) for m in MissionArea],
    }


def short(text: Any, length: int = 70) -> str:
    """A one-line label of a text (the first language's, cut)."""
    if isinstance(text, dict):
        text = next((v for v in text.values() if v), "")
    line = " ".join(str(text or "").split())
    return line if len(line) <= length else line[: length - 1] + "…"


def label_of(item: Any, index: int) -> str:
    """How a list shows one part: its number or id, and its title or name."""
    if not isinstance(item, dict):
        return short(item) or f"#{index + 1}"
    head = item.get("number") or item.get("id") or item.get("term") or item.get("path")
    body = item.get("title") or item.get("name") or item.get("text") or item.get("question")
    parts = [str(head) if head is not None else f"#{index + 1}", short(body)]
    return " — ".join(p for p in parts if p)


def texts_in(value: Any, languages: tuple[str, ...]) -> dict[str, str]:
    """A text field's value per language (a plain string is the first language's)."""
    if isinstance(value, dict):
        return {lang: str(value.get(lang) or "") for lang in languages} | {
            str(k): str(v) for k, v in value.items() if k not in languages
        }
    if value is None:
        return dict.fromkeys(languages, "")
    return {languages[0]: str(value)} | dict.fromkeys(languages[1:], "")


def as_yaml(value: Any) -> str:
    """A value as a YAML snippet for the YAML box."""
    if value is None:
        return ""
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, default_flow_style=False)


def skeleton(
    model: type[BaseModel], languages: tuple[str, ...], taken: list[Any]
) -> dict[str, Any]:
    """A new part of type ``model`` with its required fields filled so it can be edited."""
    new: dict[str, Any] = {}
    count = len(taken) + 1
    for name, info in model.model_fields.items():
        if not info.is_required():
            continue
        key = info.alias or name
        annotation, _ = _unwrap(info.annotation)
        if key in ("id", "number"):
            existing = {str(t.get(key)) for t in taken if isinstance(t, dict)}
            stem = model.__name__.lower()[:8] if key == "id" else ""
            candidate = f"{stem}-{count}" if stem else str(count)
            while candidate in existing:
                count += 1
                candidate = f"{stem}-{count}" if stem else str(count)
            new[key] = candidate
        elif _is_local_text(info.annotation, info):
            new[key] = f"New {model.__name__.lower()}" if key in ("title", "name") else "…"
        elif _item_type(annotation) is not None:
            item, _ = _unwrap(_item_type(annotation))
            if _is_model(item):
                new[key] = [skeleton(item, languages, []) for _ in range(2)]
            else:
                new[key] = []
        elif _is_model(annotation):
            new[key] = skeleton(annotation, languages, [])
        elif isinstance(annotation, type) and issubclass(annotation, Enum):
            new[key] = str(next(iter(annotation)).value)
        else:
            new[key] = ""
    return new


class FormInvalid(ValueError):
    """A posted value that cannot be read: the field and what is accepted."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


def changes(
    fields: list[Field], form: Any, languages: tuple[str, ...]
) -> list[tuple[str, tuple[str, ...], Any]]:
    """What a posted form changes: ``(op, subpath, value)`` with op ``set`` or ``remove``, only
    for fields whose posted value differs from what the form showed (so an untouched field is
    not rewritten and the YAML keeps its layout there). A text changes per language
    (``("title", "ko")``), so the other language's line stays as it was."""
    out: list[tuple[str, tuple[str, ...], Any]] = []
    for f in fields:
        if f.kind in ("part", "parts"):
            continue
        if f"present:{f.key}" not in form:
            continue  # not on this form (a grid posts a few columns only)
        if _unchanged(f, form, languages):
            continue
        new = _posted(f, form, languages)
        if new is None:
            if f.value is not None:
                out.append(("remove", (f.key,), None))
            continue
        if f.kind == "texts" and f.value is not None:
            out.extend(_text_changes(f, form, languages))
            continue
        out.append(("set", (f.key,), new))
    return out


def _text_changes(
    f: Field, form: Any, languages: tuple[str, ...]
) -> list[tuple[str, tuple[str, ...], Any]]:
    was = texts_in(f.value, languages)
    out: list[tuple[str, tuple[str, ...], Any]] = []
    for lang in languages:
        before, after = _clean(was.get(lang, "")), _clean(form.get(f"{f.key}:{lang}", ""))
        if before == after:
            continue
        if after:
            out.append(("set", (f.key, lang), after))
        elif isinstance(f.value, dict):
            out.append(("remove", (f.key, lang), None))
        else:  # the plain string's language emptied, another kept: a mapping of the rest
            rest = {g: _clean(form.get(f"{f.key}:{g}", "")) for g in languages}
            return [("set", (f.key,), {g: t for g, t in rest.items() if t})]
    return out


def _unchanged(f: Field, form: Any, languages: tuple[str, ...]) -> bool:
    """Whether the form posts back what it showed (compared as shown, so a block text's
    final newline or a date's spelling does not count as a change)."""
    key = f.key
    if f.kind == "texts":
        was = texts_in(f.value, languages)
        return all(_clean(was.get(g, "")) == _clean(form.get(f"{key}:{g}", "")) for g in languages)
    if f.kind == "list-texts":
        was = lines_in(f.value, languages)
        return all(_lines(was.get(g, "")) == _lines(form.get(f"{key}:{g}", "")) for g in languages)
    if f.kind == "pick":
        return bool(_posted(f, form, languages) == (list(f.value) if f.value else None))
    if f.kind == "bool":
        return bool(f.value) == (form.get(key) in ("on", "true", "1"))
    if f.kind == "yaml":
        return _clean(as_yaml(f.value)) == _clean(form.get(key, ""))
    if f.kind == "words":
        return bool(_posted(f, form, languages) == ([str(v) for v in f.value] if f.value else None))
    return _clean(shown(f.value)) == _clean(form.get(key, ""))


def _posted(f: Field, form: Any, languages: tuple[str, ...]) -> Any:
    key = f.key
    if f.kind == "texts":
        texts = {lang: _clean(form.get(f"{key}:{lang}", "")) for lang in languages}
        texts = {lang: t for lang, t in texts.items() if t}
        if not texts:
            return None
        if isinstance(f.value, str) and set(texts) == {languages[0]}:
            return texts[languages[0]]  # keep a one-language text a plain string
        return texts
    if f.kind == "list-texts":
        columns = {lang: _lines(form.get(f"{key}:{lang}", "")) for lang in languages}
        rows = max((len(c) for c in columns.values()), default=0)
        items: list[Any] = []
        for row in range(rows):
            texts = {lang: c[row] for lang, c in columns.items() if row < len(c) and c[row]}
            if len(languages) == 1 or (set(texts) == {languages[0]} and _plain(f.value)):
                items.append(texts.get(languages[0], ""))
            else:
                items.append(texts)
        return items or None
    if f.kind == "pick":
        picked = [str(v) for v in form.getlist(key)] if hasattr(form, "getlist") else []
        extra = [v.strip() for v in str(form.get(f"{key}:other", "")).split(",") if v.strip()]
        values = list(dict.fromkeys(picked + extra))
        return values or None
    if f.kind == "bool":
        return form.get(key) in ("on", "true", "1")
    if f.kind == "words":
        words = [w.strip() for w in str(form.get(key, "")).split(",") if w.strip()]
        return words or None
    if f.kind == "yaml":
        raw = str(form.get(key, ""))
        if not raw.strip():
            return None
        try:
            return yaml.safe_load(raw)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark is not None else ""
            raise FormInvalid(key, f"this is not YAML{where}: {error}") from None
    raw = _clean(form.get(key, ""))
    if raw == "":
        return None
    if f.kind == "text" and isinstance(f.value, int) and not isinstance(f.value, bool):
        return int(raw) if raw.lstrip("-").isdigit() else raw
    return raw


def _clean(value: Any) -> str:
    return str(value or "").replace("\r\n", "\n").strip()


def _lines(value: Any) -> list[str]:
    return [line.strip() for line in _clean(value).split("\n")]


def _plain(value: Any) -> bool:
    return not isinstance(value, list) or all(isinstance(v, str) for v in value)


def _as_text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    return str(value)


def shown(value: Any) -> str:
    """A plain value as its input shows it (a list of words comma-separated)."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else _as_text(value)


def lines_in(value: Any, languages: tuple[str, ...]) -> dict[str, str]:
    """A list of texts per language, one item a line (for the one-per-line boxes)."""
    columns: dict[str, list[str]] = {lang: [] for lang in languages}
    for item in value if isinstance(value, list) else []:
        texts = texts_in(item, languages)
        for lang in languages:
            columns[lang].append(" ".join(texts.get(lang, "").split()))
    return {lang: "\n".join(lines) for lang, lines in columns.items()}


HELPERS: dict[str, Any] = {
    "field_label": field_label,
    "texts_in": texts_in,
    "lines_in": lines_in,
    "as_yaml": as_yaml,
    "shown": shown,
}
"""The functions the editor's templates use to show values."""
