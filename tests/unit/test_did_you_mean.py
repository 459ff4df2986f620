"""Unknown names in an order get the closest valid one and the list of valid ones."""

from __future__ import annotations

import pytest

from core.errors import InvalidRequest, NotFound, Unprocessable
from core.tmf652 import ResourceOrderCreate
from intent.catalog import Catalog, validate_characteristics
from intent.planner import plan_order

CATALOG = Catalog.load()


def test_unknown_specification_characteristic_and_device() -> None:
    with pytest.raises(NotFound, match=r"'slice-rna' \(did you mean 'slice-ran'\?\); known: l3vpn-endpoint"):
        CATALOG.get("slice-rna")
    with pytest.raises(
        InvalidRequest, match=r"maxRatoi \(maxRatoi: did you mean 'maxRatio'\?\); valid: device"
    ):
        validate_characteristics(CATALOG.get("slice-ran"), {"maxRatoi": 1})
    with pytest.raises(InvalidRequest, match=r"unknown characteristic\(s\): zzz; valid: "):
        validate_characteristics(CATALOG.get("slice-ran"), {"zzz": 1})
    chars = {"device": "pe9", "interface": "Ethernet1", "queueName": "Q", "bandwidthMbps": 1}
    body = {
        "orderItem": [
            {
                "id": "1",
                "action": "add",
                "resourceSpecification": {"id": "transport-qos"},
                "resource": {"resourceCharacteristic": [{"name": k, "value": v} for k, v in chars.items()]},
            }
        ]
    }
    with pytest.raises(Unprocessable, match=r"device 'pe9' is not in the inventory \(did you mean 'pe1'\?\)"):
        plan_order(
            ResourceOrderCreate.model_validate(body), CATALOG, {"pe1": "rom-router", "gnb1": "rom-ran"}
        )
