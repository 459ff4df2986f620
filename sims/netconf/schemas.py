"""NETCONF ``<get-schema>`` (RFC 6022): a simulated device serves the YANG modules it announces.

Module files are looked up by name (``NAME.yang`` or ``NAME@REVISION.yang``) below the directories
of ``SIM_YANG_PATH`` (``os.pathsep``-separated); by default the project's own modules (``yang/``)
the simulators' own (``sims/yang/``: KPI state, the ping RPC, ietf-netconf-monitoring) and the
upstream reference modules beside the checkout (``../shared/reference/yang``). A module is served
only if the device announces it in its hello, and a requested version must be one of the file's
revision statements.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

from lxml import etree

from sims.errors import RpcError

MONITORING_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring"
CAPABILITY = f"{MONITORING_NS}?module=ietf-netconf-monitoring&revision=2010-10-04"
_REPO = Path(__file__).resolve().parents[2]
_REVISION = re.compile(r"^\s*revision\s+\"?(\d{4}-\d{2}-\d{2})", re.M)


def directories() -> tuple[Path, ...]:
    """Where module files are looked up (``SIM_YANG_PATH``, else the defaults)."""
    setting = os.environ.get("SIM_YANG_PATH")
    if setting:
        return tuple(Path(part) for part in setting.split(os.pathsep) if part)
    return (_REPO / "yang", _REPO / "sims" / "yang", _REPO.parent / "shared" / "reference" / "yang")


@functools.cache
def _index(roots: tuple[Path, ...]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for root in roots:
        for path in sorted(root.rglob("*.yang")) if root.is_dir() else ():
            found.setdefault(path.stem.split("@")[0], path)
    return found


def announced(capabilities: tuple[str, ...]) -> dict[str, str]:
    """module -> revision of the modules a device announces (``ns?module=NAME&revision=DATE``)."""
    result: dict[str, str] = {}
    for capability in capabilities:
        _ns, _, query = capability.partition("?")
        params = dict(part.partition("=")[::2] for part in query.split("&") if part)
        if params.get("module"):
            result[params["module"]] = params.get("revision", "")
    return result


def _invalid(message: str, element: str) -> RpcError:
    return RpcError(
        tag="invalid-value", message=message, error_type="protocol", info={"bad-element": element}
    )


def get_schema(op: etree._Element, capabilities: tuple[str, ...]) -> etree._Element:
    """The ``<data>`` reply (monitoring namespace) holding one module's YANG text."""
    identifier = (op.findtext(f"{{{MONITORING_NS}}}identifier") or "").strip()
    version = (op.findtext(f"{{{MONITORING_NS}}}version") or "").strip()
    form = (op.findtext(f"{{{MONITORING_NS}}}format") or "yang").strip()
    if not identifier:
        raise RpcError(tag="missing-element", message="get-schema needs an identifier", error_type="protocol")
    if form.rsplit(":", 1)[-1] != "yang":
        raise _invalid(f"format '{form}' is not served (only yang)", "format")
    if identifier not in announced((*capabilities, CAPABILITY)):
        raise _invalid(f"module '{identifier}' is not implemented by this device", "identifier")
    path = _index(directories()).get(identifier)
    if path is None:
        raise _invalid(f"module '{identifier}' has no YANG source on this device", "identifier")
    text = path.read_text(encoding="utf-8")
    if version and version not in _REVISION.findall(text):
        raise _invalid(f"module '{identifier}' has no revision '{version}' here", "version")
    data = etree.Element(f"{{{MONITORING_NS}}}data", nsmap={None: MONITORING_NS})
    data.text = text
    return data
