"""A fresh data folder is its owner's alone: the folder 0700, the database, its WAL and
shared-memory files and the keys 0600, even under the usual umask of 022."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tests.support.server import free_port, start_process, wait_until_up


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_sitroom_serve_makes_a_private_data_folder(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh" / "var"
    data_dir.parent.mkdir()
    port = free_port()
    logs = tmp_path / "logs"
    logs.mkdir()
    previous = os.umask(0o022)
    try:
        process = start_process(data_dir, port, log_dir=logs, SITROOM_DATABASE_URL="")
    finally:
        os.umask(previous)
    try:
        wait_until_up(f"http://127.0.0.1:{port}")
        assert mode(data_dir) == 0o700
        files = {
            name: mode(data_dir / name)
            for name in ("sitroom.db", "sitroom.db-wal", "sitroom.db-shm", "secret.key")
        }
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert files == dict.fromkeys(files, 0o600)
