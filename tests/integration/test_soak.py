"""benchmarks/soak.py, short: 200 players whose connections drop and come back with
Last-Event-ID while injects are released for 45 seconds on a real server. Every player receives
every inject exactly once, in order, and the server's file descriptors return to their level
before the players came. (The full soak — 30 minutes, 1,000 players — is the script's default;
its memory target is checked there, over a run long enough to mean something.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "soak.py"


@pytest.mark.slow
def test_players_that_reconnect_miss_nothing_and_the_server_gives_its_files_back() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            *("--minutes", "0.75", "--clients", "200", "--every", "5", "--stay", "10", "--json"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    outcome = json.loads(done.stdout.splitlines()[-1])
    assert outcome["released"] == 9
    assert outcome["reconnects"] > 100, done.stdout  # the clients did come and go
    assert outcome["missed"] == 0, done.stdout
    assert outcome["duplicates"] == 0, done.stdout
    assert outcome["in_order"] == 200, done.stdout
    assert outcome["deliveries"] == 200 * 9, done.stdout
    assert outcome["fds_connected"] > outcome["fds_before"] + 150, done.stdout
    assert outcome["fds_after"] <= outcome["fds_before"], done.stdout
