"""Settings, read from the environment once (in ``bootstrap``), never at import time."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """Every setting sitroom reads. Each is documented in docs/configuration.md."""

    data_dir: Path = Path("var")
    database_url: str = ""
    redis_url: str | None = None
    redis_prefix: str = "sitroom:"
    secret_key: bytes = b""
    base_url: str = "http://127.0.0.1:8000"
    secure_cookies: bool = False
    heartbeat_seconds: float = 15.0
    follower_seconds: float = 1.0
    followers: tuple[str, ...] = ("scheduler",)
    follower_imports: tuple[str, ...] = ()
    invitation_days: int = 7
    trusted_proxies: tuple[str, ...] = ()
    """Addresses whose X-Forwarded-For / X-Forwarded-Proto are believed; none by default."""
    hash_concurrency: int = 4
    """Password hashes computed at once; sign-ins beyond it are answered 503 at once."""
    max_body_bytes: int = 1024 * 1024
    """The largest request body of a form or JSON request; more is answered 413."""
    max_upload_bytes: int = 32 * 1024 * 1024
    """The largest request body of the routes that take files or whole packages."""
    max_requests: int = 2000
    """Requests handled at once by one process (event streams aside); more get 503."""
    max_streams_per_session: int = 8
    """Event streams one browser session or API principal may hold open; more get 429."""
    max_streams: int = 5000
    """Event streams one process holds open in all; more get 503."""
    shutdown_grace: int = 3
    """Seconds a stopping server waits for open requests before it cancels them."""
    metrics_from: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    """Networks whose requests may read /metrics without the token."""
    metrics_token: str = ""
    """A bearer token that opens /metrics from anywhere ("" : none)."""
    page_cache_mb: int = 48
    """Rendered pages kept for the viewers who share them (``web.pagecache``), in MiB."""
    webhook_allow: tuple[str, ...] = ()
    """Private hosts and networks webhooks may post to (public addresses need no listing)."""
    webhook_timeout: float = 10.0
    """Seconds one webhook attempt may take before it counts as failed."""
    webhook_attempts: int = 10
    """Attempts of one delivery before it goes to the dead-letter list."""
    webhook_backoff: float = 10.0
    """Seconds before the second attempt; each later wait doubles (with jitter, at most 1 h)."""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'sitroom.db'}"


ENV_VARS = {
    "SITROOM_DATA_DIR": "Folder for the SQLite database and the generated secret key "
    "(default ./var).",
    "SITROOM_DATABASE_URL": "sqlite:///PATH (default: DATA_DIR/sitroom.db) or "
    "postgresql://USER@HOST/DB.",
    "SITROOM_REDIS_URL": "redis://HOST:PORT/DB: use Redis pub/sub between worker processes.",
    "SITROOM_REDIS_PREFIX": "Prefix of sitroom's Redis channels (default 'sitroom:').",
    "SITROOM_SECRET_KEY": "Secret that signs invitation links and CSRF tokens "
    "(default: generated once into DATA_DIR/secret.key).",
    "SITROOM_BASE_URL": "The address participants use, for printed links, and an origin the "
    "sign-in and join forms are accepted from (default http://127.0.0.1:8000).",
    "SITROOM_SECURE_COOKIES": "1 behind https: session cookies get the Secure flag.",
    "SITROOM_HEARTBEAT": "Seconds between SSE heartbeats (default 15).",
    "SITROOM_INVITATION_DAYS": "Days an invitation stays valid (default 7).",
    "SITROOM_TRUSTED_PROXIES": "Comma-separated addresses of reverse proxies whose "
    "X-Forwarded-For is believed (default: none; '*' trusts every peer).",
    "SITROOM_HASH_CONCURRENCY": "Password checks computed at once (default 4, about 64 MiB "
    "each); more sign-ins at the same moment get 503 without hashing.",
    "SITROOM_MAX_BODY_BYTES": "Largest request body of a form or JSON request, in bytes "
    "(default 1048576, 1 MiB); a larger one is refused with 413 before it is read.",
    "SITROOM_MAX_UPLOAD_BYTES": "Largest request body of the routes that take a file or a "
    "whole package (package, spreadsheet and evidence uploads), in bytes (default 33554432, "
    "32 MiB).",
    "SITROOM_MAX_REQUESTS": "Requests one process handles at once, event streams aside "
    "(default 2000: at a release every screen of a 1,000-screen room fetches a panel and "
    "posts a receipt at once); more get 503 with Retry-After.",
    "SITROOM_MAX_STREAMS_PER_SESSION": "Live event streams one browser session or API "
    "principal may hold open (default 8); more get 429 with Retry-After.",
    "SITROOM_MAX_STREAMS": "Live event streams one process holds open in all (default 5000); "
    "more get 503 with Retry-After.",
    "SITROOM_FOLLOWERS": "Log followers the server runs, comma-separated (default 'scheduler'); "
    "'none' when they run as 'sitroom follow NAME' processes instead.",
    "SITROOM_FOLLOWER_IMPORTS": "Extra followers to register, comma-separated "
    "'package.module:attr' (attr returns a follower).",
    "SITROOM_FOLLOWER_TICK": "Seconds between follower rounds without new events, e.g. for "
    "scheduled injects (default 1).",
    "SITROOM_SHUTDOWN_GRACE": "Whole seconds a stopping server (SIGTERM) waits for open requests "
    "before it cancels them (default 3); event streams end at once with a reconnect hint.",
    "SITROOM_METRICS_FROM": "Comma-separated addresses or networks (CIDR) that may read "
    "/metrics (default '127.0.0.1,::1'; 'none': only with the token).",
    "SITROOM_METRICS_TOKEN": "A secret (16 characters or more) that opens /metrics from "
    "anywhere, sent as 'Authorization: Bearer TOKEN' (default: none).",
    "SITROOM_PAGE_CACHE_MB": "MiB of rendered pages kept per process, each shared by the "
    "viewers who see it alike (default 48).",
    "SITROOM_WEBHOOK_ALLOW": "Comma-separated host names and addresses or networks (CIDR) "
    "that webhooks may post to although they are private, e.g. 'chat.internal,10.20.0.0/16' "
    "(default: none; public addresses only, link-local and metadata addresses never by name).",
    "SITROOM_WEBHOOK_TIMEOUT": "Seconds one webhook attempt may take (default 10).",
    "SITROOM_WEBHOOK_ATTEMPTS": "Attempts of one webhook delivery before it goes to the "
    "dead-letter list (default 10).",
    "SITROOM_WEBHOOK_BACKOFF": "Seconds before a webhook's second attempt; each later wait "
    "doubles, half of it at random, at most an hour (default 10).",
}


def _proxies(value: str) -> tuple[str, ...]:
    """The trusted proxy addresses of a comma-separated list, without blanks."""
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _positive(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ValueError(f"{name}: expected a whole number of at least 1, got {value!r}")
    return number


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Settings from ``env`` (default: the process environment); creates the data folder."""
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("SITROOM_DATA_DIR", "var")).resolve()
    # The folder holds the database, the keys and the uploads: only its owner may look in.
    # A folder that exists already keeps the mode its operator gave it.
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    secret = env.get("SITROOM_SECRET_KEY", "").encode()
    if not secret:
        key_file = data_dir / "secret.key"
        if not key_file.exists():
            # Several workers may start at once: the first one to create the file wins.
            tmp = data_dir / f".secret.key.{os.getpid()}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
            try:
                os.link(tmp, key_file)
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        secret = key_file.read_text().strip().encode()
    return Settings(
        data_dir=data_dir,
        database_url=env.get("SITROOM_DATABASE_URL", ""),
        redis_url=env.get("SITROOM_REDIS_URL") or None,
        redis_prefix=env.get("SITROOM_REDIS_PREFIX", "sitroom:"),
        secret_key=secret,
        base_url=env.get("SITROOM_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        secure_cookies=env.get("SITROOM_SECURE_COOKIES", "") in ("1", "true", "yes"),
        heartbeat_seconds=float(env.get("SITROOM_HEARTBEAT", "15")),
        invitation_days=int(env.get("SITROOM_INVITATION_DAYS", "7")),
        trusted_proxies=_proxies(env.get("SITROOM_TRUSTED_PROXIES", "")),
        hash_concurrency=_positive(
            "SITROOM_HASH_CONCURRENCY", env.get("SITROOM_HASH_CONCURRENCY", "4")
        ),
        max_body_bytes=_positive(
            "SITROOM_MAX_BODY_BYTES", env.get("SITROOM_MAX_BODY_BYTES", str(1024 * 1024))
        ),
        max_upload_bytes=_positive(
            "SITROOM_MAX_UPLOAD_BYTES", env.get("SITROOM_MAX_UPLOAD_BYTES", str(32 * 1024 * 1024))
        ),
        max_requests=_positive("SITROOM_MAX_REQUESTS", env.get("SITROOM_MAX_REQUESTS", "2000")),
        max_streams_per_session=_positive(
            "SITROOM_MAX_STREAMS_PER_SESSION", env.get("SITROOM_MAX_STREAMS_PER_SESSION", "8")
        ),
        max_streams=_positive("SITROOM_MAX_STREAMS", env.get("SITROOM_MAX_STREAMS", "5000")),
        follower_seconds=_seconds(env, "SITROOM_FOLLOWER_TICK", 1.0),
        followers=_names(env.get("SITROOM_FOLLOWERS", "scheduler")),
        follower_imports=_names(env.get("SITROOM_FOLLOWER_IMPORTS", "")),
        metrics_from=_networks(
            "SITROOM_METRICS_FROM", env.get("SITROOM_METRICS_FROM", "127.0.0.1,::1")
        ),
        metrics_token=_token("SITROOM_METRICS_TOKEN", env.get("SITROOM_METRICS_TOKEN", "")),
        shutdown_grace=_positive("SITROOM_SHUTDOWN_GRACE", env.get("SITROOM_SHUTDOWN_GRACE", "3")),
        page_cache_mb=_positive("SITROOM_PAGE_CACHE_MB", env.get("SITROOM_PAGE_CACHE_MB", "48")),
        webhook_allow=_allow("SITROOM_WEBHOOK_ALLOW", env.get("SITROOM_WEBHOOK_ALLOW", "")),
        webhook_timeout=_seconds(env, "SITROOM_WEBHOOK_TIMEOUT", 10.0),
        webhook_attempts=_positive(
            "SITROOM_WEBHOOK_ATTEMPTS", env.get("SITROOM_WEBHOOK_ATTEMPTS", "10")
        ),
        webhook_backoff=_seconds(env, "SITROOM_WEBHOOK_BACKOFF", 10.0),
    )


def _allow(name: str, value: str) -> tuple[str, ...]:
    """Host names, addresses and networks; a name must look like one."""
    found = []
    for part in _names(value):
        try:
            found.append(str(ipaddress.ip_network(part, strict=False)))
            continue
        except ValueError:
            pass
        labels = part.lower().rstrip(".").split(".")
        if not all(re.fullmatch(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?", x) for x in labels):
            raise ValueError(
                f"{name}: {part!r} is neither a host name nor an address or network; give "
                "e.g. 'chat.internal,10.20.0.0/16'"
            )
        found.append(part.lower().rstrip("."))
    return tuple(found)


def _networks(name: str, value: str) -> tuple[str, ...]:
    """Networks in CIDR form from a comma-separated list of addresses and networks."""
    found = []
    for part in _names(value):
        try:
            found.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise ValueError(
                f"{name}: {part!r} is not an address or a network; give e.g. "
                "'127.0.0.1,10.0.0.0/8' or 'none'"
            ) from None
    return tuple(found)


def _token(name: str, value: str) -> str:
    """A bearer secret: empty (none), or long enough not to be guessed."""
    token = value.strip()
    if token and len(token) < 16:
        raise ValueError(
            f"{name}: {len(token)} characters is too short to be a secret; give 16 or more, "
            "e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return token


def _names(value: str) -> tuple[str, ...]:
    """A comma-separated list; 'none' (or nothing) is the empty list."""
    names = tuple(part.strip() for part in value.split(",") if part.strip())
    return () if names == ("none",) else names


def _seconds(env: dict[str, str], name: str, default: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{name}={text!r}: give a positive number of seconds, e.g. 1 or 0.5")
    return value
