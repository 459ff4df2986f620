"""The YANG modules each platform implements, by name (files come from `ROM_YANG_PATH`).

The router simulator (`rom-router`) implements a subset of upstream OpenConfig under the upstream
module names; the 5G simulators (`rom-5gc`, `rom-ran`) implement 3GPP TS 28.541 Release 17 plus
ROM's own augment modules in `yang/` (put that directory on `ROM_YANG_PATH` beside the 3GPP
modules). A platform not listed here is not validated (SR Linux: its native modules are not
shipped with ROM).
"""

from __future__ import annotations

PLATFORM_MODULES: dict[str, tuple[str, ...]] = {
    "rom-router": (
        "openconfig-interfaces",
        "openconfig-if-ip",
        "openconfig-vlan",
        "openconfig-network-instance",
        "openconfig-network-instance-types",
        "openconfig-qos",
        "openconfig-system",
        "openconfig-routing-policy",
        "iana-if-type",
    ),
    "rom-5gc": (
        "_3gpp-common-managed-element",
        "_3gpp-5gc-nrm-upffunction",
        "_3gpp-5gc-nrm-smffunction",
        "_3gpp-5gc-nrm-amffunction",
        "rom-5g-slice-ext",
    ),
    "rom-ran": (
        "_3gpp-common-managed-element",
        "_3gpp-nr-nrm-gnbdufunction",
        "_3gpp-nr-nrm-nrcelldu",
        "_3gpp-nr-nrm-rrmpolicy",
        "rom-nr-rrm-ext",
    ),
}
