"""Prometheus metrics at ``/metrics``: requests, live streams, deliveries, followers, appends.

Each process keeps its own numbers (a registry per application, no multiprocess mode): run
one worker per container or unit and scrape each (docs/deploy.md). Labels never carry
content: routes are templates (``/api/runs/{run_id}/events``), never paths, and followers are
named by follower, never by run, so the number of series stays bounded whatever the traffic.

Only the networks of ``SITROOM_METRICS_FROM`` (default: this host) or a request with
``Authorization: Bearer $SITROOM_METRICS_TOKEN`` may read them.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sitroom import audit
from sitroom.config import Settings
from sitroom.web import heap

APPEND_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
UNMATCHED = "unmatched"
"""The route label of requests no route matched (their paths could be anything)."""

Lag = Callable[[], dict[str, tuple[int, int]]]


class FollowerLag:
    """A collector that asks the follower runner, at each scrape, how far behind it is."""

    def __init__(self) -> None:
        self.source: Lag | None = None

    def collect(self) -> Iterable[Metric]:
        behind = GaugeMetricFamily(
            "sitroom_follower_lag_events",
            "Most events any run this process leads is behind its log's head, per follower.",
            labels=["follower"],
        )
        led = GaugeMetricFamily(
            "sitroom_follower_runs_led",
            "Runs this process leads (holds the lease of), per follower.",
            labels=["follower"],
        )
        for name, (runs, worst) in sorted((self.source() if self.source else {}).items()):
            behind.add_metric([name], max(worst, 0))
            led.add_metric([name], runs)
        return [behind, led]


class AuditDrops:
    """A collector of the audit events each forwarder of this process dropped so far."""

    def collect(self) -> Iterable[Metric]:
        dropped = CounterMetricFamily(
            "sitroom_audit_dropped_events",
            "Audit events a forwarder dropped (queue full or receiver down), per sink.",
            labels=["sink"],
        )
        trail = audit.current()
        for sink, count in sorted((trail.stats() if trail else {}).items()):
            dropped.add_metric([sink], count)
        return [dropped]


class FullCollections:
    """A collector of the full garbage collections this process ran (`sitroom.web.heap`)."""

    def collect(self) -> Iterable[Metric]:
        runs = CounterMetricFamily(
            "sitroom_gc_full_collections",
            "Full garbage collections, by when: quiet (no stream woken for a while, the process"
            " not busy) or overdue.",
            labels=["when"],
        )
        runs.add_metric(["quiet"], heap.SWEEPS.quiet)
        runs.add_metric(["overdue"], heap.SWEEPS.overdue)
        seconds = CounterMetricFamily(
            "sitroom_gc_full_collection_seconds",
            "Seconds the event loop spent in those full collections.",
        )
        seconds.add_metric([], heap.SWEEPS.seconds)
        return [runs, seconds]


Counts = Callable[[], dict[tuple[str, str], int]]


class Deliveries:
    """A collector of what waits to go out or went out, read from the database at each
    scrape (so every worker reports the same): e-mail by kind and state, webhooks by status.
    Screen deliveries are ``sitroom_sse_frames``; inject e-mail is in the log as events."""

    def __init__(self) -> None:
        self.source: Counts | None = None

    def collect(self) -> Iterable[Metric]:
        found = GaugeMetricFamily(
            "sitroom_deliveries",
            "Outgoing messages by channel (mail:<kind>, webhook) and state, all runs.",
            labels=["channel", "state"],
        )
        for (channel, state), count in sorted((self.source() if self.source else {}).items()):
            found.add_metric([channel, state], count)
        return [found]


class Metrics:
    """The metrics of one application, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "sitroom_http_requests",
            "HTTP responses started, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.streams_open = Gauge(
            "sitroom_sse_streams_open",
            "Server-Sent Event streams open in this process.",
            registry=self.registry,
        )
        self.frames_sent = Counter(
            "sitroom_sse_frames",
            "Log events rendered and sent to a viewer over SSE (deliveries).",
            registry=self.registry,
        )
        self.append_seconds = Histogram(
            "sitroom_append_seconds",
            "Time to append a command's events to the log (committed appends).",
            buckets=APPEND_BUCKETS,
            registry=self.registry,
        )
        self.follower_lag = FollowerLag()
        self.registry.register(self.follower_lag)
        self.registry.register(AuditDrops())
        self.registry.register(FullCollections())
        self.deliveries = Deliveries()
        self.registry.register(self.deliveries)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)


def route_template(scope: Scope) -> str:
    """The template of the route that served ``scope`` (``/api/runs/{run_id}``), never its path.

    The matched route knows its own template but not the prefixes of the routers it was
    included under (``/api``); those are literal segments written in our code, so they are
    taken from the front of the path, as many segments as the template does not cover.
    """
    route = scope.get("route")
    template = getattr(route, "path", None)
    if isinstance(route, Mount):
        return f"{template}/{{path}}"
    mounted = scope.get("root_path", "")[len(scope.get("app_root_path") or "") :]
    if route is None and mounted:  # a mounted app (the static files) names no route
        return f"{mounted}/{{path}}"
    if not isinstance(template, str) or not template.startswith("/"):
        return UNMATCHED
    segments = scope["path"].split("/")
    depth = template.count("/")
    if ":path}" in template or len(segments) <= depth:
        return template
    return "/".join(segments[: len(segments) - depth]) + template


class RequestMetrics:
    """ASGI middleware: counts each response when it starts (so a stream counts at once)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = False

        def count(status: int) -> None:
            labels = (scope["method"], route_template(scope), str(status))
            self.metrics.requests.labels(*labels).inc()

        async def counting_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                count(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        except Exception:
            if not started:  # the server's error handler, outside, answers 500
                count(500)
            raise


def may_read(request: Request, settings: Settings) -> bool:
    """Whether the request may read the metrics: the token, or an address allowed.

    A request that carries ``X-Forwarded-For`` when no proxy is trusted came through a proxy
    whose clients all look like the proxy itself (often 127.0.0.1): its address proves nothing.
    """
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if (
        settings.metrics_token
        and scheme.lower() == "bearer"
        and hmac.compare_digest(token.strip().encode(), settings.metrics_token.encode())
    ):
        return True
    if request.client is None or not settings.metrics_from:
        return False
    if "x-forwarded-for" in request.headers and not settings.trusted_proxies:
        return False
    try:
        address = ipaddress.ip_address(request.client.host)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net) for net in settings.metrics_from)


router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """The Prometheus text format, for allowed scrapers."""
    services: Any = getattr(request.app.state, "services", None)
    if services is None:  # served before the lifespan ran: no settings to check against yet
        return Response(status_code=503)
    if not may_read(request, services.settings):
        message = (
            "metrics are served to the SITROOM_METRICS_FROM networks, or with "
            "'Authorization: Bearer' and the SITROOM_METRICS_TOKEN"
        )
        return JSONResponse({"errors": [{"field": None, "message": message}]}, status_code=403)
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def delivery_counts(svc: Any) -> dict[tuple[str, str], int]:
    """The services' outgoing messages by (channel, state), for ``Deliveries``."""
    found: dict[tuple[str, str], int] = {}
    mail = getattr(svc.identity, "mail", None)
    if mail is not None:
        for (kind, state), count in mail.counts().items():
            found[(f"mail:{kind}", state)] = count
    hooks = getattr(svc, "hooks", None)
    if hooks is not None:
        for status, count in hooks.store.counts().items():
            found[("webhook", status)] = count
    return found
