"""One owner per device path (pure): what an order item would set that another resource owns.

Every leaf an intent sets is a *claim* on its device: NETCONF/NAPALM leaves by their path in the
rendered tree (`intent.tree.leaf_values`), gNMI leaves by the path of a `replace`/`update` plus the
member names below it. Two resources may claim the same leaf with the same value (a VRF two
endpoints share); a claim on a leaf another resource holds with a *different* value is a conflict:
pushing it would silently undo the owner's intent, and drift remediation could never converge.

A resource's *identity* is its specification and the characteristics its `resourceName` is made
of (e.g. `rrm-{{ policyId }}@{{ device }}:cell{{ cellId }}`): an add with the identity of a live
resource repeats it (and would reserve its pools a second time).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import Environment, meta

from drivers.gnmi_payload import bare_name, parse_document
from intent.catalog import ResourceSpec
from intent.planner import Intended
from intent.tree import entry_labels, leaf_values


@dataclass(frozen=True)
class Owner:
    """Who holds a claim: an inventory resource, an earlier item of the same order, or an add of an
    order that has not finished (its resource does not exist yet)."""

    id: str
    name: str
    kind: str = "resource"  # "orderItem" (of the same order), "order" (one not finished yet)

    def __str__(self) -> str:
        if self.kind == "orderItem":
            return f"orderItem {self.id} of this order ({self.name})"
        if self.kind == "order":
            return f"{self.name}, which resourceOrder {self.id} (not finished) creates"
        return f"resource {self.id} ({self.name})"


@dataclass(frozen=True)
class PathConflict:
    device: str
    path: str
    owner: Owner
    held: str  # the owner's value
    wanted: str

    def message(self) -> str:
        return (
            f"{self.path} on {self.device} is owned by {self.owner} with {self.held!r}; "
            f"this item would set {self.wanted!r}"
        )


def _family(protocol: str) -> str:
    """NETCONF and NAPALM write the same XML trees; gNMI paths are another namespace."""
    return "gnmi" if protocol == "gnmi" else "xml"


def _flatten(value: Any, path: str, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, member in value.items():
            _flatten(member, f"{path}/{bare_name(key)}", out)
    else:  # a scalar, or a list (one value: its entries are not keyed in the document)
        out[path] = json.dumps(value, sort_keys=True)


def claims(want: Intended) -> dict[str, str]:
    """path -> value of every leaf `want` sets on its device."""
    if want.protocol != "gnmi":
        return leaf_values(want.payload, want.filter)
    out: dict[str, str] = {}
    for change in parse_document(want.document or "{}").changes:
        if change.op != "delete":
            _flatten(change.value, change.text, out)
    return out


@dataclass(frozen=True)
class Claims:
    """The leaves one intent sets on its device (what `path_conflicts` compares; cacheable)."""

    device: str
    family: str
    leaves: Mapping[str, str]


def claims_of(want: Intended) -> Claims:
    return Claims(want.device, _family(want.protocol), claims(want))


def path_conflicts(wanted: Sequence[Intended], owned: Iterable[tuple[Owner, Claims]]) -> list[PathConflict]:
    """Each leaf of `wanted` that an owner in `owned` holds with another value (first owner per
    leaf), sorted by device and path."""
    return claim_conflicts([claims_of(w) for w in wanted], owned)


def claim_conflicts(wanted: Sequence[Claims], owned: Iterable[tuple[Owner, Claims]]) -> list[PathConflict]:
    """`path_conflicts` of intents whose claims are worked out already."""
    wanted_by: dict[tuple[str, str], dict[str, str]] = {}
    for want in wanted:
        wanted_by.setdefault((want.device, want.family), {}).update(want.leaves)
    found: dict[tuple[str, str], PathConflict] = {}
    for owner, have in owned:
        mine = wanted_by.get((have.device, have.family))
        if not mine:
            continue
        for path in mine.keys() & have.leaves.keys():  # the shared leaves only (set ops, not a loop)
            held, value = have.leaves[path], mine[path]
            if value != held and (have.device, path) not in found:
                found[(have.device, path)] = PathConflict(have.device, path, owner, held, value)
    return [found[k] for k in sorted(found)]


def identity_names(spec: ResourceSpec) -> list[str]:
    """The characteristics a resource of `spec` is named by (its `resourceName` template's
    variables), in the spec's order."""
    used = _variables(spec.resource_name)
    return [name for name in spec.characteristics if name in used]


@lru_cache(maxsize=256)
def _variables(source: str) -> frozenset[str]:
    return frozenset(meta.find_undeclared_variables(Environment().parse(source)))


def identity(spec: ResourceSpec, values: Mapping[str, Any]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """What makes two resources of one specification the same resource (see `identity_names`)."""
    return spec.id, tuple((n, json.dumps(values.get(n), sort_keys=True)) for n in identity_names(spec))


def where(want: Intended) -> str:
    """The path that names what `want` holds on its device: its first own list entry (NETCONF),
    its first `replace` path (gNMI), else the first path it sets ("" if none)."""
    if want.protocol != "gnmi":
        labels = entry_labels(want.payload, want.filter)
        return labels[0] if labels else next(iter(claims(want)), "")
    changes = [c for c in parse_document(want.document or "{}").changes if c.op != "delete"]
    replaced = [c for c in changes if c.op == "replace"]
    return (replaced or changes)[0].text if changes else ""


@dataclass(frozen=True)
class Disagreement:
    """A leaf live resources hold with different values (made before intake checked, or behind
    its back): remediation pushes one value, then the other, and never converges."""

    device: str
    path: str
    values: tuple[tuple[str, tuple[Owner, ...]], ...]  # value -> who wants it

    def message(self) -> str:
        wants = "; ".join(
            f"{', '.join(str(o) for o in owners)} want {value!r}" for value, owners in self.values
        )
        return f"{self.path} on {self.device}: {wants}"


def disagreements(owned: Iterable[tuple[Owner, Claims]]) -> list[Disagreement]:
    """Every leaf that owners hold with more than one value, sorted by device and path."""
    by_leaf: dict[tuple[str, str, str], dict[str, list[Owner]]] = {}
    for owner, have in owned:
        for path, value in have.leaves.items():
            owners = by_leaf.setdefault((have.device, have.family, path), {}).setdefault(value, [])
            if owner not in owners:
                owners.append(owner)
    return [
        Disagreement(device, path, tuple((v, tuple(o)) for v, o in sorted(values.items())))
        for (device, _, path), values in sorted(by_leaf.items())
        if len(values) > 1
    ]
