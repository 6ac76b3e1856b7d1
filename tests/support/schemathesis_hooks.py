"""schemathesis hooks for tests/integration/test_api_contract.py (loaded by SCHEMATHESIS_HOOKS).

An ``Idempotency-Key`` is one submission's: the same key with another body is refused (422).
schemathesis draws keys from a small space ("0", "00", ...) and would send the same one with
many bodies, so nearly every command would stop at the key and never reach the run. A valid
key is made unique here; invalid ones (empty, too long, control characters, the server's
namespaces) go as generated, for the 422 they must get.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import schemathesis

HEADER = "Idempotency-Key"
SERVER_NAMESPACES = ("scheduled:", "follower:", "system:")
_USABLE = re.compile(r"^[^\x00-\x1f\x7f]{1,150}$")
_serial = itertools.count(1)


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    """The case, with its valid idempotency key made unique."""
    key = (case.headers or {}).get(HEADER)
    if isinstance(key, str) and _USABLE.match(key) and not key.startswith(SERVER_NAMESPACES):
        case.headers[HEADER] = f"{key}~{next(_serial)}"
    return case
