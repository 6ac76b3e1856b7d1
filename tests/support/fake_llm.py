"""An OpenAI-compatible chat-completions server for tests, run as a process of its own.

``python -m tests.support.fake_llm DIR`` serves ``POST /v1/chat/completions`` on a free port
of 127.0.0.1 and writes the port to ``DIR/port``. Every request body is appended to
``DIR/requests.jsonl`` (what a model would have been shown). Answers come from
``DIR/script.json`` when it holds a list (the first entry is taken off per request):

- ``{"content": "..."}``: a 200 answer with that message content;
- ``{"status": 429, "retry_after": 0}`` / ``{"status": 500}``: that error;
- ``{"delay": 3}``: sleep that many seconds first (longer than the client's timeout: a
  timeout; shorter: a slow answer);
- ``{"raw": "not json"}``: a 200 body that is not a chat completion.

With no entry left, a valid answer for the requested schema is made up from the prompt: an
acknowledgement, the first option of a poll, a concurrence, an organisation's reply; for the
assistants, a rating of the first task citing the first event shown, the first planned inject,
a finding citing the first event.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DATA = re.compile(r"<exercise-data>\n(.*)\n</exercise-data>", re.S)


def default_answer(body: dict[str, Any]) -> dict[str, Any]:
    name = body.get("response_format", {}).get("json_schema", {}).get("schema", {}).get("title")
    text = body["messages"][-1]["content"]
    match = DATA.search(next(m["content"] for m in body["messages"] if m["role"] == "user"))
    facts = json.loads(match.group(1)) if match else {}
    del text
    if name == "PollAnswer":
        return {"options": [facts["options"][0]["id"]], "confidence": 4}
    if name == "DecisionAnswer":
        return {"concur": True, "reasons": "", "clauses": []}
    if name == "OrganisationAnswer":
        last = facts["thread"][-1]["text"] if facts.get("thread") else ""
        return {"text": f"We have your message ({len(last)} characters).", "classification": None}
    if name in ASSISTANT_ANSWERS:
        return ASSISTANT_ANSWERS[name](facts)
    if name == "QuestionsAnswer":
        return {"answers": [{"question": q["id"], "text": "Our view."} for q in facts["questions"]]}
    return {"acknowledge": True, "response": "Noted.", "clauses": [], "proposal": None}


def _rating(facts: dict[str, Any]) -> dict[str, Any]:
    first = facts["evidence"][0]["event"] if facts.get("evidence") else 1
    why = "The team answered in time."
    return {
        "proposals": [
            {"task": facts["tasks"][0]["task"], "rating": "S", "evidence": [first], "why": why}
        ]
    }


def _follow_up(facts: dict[str, Any]) -> dict[str, Any]:
    planned = facts.get("planned_injects") or []
    if planned:
        return {
            "kind": "inject",
            "inject": planned[0]["inject"],
            "text": "",
            "teams": [],
            "why": "Next.",
        }
    return {
        "kind": "update",
        "inject": "",
        "text": "Please go on.",
        "teams": [],
        "why": "Nothing left.",
    }


def _findings(facts: dict[str, Any]) -> dict[str, Any]:
    first = facts["evidence"][0]["event"] if facts.get("evidence") else 1
    sentence = {"text": "The teams consulted early.", "cites": [first]}
    return {
        "findings": [
            {
                "kind": "strength",
                "title": "Early consultation",
                "capability": "",
                "sentences": [sentence],
                "recommendation": {"text": "Keep consulting early.", "cites": [first]},
            }
        ]
    }


ASSISTANT_ANSWERS = {"RatingsAnswer": _rating, "FollowUp": _follow_up, "FindingsAnswer": _findings}


class Handler(BaseHTTPRequestHandler):
    folder: Path

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _next(self) -> dict[str, Any] | None:
        script = self.folder / "script.json"
        if not script.exists():
            return None
        entries = json.loads(script.read_text())
        if not entries:
            return None
        script.write_text(json.dumps(entries[1:]))
        return dict(entries[0])

    def do_GET(self) -> None:
        if self.path != "/v1/models":
            return self._send(404, {"error": {"message": "not found"}})
        self._send(200, {"object": "list", "data": [{"id": "test-model", "object": "model"}]})

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        body = json.loads(self.rfile.read(length))
        with (self.folder / "requests.jsonl").open("a") as log:
            log.write(json.dumps(body) + "\n")
        if self.path != "/v1/chat/completions":
            return self._send(404, {"error": {"message": "not found"}})
        entry = self._next() or {}
        if entry.get("delay"):
            time.sleep(float(entry["delay"]))
        status = int(entry.get("status", 200))
        if status != 200:
            headers = {"Retry-After": str(entry["retry_after"])} if "retry_after" in entry else {}
            return self._send(status, {"error": {"message": f"status {status}"}}, headers)
        if "raw" in entry:
            return self._send(200, entry["raw"])
        content = entry.get("content")
        if content is None:
            content = json.dumps(default_answer(body))
        self._send(
            200,
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "model": body.get("model", "test-model"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": len(json.dumps(body)) // 4, "completion_tokens": 12},
            },
        )

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        raw = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout): nothing to answer


class FakeLLM:
    """A running fake endpoint: its address, its script, and the requests it was sent."""

    def __init__(self, folder: Path, base_url: str) -> None:
        self.folder = folder
        self.base_url = base_url

    def script(self, *entries: dict[str, Any]) -> None:
        (self.folder / "script.json").write_text(json.dumps(list(entries)))

    def requests(self) -> list[dict[str, Any]]:
        path = self.folder / "requests.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]


def start(folder: Path) -> tuple[Any, FakeLLM]:
    """Start the server process; returns it (terminate it when done) and its handle."""
    import subprocess

    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fake_llm", str(folder)], cwd=root
    )
    deadline = time.monotonic() + 30
    while not (folder / "port").exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the fake model server did not start")
        time.sleep(0.02)
    port = (folder / "port").read_text()
    return process, FakeLLM(folder, f"http://127.0.0.1:{port}/v1")


@contextlib.contextmanager
def running(folder: Path) -> Iterator[FakeLLM]:
    """The fake model server in its own process for the ``with`` block, keeping its files in
    ``folder``; stopped afterwards."""
    process, fake = start(folder)
    try:
        yield fake
    finally:
        process.terminate()
        process.wait(10)


def main() -> None:
    folder = Path(sys.argv[1])
    Handler.folder = folder
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    (folder / "port.tmp").write_text(str(server.server_address[1]))
    (folder / "port.tmp").rename(folder / "port")
    server.serve_forever()


if __name__ == "__main__":
    main()
