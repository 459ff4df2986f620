"""gNMI server for the simulated devices (grpc.aio, stubs from pygnmi), sharing each device's datastore."""

from sims.gnmi.server import GNMI_VERSION, GnmiServicer, server_credentials, start_gnmi_server
from sims.gnmi.tls import TlsMaterial, generate_certificate, load_or_create_certificate

__all__ = [
    "GNMI_VERSION",
    "GnmiServicer",
    "TlsMaterial",
    "generate_certificate",
    "load_or_create_certificate",
    "server_credentials",
    "start_gnmi_server",
]
