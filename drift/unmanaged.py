"""Unmanaged entries: list entries in a specification's drift scope that no resource claims.

A specification declares its scope next to its spec.yaml, in `drift.yaml` (see
templates/l3vpn-endpoint/drift.yaml): per platform, lists (namespace, container, list, key) whose
entries it manages, minus `except`. Everything here but `load_scopes` is pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from lxml import etree
from pydantic import BaseModel, ConfigDict, Field

from intent.catalog import Catalog
from intent.tree import Difference

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"


class ManagedList(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    namespace: str
    container: str
    entry: str = Field(alias="list")
    key: str
    except_: tuple[str, ...] = Field((), alias="except")

    def filter_xml(self) -> str:
        """A subtree filter selecting only the entries' keys."""
        return (
            f'<filter xmlns="{NC}" type="subtree"><{self.container} xmlns="{self.namespace}">'
            f"<{self.entry}><{self.key}/></{self.entry}></{self.container}></filter>"
        )

    def keys_in(self, tree: etree._Element) -> list[str]:
        ns = "{" + self.namespace + "}"
        found = tree.iter(f"{ns}{self.entry}")
        return [(e.findtext(f"{ns}{self.key}") or "").strip() for e in found]

    def path(self, key: str) -> str:
        return f"/{self.container}/{self.entry}[{self.key}={key}]"

    def delete_payload(self, keys: Iterable[str]) -> etree._Element:
        """A `<config>` deleting these entries (NETCONF operation="delete")."""
        config = etree.Element(f"{{{NC}}}config", nsmap={None: NC})
        container = etree.SubElement(
            config, f"{{{self.namespace}}}{self.container}", nsmap={None: self.namespace}
        )
        for key in keys:
            entry = etree.SubElement(container, f"{{{self.namespace}}}{self.entry}")
            entry.set(f"{{{NC}}}operation", "delete")
            etree.SubElement(entry, f"{{{self.namespace}}}{self.key}").text = key
        return config


class DriftScope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unmanaged: dict[str, list[ManagedList]] = {}


def load_scopes(catalog: Catalog) -> dict[str, list[ManagedList]]:
    """platform -> the managed lists every specification declares for it (deduplicated)."""
    out: dict[str, list[ManagedList]] = {}
    for spec in catalog:
        path = Path(catalog.root) / spec.id / "drift.yaml"
        if not path.exists():
            continue
        scope = DriftScope.model_validate(yaml.safe_load(path.read_text()) or {})
        for platform, lists in scope.unmanaged.items():
            known = out.setdefault(platform, [])
            known.extend(m for m in lists if m not in known)
    return out


@dataclass(frozen=True)
class Unmanaged:
    device: str
    scope: ManagedList
    key: str

    def difference(self) -> Difference:
        return Difference("unexpected", self.scope.path(self.key), None, "unmanaged")


def find_unmanaged(
    device: str, scope: ManagedList, on_device: etree._Element, intended: Sequence[etree._Element]
) -> list[Unmanaged]:
    """Entries of `scope` on the device that no intended payload of the device names."""
    claimed = {k for payload in intended for k in scope.keys_in(payload)}
    present = scope.keys_in(on_device)
    return [
        Unmanaged(device, scope, k)
        for k in sorted(set(present))
        if k not in claimed and k not in scope.except_
    ]
