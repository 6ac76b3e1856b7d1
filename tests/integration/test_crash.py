"""The crash test, short: SIGKILL the server while clients submit; nothing accepted is lost,
nothing is recorded twice, and the hash chain verifies. ``scripts/crash_test.py`` runs it long."""

from __future__ import annotations

import pytest

from scripts.crash_test import crash_test


@pytest.mark.slow
def test_every_accepted_submission_survives_sigkill_exactly_once() -> None:
    summary = crash_test(kills=3, clients=4, seconds=6.0, seed=11)
    assert summary["accepted"] > 0
    assert summary["missing"] == 0 and summary["doubled"] == 0
    assert summary["verify_exit"] == 0
