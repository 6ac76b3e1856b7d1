"""What a delivery's body says: the Standard Webhooks JSON, or a chat message.

The body is made from the event *as the subscription's audience sees it* (the gate's view),
never from the log record, so a chat channel shows exactly what that audience may read.
Every format carries the marking banner: ``standard`` in ``data.banner``, the chat formats
on the first and last line of the message, as a marked page does at its top and bottom.

- ``standard``: ``{"type", "timestamp", "data": {"run", "seq", "audience", "banner",
  "event"}}`` (the shape the Standard Webhooks spec suggests);
- ``slack``: an incoming-webhook message with ``text`` and Block Kit ``blocks``;
- ``mattermost``: an incoming-webhook message with Markdown ``text``;
- ``teams``: a Microsoft Teams (Workflows) message with one Adaptive Card.
"""

from __future__ import annotations

import json
from typing import Any

from sitroom.package.marking import exercise_banner
from sitroom.package.model import Package, text_in

FORMATS = ("standard", "slack", "mattermost", "teams")

_WORDS: dict[str, dict[str, str]] = {
    "inject": {"en": "Inject", "ko": "상황조성"},
    "corrected": {"en": "corrected", "ko": "정정"},
    "retracted": {"en": "Inject {n} was retracted.", "ko": "상황조성 {n}이(가) 철회되었습니다."},
    "module": {"en": "Module opened", "ko": "모듈 시작"},
    "update": {"en": "Update", "ko": "알림"},
    "run-started": {"en": "The exercise has started.", "ko": "연습이 시작되었습니다."},
    "run-paused": {"en": "The exercise is paused.", "ko": "연습이 일시 중지되었습니다."},
    "run-resumed": {"en": "The exercise has resumed.", "ko": "연습이 재개되었습니다."},
    "run-ended": {"en": "The exercise has ended.", "ko": "연습이 종료되었습니다."},
}


def _word(key: str, lang: str) -> str:
    words = _WORDS[key]
    return words.get(lang, words["en"])


def banner_of(package: Package, data: dict[str, Any]) -> str:
    """The event's banner: its inject's marking, else the exercise's default marking."""
    inject = data.get("inject")
    if isinstance(inject, dict) and inject.get("banner"):
        return str(inject["banner"])
    return exercise_banner(package.exercise.default_marking, package)


def summary(package: Package, event_type: str, data: dict[str, Any], lang: str) -> tuple[str, str]:
    """A title and a text for a person reading a chat channel."""
    fallbacks = package.exercise.languages
    if event_type in ("inject-released", "inject-corrected") and "inject" in data:
        inject = data["inject"]
        title = f"{_word('inject', lang)} {inject.get('number', data.get('number', ''))}: "
        title += text_in(inject.get("title"), lang, fallbacks)
        if event_type == "inject-corrected":
            title += f" ({_word('corrected', lang)})"
        return title, text_in(inject.get("content"), lang, fallbacks)
    if event_type == "inject-retracted":
        return _word("retracted", lang).format(n=data.get("number", "")), ""
    if event_type == "module-opened" and isinstance(data.get("view"), dict):
        view = data["view"]
        title = f"{_word('module', lang)}: {text_in(view.get('title'), lang, fallbacks)}"
        return title, text_in(view.get("narrative"), lang, fallbacks)
    if event_type == "update-broadcast":
        return _word("update", lang), text_in(data.get("text"), lang, fallbacks)
    if event_type in ("run-started", "run-paused", "run-resumed", "run-ended"):
        return _word(event_type, lang), ""
    return event_type, ""


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def body(
    fmt: str,
    *,
    package: Package,
    run_id: str,
    seq: int,
    event_type: str,
    at: str,
    data: dict[str, Any],
    audience: str,
    lang: str,
) -> str:
    """The JSON body of one delivery in format ``fmt``."""
    banner = banner_of(package, data)
    if fmt == "standard":
        message: dict[str, Any] = {
            "type": event_type,
            "timestamp": at,
            "data": {
                "run": run_id,
                "seq": seq,
                "audience": audience,
                "banner": banner,
                "event": data,
            },
        }
        return json.dumps(message, ensure_ascii=False, separators=(",", ":"))
    title, text = summary(package, event_type, data, lang)
    if fmt == "slack":
        mark = {"type": "context", "elements": [{"type": "mrkdwn", "text": _slack_escape(banner)}]}
        section = f"*{_slack_escape(title)}*" + (f"\n{_slack_escape(text)}" if text else "")
        message = {
            "text": f"{banner} | {title}",
            "blocks": [
                mark,
                {"type": "section", "text": {"type": "mrkdwn", "text": section}},
                mark,
            ],
        }
    elif fmt == "mattermost":
        lines = [f"**{banner}**", f"#### {title}", *([text] if text else []), f"**{banner}**"]
        message = {"text": "\n".join(lines)}
    elif fmt == "teams":
        blocks: list[dict[str, Any]] = [
            {
                "type": "TextBlock",
                "text": banner,
                "weight": "Bolder",
                "color": "Attention",
                "wrap": True,
            },
            {
                "type": "TextBlock",
                "text": title,
                "size": "Medium",
                "weight": "Bolder",
                "wrap": True,
            },
        ]
        if text:
            blocks.append({"type": "TextBlock", "text": text, "wrap": True})
        blocks.append(dict(blocks[0]))
        message = {
            "type": "message",
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": blocks,
                    },
                }
            ],
        }
    else:
        raise ValueError(f"unknown webhook format {fmt!r}; use one of {', '.join(FORMATS)}")
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))
