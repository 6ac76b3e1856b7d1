"""A client for any OpenAI-compatible chat-completions endpoint (llama.cpp, Ollama, vLLM, …).

httpx directly rather than the ``openai`` package: it is already a dependency, the wire format
used is one small POST, and the retry policy (which errors, how long to wait, when to give up)
is ours to state and test rather than a library default. Every request has a timeout; a
timeout, a refused connection, 429 or 5xx is tried again after an exponential backoff (a
``Retry-After`` is honoured up to a cap); then ``ProviderDown`` says what failed, so a caller
records "no action" and the run goes on — never a stuck run.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx

BACKOFF = 0.5
"""Seconds before the first retry; doubled for each next one."""
MAX_WAIT = 8.0
"""The longest wait between two tries, whatever ``Retry-After`` asks."""

T = TypeVar("T")


class ProviderDown(RuntimeError):
    """The endpoint did not give a usable answer after every try."""


@dataclass(frozen=True, slots=True)
class Completion:
    """One answer of the model, and what it cost."""

    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: int
    attempts: int


@dataclass(frozen=True, slots=True)
class Endpoint:
    base_url: str
    model: str
    api_key: str = ""
    timeout: float = 30.0
    retries: int = 2


class ChatClient:
    """Sends chat-completions requests to one endpoint; one ``httpx.Client`` for its life."""

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.endpoint = endpoint
        self._sleep = sleep
        headers = {"Authorization": f"Bearer {endpoint.api_key}"} if endpoint.api_key else {}
        self._http = httpx.Client(
            base_url=endpoint.base_url.rstrip("/") + "/",
            headers=headers,
            timeout=httpx.Timeout(endpoint.timeout, connect=min(endpoint.timeout, 5.0)),
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def check(self) -> None:
        """Ask the endpoint once for its models (no retry): ``ProviderDown`` when it does not
        answer, so a rehearsal stops at once instead of recording no-actions all the way."""
        try:
            reply = self._http.get("models")
        except httpx.HTTPError as error:
            raise ProviderDown(
                f"the model endpoint {self.endpoint.base_url} does not answer "
                f"({type(error).__name__}: {error}); is the server running?"
            ) from None
        if reply.status_code in (401, 403):
            raise ProviderDown(
                f"the model endpoint {self.endpoint.base_url} refused the key "
                f"(HTTP {reply.status_code}); check SITROOM_LLM_API_KEY"
            )

    def complete(
        self,
        messages: list[dict[str, str]],
        *,
        user: str,
        schema: dict[str, Any] | None = None,
        temperature: float = 0.2,
        seed: int | None = None,
        model: str | None = None,
    ) -> Completion:
        """The model's answer to ``messages``, asked for JSON against ``schema`` if given.

        ``user`` names the principal the model acts for (``cell:<team>``). Raises
        ``ProviderDown`` naming the endpoint and the last error once every try failed.
        """
        body: dict[str, Any] = {
            "model": model or self.endpoint.model,
            "messages": messages,
            "temperature": temperature,
            "user": user,
            "stream": False,
        }
        if seed is not None:
            body["seed"] = seed
        if schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "strict": True, "schema": schema},
            }
        last = ""
        for attempt in range(1, self.endpoint.retries + 2):
            started = time.perf_counter()
            wait = BACKOFF * 2 ** (attempt - 1)
            try:
                reply = self._http.post("chat/completions", json=body)
            except httpx.TimeoutException:
                last = f"no answer within {self.endpoint.timeout:g} s"
            except httpx.TransportError as error:
                last = f"cannot connect ({type(error).__name__}: {error})"
            else:
                if reply.status_code == 200:
                    return _completion(reply, body["model"], started, attempt)
                last = f"HTTP {reply.status_code}: {reply.text[:200]}"
                if reply.status_code != 429 and reply.status_code < 500:
                    break  # a request the endpoint will never accept: trying again is useless
                wait = max(wait, _retry_after(reply))
            if attempt <= self.endpoint.retries:
                self._sleep(min(wait, MAX_WAIT))
        raise ProviderDown(f"the model endpoint {self.endpoint.base_url} failed: {last}")


def _retry_after(reply: httpx.Response) -> float:
    try:
        return float(reply.headers.get("retry-after", "0"))
    except ValueError:
        return 0.0


def _completion(reply: httpx.Response, model: str, started: float, attempt: int) -> Completion:
    try:
        data = reply.json()
        text = data["choices"][0]["message"]["content"] or ""
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise ProviderDown(
            f"the model endpoint answered something else than a chat "
            f"completion ({type(error).__name__})"
        ) from None
    usage = data.get("usage") or {}
    return Completion(
        text=str(text),
        model=str(data.get("model") or model),
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        latency_ms=round((time.perf_counter() - started) * 1000),
        attempts=attempt,
    )


def dumps(value: Any) -> str:
    """JSON for a prompt: sorted, and with ``<``/``>`` escaped so quoted data cannot close
    the block it is quoted in."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


def prompt_hash(value: Any) -> str:
    """The SHA-256 of a prompt in canonical JSON, as the traces record it."""
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class Answered(Generic[T]):
    """What :func:`ask_valid` got: a value ``read`` accepted, or None with the reason."""

    value: T | None
    trace: dict[str, Any]
    problem: str = ""
    """Why there is no value: the endpoint's error, or the second invalid answer's fault."""


def ask_valid(
    client: ChatClient,
    prompt: list[dict[str, str]],
    read: Callable[[str], T],
    *,
    user: str,
    schema: dict[str, Any],
    invalid: tuple[type[Exception], ...],
    temperature: float = 0.2,
    seed: int | None = None,
    model: str | None = None,
    again: str = "Answer again with one JSON object that matches the schema.",
    keep: int = 2000,
) -> Answered[T]:
    """Ask the model as ``user``; an answer ``read`` refuses (raising one of ``invalid``) is
    asked again once, with what was wrong. The trace records provider, model, prompt hash,
    temperature, seed, latency, tokens and tries over both questions; ``invalid`` in the trace
    says why the last answer was refused, ``error`` why the endpoint gave none."""
    trace: dict[str, Any] = {
        "provider": "openai-compatible",
        "model": model or client.endpoint.model,
        "prompt_hash": prompt_hash(prompt),
        "temperature": temperature,
    }
    if seed is not None:
        trace["seed"] = seed
    trace.update({"latency_ms": 0, "tokens": {"prompt": 0, "completion": 0}, "attempts": 0})
    started = time.perf_counter()
    problem = ""
    for _ in range(2):
        try:
            done = client.complete(
                prompt, user=user, schema=schema, temperature=temperature, seed=seed, model=model
            )
        except ProviderDown as down:
            trace["error"] = str(down)[:300]
            break
        trace["model"] = done.model
        trace["tokens"]["prompt"] += done.prompt_tokens
        trace["tokens"]["completion"] += done.completion_tokens
        trace["attempts"] += done.attempts
        try:
            value = read(done.text)
        except invalid as refused:
            problem = str(refused)[:500]
            prompt = [
                *prompt,
                {"role": "assistant", "content": done.text[:keep]},
                {"role": "user", "content": f"That answer is invalid: {problem}. {again}"},
            ]
            continue
        trace["latency_ms"] = round((time.perf_counter() - started) * 1000)
        return Answered(value, trace)
    trace["latency_ms"] = round((time.perf_counter() - started) * 1000)
    if problem and "error" not in trace:
        trace["invalid"] = problem[:300]
    return Answered(None, trace, trace.get("error") or problem)
