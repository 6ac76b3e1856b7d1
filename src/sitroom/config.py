"""Settings, read from the environment once (in ``bootstrap``), never at import time."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import urlsplit


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
    session_recheck_seconds: float = 30.0
    """How long an open stream's check of its session is held in memory between heartbeats."""
    follower_seconds: float = 1.0
    followers: tuple[str, ...] = ("scheduler", "triggers")
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
    smtp_host: str = ""
    """The SMTP server e-mail goes through; "" (the default) sends no e-mail at all."""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    """none, starttls or tls."""
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_timeout: float = 10.0
    smtp_ca_file: str = ""
    mail_from: str = ""
    mail_tries: int = 6
    """Attempts at one message before it is given up (a dead letter shown to control)."""
    mail_retry_seconds: float = 30.0
    """The wait after the first failed attempt; it doubles after each further one."""
    reset_minutes: int = 60
    """How long a password-reset link works."""
    oidc_issuer: str = ""
    """The OpenID Connect provider's issuer URL; "" leaves single sign-on off."""
    oidc_client_id: str = ""
    oidc_client_secret: str = field(default="", repr=False)
    oidc_provider_name: str = "single sign-on"
    """Shown on the sign-in page: "Sign in with <provider name>"."""
    oidc_redirect_base: str = ""
    """The address the provider sends people back to ("" : the base URL)."""
    oidc_scopes: tuple[str, ...] = ("openid", "email", "profile")
    oidc_roles: tuple[tuple[str, str], ...] = ()
    """(group, role) pairs: the provider's groups that give an account role."""
    oidc_groups_claim: str = "groups"
    oidc_name_claim: str = "name"
    oidc_allowed_domains: tuple[str, ...] = ()
    oidc_allowed_subjects: tuple[str, ...] = ()
    oidc_allowed_groups: tuple[str, ...] = ()
    local_passwords: bool = True
    """Whether accounts may sign in with a password (off: only by single sign-on)."""
    audit_file: Path | None = None
    """The audit trail's JSON lines file (None: no file)."""
    audit_stderr: bool = False
    audit_syslog: str = ""
    """udp://, tcp:// or tls://HOST:PORT of a syslog server ("" : none)."""
    audit_syslog_ca: str = ""
    audit_http: str = ""
    """An HTTP collector's URL that audit events are POSTed to ("" : none)."""
    audit_http_token: str = ""
    audit_queue: int = 10_000
    """Audit events waiting per forwarder; more are dropped (and counted), never waited for."""
    llm_base_url: str = ""
    """An OpenAI-compatible chat-completions endpoint for simulated cells ("": scripted)."""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout: float = 30.0
    """Seconds one request to the model may take before it is tried again."""
    llm_retries: int = 2
    """Requests tried again after a timeout, 429 or 5xx answer (with backoff)."""
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
    "SITROOM_SESSION_RECHECK": "Seconds an open live stream trusts its last look at its "
    "session in the database (default 30; 0 looks at every heartbeat). Signing out or a "
    "revocation in the same process ends the stream at its next heartbeat; one made by "
    "another worker or the CLI within this plus one heartbeat.",
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
    "SITROOM_FOLLOWERS": "Log followers the server runs, comma-separated "
    "(default 'scheduler,triggers'); 'none' when they run as 'sitroom follow NAME' processes "
    "instead.",
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
    "SITROOM_SMTP_HOST": "The SMTP server sitroom sends e-mail through (invitations, password "
    "resets, injects); empty (the default) sends no e-mail.",
    "SITROOM_SMTP_PORT": "Its port (default 587; 465 for tls, 25 for none).",
    "SITROOM_SMTP_SECURITY": "starttls (default), tls (TLS from the first byte) or none.",
    "SITROOM_SMTP_USER": "User name to authenticate with (default: no authentication).",
    "SITROOM_SMTP_PASSWORD": "Its password.",
    "SITROOM_SMTP_TIMEOUT": "Seconds to wait for the SMTP server (default 10).",
    "SITROOM_SMTP_CA_FILE": "A PEM file of certificate authorities to trust for the SMTP "
    "server instead of the system's (a private relay).",
    "SITROOM_MAIL_FROM": "The address sitroom's e-mail comes from, e.g. "
    "'EXCON <excon@example.org>' (required with SITROOM_SMTP_HOST).",
    "SITROOM_MAIL_TRIES": "Attempts at one message before it is given up and shown to control "
    "as a dead letter (default 6).",
    "SITROOM_MAIL_RETRY": "Seconds before the second attempt at a message; the wait doubles "
    "after each further failure (default 30).",
    "SITROOM_RESET_MINUTES": "Minutes a password-reset link works (default 60).",
    "SITROOM_OIDC_ISSUER": "The OpenID Connect provider's issuer URL (https; http only on "
    "loopback); set it to turn single sign-on on (default: off). See docs/sso.md.",
    "SITROOM_OIDC_CLIENT_ID": "The client id sitroom is registered under at the provider.",
    "SITROOM_OIDC_CLIENT_SECRET": "The client secret (client_secret_basic); empty for a public "
    "client that proves itself with PKCE alone.",
    "SITROOM_OIDC_PROVIDER_NAME": "The provider's name on the sign-in page's 'Sign in with …' "
    "button (default 'single sign-on').",
    "SITROOM_OIDC_REDIRECT_BASE": "The address the provider sends people back to; the redirect "
    "URI to register is this + /signin/oidc/callback (default: SITROOM_BASE_URL).",
    "SITROOM_OIDC_SCOPES": "Scopes asked for, space- or comma-separated (default "
    "'openid email profile'; add 'groups' or the like if the provider needs it).",
    "SITROOM_OIDC_ROLES": "Which provider groups give which account role: comma-separated "
    "GROUP=ROLE with ROLE admin or facilitator, e.g. 'exercise-admins=admin,excon=facilitator'. "
    "Someone in none of them cannot sign in with an account (default: none).",
    "SITROOM_OIDC_GROUPS_CLAIM": "The ID token claim that lists the groups; a dotted path "
    "reads a nested claim, e.g. 'realm_access.roles' (default 'groups').",
    "SITROOM_OIDC_NAME_CLAIM": "The claim shown as the person's name (default 'name').",
    "SITROOM_OIDC_ALLOWED_DOMAINS": "Allow-list: e-mail domains (of verified addresses) "
    "that may sign in, comma-separated (default: none, see below).",
    "SITROOM_OIDC_ALLOWED_SUBJECTS": "Allow-list: subjects ('sub' claims) that may sign in.",
    "SITROOM_OIDC_ALLOWED_GROUPS": "Allow-list: groups whose members may sign in. When all "
    "three allow-lists are empty, everyone the provider signs in is admitted (the role "
    "mapping still applies).",
    "SITROOM_LOCAL_PASSWORDS": "0 turns password sign-in of accounts off (single sign-on "
    "only); join codes and invitation links still work (default 1).",
    "SITROOM_AUDIT_FILE": "File the audit trail (security events, JSON lines) is appended to, "
    "made 0600 (default DATA_DIR/audit.jsonl; 'none': no file).",
    "SITROOM_AUDIT_STDERR": "1: also write the audit lines to stderr.",
    "SITROOM_AUDIT_SYSLOG": "Forward audit events to a syslog server as RFC 5424 messages: "
    "udp://HOST:PORT, tcp://HOST:PORT (octet-counted) or tls://HOST:PORT (default: none).",
    "SITROOM_AUDIT_SYSLOG_CA": "CA certificates (PEM file) that a tls:// syslog server's "
    "certificate is checked against (default: the system's).",
    "SITROOM_AUDIT_HTTP": "POST audit events in JSON batches to this collector URL "
    "(default: none).",
    "SITROOM_AUDIT_HTTP_TOKEN": "Bearer token sent to the audit collector (default: none).",
    "SITROOM_AUDIT_QUEUE": "Audit events queued per forwarder (syslog, HTTP) while it "
    "delivers; more are dropped and counted, never waited for (default 10000).",
    "SITROOM_LLM_BASE_URL": "An OpenAI-compatible chat-completions endpoint for simulated "
    "cells, e.g. http://127.0.0.1:8080/v1 (llama.cpp server, Ollama, vLLM); default: none, "
    "cells follow their scripts (docs/ai.md).",
    "SITROOM_LLM_MODEL": "The model name sent to that endpoint (required with the endpoint).",
    "SITROOM_LLM_API_KEY": "A bearer key for the endpoint (default: none, for local servers).",
    "SITROOM_LLM_TIMEOUT": "Seconds one request to the model may take (default 30).",
    "SITROOM_LLM_RETRIES": "Times a request is tried again after a timeout, 429 or 5xx, "
    "with backoff (default 2); then the cell records no action.",
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


def _not_negative(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number >= 0:  # NaN as well
        raise ValueError(f"{name}: expected a number of seconds, 0 or more, got {value!r}")
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
        session_recheck_seconds=_not_negative(
            "SITROOM_SESSION_RECHECK", env.get("SITROOM_SESSION_RECHECK", "30")
        ),
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
        followers=_names(env.get("SITROOM_FOLLOWERS", "scheduler,triggers")),
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
        **_mail(env),
        **_sign_on(env),
        **_audit(env, data_dir),
        **_llm(env),
    )


_SECURITY = ("none", "starttls", "tls")


class _Mail(TypedDict):
    smtp_host: str
    smtp_port: int
    smtp_security: str
    smtp_username: str
    smtp_password: str
    smtp_timeout: float
    smtp_ca_file: str
    mail_from: str
    mail_tries: int
    mail_retry_seconds: float
    reset_minutes: int


def _mail(env: dict[str, str]) -> _Mail:
    """The SMTP settings, checked: a host needs a sender, security is one of three words."""
    host = env.get("SITROOM_SMTP_HOST", "").strip()
    security = env.get("SITROOM_SMTP_SECURITY", "starttls").strip().lower()
    if security not in _SECURITY:
        raise ValueError(
            f"SITROOM_SMTP_SECURITY: {security!r} is not one of {', '.join(_SECURITY)}"
        )
    sender = env.get("SITROOM_MAIL_FROM", "").strip()
    if host and "@" not in sender:
        raise ValueError(
            "SITROOM_MAIL_FROM: with SITROOM_SMTP_HOST set, give the address e-mail comes "
            f"from, e.g. 'EXCON <excon@example.org>' (got {sender!r})"
        )
    default_port = {"none": "25", "starttls": "587", "tls": "465"}[security]
    return {
        "smtp_host": host,
        "smtp_port": _positive("SITROOM_SMTP_PORT", env.get("SITROOM_SMTP_PORT", default_port)),
        "smtp_security": security,
        "smtp_username": env.get("SITROOM_SMTP_USER", ""),
        "smtp_password": env.get("SITROOM_SMTP_PASSWORD", ""),
        "smtp_timeout": _seconds(env, "SITROOM_SMTP_TIMEOUT", 10.0),
        "smtp_ca_file": env.get("SITROOM_SMTP_CA_FILE", "").strip(),
        "mail_from": sender,
        "mail_tries": _positive("SITROOM_MAIL_TRIES", env.get("SITROOM_MAIL_TRIES", "6")),
        "mail_retry_seconds": _seconds(env, "SITROOM_MAIL_RETRY", 30.0),
        "reset_minutes": _positive("SITROOM_RESET_MINUTES", env.get("SITROOM_RESET_MINUTES", "60")),
    }


def _sign_on(env: dict[str, str]) -> dict[str, Any]:
    """The single sign-on settings, checked; an issuer without a client id is refused."""
    issuer = env.get("SITROOM_OIDC_ISSUER", "").strip()
    client_id = env.get("SITROOM_OIDC_CLIENT_ID", "").strip()
    if issuer and not client_id:
        raise ValueError(
            "SITROOM_OIDC_CLIENT_ID: single sign-on is on (SITROOM_OIDC_ISSUER is set) but no"
            " client id is given; register sitroom at the provider and give its client id"
        )
    roles = []
    for pair in _names(env.get("SITROOM_OIDC_ROLES", "")):
        group, sep, role = pair.rpartition("=")
        if not sep or not group.strip() or role.strip() not in ("admin", "facilitator"):
            raise ValueError(
                f"SITROOM_OIDC_ROLES: {pair!r} is not GROUP=ROLE with ROLE admin or facilitator;"
                " e.g. 'exercise-admins=admin,excon=facilitator'"
            )
        roles.append((group.strip(), role.strip()))
    scopes = tuple(env.get("SITROOM_OIDC_SCOPES", "openid email profile").replace(",", " ").split())
    if issuer and "openid" not in scopes:
        raise ValueError(f"SITROOM_OIDC_SCOPES: {' '.join(scopes)!r} must include 'openid'")
    local = env.get("SITROOM_LOCAL_PASSWORDS", "1").strip().lower()
    if local not in ("0", "1", "true", "false", "yes", "no"):
        raise ValueError(f"SITROOM_LOCAL_PASSWORDS: expected 1 or 0, got {local!r}")
    return {
        "oidc_issuer": issuer,
        "oidc_client_id": client_id,
        "oidc_client_secret": env.get("SITROOM_OIDC_CLIENT_SECRET", ""),
        "oidc_provider_name": env.get("SITROOM_OIDC_PROVIDER_NAME", "").strip() or "single sign-on",
        "oidc_redirect_base": env.get("SITROOM_OIDC_REDIRECT_BASE", "").strip().rstrip("/"),
        "oidc_scopes": scopes,
        "oidc_roles": tuple(roles),
        "oidc_groups_claim": env.get("SITROOM_OIDC_GROUPS_CLAIM", "").strip() or "groups",
        "oidc_name_claim": env.get("SITROOM_OIDC_NAME_CLAIM", "").strip() or "name",
        "oidc_allowed_domains": tuple(
            d.lower().lstrip("@") for d in _names(env.get("SITROOM_OIDC_ALLOWED_DOMAINS", ""))
        ),
        "oidc_allowed_subjects": _names(env.get("SITROOM_OIDC_ALLOWED_SUBJECTS", "")),
        "oidc_allowed_groups": _names(env.get("SITROOM_OIDC_ALLOWED_GROUPS", "")),
        "local_passwords": local in ("1", "true", "yes"),
    }


def _audit(env: dict[str, str], data_dir: Path) -> dict[str, Any]:
    """The ``audit_*`` settings, checked: a bad syslog or collector address is named."""
    file_text = env.get("SITROOM_AUDIT_FILE", "").strip()
    syslog = env.get("SITROOM_AUDIT_SYSLOG", "").strip()
    if syslog:
        parts = urlsplit(syslog)
        try:
            parts.port  # noqa: B018 (raises for a port that is not a number)
        except ValueError:
            parts = parts._replace(netloc="")
        if parts.scheme not in ("udp", "tcp", "tls") or not parts.hostname:
            raise ValueError(
                f"SITROOM_AUDIT_SYSLOG: {syslog!r} is not a syslog address; give "
                "udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT"
            )
    http = env.get("SITROOM_AUDIT_HTTP", "").strip()
    if http and (urlsplit(http).scheme not in ("http", "https") or not urlsplit(http).hostname):
        raise ValueError(
            f"SITROOM_AUDIT_HTTP: {http!r} is not an http:// or https:// URL of a collector"
        )
    if file_text.lower() == "none":
        audit_file = None
    else:
        audit_file = Path(file_text).resolve() if file_text else data_dir / "audit.jsonl"
    return {
        "audit_file": audit_file,
        "audit_stderr": env.get("SITROOM_AUDIT_STDERR", "") in ("1", "true", "yes"),
        "audit_syslog": syslog,
        "audit_syslog_ca": env.get("SITROOM_AUDIT_SYSLOG_CA", "").strip(),
        "audit_http": http,
        "audit_http_token": env.get("SITROOM_AUDIT_HTTP_TOKEN", "").strip(),
        "audit_queue": _positive("SITROOM_AUDIT_QUEUE", env.get("SITROOM_AUDIT_QUEUE", "10000")),
    }


def _llm(env: dict[str, str]) -> dict[str, Any]:
    """The language-model settings: an endpoint needs a model; an address must be http(s)."""
    base_url = env.get("SITROOM_LLM_BASE_URL", "").strip().rstrip("/")
    model = env.get("SITROOM_LLM_MODEL", "").strip()
    if base_url and not base_url.startswith(("http://", "https://")):
        raise ValueError(
            f"SITROOM_LLM_BASE_URL={base_url!r}: give an http(s) address, "
            "e.g. http://127.0.0.1:8080/v1"
        )
    if base_url and not model:
        raise ValueError("SITROOM_LLM_MODEL: name the model to use at SITROOM_LLM_BASE_URL")
    retries = env.get("SITROOM_LLM_RETRIES", "2").strip()
    if not retries.isdigit():
        raise ValueError(f"SITROOM_LLM_RETRIES={retries!r}: give a whole number, e.g. 2")
    return {
        "llm_base_url": base_url,
        "llm_model": model,
        "llm_api_key": env.get("SITROOM_LLM_API_KEY", "").strip(),
        "llm_timeout": _seconds(env, "SITROOM_LLM_TIMEOUT", 30.0),
        "llm_retries": int(retries),
    }


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
