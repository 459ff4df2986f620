"""gRPC channels to devices: plaintext, TLS verified against a CA file, or mutual TLS.

The one place that turns ROM's gNMI TLS settings into channel credentials; the gNMI driver, the
telemetry collector and the KPI baseline check all dial through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import grpc

from drivers.errors import InvalidInput

ChannelOptions = Sequence[tuple[str, Any]]


class HasGnmiTls(Protocol):
    """Anything carrying the gNMI TLS fields of ``drivers.base.DeviceTarget``."""

    @property
    def gnmi_tls_ca(self) -> str | None: ...
    @property
    def gnmi_tls_cert(self) -> str | None: ...
    @property
    def gnmi_tls_key(self) -> str | None: ...
    @property
    def gnmi_tls_server_name(self) -> str | None: ...


@dataclass(frozen=True)
class GrpcTls:
    """Verify the device's certificate against ``ca``; present ``cert``/``key`` for mutual TLS;
    check ``server_name`` in the certificate instead of the dialled host."""

    ca: str
    cert: str | None = None
    key: str | None = None
    server_name: str | None = None

    @classmethod
    def of(cls, source: HasGnmiTls) -> GrpcTls | None:
        """The TLS a target or settings ask for (None: plaintext)."""
        if source.gnmi_tls_ca is None:
            return None
        return cls(source.gnmi_tls_ca, source.gnmi_tls_cert, source.gnmi_tls_key, source.gnmi_tls_server_name)

    def describe(self) -> str:
        """What a failed connection tried, for its error message."""
        client = f"client certificate {self.cert}" if self.cert else "no client certificate"
        return (
            f"gNMI over TLS trusting {self.ca}, {client}; "
            "a device that requires mutual TLS closes the connection"
        )


def address(host: str, port: int) -> str:
    """``host:port`` as gRPC wants it (IPv6 literals in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read the gNMI TLS {what} {path}: {exc.strerror or exc}") from None


def channel_credentials(tls: GrpcTls) -> grpc.ChannelCredentials:
    """Credentials that trust only ``tls.ca`` (and present the client certificate when given)."""
    if (tls.cert is None) != (tls.key is None):
        raise InvalidInput("gNMI mutual TLS needs both a client certificate and its key")
    return grpc.ssl_channel_credentials(
        root_certificates=_read(tls.ca, "CA file"),
        private_key=_read(tls.key, "client key") if tls.key else None,
        certificate_chain=_read(tls.cert, "client certificate") if tls.cert else None,
    )


def _options(tls: GrpcTls, options: ChannelOptions) -> list[tuple[str, Any]]:
    name = [("grpc.ssl_target_name_override", tls.server_name)] if tls.server_name else []
    return [*options, *name]


def channel(address: str, tls: GrpcTls | None, options: ChannelOptions = ()) -> grpc.Channel:
    """A blocking-API channel to ``address`` (``host:port``), over TLS when ``tls`` is given."""
    if tls is None:
        return grpc.insecure_channel(address, options=list(options))
    return grpc.secure_channel(address, channel_credentials(tls), options=_options(tls, options))


def aio_channel(address: str, tls: GrpcTls | None, options: ChannelOptions = ()) -> grpc.aio.Channel:
    """The same as :func:`channel` for ``grpc.aio``."""
    if tls is None:
        return grpc.aio.insecure_channel(address, options=list(options))
    return grpc.aio.secure_channel(address, channel_credentials(tls), options=_options(tls, options))
