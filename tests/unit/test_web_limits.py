"""The request limits know the upload and event-stream routes before routing, and their
settings are read strictly."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitroom.config import load_settings
from sitroom.web.app import create_app
from sitroom.web.limits import route_kinds
from sitroom.web.streams import StreamsFull, StreamSlots

UPLOADS = [
    "/api/runs",
    "/design/upload",
    "/api/series/annual/actions/CA-1/evidence",
    "/series/annual/actions/CA-1/evidence",
    "/api/series/annual/import.xlsx",
    "/series/annual/import.xlsx",
]


def test_the_routes_that_take_files_and_streams_are_known_before_routing(tmp_path: Path) -> None:
    app = create_app(load_settings({"SITROOM_DATA_DIR": str(tmp_path)}))
    kinds = route_kinds(app.routes)
    assert [path for path in UPLOADS if kinds.upload("POST", path)] == UPLOADS
    assert not kinds.upload("GET", "/api/runs")
    assert not kinds.upload("POST", "/api/runs/duo/start")
    assert not kinds.upload("POST", "/signin")
    assert kinds.stream("GET", "/api/runs/duo/events")
    assert not kinds.stream("GET", "/api/runs/duo/log")


@pytest.mark.parametrize(
    "name",
    [
        "SITROOM_MAX_BODY_BYTES",
        "SITROOM_MAX_UPLOAD_BYTES",
        "SITROOM_MAX_REQUESTS",
        "SITROOM_MAX_STREAMS_PER_SESSION",
        "SITROOM_MAX_STREAMS",
    ],
)
def test_a_limit_that_is_not_a_positive_number_is_refused_by_name(
    tmp_path: Path, name: str
) -> None:
    with pytest.raises(ValueError, match=name):
        load_settings({"SITROOM_DATA_DIR": str(tmp_path), name: "lots"})


def test_a_stream_place_is_given_back_once() -> None:
    slots = StreamSlots(per_session=1, total=2)
    give_back = slots.take("session:a")
    with pytest.raises(StreamsFull) as refused:
        slots.take("session:a")
    assert refused.value.status == 429
    slots.take("session:b")
    with pytest.raises(StreamsFull) as full:
        slots.take("session:c")
    assert full.value.status == 503
    give_back()
    give_back()  # a second call changes nothing
    assert slots.open == 1
    slots.take("session:c")
    with pytest.raises(StreamsFull):
        slots.take("session:d")
