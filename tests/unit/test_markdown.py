"""Markdown from planners and participants becomes safe HTML: formatting kept, markup and
scripts neutralised, nothing fetched, no link into joining."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitroom.package.markdown import ALLOWED_TAGS, URL_SCHEMES, render_markdown, safe_link


class _Tags(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


def assert_safe(html: str) -> None:
    """No tag outside the allow-list, no image, no event handler, no link that is relative,
    has a foreign scheme or leads to joining."""
    for tag, attrs in tags_of(html):
        assert tag in ALLOWED_TAGS, tag
        assert tag != "img", attrs
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name != "src", (tag, value)
            if name == "href":
                assert value and value.split(":", 1)[0].lower() in URL_SCHEMES, value
                assert "join" not in value.lower(), value


def test_formatting_is_rendered() -> None:
    html = render_markdown("Some **bold** and *emphasis*.\n\n- one\n- two\n\n1. first\n")
    assert "<strong>bold</strong>" in html
    assert "<em>emphasis</em>" in html
    assert "<ul>" in html and "<ol>" in html


def test_tables_are_rendered_with_column_headers() -> None:
    html = render_markdown("| Party | Lead |\n|:--|--:|\n| Aldoria | yes |\n")
    assert "<table>" in html
    assert '<th style="text-align:left" scope="col">Party</th>' in html
    assert "<td" in html


def test_empty_text_gives_nothing() -> None:
    assert render_markdown("") == ""
    assert render_markdown("   \n") == ""


def test_raw_html_shows_as_text() -> None:
    html = render_markdown("Before <script>alert(1)</script> <b>bold</b> after")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>" not in html


def test_html_block_shows_as_text() -> None:
    html = render_markdown("<div onclick='steal()'>\n<script>alert(1)</script>\n</div>")
    assert "<script" not in html.lower()
    assert "<div" not in html
    assert_safe(html)


def test_img_html_shows_as_text() -> None:
    html = render_markdown('Look <img src="../../../join/TOKEN"> here')
    assert "<img" not in html
    assert "&lt;img" in html
    assert_safe(html)


def test_image_with_onerror_is_neutralised() -> None:
    html = render_markdown('<img src=x onerror="alert(1)">')
    assert "<img" not in html
    assert "&lt;img" in html
    assert_safe(html)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "javascript&#58;alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "file:///etc/passwd",
    ],
)
def test_dangerous_links_are_dropped(url: str) -> None:
    html = render_markdown(f"[click]({url}) and <{url}>")
    assert "href" not in html
    assert_safe(html)


def test_links_get_noopener_noreferrer() -> None:
    html = render_markdown("[site](https://example.org) [mail](mailto:a@example.org)")
    assert html.count('rel="noopener noreferrer"') == 2
    assert 'href="https://example.org"' in html
    assert 'href="mailto:a@example.org"' in html


@pytest.mark.parametrize(
    "url",
    [
        "a.pdf",
        "../../../join/TOKEN",
        "./join/TOKEN",
        "join/TOKEN",
        "/join/TOKEN",
        "//sitroom.example/join/TOKEN",
        "http://127.0.0.1:8000/join/TOKEN",
        "https://sitroom.example/JOIN/TOKEN",
        "https://sitroom.example/%6Aoin/TOKEN",
        "https://sitroom.example/a/..%2Fjoin/TOKEN",
        "https:/join/TOKEN",
        "../runs/r/play",
    ],
)
def test_relative_links_and_links_into_joining_show_as_text(url: str) -> None:
    html = render_markdown(f"see [the page]({url}) and <{url}>")
    assert "<a" not in html
    assert "the page" in html
    assert_safe(html)


def test_safe_link_accepts_only_absolute_links_away_from_joining() -> None:
    assert safe_link("https://example.org/joint-statement")
    assert safe_link("mailto:duty@aldoria.example")
    assert not safe_link("https://example.org/join/x")
    assert not safe_link("maps/area.png")
    assert not safe_link("javascript:alert(1)")


@pytest.mark.parametrize(
    "src",
    [
        "../../../join/TOKEN",
        "../join/TOKEN",
        "maps/area.png",
        "documents/map.png",
        "https://tracker.example/pixel.png",
        "http://tracker.example/pixel.png",
        "//tracker.example/pixel.png",
        "/etc/map.png",
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
    ],
)
def test_an_image_is_shown_as_its_alt_text(src: str) -> None:
    html = render_markdown(f'Before ![the **area** map]({src} "title") after')
    assert "<img" not in html and "src=" not in html
    if "javascript" not in src:  # CommonMark itself leaves a javascript: image as text
        assert html == "<p>Before the area map after</p>\n"
    assert_safe(html)


def test_an_image_inside_a_link_leaves_the_link_with_its_alt_text() -> None:
    html = render_markdown("[![logo](../../join/TOKEN)](https://aldoria.example/)")
    assert html == (
        '<p><a href="https://aldoria.example/" rel="noopener noreferrer">logo</a></p>\n'
    )


def test_headings_move_down_by_the_offset() -> None:
    html = render_markdown("# Top\n\n## Next\n\n###### Floor", heading_offset=3)
    assert "<h4>Top</h4>" in html
    assert "<h5>Next</h5>" in html
    assert "<h6>Floor</h6>" in html
    assert "<h1>" not in html


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<script>",
                "</script>",
                "<img src=x onerror=alert(1)>",
                "[a](javascript:alert(1))",
                "![b](http://x.example/p.png)",
                "![c](../../../join/TOKEN)",
                "[d](/join/TOKEN)",
                "[e](https://x.example/join/T)",
                "](",
                "![",
                "<https://x.example/join/T>",
                "<a href='javascript:x'>",
                "**",
                "_",
                "`",
                "\n\n",
                "| a |\n|---|\n",
                "&lt;",
                "<",
                ">",
                '"',
                "text ",
                "javascript:",
                "<style>",
                "<!--",
            ]
        )
        | st.text(max_size=12),
        max_size=20,
    ).map("".join)
)
def test_any_text_renders_safely(text: str) -> None:
    html = render_markdown(text)
    assert "<script" not in html.lower()
    assert "<style" not in html.lower()
    assert_safe(html)
