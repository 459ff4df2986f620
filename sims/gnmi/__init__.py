"""gNMI server for the simulated devices (grpc.aio, stubs from pygnmi), sharing each device's datastore."""

from sims.gnmi.server import GNMI_VERSION, GnmiServicer, server_credentials, start_gnmi_server
from sims.gnmi.tls import (
    LabPki,
    TlsMaterial,
    generate_certificate,
    generate_pki,
    load_or_create_pki,
)

__all__ = [
    "GNMI_VERSION",
    "GnmiServicer",
    "LabPki",
    "TlsMaterial",
    "generate_certificate",
    "generate_pki",
    "load_or_create_pki",
    "server_credentials",
    "start_gnmi_server",
]
