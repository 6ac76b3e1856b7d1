"""Refusals of the rules are English where they are made and translated where they are shown."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from babel.messages.pofile import read_po

from sitroom.conduct import commands as cmd
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.run import Context, Rejected, decide
from sitroom.conduct.state import RunState
from sitroom.conduct.wording import Phrase, lazy, said
from sitroom.web.render import LOCALE_DIR, environment, translator, ui_translations
from tests.support.packages import two_parties

FAC = Principal("account:fac", Role.FACILITATOR, "Fac")
CTX = Context(datetime(2027, 3, 4, 9, 0, tzinfo=UTC), "id-1")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _refusal(command: cmd.Command, state: RunState | None = None) -> Rejected:
    state = state or RunState.initial("r", two_parties())
    with pytest.raises(Rejected) as caught:
        decide(state, command, FAC, CTX)
    return caught.value


def test_a_refusal_is_its_english_text_for_the_api_and_the_log() -> None:
    refused = _refusal(cmd.PauseRun())
    assert refused.message == "only a running run can be paused (it is planned)"
    assert isinstance(refused.message, Phrase)
    assert str(refused) == "only a running run can be paused (it is planned)"


def test_a_facilitator_reading_korean_sees_the_refusal_in_korean() -> None:
    refused = _refusal(cmd.PauseRun())
    shown = translator("ko")(refused.message)
    assert shown == "진행 중인 실행만 일시 정지할 수 있습니다(현재 planned)"
    assert translator("en")(refused.message) == refused.message


def test_the_templates_underscore_translates_a_refusal_too() -> None:
    refused = _refusal(cmd.PauseRun())
    shown = environment("ko").from_string("{{ _(message) }}").render(message=refused.message)
    assert shown.startswith("진행 중인 실행만 일시 정지할 수 있습니다")


def test_a_translation_that_misfits_its_parameters_falls_back_to_english() -> None:
    message = lazy("inject %(number)s was already released", number="4")

    def catalog(translation: str) -> Callable[[str], str]:
        return lambda msgid: translation if msgid == message.msgid else msgid

    assert said(message, catalog("상황 %(num)s")) == "inject 4 was already released"
    assert said(message, catalog("상황 %(number)s 배포됨")) == "상황 4 배포됨"


def test_plain_strings_are_looked_up_as_msgids() -> None:
    assert translator("ko")("Sign out") == "로그아웃"


def test_every_korean_translation_keeps_its_placeholders() -> None:
    wrong = []
    for po in sorted((LOCALE_DIR / "ko" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle, locale="ko")
        for message in catalog:
            if not message.id or not message.string or isinstance(message.id, tuple):
                continue
            assert isinstance(message.string, str)
            if set(PLACEHOLDER.findall(message.id)) != set(PLACEHOLDER.findall(message.string)):
                wrong.append(f"{po.name}: {message.id!r} -> {message.string!r}")
    assert not wrong, "\n".join(wrong)


def test_one_english_word_with_two_meanings_has_two_translations() -> None:
    ko = ui_translations("ko")
    assert ko.pgettext("poll state", "Closed") == "마감됨"
    assert ko.pgettext("corrective actions", "Closed") == "종결"
    page = environment("ko").from_string('{{ pgettext("verb", "Release") }}').render()
    assert page == ko.pgettext("verb", "Release") != "Release"


def test_a_catalog_may_translate_one_filled_in_message_as_a_whole() -> None:
    catalog = {"text is empty": "내용이 비어 있습니다", "%(field)s is empty": "%(field)s 없음"}
    message = lazy("%(field)s is empty", field="text")
    assert said(message, lambda m: catalog.get(m, m)) == "내용이 비어 있습니다"
    other = lazy("%(field)s is empty", field="title")
    assert said(other, lambda m: catalog.get(m, m)) == "title 없음"
