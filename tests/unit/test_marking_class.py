"""Banners are coloured by their highest marking."""

from __future__ import annotations

import pytest

from sitroom.web.render import marking_class


@pytest.mark.parametrize(
    ("banner", "expected"),
    [
        ("EXERCISE EXERCISE EXERCISE · SECRET//REL TO ALD", "marking-secret"),
        ("EXERCISE EXERCISE EXERCISE · TOP SECRET//REL TO ALD", "marking-top-secret"),
        ("EXERCISE EXERCISE EXERCISE · UNCLASSIFIED//REL TO ALD, BRN", "marking-unclassified"),
        ("EXERCISE EXERCISE EXERCISE · TLP:AMBER+STRICT", "marking-tlp-amber"),
        ("EXERCISE EXERCISE EXERCISE · RESTRICTED · TLP:GREEN", "marking-restricted"),
        ("EXERCISE EXERCISE EXERCISE · UNMARKED", "marking-unmarked"),
        (None, "marking-unmarked"),
    ],
)
def test_marking_class(banner: str | None, expected: str) -> None:
    assert marking_class(banner) == expected
