"""Compile every message catalog under src/sitroom/locale from .po to .mo.

Usage: python scripts/compile_translations.py [--check]

With --check nothing is written; the exit status is 1 if a .mo is missing or differs from
what its .po compiles to (so a forgotten compile fails the build; ``tests/unit/
test_translations_compiled.py`` runs the check).

The documents' catalogs (``messages``, ``reports``) are read as ``.mo`` files, so they are
compiled here and committed. The pages' ``web-*.po`` catalogs are merged from the ``.po``
files when the server starts (``sitroom.web.render.ui_translations``), so they have no ``.mo``.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent.parent / "src" / "sitroom" / "locale"
MERGED_AT_RUNTIME = "web-"
"""Catalogs whose name starts so are read as .po by the web layer and never compiled."""


def compiled_catalogs(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """The .po files that are shipped compiled (every catalog but the pages' ``web-*``)."""
    return [
        po
        for po in sorted(locale_dir.glob("*/LC_MESSAGES/*.po"))
        if not po.stem.startswith(MERGED_AT_RUNTIME)
    ]


def compiled(po_path: Path) -> bytes:
    """The .mo bytes for the catalog at ``po_path``; fuzzy entries are left out."""
    locale = po_path.parent.parent.name
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale, domain=po_path.stem)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def main(argv: list[str], locale_dir: Path = LOCALE_DIR) -> int:
    """Compile (or with ``--check``, verify) the compiled catalogs; return the exit status."""
    check = "--check" in argv
    stale = []
    for po_path in compiled_catalogs(locale_dir):
        mo_path = po_path.with_suffix(".mo")
        data = compiled(po_path)
        if check:
            if not mo_path.is_file() or mo_path.read_bytes() != data:
                stale.append(mo_path)
            continue
        mo_path.write_bytes(data)
        print(f"compiled {mo_path}")
    for path in stale:
        print(f"out of date: {path}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
