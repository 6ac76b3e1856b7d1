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


def test_no_ui_string_is_translated_two_ways() -> None:
    """The pages' catalogs are merged into one, so a msgid two catalogs translate differently
    shows one of the two depending on file order: each msgid has one translation."""
    from babel.messages.pofile import read_po

    seen: dict[tuple[str | None, str], tuple[str, str]] = {}
    clashes = []
    for po in catalog_files("ko"):
        with po.open("rb") as handle:
            catalog = read_po(handle, locale="ko")
        for message in catalog:
            if not message.id or not message.string:
                continue
            msgid = message.id if isinstance(message.id, str) else message.id[0]
            text = message.string if isinstance(message.string, str) else message.string[0]
            key = (message.context, msgid)
            if key in seen and seen[key][1] != text:
                clashes.append(f"{msgid!r}: {seen[key][0]} {seen[key][1]!r} / {po.name} {text!r}")
            seen.setdefault(key, (po.name, text))
    assert not clashes, "translated differently:\n" + "\n".join(clashes)
