"""A self-signed server certificate for the fleet's gNMI listeners, generated once per state dir."""

from __future__ import annotations

import datetime
import ipaddress
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sims.statefiles import atomic_write

log = logging.getLogger(__name__)
CERT_FILE = "gnmi.crt"
KEY_FILE = "gnmi.key"
COMMON_NAME = "rom-sims"
VALID_DAYS = 3650


@dataclass(frozen=True)
class TlsMaterial:
    """PEM certificate and key (``cert_path`` is set when they live in a file clients can read)."""

    cert_pem: bytes
    key_pem: bytes
    cert_path: Path | None = None


def _alt_names(hosts: Iterable[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.DNSName("localhost"), x509.DNSName(COMMON_NAME)]
    seen = {"localhost", COMMON_NAME}
    for host in ["127.0.0.1", "::1", *hosts]:
        if host in seen or host in ("", "0.0.0.0", "::"):
            continue
        seen.add(host)
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def generate_certificate(hosts: Iterable[str] = ()) -> TlsMaterial:
    """A fresh self-signed P-256 certificate valid for localhost, loopback and ``hosts``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, COMMON_NAME)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(_alt_names(hosts)), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return TlsMaterial(cert.public_bytes(serialization.Encoding.PEM), key_pem)


def load_or_create_certificate(state_dir: Path, hosts: Iterable[str] = ()) -> TlsMaterial:
    """``<state_dir>/gnmi.crt`` and ``gnmi.key`` (0600), generated on first use."""
    cert_path, key_path = state_dir / CERT_FILE, state_dir / KEY_FILE
    if cert_path.exists() and key_path.exists():
        return TlsMaterial(cert_path.read_bytes(), key_path.read_bytes(), cert_path)
    state_dir.mkdir(parents=True, exist_ok=True)
    material = generate_certificate(hosts)
    atomic_write(key_path, material.key_pem, 0o600)
    atomic_write(cert_path, material.cert_pem, 0o644)
    log.info("gnmi: generated a self-signed certificate in %s", cert_path)
    return TlsMaterial(material.cert_pem, material.key_pem, cert_path)
