"""schemathesis against our own OpenAPI document: generated requests to every route (as an
admin with an API token, on a real run) never get a server error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sitroom.config import load_settings
from sitroom.services.identity import Identity
from sitroom.services.runs import Engine
from sitroom.storage.factory import open_recorder
from tests.support.packages import two_parties
from tests.support.server import running_server

CONFIG = """
[parameters]
"path.run_id" = "fuzz"
"path.number" = "1"
"path.module" = "m2"
"path.poll" = "p1"
"""


@pytest.mark.slow
def test_no_generated_request_gets_a_server_error(tmp_path: Path) -> None:
    settings = load_settings({"SITROOM_DATA_DIR": str(tmp_path / "var")})
    identity = Identity.open(settings.effective_database_url, settings)
    identity.create_account("admin", "fuzzing-password", "admin", "Admin")
    account = identity.auth.accounts.list_accounts()[0]
    _record, token = identity.auth.tokens.create_api_token(account.id, "fuzz")
    identity.close()
    recorder = open_recorder(settings.effective_database_url)
    Engine(recorder).create_run(two_parties(), "fuzz")
    recorder.close()
    (tmp_path / "schemathesis.toml").write_text(CONFIG, encoding="utf-8")
    with running_server(tmp_path / "var") as base:
        done = subprocess.run(
            [
                str(Path(sys.executable).parent / "schemathesis"),
                "run",
                f"{base}/openapi.json",
                "-H",
                f"Authorization: Bearer {token}",
                "--checks",
                "not_a_server_error",
                "--max-examples",
                "15",
                "--exclude-path-regex",
                ".*/events$",
                "--seed",
                "1",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "NO_COLOR": "1"},
        )
    assert done.returncode == 0, done.stdout[-4000:]
    assert "passed" in done.stdout
