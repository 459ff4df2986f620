"""`drivers.netconf_schema.fetch_schemas` (what `rom device schema fetch` runs) against netconfd
(yuma123), which serves the modules it announces with <get-schema> (RFC 6022)."""

from __future__ import annotations

import pytest

from drivers.netconf_schema import fetch_schemas
from tests.conformance.conftest import NetconfdHandle


def test_fetch_from_netconfd(netconfd_candidate: NetconfdHandle) -> None:
    if netconfd_candidate.endpoint is None:
        pytest.skip(f"netconfd unavailable: {netconfd_candidate.unavailable}")
    fetched = fetch_schemas(netconfd_candidate.endpoint.target())
    assert "ietf-netconf-monitoring" in fetched.modules, sorted(fetched.refused.items())[:3]
    revision, text = fetched.modules["ietf-netconf-monitoring"]
    assert revision and f"revision {revision}" in text.replace('"', "")
    assert "rpc get-schema" in text
    assert all(
        body.lstrip().startswith(("module", "submodule", "/*", "//")) for _r, body in fetched.modules.values()
    )
