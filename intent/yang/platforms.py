"""The YANG modules each platform implements, by name (files come from `ROM_YANG_PATH`).

The router simulator (`rom-router`) implements a subset of upstream OpenConfig under the upstream
module names; a platform not listed here is not validated (SR Linux: its native modules are not
shipped with ROM; the 5G simulators: not yet on the TS 28.541 tree, see issue 13).
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
}
