"""The one place things are wired together: settings → recorder, engine, broker, identity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sitroom.config import Settings
from sitroom.engine import Engine
from sitroom.improvement.service import SeriesService
from sitroom.realtime.broker import Broker
from sitroom.realtime.factory import make_broker
from sitroom.storage.factory import open_recorder
from sitroom.storage.recorder import Recorder

if TYPE_CHECKING:
    from sitroom.web.frames import FrameCache
    from sitroom.web.identity import Identity


@dataclass
class Services:
    """Everything a request or a command needs, made once per process."""

    settings: Settings
    recorder: Recorder
    engine: Engine
    broker: Broker
    identity: Identity
    frames: FrameCache
    series: SeriesService

    def close(self) -> None:
        """Release the database connections."""
        self.identity.close()
        self.recorder.close()


def build_services(settings: Settings) -> Services:
    """Open the database, make the broker and the engine. The broker is started by the app."""
    from sitroom.web.frames import FrameCache
    from sitroom.web.identity import Identity

    url = settings.effective_database_url
    recorder = open_recorder(url)
    broker = make_broker(settings.redis_url, settings.redis_prefix)
    engine = Engine(recorder, publish=broker.publish_threadsafe, secret=settings.secret_key)
    identity = Identity.open(url, settings)
    series = SeriesService(recorder, evidence_dir=settings.data_dir / "evidence")
    return Services(settings, recorder, engine, broker, identity, FrameCache(engine), series)
