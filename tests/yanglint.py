"""Validate instance data against the upstream YANG modules in ../shared/reference/yang/ with
Debian's `yanglint` (libyang2-tools, installed by scripts/system-deps.sh), as the reference
README shows. Tests only: ROM itself does not shell out to yanglint.

- `intent.yang.payload.gnmi_tree(document)` (used with these) turns a gNMI Set document into the
  RFC 7951 JSON tree it leaves on an empty device (replaces and updates merged, entries by key).
- `netconf_tree(config)` is an edit-config `<config>` as plain data (operations stripped).
- `validate(text, fmt, family, data_type)` returns yanglint's errors (empty: valid).
"""

from __future__ import annotations

import copy
import functools
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

REFERENCE = Path(
    os.environ.get("ROM_YANG_REFERENCE", Path(__file__).resolve().parents[2] / "shared/reference/yang")
)
PROJECT_YANG = Path(__file__).resolve().parents[1] / "yang"
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
OC_MODULES = (  # what the router simulator implements, as upstream modules
    "interfaces/openconfig-interfaces.yang",
    "interfaces/openconfig-if-ip.yang",
    "vlan/openconfig-vlan.yang",
    "network-instance/openconfig-network-instance.yang",
    "network-instance/openconfig-network-instance-types.yang",
    "qos/openconfig-qos.yang",
    "system/openconfig-system.yang",
    "policy/openconfig-routing-policy.yang",
)


def yanglint() -> str:
    """The yanglint binary; the test fails (not skips) without it: `make test` installs it."""
    found = shutil.which("yanglint")
    if found is None:
        pytest.fail("yanglint not found: run `bash scripts/system-deps.sh` (Debian libyang2-tools)")
    if not REFERENCE.is_dir():
        pytest.fail(f"upstream YANG modules not found at {REFERENCE} (set ROM_YANG_REFERENCE)")
    return found


@functools.cache
def _arguments(family: str) -> tuple[str, ...]:
    if family == "openconfig":
        root = REFERENCE / "openconfig"
        paths = sorted(str(d) for d in root.rglob("*") if d.is_dir())
        models = root / "release" / "models"
        return ("-ii", *(a for d in paths for a in ("-p", d)), *(str(models / m) for m in OC_MODULES))
    if family == "3gpp":  # Release 17 plus the project's own augment modules (yang/)
        root = REFERENCE / "3gpp"
        own = sorted(str(m) for m in PROJECT_YANG.glob("*.yang"))
        modules = sorted(str(m) for m in root.glob("_3gpp-*.yang"))
        return ("-i", "-p", str(root), "-p", str(PROJECT_YANG), *modules, *own)
    raise ValueError(f"unknown module family {family!r}")


def validate(text: str, fmt: str, family: str, data_type: str = "config") -> list[str]:
    """yanglint's error lines for instance data `text` (`fmt` xml or json) against the upstream
    modules of `family` (openconfig or 3gpp); `data_type` is config (a whole datastore: mandatory
    nodes and leafrefs too) or edit (an edit-config payload)."""
    binary = yanglint()
    with tempfile.NamedTemporaryFile("w", suffix=f".{fmt}", delete=False) as handle:
        handle.write(text)
    try:
        done = subprocess.run(
            [binary, *_arguments(family), "-t", data_type, "-f", fmt, handle.name],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.unlink(handle.name)
    errors = [line for line in done.stderr.splitlines() if not line.startswith("libyang warn")]
    if done.returncode != 0 and not errors:
        errors = [f"yanglint exited {done.returncode}"]
    return errors if done.returncode != 0 or any("err" in e for e in errors) else []


def netconf_tree(config: etree._Element) -> str:
    """An edit-config `<config>` as XML instance data: its children, operations stripped."""
    parts = []
    for child in config:
        element = copy.deepcopy(child)
        for node in element.iter():
            for attribute in [a for a in node.attrib if etree.QName(a).namespace == NC]:
                del node.attrib[attribute]
        parts.append(etree.tostring(element, encoding="unicode"))
    return "".join(parts)


def as_json(tree: dict[str, Any]) -> str:
    return json.dumps(tree, indent=1)
