"""Read a package from YAML, keeping the line and column of every value for error reports.

Only safe YAML is accepted: the document is composed into nodes and built here from plain
scalars, mappings and sequences — no tags that construct Python objects. Duplicate keys are
errors, and so are files that are too large, not UTF-8, or expand through aliases into more
nodes than any real exercise has.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from yaml.constructor import SafeConstructor

from sitroom.package.aliases import MAX_ALIAS_VALUES as MAX_ALIAS_VALUES
from sitroom.package.aliases import alias_problem
from sitroom.package.model import Package
from sitroom.package.problems import Problem, Severity
from sitroom.package.sourcemap import Path_, SourceMap

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_NODES = 2_000_000
PACKAGE_FILE = "exercise.yaml"
DOCUMENTS_DIR = "documents"


@dataclass
class LoadResult:
    """The outcome of reading a package: the package (if it parsed) and every problem."""

    source: SourceMap
    package: Package | None = None
    problems: list[Problem] = field(default_factory=list)
    root: Path | None = None
    unreadable: bool = False

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.WARNING]

    @property
    def ok(self) -> bool:
        return self.package is not None and not self.errors

    def documents_dir(self) -> Path | None:
        """The folder attachments are read from, if the package came from disk."""
        return self.root / DOCUMENTS_DIR if self.root else None


class _Build:
    """Build plain data from composed YAML nodes, recording positions."""

    def __init__(self, source: SourceMap) -> None:
        self.source = source
        self.constructor = SafeConstructor()
        self.count = 0
        self.problems: list[Problem] = []

    def at(self, node: yaml.Node) -> tuple[int, int]:
        return node.start_mark.line + 1, node.start_mark.column + 1

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooBig
        self.source.positions.setdefault(path, self.at(node))
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_TAGS:
            self._problem(
                node,
                "unsupported-yaml",
                f"tag {node.tag!r} is not allowed",
                "remove the tag; packages use plain YAML only",
            )
            return None
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            key_nodes: dict[str, yaml.Node] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    self._problem(
                        key_node,
                        "unsupported-yaml",
                        "merge keys ('<<') are not supported",
                        "write the keys out in full",
                    )
                    continue
                key = self.build(key_node, (*path, "<key>"))
                if not isinstance(key, str | int) or isinstance(key, bool):
                    self._problem(
                        key_node,
                        "invalid-key",
                        f"key {key!r} is not text",
                        "keys must be plain words such as 'title'",
                    )
                    continue
                key = str(key)
                if key in key_nodes:
                    first_line = key_nodes[key].start_mark.line + 1
                    self._problem(
                        key_node,
                        "duplicate-key",
                        f"key '{key}' appears twice in this mapping (first on line {first_line})",
                        "remove or rename one of them",
                    )
                    continue
                key_nodes[key] = key_node
                self.source.positions[(*path, key)] = self.at(value_node)
                result[key] = self.build(value_node, (*path, key))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.ScalarNode):
            if node.tag.startswith("tag:yaml.org,2002:") and node.tag.rsplit(":", 1)[-1] in {
                "str",
                "int",
                "float",
                "bool",
                "null",
                "timestamp",
            }:
                kind = node.tag.rsplit(":", 1)[-1]
                # Base-60 numbers ('1:30:00') are durations or times to a planner, and an
                # identifier written '1.10' must not become the number 1.1.
                if (
                    kind in ("int", "float")
                    and not node.style  # plain: None from PyYAML, "" from libyaml
                    and (":" in node.value or (path and path[-1] in _TEXT_KEYS))
                ):
                    return node.value
                try:
                    return self.constructor.construct_object(node, deep=True)
                except (yaml.YAMLError, ValueError) as exc:
                    self._problem(
                        node,
                        "invalid-value",
                        f"cannot read value: {exc}",
                        "quote the value to keep it as text",
                    )
                    return node.value
            self._problem(
                node,
                "unsupported-yaml",
                f"tag {node.tag!r} is not allowed",
                "remove the tag; packages use plain YAML only",
            )
            return node.value
        return None  # pragma: no cover - yaml has only three node kinds

    def _problem(self, node: yaml.Node, code: str, message: str, hint: str) -> None:
        line, column = self.at(node)
        self.problems.append(
            Problem(code, message, file=self.source.file, line=line, column=column, hint=hint)
        )


_BOOL_1_2 = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")


def _yaml_1_2_booleans(loader: type[yaml.SafeLoader] | type[Any]) -> None:
    """Only true/false are booleans, so an option id or a country code written ``no``,
    ``yes``, ``on`` or ``off`` stays text (YAML 1.1's 'Norway problem')."""
    loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL_1_2, list("tTfF"))


class _Loader(yaml.SafeLoader):
    """Safe YAML, pure Python."""


_yaml_1_2_booleans(_Loader)
_FastLoader: type[Any] = _Loader
if getattr(yaml, "__with_libyaml__", False):

    class _CLoader(yaml.CSafeLoader):
        """Safe YAML parsed by libyaml (several times faster on large packages)."""

    _yaml_1_2_booleans(_CLoader)
    _FastLoader = _CLoader

_TEXT_KEYS = frozenset({"id", "number", "contingency_for", "edition", "code", "ref"})
"""Keys whose values are identifiers: a number written there is kept exactly as written."""

_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


class _TooBig(Exception):
    pass


def parse_yaml(text: str, file: str) -> tuple[Any, SourceMap, list[Problem]]:
    """Parse YAML text to plain data with positions; syntax errors become problems."""
    source = SourceMap(file)
    try:
        nodes = list(yaml.compose_all(text, Loader=_FastLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        context = exc.context or ""
        if exc.context_mark and mark is not exc.context_mark:
            context += f" (started on line {exc.context_mark.line + 1})"
        message = " ".join(filter(None, [context, exc.problem])) or "invalid YAML"
        return (
            None,
            source,
            [
                Problem(
                    "yaml-syntax",
                    message,
                    file=file,
                    line=line,
                    column=column,
                    hint="check indentation, colons and quotes around this place",
                )
            ],
        )
    except yaml.YAMLError as exc:
        return None, source, [Problem("yaml-syntax", str(exc), file=file)]
    except RecursionError:
        return None, source, [Problem("too-deep", "the document nests too deeply", file=file)]
    if not nodes or nodes[0] is None:
        return (
            None,
            source,
            [
                Problem(
                    "empty",
                    "the file holds no YAML document",
                    file=file,
                    line=1,
                    column=1,
                    hint="start with 'exercise:' — run 'sitroom new NAME' for a template",
                )
            ],
        )
    problems: list[Problem] = []
    if len(nodes) > 1:
        second = nodes[1]
        problems.append(
            Problem(
                "multiple-documents",
                "the file holds more than one YAML document ('---')",
                file=file,
                line=second.start_mark.line + 1 if second else None,
                hint="keep one package per file",
            )
        )
    try:
        refused = alias_problem(nodes[0], text, file, _FastLoader)
    except RecursionError:
        return None, source, [Problem("too-deep", "the document nests too deeply", file=file)]
    if refused is not None:
        return None, source, [refused]
    builder = _Build(source)
    try:
        data = builder.build(nodes[0], ())
    except _TooBig:
        return (
            None,
            source,
            [
                Problem(
                    "too-large",
                    f"the document expands to more than {MAX_NODES:,} values "
                    "(aliases repeated too often?)",
                    file=file,
                    hint="write the content out instead of repeating aliases",
                )
            ],
        )
    except RecursionError:
        return None, source, [Problem("too-deep", "the document nests too deeply", file=file)]
    return data, source, problems + builder.problems


def _resolve(path: Path) -> tuple[Path, Path | None]:
    """The YAML file to read and the package root folder (None for a lone file)."""
    if path.is_dir():
        return path / PACKAGE_FILE, path
    return path, path.parent if (path.parent / DOCUMENTS_DIR).is_dir() else None


def read_text(path: Path, display: str) -> tuple[str | None, list[Problem]]:
    """Read a file as UTF-8 text, or say exactly why it cannot be read."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None, [
            Problem(
                "not-found",
                f"no such file: {path}",
                file=display,
                hint="give a package .yaml file or a folder with exercise.yaml",
            )
        ]
    except OSError as exc:
        return None, [Problem("unreadable", f"cannot read {path}: {exc.strerror}", file=display)]
    if size > MAX_FILE_BYTES:
        return None, [
            Problem(
                "too-large",
                f"the file is {size / 1e6:.1f} MB; packages are at most "
                f"{MAX_FILE_BYTES // 1_000_000} MB",
                file=display,
                hint="move large documents to documents/ and attach them",
            )
        ]
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem("unreadable", f"cannot read {path}: {exc.strerror}", file=display)]
    return decode(raw, display)


def decode(raw: bytes, display: str) -> tuple[str | None, list[Problem]]:
    """Decode UTF-8 (a BOM is allowed); other encodings get a clear error with the place."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [
            Problem(
                "not-utf8",
                f"byte 0x{raw[exc.start]:02x} is not valid UTF-8",
                file=display,
                line=line,
                column=column,
                hint="save the file as UTF-8 (in most editors: 'Save with encoding')",
            )
        ]
    if "\x00" in text:
        return None, [
            Problem("not-text", "the file contains NUL bytes; it is not a text file", file=display)
        ]
    return text, []


def load_package(path: Path | str) -> LoadResult:
    """Read and check a package file or folder: syntax, types and cross-references."""
    from sitroom.package.validate import check_package

    path = Path(path)
    file_path, root = _resolve(path)
    display = str(file_path)
    text, problems = read_text(file_path, display)
    if text is None:
        return LoadResult(SourceMap(display), problems=problems, unreadable=True)
    result = load_text(text, display)
    result.root = root
    if result.package is not None:
        result.problems.extend(check_package(result.package, result.source, result.documents_dir()))
    return result


def load_text(text: str, file: str = "<text>") -> LoadResult:
    """Parse package YAML text into a typed package; problems carry file, line and column."""
    data, source, problems = parse_yaml(text, file)
    result = LoadResult(source, problems=problems)
    if data is None and problems:
        return result
    if not isinstance(data, dict):
        result.problems.append(
            Problem(
                "not-a-package",
                "the document is not a mapping of keys to values",
                file=file,
                line=1,
                column=1,
                hint="a package starts with 'exercise:'",
            )
        )
        return result
    package, type_problems = to_package(data, source)
    result.problems.extend(type_problems)
    if not any(p.is_error for p in result.problems):
        result.package = package
    return result


def _default_language(data: dict[str, Any]) -> str:
    exercise = data.get("exercise")
    if isinstance(exercise, dict):
        languages = exercise.get("languages")
        if isinstance(languages, list) and languages and isinstance(languages[0], str):
            return languages[0]
    return "en"


def to_package(data: dict[str, Any], source: SourceMap) -> tuple[Package | None, list[Problem]]:
    """Validate plain data against the model; translate pydantic errors into problems."""
    try:
        package = Package.model_validate(
            data, context={"default_language": _default_language(data)}
        )
    except ValidationError as exc:
        return None, [_from_pydantic(err, data, source) for err in exc.errors()]
    return package, []


def _known_fields(data: Any, loc: tuple[str | int, ...]) -> set[str]:
    """Field names allowed at the model reached by ``loc`` (for 'did you mean' hints)."""

    model: type[BaseModel] = Package
    for part in loc:
        if isinstance(part, int):
            continue
        fields = model.model_fields
        info = fields.get(part) or next((f for f in fields.values() if f.alias == part), None)
        if info is None:
            return set()
        inner = _inner_model(info.annotation)
        if inner is None:
            return set()
        model = inner
    return {f.alias or name for name, f in model.model_fields.items()}


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    from typing import get_args

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


_PYDANTIC_STEP = re.compile(r"^(function-(before|after|wrap|plain)|tagged-union|union|chain)\[")


def _from_pydantic(err: Any, data: Any, source: SourceMap) -> Problem:
    loc: tuple[str | int, ...] = tuple(
        part for part in err["loc"] if not (isinstance(part, str) and _PYDANTIC_STEP.match(part))
    )
    name = str(loc[-1]) if loc else "package"
    line, column = source.find(loc)
    where = _describe(loc, data)
    kind = err["type"]
    message: str = err["msg"]
    hint = ""
    code = "invalid-value"
    if kind == "missing":
        code = "missing-field"
        message = f"{where}: required field '{name}' is missing"
        hint = f"add '{name}:'"
    elif kind == "extra_forbidden":
        code = "unknown-field"
        message = f"{where}: unknown field '{name}'"
        known = _known_fields(data, loc[:-1])
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
        hint = (
            f"did you mean '{close[0]}'?"
            if close
            else ("allowed here: " + ", ".join(sorted(known)) if known else "remove it")
        )
    else:
        message = message.removeprefix("Value error, ")
        message = f"{where}: {message}"
        if kind == "enum":
            expected = err.get("ctx", {}).get("expected", "")
            hint = f"use one of {expected}" if expected else ""
        elif kind == "string_type" and loc and loc[-1] in ("id", "number", "code"):
            hint = 'quote it, e.g. id: "1.1"'
        elif kind == "string_pattern_mismatch":
            if (loc and loc[-1] in ("id", "code")) or "id" in str(loc[-1]):
                hint = "ids use letters, digits, '-', '_' and '.', starting with a letter or digit"
            if loc and loc[-1] == "code":
                hint = "a short code is 2-6 capital letters or digits, e.g. a trigraph like 'ALD'"
        elif kind in ("dict_type", "string_type") and loc and isinstance(loc[-1], str):
            hint = "write text, or a mapping of language code to text such as {en: ..., ko: ...}"
    return Problem(
        code,
        message,
        file=source.file,
        line=line,
        column=column,
        hint=hint,
        field=".".join(str(p) for p in loc),
    )


def _describe(loc: tuple[str | int, ...], data: Any) -> str:
    """Name the place in planners' words: "inject 14 in module 'day1'", "team 'blue2'"."""
    parts: list[str] = []
    node = data
    i = 0
    while i < len(loc):
        key = loc[i]
        nxt = loc[i + 1] if i + 1 < len(loc) else None
        child = node.get(key) if isinstance(node, dict) else None
        if isinstance(key, str) and isinstance(nxt, int) and isinstance(child, list):
            item = child[nxt] if nxt < len(child) else None
            label = _ITEM_NAMES.get(key, key.rstrip("s"))
            ident = None
            if isinstance(item, dict):
                ident = item.get("number" if key == "injects" else "id")
            parts.append(f"{label} {ident!r}" if ident is not None else f"{label} #{nxt + 1}")
            node = item
            i += 2
            continue
        parts.append(str(key))
        node = child
        i += 1
    return " › ".join(parts) if parts else "package"


_ITEM_NAMES = {
    "injects": "inject",
    "modules": "module",
    "teams": "team",
    "parties": "party",
    "objectives": "objective",
    "targets": "target",
    "tasks": "task",
    "references": "reference",
    "clauses": "clause",
    "questions": "question",
    "polls": "poll",
    "options": "option",
    "capabilities": "capability",
    "attachments": "attachment",
    "points_of_contact": "point of contact",
    "key_issues": "key issue",
    "expected_actions": "expected action",
}
