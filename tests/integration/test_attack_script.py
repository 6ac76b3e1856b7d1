"""scripts/attack.py replays the security review's attacks on a live server: all refused."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "attack.py"


@pytest.mark.slow
def test_every_attack_of_the_review_is_refused() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=600
    )
    lines = done.stdout.splitlines()
    played = [line for line in lines if re.match(r"^ ?[\d?]  (refused|NOT REFUSED) ", line)]
    items = {line[:2].strip() for line in played}
    assert items >= {str(n) for n in range(1, 9)}, done.stdout + done.stderr
    assert [line for line in played if "NOT REFUSED" in line] == [], done.stdout
    assert done.returncode == 0, done.stdout + done.stderr
    assert lines[-1] == f"{len(played)} of {len(played)} attacks refused"
