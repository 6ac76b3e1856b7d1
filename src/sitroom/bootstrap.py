"""The one place things are wired together: settings → recorder, runs, broker, identity, series,
and the log followers.

It knows the application layer (``sitroom.services``) and the infrastructure, never the web:
the web app and the CLI both build their services here.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sitroom.config import Settings
from sitroom.realtime.broker import Broker
from sitroom.realtime.factory import make_broker
from sitroom.services.followers import FollowerRegistry, FollowerRunner
from sitroom.services.hooks.addresses import AddressPolicy
from sitroom.services.hooks.follower import WebhookFollower
from sitroom.services.hooks.sender import Sender
from sitroom.services.hooks.service import Hooks
from sitroom.services.hooks.store import open_hook_store
from sitroom.services.identity import Identity
from sitroom.services.leader import open_leases
from sitroom.services.runs import Engine
from sitroom.services.scheduler import Scheduler
from sitroom.services.series import SeriesService
from sitroom.storage.cursors import CursorStore, open_cursor_store
from sitroom.storage.factory import open_recorder
from sitroom.storage.recorder import Recorder


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
        """Release the database connections."""
        self.cursors.close()
        self.hooks.store.close()
        self.identity.close()
        self.recorder.close()


def build_followers(settings: Settings) -> FollowerRegistry:
    """The built-in followers and those ``SITROOM_FOLLOWER_IMPORTS`` names."""
    registry = FollowerRegistry()
    registry.register(Scheduler.name, Scheduler)
    for spec in settings.follower_imports:
        registry.load(spec)
    return registry


def build_services(settings: Settings) -> Services:
    """Open the database, make the broker and the engine. The broker is started by the app."""
    url = settings.effective_database_url
    followers = build_followers(settings)
    recorder = open_recorder(url)
    broker = make_broker(settings.redis_url, settings.redis_prefix)
    engine = Engine(recorder, publish=broker.publish_threadsafe, secret=settings.secret_key)
    identity = Identity.open(url, settings)
    series = SeriesService(recorder, evidence_dir=settings.data_dir / "evidence")
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
    return Services(settings, recorder, engine, broker, identity, series, cursors, followers, hooks)
