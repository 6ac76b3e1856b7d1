"""``sitroom rehearse`` of the allied example with scripted cells, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sitroom.package.examples import example_path
from tests.support.fake_llm import running
from tests.support.server import free_port

ROOT = Path(__file__).resolve().parents[2]


def _sitroom(*args: str, tmp: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "SITROOM_DATA_DIR": str(tmp / "var")}
    env.pop("SITROOM_LLM_BASE_URL", None)
    env.update(extra)
    return subprocess.run(
        [sys.executable, "-m", "sitroom", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def test_rehearse_ends_at_endex_with_a_verified_chain_and_writes_an_aar_draft(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    done = _sitroom(
        "rehearse",
        str(example_path("allied-consultation")),
        "--seed",
        "4",
        "--out",
        str(out),
        tmp=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "ENDEX reached, chain verified" in done.stdout
    assert "decisions that never reached concurrence: none" in done.stdout
    assert "DRAFT" in (out / "aar-draft.html").read_text()
    findings = json.loads((out / "findings.json").read_text())
    assert findings["runs"][0]["seed"] == 4 and findings["runs"][0]["chain_problems"] == []


def test_rehearse_repeat_20_prints_the_distributions(tmp_path: Path) -> None:
    done = _sitroom(
        "rehearse", str(example_path("allied-consultation")), "--repeat", "20", tmp=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "over 20 runs: mean [95 % interval]" in done.stdout
    for label in (
        "decisions taken",
        "concurrence rate",
        "minutes to concurrence",
        "escalation-guard hits",
    ):
        line = next(ln for ln in done.stdout.splitlines() if ln.strip().startswith(label))
        assert line.rstrip().endswith("n=20"), line


def test_rehearse_with_llm_cells_and_no_endpoint_says_what_to_set(tmp_path: Path) -> None:
    done = _sitroom(
        "rehearse", str(example_path("allied-consultation")), "--cells", "llm", tmp=tmp_path
    )
    assert done.returncode == 1
    assert "SITROOM_LLM_BASE_URL" in done.stderr


def test_rehearse_with_a_model_that_is_down_stops_at_once_and_says_so(tmp_path: Path) -> None:
    done = _sitroom(
        "rehearse",
        str(example_path("allied-consultation")),
        "--cells",
        "llm",
        tmp=tmp_path,
        SITROOM_LLM_BASE_URL=f"http://127.0.0.1:{free_port()}/v1",
        SITROOM_LLM_MODEL="m",
    )
    assert done.returncode == 1
    assert "does not answer" in done.stderr and "is the server running?" in done.stderr


def test_rehearse_with_model_played_cells(tmp_path: Path) -> None:
    with running(tmp_path) as fake:
        done = _sitroom(
            "rehearse",
            str(example_path("allied-consultation")),
            "--cells",
            "llm",
            "--repeat",
            "2",
            tmp=tmp_path,
            SITROOM_LLM_BASE_URL=fake.base_url,
            SITROOM_LLM_MODEL="test-model",
        )
    assert done.returncode == 0, done.stderr
    assert "ENDEX reached, chain verified" in done.stdout and "n=2" in done.stdout
    users = {body["user"] for body in fake.requests()}
    assert users == {"cell:ald-nss", "cell:ald-mfd", "cell:brn-nss", "cell:brn-mfd"}
