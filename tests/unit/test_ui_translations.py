"""Every UI string of the pages has its Korean translation (English is the msgid itself)."""

from __future__ import annotations

from tests.support.i18n import catalog_files, untranslated, web_messages


def test_the_pages_have_ui_strings() -> None:
    assert len(web_messages()) > 20


def test_every_ui_string_has_a_korean_translation() -> None:
    assert catalog_files("ko"), "no web-*.po catalog for Korean"
    missing = untranslated("ko")
    assert not missing, "untranslated UI strings:\n" + "\n".join(
        f"  {where}: {message!r}" for message, where in sorted(missing.items(), key=lambda m: m[1])
    )
