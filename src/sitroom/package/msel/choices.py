"""The Choice column of an MSEL: the options an inject offers, written so a planner can type it.

One cell per language::

    Choice (joint): How will the allies speak?
    - joint-only: One joint statement
    - national: National statements only

The first line is optional (no prompt, not joint); each option is a line ``- id: text``. The
columns of further languages ("Choice (ko)") repeat the option ids with their texts.
"""

from __future__ import annotations

import re
from typing import Any

from sitroom.package.model import Choice

_HEAD = re.compile(r"^choice\s*(?P<joint>\(\s*joint\s*\))?\s*:?\s*(?P<prompt>.*)$", re.I)
_OPTION = re.compile(r"^[-•*]\s*(?P<id>[A-Za-z0-9][A-Za-z0-9_.\-]*)\s*:\s*(?P<text>.+)$")
FORM = "a line 'Choice: prompt' or 'Choice (joint): prompt', then one line '- id: text' per option"


class ChoiceCellError(ValueError):
    """A Choice cell that does not read; the message says which line and what is expected."""


def format_choice(choice: Choice, lang: str) -> str | None:
    """The Choice cell of ``choice`` in ``lang``, or None when nothing is written in it."""
    texts = [option.text.get(lang) for option in choice.options]
    prompt = (choice.prompt or {}).get(lang)
    if not prompt and not any(texts):
        return None
    head = "Choice (joint):" if choice.joint else "Choice:"
    lines = [f"{head} {prompt}" if prompt else head]
    lines += [
        f"- {o.id}: {text or ''}".rstrip() for o, text in zip(choice.options, texts, strict=True)
    ]
    return "\n".join(lines)


def _read(text: str) -> tuple[bool, str, list[tuple[str, str]]]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    joint, prompt = False, ""
    if lines and (head := _HEAD.match(lines[0])) and not _OPTION.match(lines[0]):
        joint, prompt = bool(head["joint"]), head["prompt"].strip()
        lines = lines[1:]
    options = []
    for number, line in enumerate(lines, start=1):
        match = _OPTION.match(line)
        if match is None:
            raise ChoiceCellError(f"option line {number} '{line[:60]}' is not '- id: text'")
        options.append((match["id"], match["text"].strip()))
    return joint, prompt, options


def parse_choice(texts: dict[str, str], main: str) -> dict[str, Any]:
    """The ``choice`` of an inject from its Choice cells by language (``main`` first).

    Raise ChoiceCellError naming the language and line when a cell does not read, when a
    further language names an option the main one does not offer, or with fewer than two options.
    """
    languages = [main, *(lang for lang in texts if lang != main)]
    if not texts.get(main):
        raise ChoiceCellError(f"the {main} column is empty; write the options there first")
    joint, prompt, options = _read_in(texts[main], main)
    if len(options) < 2:
        raise ChoiceCellError(f"a choice offers at least two options ({FORM})")
    ids = [option_id for option_id, _ in options]
    if len(set(ids)) != len(ids):
        raise ChoiceCellError(f"option ids repeat: {', '.join(ids)}")
    prompts = {main: prompt} if prompt else {}
    option_texts: dict[str, dict[str, str]] = {oid: {main: text} for oid, text in options}
    for lang in languages[1:]:
        _, other_prompt, others = _read_in(texts[lang], lang)
        if other_prompt:
            prompts[lang] = other_prompt
        for option_id, text in others:
            if option_id not in option_texts:
                raise ChoiceCellError(
                    f"({lang}) option '{option_id}' is not one of the {main} options: "
                    f"{', '.join(ids)}"
                )
            option_texts[option_id][lang] = text
    choice: dict[str, Any] = {
        "options": [{"id": oid, "text": option_texts[oid]} for oid in ids],
    }
    if prompts:
        choice["prompt"] = prompts
    if joint:
        choice["joint"] = True
    return choice


def _read_in(text: str, lang: str) -> tuple[bool, str, list[tuple[str, str]]]:
    try:
        return _read(text)
    except ChoiceCellError as error:
        raise ChoiceCellError(f"({lang}) {error}") from None
