"""TMF634 Resource Catalog documents generated from ROM's catalog (`templates/*/spec.yaml`), pure.

A SOM discovers from them what ROM can activate: each specification, its characteristics with
their value types, defaults, enumerations, ranges and patterns, and which role's device each
device characteristic names (a TMF639 resource `device-<name>`).
"""

from __future__ import annotations

from typing import Any

from intent.catalog import Catalog, CharacteristicSpec, ResourceSpec

CATALOG_API = "/tmf-api/resourceCatalog/v4"
CATALOG_ID = "rom"
IPV4 = r"^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$"
VALUE_TYPES = {"string": "string", "integer": "integer", "boolean": "boolean", "ipv4": "string"}


def _values(rule: CharacteristicSpec) -> list[dict[str, Any]]:
    """The characteristic's value specifications: its enumeration (or its default) and its range."""
    kind = VALUE_TYPES[rule.type]
    values = [
        {
            "value": v,
            "valueType": kind,
            "isDefault": v == rule.default,
            "@type": "CharacteristicValueSpecification",
        }
        for v in rule.enum or ([] if rule.default is None else [rule.default])
    ]
    if rule.minimum is not None or rule.maximum is not None:
        bounds = {"valueFrom": rule.minimum, "valueTo": rule.maximum}
        interval = {(True, True): "closed", (True, False): "closedBottom", (False, True): "closedTop"}
        values.append(
            {
                **{k: v for k, v in bounds.items() if v is not None},
                "rangeInterval": interval[(rule.minimum is not None, rule.maximum is not None)],
                "valueType": kind,
                "isDefault": False,
                "@type": "CharacteristicValueSpecification",
            }
        )
    return values


def characteristic_doc(spec: ResourceSpec, name: str, rule: CharacteristicSpec) -> dict[str, Any]:
    roles = [r for r, role in spec.roles.items() if role.device_characteristic == name]
    description = rule.description or name
    if roles:
        description += f" (the device of role {', '.join(roles)}: a TMF639 resource device-<name>)"
    if rule.type == "ipv4":
        description += " (an IPv4 address)"
    regex = IPV4 if rule.type == "ipv4" else rule.pattern
    return {
        "name": name,
        "description": description,
        "valueType": VALUE_TYPES[rule.type],
        "configurable": True,
        "extensible": False,
        "isUnique": False,
        "minCardinality": 1 if rule.required else 0,
        "maxCardinality": 1,
        **({"regex": regex} if regex else {}),
        "resourceSpecCharacteristicValue": _values(rule),
        "@type": "ResourceSpecificationCharacteristic",
    }


def spec_href(spec_id: str) -> str:
    return f"{CATALOG_API}/resourceSpecification/{spec_id}"


def specification_doc(spec: ResourceSpec) -> dict[str, Any]:
    return {
        "id": spec.id,
        "href": spec_href(spec.id),
        "name": spec.name,
        "version": spec.version,
        "description": spec.description.strip(),
        "category": spec.category,
        "lifecycleStatus": "Active",
        "isBundle": False,
        "resourceSpecCharacteristic": [
            characteristic_doc(spec, n, r) for n, r in spec.characteristics.items()
        ],
        "@type": "ResourceSpecification",
    }


def category_id(name: str) -> str:
    return name or "uncategorised"


def category_docs(catalog: Catalog) -> list[dict[str, Any]]:
    """One root category per specification category, each listing its specifications."""
    by_category: dict[str, list[ResourceSpec]] = {}
    for spec in catalog:
        by_category.setdefault(category_id(spec.category), []).append(spec)
    return [
        {
            "id": cid,
            "href": f"{CATALOG_API}/resourceCategory/{cid}",
            "name": cid,
            "isRoot": True,
            "lifecycleStatus": "Active",
            "description": f"resource specifications of category {cid}: {', '.join(s.id for s in specs)}",
            "@type": "ResourceCategory",
        }
        for cid, specs in sorted(by_category.items())
    ]


def catalog_doc(catalog: Catalog) -> dict[str, Any]:
    return {
        "id": CATALOG_ID,
        "href": f"{CATALOG_API}/resourceCatalog/{CATALOG_ID}",
        "name": "ROM resource catalog",
        "description": "What ROM can activate: the specifications of templates/",
        "lifecycleStatus": "Active",
        "category": [
            {"id": c["id"], "href": c["href"], "name": c["name"], "@referredType": "ResourceCategory"}
            for c in category_docs(catalog)
        ],
        "@type": "ResourceCatalog",
    }
