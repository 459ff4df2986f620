"""What a running ROM holds: settings, database, catalog. Built once per process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from drivers.base import DeviceTarget
from inventory.store import Device
from rom.catalog import Catalog
from rom.db import make_engine, make_sessionmaker
from rom.settings import Settings


@dataclass
class Context:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    catalog: Catalog = field(default_factory=Catalog.load)

    @classmethod
    def create(cls, settings: Settings) -> Context:
        engine = make_engine(settings.effective_database_url)
        return cls(settings, engine, make_sessionmaker(engine))

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits together, or not at all."""
        with self.sessions.begin() as session:
            yield session

    def target(self, device: Device) -> DeviceTarget:
        s = self.settings
        return DeviceTarget(
            name=device.name,
            host=device.host,
            port=device.port,
            platform=device.platform,
            username=s.device_username,
            password=s.device_password.get_secret_value(),
            timeout=s.device_timeout,
            gnmi_port=device.gnmi_port,
        )
