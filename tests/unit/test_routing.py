"""A prefix router answers "not mine" at once for a path outside its prefix, and serves its
own routes and lets the other routers serve theirs as before."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope

from sitroom.web.routing import PrefixRouter


class CountedRoute(APIRoute):
    """A route that counts how often a request was tried against it."""

    tried = 0

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        CountedRoute.tried += 1
        return super().matches(scope)


def app_with_both() -> tuple[FastAPI, PrefixRouter]:
    api = PrefixRouter(prefix="/api/things/{thing}", route_class=CountedRoute)
    pages = APIRouter()

    @api.get("/parts/{part}")
    def part(thing: str, part: str) -> dict[str, str]:
        return {"thing": thing, "part": part}

    @pages.get("/runs/{run}")
    def run_page(run: str) -> dict[str, str]:
        return {"run": run}

    app = FastAPI()
    app.include_router(api)
    app.include_router(pages)
    return app, api


def ask(app: FastAPI, *paths: str) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return [await client.get(path) for path in paths]

    return asyncio.run(go())


def test_routes_inside_and_outside_the_prefix_are_served() -> None:
    app, _ = app_with_both()
    paths = ("/api/things/t1/parts/p2", "/runs/r9", "/api/things/t1/nothing", "/api/x")
    part, page, unknown, other = ask(app, *paths)
    assert part.json() == {"thing": "t1", "part": "p2"}
    assert page.json() == {"run": "r9"}
    assert unknown.status_code == 404 and other.status_code == 404


def test_a_path_outside_the_prefix_is_not_tried_against_the_routes() -> None:
    app, api = app_with_both()
    CountedRoute.tried = 0
    (page,) = ask(app, "/runs/r9")
    assert page.status_code == 200 and CountedRoute.tried == 0
    (part,) = ask(app, "/api/things/t1/parts/p2")
    assert part.status_code == 200 and CountedRoute.tried > 0
    # The literal start is up to the first parameter: "/api/things/" here.
    scope = {"type": "http", "path": "/api/thing", "method": "GET", "root_path": ""}
    assert api.matches(scope) == (Match.NONE, {})


@pytest.mark.parametrize("prefix", ["", "{anything}/x"])
def test_a_prefix_router_needs_a_literal_start(prefix: str) -> None:
    with pytest.raises((ValueError, AssertionError)):
        PrefixRouter(prefix=prefix)
