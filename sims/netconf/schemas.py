"""NETCONF ``<get-schema>`` (RFC 6022): a simulated device serves the YANG modules it announces.

Module files are looked up as the simulators load them (``sims.yanglib``: ``SIM_YANG_PATH``, by
default ``sims/yang/``, which holds the simulators' own modules and deviations and copies of the
upstream modules they implement). A module is served only if the device announces it in its
hello, and a requested version must be one of the file's revision statements.
"""

from __future__ import annotations

import re

from lxml import etree

from sims.errors import RpcError
from sims.yanglib import directories, index

MONITORING_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring"
CAPABILITY = f"{MONITORING_NS}?module=ietf-netconf-monitoring&revision=2010-10-04"
_REVISION = re.compile(r"^\s*revision\s+\"?(\d{4}-\d{2}-\d{2})", re.M)


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
    path = index(directories()).get(identifier)
    if path is None:
        raise _invalid(f"module '{identifier}' has no YANG source on this device", "identifier")
    text = path.read_text(encoding="utf-8")
    if version and version not in _REVISION.findall(text):
        raise _invalid(f"module '{identifier}' has no revision '{version}' here", "version")
    data = etree.Element(f"{{{MONITORING_NS}}}data", nsmap={None: MONITORING_NS})
    data.text = text
    return data
