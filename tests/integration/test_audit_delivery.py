"""Forwarders deliver through failures and never hold up what they audit.

A TLS syslog server checks that the events arrive over TLS with octet counting; a collector
that answers 500 gets the batch again; a collector that stalls makes the bounded queue drop
events, which are counted, and the collector is told how many once it answers again.
"""

from __future__ import annotations

import ssl
import time
from pathlib import Path

from sitroom.audit.collector import HttpCollector
from sitroom.audit.syslog import SyslogForwarder
from sitroom.audit.trail import AuditTrail, verify_lines
from tests.support.certs import self_signed
from tests.support.collectors import http_collector, tcp_syslog


def _self_signed(folder: Path) -> tuple[Path, Path]:
    return self_signed(
        folder / "siem.pem", folder / "siem.key", common_name="siem.aldoria.test", ca=True
    )


def test_events_reach_a_tls_syslog_server_that_the_ca_file_vouches_for(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    with tcp_syslog(tls=server_tls) as (port, received):
        forwarder = SyslogForwarder(f"tls://127.0.0.1:{port}", ca_file=str(cert))
        trail = AuditTrail([forwarder], host="excon-1")
        try:
            for number in range(3):
                trail.record("archive-exported", run_id=f"r{number}", source="127.0.0.1")
            received.wait_for(lambda m: m.params.get("run") == "r2")
        finally:
            trail.close()
    messages = received.snapshot()
    assert [m.params["seq"] for m in messages] == ["1", "2", "3"]
    assert all(m.hostname == "excon-1" and m.msgid == "archive-exported" for m in messages)
    assert verify_lines([m.msg for m in messages]) == []


def test_a_tls_server_the_ca_does_not_vouch_for_gets_nothing(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    (tmp_path / "other").mkdir()
    other, _ = _self_signed(tmp_path / "other")
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    with tcp_syslog(tls=server_tls) as (port, received):
        forwarder = SyslogForwarder(f"tls://127.0.0.1:{port}", ca_file=str(other))
        forwarder.retries, forwarder.backoff = 0, 0.01
        trail = AuditTrail([forwarder])
        trail.record("sign-in", source="127.0.0.1")
        trail.close(timeout=5)
    assert received.snapshot() == []
    assert trail.stats() == {"syslog": 1}


def test_a_batch_refused_with_500_is_sent_again() -> None:
    with http_collector() as collector:
        collector.failures.extend([500, 503])
        forwarder = HttpCollector(f"http://127.0.0.1:{collector.port}/in")
        forwarder.backoff = 0.01
        trail = AuditTrail([forwarder])
        try:
            event = trail.record("report-finalised", run_id="r1", source="10.0.0.2")
            got = collector.wait_for(lambda e: e["type"] == "report-finalised")
        finally:
            trail.close()
    assert got == event
    assert len(collector.headers) == 3  # two refusals, then accepted
    assert trail.stats() == {"http": 0}


def test_a_stalled_collector_costs_dropped_events_never_a_wait() -> None:
    with http_collector() as collector:
        collector.gate.clear()  # the collector takes requests but does not answer
        forwarder = HttpCollector(f"http://127.0.0.1:{collector.port}/in", capacity=5)
        trail = AuditTrail([forwarder])
        try:
            for number in range(40):
                trail.record("sign-in", outcome="failure", source="10.9.9.9", attempt=number)
            dropped = trail.stats()["http"]
            # a batch of one to five is stuck in the stalled POST, five wait in the queue,
            # the rest were dropped at once
            assert 40 - 5 - 5 <= dropped <= 40 - 5
            collector.gate.set()
            kept = 40 - dropped  # every sign-in was recorded: its drops are all counted
            deadline = time.monotonic() + 20
            while len([e for e in collector.events() if e["type"] == "sign-in"]) < kept:
                assert time.monotonic() < deadline, "the queued events never arrived"
                time.sleep(0.02)
            trail.record("sign-out", source="10.9.9.9")  # the queue is empty again
            collector.wait_for(lambda e: e["type"] == "sign-out")
        finally:
            trail.close()
    # the collector is told of every drop, in the batches that follow it
    notices = [e["details"] for e in collector.events() if e["type"] == "audit-dropped"]
    assert notices and all(n["sink"] == "http" for n in notices)
    assert sum(n["dropped"] for n in notices) == dropped
    assert notices[-1]["dropped_total"] == dropped
    delivered = [e["details"]["attempt"] for e in collector.events() if e["type"] == "sign-in"]
    assert len(delivered) == 40 - dropped


def test_metrics_report_the_drops_of_each_forwarder() -> None:
    from prometheus_client import generate_latest

    from sitroom import audit
    from sitroom.web.metrics import Metrics

    with http_collector() as collector:
        collector.gate.clear()
        forwarder = HttpCollector(f"http://127.0.0.1:{collector.port}/in", capacity=1)
        trail = AuditTrail([forwarder])
        audit.install(trail)
        try:
            for _ in range(10):
                audit.record("sign-in", outcome="failure", source="10.9.9.9")
            text = generate_latest(Metrics().registry).decode()
            dropped = trail.stats()["http"]
        finally:
            audit.uninstall(trail)
            collector.gate.set()
            trail.close()
    assert dropped >= 8
    assert f'sitroom_audit_dropped_events_total{{sink="http"}} {float(dropped)}' in text
