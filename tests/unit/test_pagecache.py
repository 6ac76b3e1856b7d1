"""The page cache: one rendering per slot and sequence number however many ask at once, a
newer sequence number renders again, each viewer's holes are their own, and a size bound."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest

from sitroom.web.pagecache import Hole, Holes, PageCache


def filler(name: str) -> Callable[[Hole], str]:
    def fill(hole: Hole) -> str:
        return f"[{hole.kind}:{name}:{','.join(hole.args)}]"

    return fill


async def settle(condition: Callable[[], bool]) -> None:
    """Let the event loop run until ``condition`` holds (the test fails by timeout else)."""
    while not condition():
        await asyncio.sleep(0)


def test_concurrent_requests_for_one_page_render_it_once() -> None:
    async def main() -> None:
        cache = PageCache()
        release = threading.Event()
        calls: list[int] = []

        def render(holes: Holes) -> str:
            calls.append(1)
            release.wait(timeout=30)
            return f"<p>page for {holes('name')}</p>"

        waiting = [asyncio.ensure_future(cache.get("slot", 7, render)) for _ in range(25)]
        await settle(lambda: len(calls) == 1)
        await asyncio.sleep(0)
        release.set()
        pages = await asyncio.gather(*waiting)
        assert len(calls) == 1
        assert cache.builds == 1
        assert all(page is pages[0] for page in pages)
        assert pages[0].fill(filler("ada")) == b"<p>page for [name:ada:]</p>"
        assert pages[0].fill(filler("bo")) == b"<p>page for [name:bo:]</p>"

    asyncio.run(main())


def test_a_newer_sequence_number_renders_again_and_replaces_the_older() -> None:
    async def main() -> None:
        cache = PageCache()
        first = await cache.get("slot", 1, lambda holes: "<p>one event</p>")
        again = await cache.get("slot", 1, lambda holes: "<p>not rendered</p>")
        second = await cache.get("slot", 2, lambda holes: "<p>two events</p>")
        assert first is again
        assert second.fill(filler("x")) == b"<p>two events</p>"
        assert cache.builds == 2
        assert len(cache) == 1  # the slot keeps its newest page only

    asyncio.run(main())


def test_slots_never_share_a_page() -> None:
    async def main() -> None:
        cache = PageCache()
        ald = await cache.get(("play", "ald"), 3, lambda holes: "ALD ONLY")
        brn = await cache.get(("play", "brn"), 3, lambda holes: "BRN ONLY")
        assert ald.fill(filler("a")) == b"ALD ONLY"
        assert brn.fill(filler("b")) == b"BRN ONLY"

    asyncio.run(main())


def test_a_failed_rendering_reaches_every_waiter_and_is_not_kept() -> None:
    async def main() -> None:
        cache = PageCache()
        release = threading.Event()

        def broken(holes: Holes) -> str:
            release.wait(timeout=30)
            raise LookupError("no such AAR")

        waiting = [asyncio.ensure_future(cache.get("slot", 1, broken)) for _ in range(3)]
        await settle(lambda: cache.builds == 1)
        release.set()
        results = await asyncio.gather(*waiting, return_exceptions=True)
        assert all(isinstance(r, LookupError) for r in results)
        page = await cache.get("slot", 1, lambda holes: "<p>fine now</p>")
        assert page.fill(filler("x")) == b"<p>fine now</p>"

    asyncio.run(main())


def test_a_viewer_who_leaves_does_not_cancel_the_rendering_others_wait_for() -> None:
    async def main() -> None:
        cache = PageCache()
        release = threading.Event()

        def render(holes: Holes) -> str:
            release.wait(timeout=30)
            return "<p>done</p>"

        leaving = asyncio.ensure_future(cache.get("slot", 1, render))
        staying = asyncio.ensure_future(cache.get("slot", 1, render))
        await settle(lambda: cache.builds == 1)
        await asyncio.sleep(0)
        leaving.cancel()
        release.set()
        page = await staying
        assert page.fill(filler("x")) == b"<p>done</p>"
        assert cache.builds == 1

    asyncio.run(main())


def test_holes_are_filled_in_order_and_typed_text_cannot_pose_as_one() -> None:
    holes = Holes()
    forged = "\x00" + "0" * 24 + ":0\x00"
    text = f"<b>{holes('csrf')}</b>{forged}<i>{holes('ack', 4)}</i>{holes('csrf')}"
    page = holes.split(text)
    assert page.holes == (Hole("csrf"), Hole("ack", ("4",)), Hole("csrf"))
    filled = page.fill(filler("ada")).decode()
    assert filled == f"<b>[csrf:ada:]</b>{forged}<i>[ack:ada:4]</i>[csrf:ada:]"


def test_holes_fill_at_once_when_the_page_is_for_one_viewer() -> None:
    holes = Holes(filler("bo"))
    assert str(holes("ack", 2)) == "[ack:bo:2]"
    assert len(holes.key()) == 32
    assert holes.key() != holes.key()


def test_the_cache_stays_within_its_size() -> None:
    async def main() -> None:
        cache = PageCache(max_bytes=1000)
        for n in range(10):
            await cache.get(("slot", n), 1, lambda holes: "x" * 300)
        assert cache.size <= 1000
        assert len(cache) == 3
        await cache.get(("huge",), 1, lambda holes: "y" * 5000)
        assert cache.size <= 1000

    asyncio.run(main())


@pytest.mark.parametrize("version", [1, 2])
def test_an_older_rendering_never_replaces_a_newer_one(version: int) -> None:
    async def main() -> None:
        cache = PageCache()
        await cache.get("slot", 5, lambda holes: "<p>five</p>")
        older = await cache.get("slot", version, lambda holes: "<p>older</p>")
        assert older.fill(filler("x")) == b"<p>older</p>"
        kept = await cache.get("slot", 5, lambda holes: "<p>rendered again</p>")
        assert kept.fill(filler("x")) == b"<p>five</p>"

    asyncio.run(main())
