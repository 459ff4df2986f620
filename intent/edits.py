"""What an order pushes to each device (pure).

An `add` pushes its rendered intent as a merge. Where an order modifies or deletes a resource, the
NETCONF edits of that device are rewritten to the device's after-state, entry by entry (see
`intent.tree.rewrite_entries`): an entry something still needs afterwards (the modified
resource, another resource of the device, an add of this order) is replaced by the union of those
needs; an entry nothing needs is deleted. So a VRF two endpoints share survives the delete of one
of them, and a leaf a modify drops is gone. gNMI resources own their `replace` paths: a delete
deletes them, a modify replaces them (and deletes the ones its new rendering no longer has).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from lxml import etree

from drivers.gnmi_payload import format_path, path_from_json
from intent.catalog import Catalog
from intent.planner import Intended, PlannedItem, intended_for
from intent.tree import entries, rewrite_entries

CHANGES = frozenset({"modify", "delete"})


@dataclass(frozen=True)
class Plan:
    items: list[PlannedItem]
    edits: list[Intended]  # what is pushed
    verify: list[Intended]  # read back before confirming: the adds' and modifies' new intent
    owners: list[tuple[str, int]]  # each verify's (item id, role index)

    @property
    def devices(self) -> list[str]:
        return sorted({e.device for e in self.edits})

    def subset(self, items: list[PlannedItem]) -> Plan:
        """The part of the plan on these items' devices (groups share no device)."""
        devices = {t.device for i in items for t in i.targets}
        kept = [n for n, v in enumerate(self.verify) if v.device in devices]
        return Plan(
            items,
            [e for e in self.edits if e.device in devices],
            [self.verify[n] for n in kept],
            [self.owners[n] for n in kept],
        )


def changed_resources(items: Sequence[PlannedItem]) -> set[str]:
    """The inventory resources this order modifies or deletes: not among the `others` of a device
    (a noChange resource is, it stays as it is)."""
    return {i.resource_id for i in items if i.action in CHANGES and i.resource_id}


def changed_devices(items: Sequence[PlannedItem]) -> set[str]:
    """Devices where a modify or delete of this order rewrites the edits (whose other resources
    `order_edits` needs)."""
    return {t.device for i in items if i.action in CHANGES for t in i.targets}


def order_edits(catalog: Catalog, items: list[PlannedItem], others: Mapping[str, Sequence[Intended]]) -> Plan:
    """`others`: device -> the intent of the inventory resources on it that this order leaves alone."""
    owned = [
        ((i.item_id, n), w)
        for i in items
        if i.action in ("add", "modify")
        for n, w in enumerate(intended_for(catalog, i))
    ]
    verify = [w for _, w in owned]
    before = [w for i in items if i.action in CHANGES for w in intended_for(catalog, i, before=True)]
    rewritten = sorted({w.device for w in before if w.protocol != "gnmi"})
    edits: list[Intended] = []
    for device in rewritten:
        now = [w for w in verify if w.device == device and w.protocol != "gnmi"]
        after: dict[str, list[etree._Element]] = {}
        for want in [*others.get(device, ()), *now]:
            if want.protocol != "gnmi":
                for label, entry in entries(want.payload, want.filter).items():
                    after.setdefault(label, []).append(entry)
        done: set[str] = set()
        for want in [*(w for w in before if w.device == device and w.protocol != "gnmi"), *now]:
            edits.append(replace(want, payload=rewrite_entries(want.payload, want.filter, after, done)))
    edits.extend(w for w in verify if w.protocol == "gnmi" or w.device not in rewritten)
    edits.extend(_gnmi_deletes(before, verify))
    return Plan(items, edits, verify, [o for o, _ in owned])


def _replace_paths(document: str | None) -> dict[str, object]:
    return {
        format_path(path_from_json(e["path"])): e["path"]
        for e in json.loads(document or "{}").get("replace", [])
    }


def _gnmi_deletes(before: list[Intended], verify: list[Intended]) -> list[Intended]:
    """Delete the `replace` paths an old gNMI rendering owns and no new one of the device keeps."""
    kept: dict[str, set[str]] = {}
    for want in verify:
        if want.protocol == "gnmi":
            kept.setdefault(want.device, set()).update(_replace_paths(want.document))
    out = []
    for old in before:
        if old.protocol != "gnmi":
            continue
        gone = [
            path
            for text, path in _replace_paths(old.document).items()
            if text not in kept.get(old.device, set())
        ]
        if gone:
            out.append(replace(old, document=json.dumps({"delete": gone}, sort_keys=True)))
    return out
