"""The series service on every backend: streams in the shared log, races, retried keys."""

from __future__ import annotations

import threading
from pathlib import Path

from sitroom.conduct.principal import Principal, Role
from sitroom.improvement import commands as ic
from sitroom.services.series import SeriesService, stream_id
from sitroom.storage.recorder import verify_chain
from tests.contract.conftest import Backend

ADMIN = Principal("account:admin", Role.ADMIN, "Admin")


def test_two_services_adding_at_once_lose_nothing(backend: Backend, tmp_path: Path) -> None:
    services = [SeriesService(backend.open(), evidence_dir=tmp_path / "evidence") for _ in range(2)]
    services[0].create_series("allied", "Allied annual", ADMIN)
    barrier = threading.Barrier(2)

    def add(service: SeriesService, worker: int) -> None:
        barrier.wait()
        for n in range(10):
            service.handle("allied", ic.AddAction(f"Issue {worker}-{n}", "Act"), ADMIN)

    threads = [threading.Thread(target=add, args=(s, i)) for i, s in enumerate(services)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    state = services[1].state("allied", ADMIN)
    assert len(state.actions) == 20
    assert sorted(state.actions) == [f"CA-{n:03d}" for n in range(1, 21)], "ids never collide"
    record = services[0].recorder.get_run(stream_id("allied"))
    assert record is not None
    assert verify_chain(services[0].recorder.read(record.id), record.package_hash) == []


def test_a_retried_key_records_once(backend: Backend, tmp_path: Path) -> None:
    service = SeriesService(backend.open(), evidence_dir=tmp_path / "evidence")
    service.create_series("allied", "Allied annual", ADMIN)
    first = service.handle("allied", ic.AddAction("Issue", "Act"), ADMIN, key="k1")
    again = service.handle("allied", ic.AddAction("Issue", "Act"), ADMIN, key="k1")
    assert again.duplicate and [e.seq for e in again.events] == [e.seq for e in first.events]
    assert list(service.state("allied", ADMIN).actions) == ["CA-001"]
    assert [s.id for s in service.list_series(ADMIN)] == ["allied"]
