"""The trail the settings ask for: a file (by default), stderr, syslog, an HTTP collector."""

from __future__ import annotations

from sitroom.audit.sinks import FileSink, HttpCollector, StreamSink
from sitroom.audit.syslog import SyslogForwarder
from sitroom.audit.trail import AuditTrail, Sink
from sitroom.config import Settings


def build_trail(settings: Settings) -> AuditTrail:
    """An `AuditTrail` with a sink for each destination ``SITROOM_AUDIT_*`` switches on."""
    sinks: list[Sink] = []
    if settings.audit_file is not None:
        sinks.append(FileSink(settings.audit_file))
    if settings.audit_stderr:
        sinks.append(StreamSink())
    if settings.audit_syslog:
        sinks.append(
            SyslogForwarder(
                settings.audit_syslog,
                ca_file=settings.audit_syslog_ca or None,
                capacity=settings.audit_queue,
            )
        )
    if settings.audit_http:
        sinks.append(
            HttpCollector(
                settings.audit_http, token=settings.audit_http_token, capacity=settings.audit_queue
            )
        )
    return AuditTrail(sinks)
