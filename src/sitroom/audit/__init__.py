"""The audit trail: security events as JSON lines, to a file, stderr, syslog or a collector.

Anything that signs someone in or out, hands out or takes back access, or moves a run's
record in or out of the installation calls::

    from sitroom import audit
    audit.record("sign-in", actor=principal, outcome="failure", reason="password")

``record`` never raises and never blocks on the network: the file and stderr are written at
once, syslog and the HTTP collector are fed through bounded queues that drop (and count)
rather than wait. Fields named like secrets (password, token, code, secret, key) are never
written. Which trail is used is set once per process (`install`, from ``bootstrap``); until
then ``record`` does nothing.
"""

from sitroom.audit.trail import (
    AuditTrail,
    current,
    install,
    local_actor,
    record,
    request_source,
    uninstall,
)

__all__ = [
    "AuditTrail",
    "current",
    "install",
    "local_actor",
    "record",
    "request_source",
    "uninstall",
]
