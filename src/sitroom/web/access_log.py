"""Invitation and reset links stay out of the access log: ``/join/<token>`` is logged as
``/join/[redacted]``, ``/reset/<token>`` as ``/reset/[redacted]``.

A link token is a bearer secret: whoever reads it from a log file can join as that person
(until it is used, for a single-use link). uvicorn logs every request's path and query, so a
filter on its access logger rewrites them before any handler formats the line, whatever the
handlers and format the operator configured.
"""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
REDACTED = "[redacted]"

_JOIN_PATH = re.compile(r"(/(?:join|reset)/)[^?#\s\"]+", re.IGNORECASE)
_SECRET_QUERY = re.compile(r"([?&](?:token|code|link|join)=)[^&#\s\"]*", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with link tokens in paths (``/join/…``, ``/reset/…``) and queries hidden."""
    return _SECRET_QUERY.sub(rf"\g<1>{REDACTED}", _JOIN_PATH.sub(rf"\g<1>{REDACTED}", text))


class RedactTokens(logging.Filter):
    """Rewrites a log record's message and string arguments with `redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


_FILTER = RedactTokens()


def redact_access_log() -> None:
    """Install the filter on uvicorn's access logger (once per process, however often called)."""
    logging.getLogger(ACCESS_LOGGER).addFilter(_FILTER)
