"""The trail the settings ask for: a file (by default), stderr, syslog, an HTTP collector."""

from __future__ import annotations

from sitroom.audit.sinks import FileSink, StreamSink
from sitroom.audit.trail import AuditTrail, Sink
from sitroom.config import Settings


def build_trail(settings: Settings) -> AuditTrail:
    """An `AuditTrail` with a sink for each destination ``SITROOM_AUDIT_*`` switches on."""
    sinks: list[Sink] = []
    if settings.audit_file is not None:
        sinks.append(FileSink(settings.audit_file))
    if settings.audit_stderr:
        sinks.append(StreamSink())
    # The forwarders (and httpx, ssl) are imported only when configured: every CLI command
    # and follower process builds a trail, and should not pay for what it does not use.
    if settings.audit_syslog:
        from sitroom.audit.syslog import SyslogForwarder

        sinks.append(
            SyslogForwarder(
                settings.audit_syslog,
                ca_file=settings.audit_syslog_ca or None,
                capacity=settings.audit_queue,
            )
        )
    if settings.audit_http:
        from sitroom.audit.collector import HttpCollector

        sinks.append(
            HttpCollector(
                settings.audit_http, token=settings.audit_http_token, capacity=settings.audit_queue
            )
        )
    return AuditTrail(sinks)
