"""The compiled catalogs in the repository are what their .po files compile to.

A stale ``messages.mo`` shows readers old translations (the loader prefers a ``.mo`` that is
not older than its ``.po``, and a checkout sets both times), so the build checks it.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "compile_translations.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False
    )


def test_every_compiled_catalog_is_up_to_date() -> None:
    result = _run("--check")
    assert result.returncode == 0, (
        "run `python scripts/compile_translations.py` and commit the .mo files:\n" + result.stderr
    )


def test_the_check_notices_a_stale_catalog(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("compile_translations", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    main = script.main
    folder = tmp_path / "ko" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    source = ROOT / "src" / "sitroom" / "locale" / "ko" / "LC_MESSAGES" / "messages.po"
    shutil.copy(source, folder / "messages.po")
    (folder / "web-extra.po").write_bytes((folder / "messages.po").read_bytes())
    assert main(["--check"], tmp_path) == 1  # no .mo at all
    assert main([], tmp_path) == 0
    assert main(["--check"], tmp_path) == 0
    assert not (folder / "web-extra.mo").exists()  # the pages read their .po directly
    with (folder / "messages.po").open("a", encoding="utf-8") as handle:
        handle.write('\nmsgid "A sentence added later"\nmsgstr "나중에 더한 문장"\n')
    assert main(["--check"], tmp_path) == 1
