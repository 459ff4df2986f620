"""Certificates for the fleet's gNMI listeners: a self-signed one, or a lab PKI (a CA that signs the
server's certificate and a client certificate for mutual TLS), generated once per state dir."""

from __future__ import annotations

import datetime
import ipaddress
import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from sims.statefiles import atomic_write

log = logging.getLogger(__name__)
CERT_FILE = "gnmi.crt"
KEY_FILE = "gnmi.key"
CA_CERT_FILE = "ca.crt"
CA_KEY_FILE = "ca.key"
CLIENT_CERT_FILE = "client.crt"
CLIENT_KEY_FILE = "client.key"
COMMON_NAME = "rom-sims"
CA_COMMON_NAME = "rom-sims lab CA"
CLIENT_COMMON_NAME = "rom"
VALID_DAYS = 3650


@dataclass(frozen=True)
class TlsMaterial:
    """PEM certificate and key (``cert_path`` is set when they live in a file clients can read);
    a server given ``client_ca_pem`` requires client certificates signed by that CA (mutual TLS)."""

    cert_pem: bytes
    key_pem: bytes
    cert_path: Path | None = None
    client_ca_pem: bytes | None = None


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


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _issue(
    common_name: str,
    issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None,
    *extensions: tuple[x509.ExtensionType, bool],
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A P-256 certificate for ``common_name``, signed by ``issuer`` (None: self-signed)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    issuer_name, issuer_key = issuer or (name, key)
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer_key, hashes.SHA256()), key


@dataclass(frozen=True)
class LabPki:
    """A lab CA and the server and client certificates it signed (PEM)."""

    ca: TlsMaterial
    server: TlsMaterial
    client: TlsMaterial

    def server_material(self, mutual: bool) -> TlsMaterial:
        """What a gNMI server serves: its certificate, and with ``mutual`` the CA clients need."""
        return replace(self.server, client_ca_pem=self.ca.cert_pem if mutual else None)


def generate_pki(hosts: Iterable[str] = ()) -> LabPki:
    """A fresh lab CA, a server certificate for localhost, loopback and ``hosts``, and a client
    certificate, both signed by the CA."""
    ca_cert, ca_key = _issue(
        CA_COMMON_NAME,
        None,
        (x509.BasicConstraints(ca=True, path_length=0), True),
        (x509.KeyUsage(False, False, False, False, False, True, True, False, False), True),
    )
    issuer = (ca_cert.subject, ca_key)
    server_cert, server_key = _issue(
        COMMON_NAME,
        issuer,
        (x509.SubjectAlternativeName(_alt_names(hosts)), False),
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
    )
    client_cert, client_key = _issue(
        CLIENT_COMMON_NAME,
        issuer,
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False),
    )
    pem = serialization.Encoding.PEM
    return LabPki(
        TlsMaterial(ca_cert.public_bytes(pem), _key_pem(ca_key)),
        TlsMaterial(server_cert.public_bytes(pem), _key_pem(server_key)),
        TlsMaterial(client_cert.public_bytes(pem), _key_pem(client_key)),
    )


def load_or_create_pki(state_dir: Path, hosts: Iterable[str] = ()) -> LabPki:
    """The lab PKI in ``state_dir`` (``ca.crt``, ``gnmi.crt``, ``client.crt`` and their ``.key``
    files, keys 0600), generated on first use."""
    files = [
        (CA_CERT_FILE, CA_KEY_FILE),
        (CERT_FILE, KEY_FILE),
        (CLIENT_CERT_FILE, CLIENT_KEY_FILE),
    ]
    paths = [(state_dir / cert, state_dir / key) for cert, key in files]
    if not all(cert.exists() and key.exists() for cert, key in paths):
        state_dir.mkdir(parents=True, exist_ok=True)
        fresh = generate_pki(hosts)
        for (cert, key), material in zip(paths, (fresh.ca, fresh.server, fresh.client), strict=True):
            atomic_write(key, material.key_pem, 0o600)
            atomic_write(cert, material.cert_pem, 0o644)
        log.info("gnmi: generated a lab CA, server and client certificates in %s", state_dir)
    ca, server, client = (TlsMaterial(cert.read_bytes(), key.read_bytes(), cert) for cert, key in paths)
    return LabPki(ca, server, client)


def generate_certificate(hosts: Iterable[str] = ()) -> TlsMaterial:
    """A fresh self-signed P-256 certificate valid for localhost, loopback and ``hosts``."""
    cert, key = _issue(
        COMMON_NAME,
        None,
        (x509.SubjectAlternativeName(_alt_names(hosts)), False),
        (x509.BasicConstraints(ca=True, path_length=None), True),
    )
    return TlsMaterial(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))
