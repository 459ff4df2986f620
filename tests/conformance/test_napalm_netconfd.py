"""NAPALM's iosxr_netconf cannot open a session to netconfd; the adapter says so as a ROM error.

napalm reads netconfd's yang-library (it announces one) and parses the reply as a str with lxml,
which refuses the XML declaration netconfd sends. If a NAPALM release fixes this, this test fails:
then add netconfd to the adapter's conformance backends.
"""

from __future__ import annotations

import pytest

from drivers.errors import CapabilityMissing
from drivers.registry import driver_for
from tests.conformance.conftest import NetconfdHandle

pytestmark = pytest.mark.integration


def test_iosxr_netconf_against_netconfd_is_capability_missing(netconfd_candidate: NetconfdHandle) -> None:
    if netconfd_candidate.endpoint is None:
        pytest.skip(f"netconfd unavailable: {netconfd_candidate.unavailable}")
    target = netconfd_candidate.endpoint.target(platform="napalm:iosxr_netconf")
    with pytest.raises(CapabilityMissing, match="encoding declaration"):
        driver_for(target).open()
