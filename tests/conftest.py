"""Shared test fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.postgres import PostgresServer

REPO = Path(__file__).resolve().parent.parent

L3VPN_VALUES = {
    "device": "pe1",
    "vrfName": "CUST-A",
    "routeDistinguisher": "65000:100",
    "interface": "Ethernet1",
    "vlanId": 100,
    "ipv4Address": "10.10.0.1",
    "prefixLength": 30,
    "description": "customer A <site 1> & co",
}


@pytest.fixture
def l3vpn_values() -> dict[str, object]:
    return dict(L3VPN_VALUES)


@pytest.fixture
def postgres() -> Iterator[PostgresServer]:
    """A private PostgreSQL cluster for one test (lab/postgres.py)."""
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
