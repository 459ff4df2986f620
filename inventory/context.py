"""What a running ROM holds: settings, database, catalog. Built once per process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.db import make_engine, make_sessionmaker
from core.secrets import device_credentials
from core.settings import Settings
from drivers.base import DeviceTarget
from intent.catalog import Catalog
from inventory.records import Device, DeviceRow


@dataclass
class Context:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    catalog: Catalog = field(default_factory=Catalog.load)

    @classmethod
    def create(cls, settings: Settings) -> Context:
        engine = make_engine(settings.effective_database_url, upgrade=settings.db_upgrade)
        return cls(settings, engine, make_sessionmaker(engine), Catalog.load(settings.catalog_dir))

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits together, or not at all."""
        with self.sessions.begin() as session:
            yield session

    def target(self, device: Device | DeviceRow) -> DeviceTarget:
        s = self.settings
        creds = device_credentials(device.name, device.credentials, s)  # resolved at use, never stored
        return DeviceTarget(
            name=device.name,
            host=device.host,
            port=device.port,
            platform=device.platform,
            username=creds.username,
            password=creds.password,
            key_file=creds.key_file,
            timeout=s.device_timeout,
            gnmi_port=device.gnmi_port,
            known_hosts=str(s.effective_known_hosts),
            host_key_policy=s.ssh_host_key_policy,
            netconf_client=s.netconf_client,
            gnmi_tls_ca=s.gnmi_tls_ca,
            gnmi_tls_cert=s.gnmi_tls_cert,
            gnmi_tls_key=s.gnmi_tls_key,
            gnmi_tls_server_name=s.gnmi_tls_server_name,
        )
