"""The one place things are wired together: settings → recorder, runs, broker, identity, series.

It knows the application layer (``sitroom.services``) and the infrastructure, never the web:
the web app and the CLI both build their services here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sitroom.config import Settings
from sitroom.realtime.broker import Broker
from sitroom.realtime.factory import make_broker
from sitroom.services.identity import Identity
from sitroom.services.runs import Engine
from sitroom.services.series import SeriesService
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

    def close(self) -> None:
        """Release the database connections."""
        self.identity.close()
        self.recorder.close()


def build_services(settings: Settings) -> Services:
    """Open the database, make the broker and the engine. The broker is started by the app."""
    url = settings.effective_database_url
    recorder = open_recorder(url)
    broker = make_broker(settings.redis_url, settings.redis_prefix)
    engine = Engine(recorder, publish=broker.publish_threadsafe, secret=settings.secret_key)
    identity = Identity.open(url, settings)
    series = SeriesService(recorder, evidence_dir=settings.data_dir / "evidence")
    return Services(settings, recorder, engine, broker, identity, series)
