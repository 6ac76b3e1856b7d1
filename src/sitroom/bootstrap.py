"""The one place things are wired together: settings → recorder, runs, broker, identity, series,
and the log followers.

It knows the application layer (``sitroom.services``) and the infrastructure, never the web:
the web app and the CLI both build their services here.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sitroom import audit
from sitroom.audit.setup import build_trail
from sitroom.config import Settings
from sitroom.realtime.broker import Broker
from sitroom.realtime.factory import make_broker
from sitroom.services.editor import Drafts, open_draft_store
from sitroom.services.followers import Follower, FollowerRegistry, FollowerRunner
from sitroom.services.hooks.addresses import AddressPolicy
from sitroom.services.hooks.follower import WebhookFollower
from sitroom.services.hooks.sender import Sender
from sitroom.services.hooks.service import Hooks
from sitroom.services.hooks.store import open_hook_store
from sitroom.services.identity import Identity
from sitroom.services.injectmail import InjectMail
from sitroom.services.leader import open_leases
from sitroom.services.mailer import Security, SmtpMailer, SmtpSettings
from sitroom.services.orgcell import OrganisationCell
from sitroom.services.outbox import Outbox
from sitroom.services.runs import Engine
from sitroom.services.scheduler import Scheduler
from sitroom.services.series import SeriesService
from sitroom.services.triggers import Triggers
from sitroom.storage.cursors import CursorStore, open_cursor_store
from sitroom.storage.factory import open_recorder
from sitroom.storage.recorder import Recorder

if TYPE_CHECKING:
    from sitroom.services.cells.mind import Mind


@dataclass
class Services:
    """Everything a request or a command needs, made once per process."""

    settings: Settings
    recorder: Recorder
    engine: Engine
    broker: Broker
    identity: Identity
    series: SeriesService
    cursors: CursorStore
    followers: FollowerRegistry
    hooks: Hooks
    drafts: Drafts
    """Packages being written in the browser (`sitroom.services.editor`)."""
    outbox: Outbox | None = None
    """Invitation and reset e-mail; None where the auth store keeps no outbox."""
    trail: audit.AuditTrail | None = None

    def follower_runner(self, names: Sequence[str], runs: Collection[str] = ()) -> FollowerRunner:
        """A runner for the followers ``names`` (all runs, or only ``runs``), with its own leases.

        Raises `UnknownFollower` for a name nobody registered. Run it on the broker's loop.
        """
        followers = [self.followers.make(name) for name in names]
        return FollowerRunner(
            self.engine,
            self.broker,
            self.cursors,
            open_leases(self.settings.effective_database_url),
            followers,
            tick=self.settings.follower_seconds,
            runs=runs,
        )

    def close(self) -> None:
        """Release the database connections; flush and stop the audit forwarders."""
        if self.trail is not None:
            audit.uninstall(self.trail)
            self.trail.close()
        self.cursors.close()
        self.drafts.close()
        self.hooks.store.close()
        self.identity.close()
        self.recorder.close()


def build_mailer(settings: Settings) -> SmtpMailer | None:
    """The SMTP client the settings describe, or None when ``SITROOM_SMTP_HOST`` is empty."""
    if not settings.smtp_host:
        return None
    return SmtpMailer(
        SmtpSettings(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=Security(settings.smtp_security),
            username=settings.smtp_username,
            password=settings.smtp_password,
            sender=settings.mail_from,
            timeout=settings.smtp_timeout,
            ca_file=settings.smtp_ca_file,
        )
    )


def build_followers(settings: Settings, identity: Identity | None = None) -> FollowerRegistry:
    """The built-in followers and those ``SITROOM_FOLLOWER_IMPORTS`` names.

    ``mail`` (injects by e-mail) is registered when an SMTP server is configured.
    """
    registry = FollowerRegistry()
    registry.register(Scheduler.name, Scheduler)
    mailer = build_mailer(settings)
    if mailer is not None and identity is not None:
        found = identity

        def inject_mail() -> InjectMail:
            return InjectMail(
                found.recipients,
                mailer,
                sender=settings.mail_from,
                base_url=settings.base_url,
                tries=settings.mail_tries,
                retry=settings.mail_retry_seconds,
            )

        registry.register(InjectMail.name, inject_mail)
    registry.register(Triggers.name, Triggers)
    for spec in settings.follower_imports:
        registry.load(spec)
    return registry


def build_services(settings: Settings) -> Services:
    """Open the database, make the broker and the engine. The broker is started by the app."""
    url = settings.effective_database_url
    recorder = open_recorder(url)
    broker = make_broker(settings.redis_url, settings.redis_prefix)
    engine = Engine(recorder, publish=broker.publish_threadsafe, secret=settings.secret_key)
    identity = Identity.open(url, settings)
    followers = build_followers(settings, identity)
    followers.register_family("cell-", lambda team: _cell(settings, engine, team))
    followers.register_family(
        "simcell-", lambda organisation: _organisation_cell(settings, engine, organisation)
    )
    outbox = None
    if identity.mail is not None:
        outbox = Outbox(
            identity.mail,
            build_mailer(settings),
            sender=settings.mail_from,
            tries=settings.mail_tries,
            retry=settings.mail_retry_seconds,
            hold=settings.smtp_timeout * 3,
        )
        identity.outbox = outbox
    series = SeriesService(
        recorder, evidence_dir=settings.data_dir / "evidence", publish=broker.publish_threadsafe
    )
    cursors = open_cursor_store(url)
    policy = AddressPolicy(settings.webhook_allow)
    hooks = Hooks(open_hook_store(url), engine, policy)

    def webhook_follower() -> WebhookFollower:
        sender = Sender(
            hooks.store,
            policy,
            timeout=settings.webhook_timeout,
            attempts=settings.webhook_attempts,
            backoff_base=settings.webhook_backoff,
            poll=settings.follower_seconds,
        )
        return WebhookFollower(hooks, sender)

    followers.register(WebhookFollower.name, webhook_follower)
    # The process's audit trail: the last services built write it (one per process in use).
    trail = build_trail(settings)
    audit.install(trail)
    return Services(
        settings,
        recorder,
        engine,
        broker,
        identity,
        series,
        cursors,
        followers,
        hooks,
        Drafts(open_draft_store(url)),
        outbox,
        trail,
    )


def _cell(settings: Settings, engine: Engine, team: str) -> Follower:
    """The follower ``cell-<team>``; made (and its model client) only when one is named."""
    from sitroom.services.cells.follower import CellFollower

    return CellFollower(team, None, engine.package, build_mind(settings))


def _organisation_cell(settings: Settings, engine: Engine, organisation: str) -> Follower:
    """The follower ``simcell-<organisation>``: model-played when an endpoint is configured,
    else by the organisation's canned answers."""
    mind = build_mind(settings)
    client = getattr(mind, "client", None)
    return OrganisationCell(organisation, engine.package, client)


def build_mind(settings: Settings, cells: str = "") -> Mind:
    """How cells choose: a model at SITROOM_LLM_BASE_URL, or their scripts.

    ``cells`` is "scripted", "llm" or "" (a model when one is configured, else scripts);
    "llm" without an endpoint is a ``ValueError`` naming the setting to give.
    """
    from sitroom.services.cells.mind import ModelMind, ScriptedMind
    from sitroom.services.cells.provider import ChatClient, Endpoint

    if cells == "scripted" or (cells == "" and not settings.llm_base_url):
        return ScriptedMind()
    if cells not in ("", "llm"):
        raise ValueError(f"--cells: '{cells}' is not 'scripted' or 'llm'")
    if not settings.llm_base_url:
        raise ValueError("--cells llm: set SITROOM_LLM_BASE_URL and SITROOM_LLM_MODEL first")
    endpoint = Endpoint(
        settings.llm_base_url,
        settings.llm_model,
        settings.llm_api_key,
        settings.llm_timeout,
        settings.llm_retries,
    )
    return ModelMind(ChatClient(endpoint))
