"""Idempotency keys: which ones a client may send, and how a retry is told from a reuse.

A key makes a retried submission safe: the log records it once and answers the retry with
the first outcome. Keys are unique per run and actor (the recorder enforces that), so one
participant's key can neither shadow another's submission nor reveal what it recorded. Two
more rules live here, and every entry point (the JSON API and the pages) reaches them through
the services:

- server code (the scheduler, log followers) makes keys in namespaces of its own
  (``scheduled:``, ``follower:``, ``system:``); a client key there is refused, so no client can
  ever take the key a server process will use;
- the first event of a keyed submission stores a hash of its command; the same key with a
  different command is refused instead of silently answered with the first outcome (which
  would drop what was sent).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from sitroom.conduct.run import Rejected
from sitroom.storage.recorder import StoredEvent

SERVER_KEY_PREFIXES = ("scheduled:", "follower:", "system:")
"""Namespaces of keys made by server code; clients may not send keys that start with them."""
KEY_FIELD = "key"
"""The field a refused key is reported under (the form field; the API names its header)."""


def is_server_key(key: str) -> bool:
    """Whether ``key`` lies in a namespace reserved for server code."""
    return key.startswith(SERVER_KEY_PREFIXES)


def check_client_key(key: str | None, field: str = KEY_FIELD) -> None:
    """Refuse (422, naming ``field``) a client's key in a server namespace."""
    if key is not None and is_server_key(key):
        reserved = ", ".join(f"'{prefix}'" for prefix in SERVER_KEY_PREFIXES)
        raise Rejected(
            f"keys starting with {reserved} are reserved for the server; send another key "
            "(any other text up to 200 characters, e.g. a random UUID)",
            field=field,
        )


def check_server_key(key: str) -> None:
    """Insist that server code keys its commands in a server namespace (a programming error
    otherwise: a client could have taken the key first)."""
    if not is_server_key(key):
        raise ValueError(
            f"server key {key!r} must start with one of {', '.join(SERVER_KEY_PREFIXES)}"
        )


def _plain(value: Any) -> Any:
    """What `json.dumps` cannot take, as text (enums, dates); dataclasses are dicts already."""
    return str(value)


def command_hash(command: object) -> str:
    """A digest of a command: its kind and every field, in a canonical JSON form.

    Equal commands hash equal in any process; a command with any field changed does not.
    """
    fields: dict[str, Any] = {}
    if dataclasses.is_dataclass(command) and not isinstance(command, type):
        fields = dataclasses.asdict(command)
    document = {"command": type(command).__name__, "fields": fields}
    text = json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    )
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_replay(earlier: Sequence[StoredEvent], digest: str, field: str = KEY_FIELD) -> None:
    """Refuse (422) a key that was first used for a different command.

    Submissions recorded before command hashes were kept carry none; they are taken as the
    same command, as they were before.
    """
    recorded = earlier[0].command_hash if earlier else None
    if recorded is not None and recorded != digest:
        raise Rejected(
            "this key was used for a different submission; send a new key for a new one",
            field=field,
        )
