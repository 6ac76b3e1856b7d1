"""Audit events POSTed in JSON batches to an HTTP collector (a SIEM's intake)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from sitroom.audit.sinks import Forwarder


class HttpCollector(Forwarder):
    """POSTs batches of events as a JSON array to a collector's URL."""

    name = "http"

    def __init__(
        self, url: str, *, token: str = "", capacity: int = 10_000, timeout: float = 5.0
    ) -> None:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.url = url
        self._client = httpx.Client(timeout=timeout, headers=headers)
        super().__init__(capacity=capacity)

    def deliver(self, events: list[Mapping[str, Any]]) -> None:
        body = json.dumps(events, ensure_ascii=False).encode("utf-8")
        response = self._client.post(self.url, content=body)
        if response.status_code >= 300:
            raise OSError(f"the collector answered {response.status_code}")

    def shutdown(self) -> None:
        self._client.close()
