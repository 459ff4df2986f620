"""A gNB DU after 3GPP TS 28.541 NRM: NR cells, RRM policy ratios per S-NSSAI, KPIs as state.

Layout (one namespace per 3GPP module)::

    GNBDUFunction[id]/attributes/{gNBId, gNBIdLength, gNBDUId, gNBDUName}
      NRCellDU[id]/attributes/{cellLocalId, administrativeState, nRPCI, prbCapacity}
        RRMPolicyRatio[id]/attributes/{resourceType, rRMPolicyMaxRatio, rRMPolicyMinRatio,
                                       rRMPolicyDedicatedRatio, rRMPolicyMemberList[sst sd]/{mcc, mnc}}

``prbCapacity`` stands in for the carrier bandwidth. Validate/commit enforce, per policy,
dedicated <= min <= max (invalid-value) and, per cell, sum(dedicated) <= 100 and sum(min) <= 100
(operation-failed). ``<get>`` adds ``attributes/operationalState`` and ``kpis`` (urn:rom:sim:kpi).
"""

from __future__ import annotations

import copy
import zlib
from dataclasses import replace
from xml.sax.saxutils import escape

from lxml import etree

from sims.errors import RpcError
from sims.kpi import CellKpis, CellSpec, Conditions, SliceKpis, SlicePolicy, cell_kpis, slice_totals
from sims.models.base import NC_NS, DeviceModel, parse_data
from sims.schema import UINT32, LeafType, Schema, enum, uint

GNBDU = "urn:3gpp:sa5:_3gpp-nr-nrm-gnbdufunction"
CELL = "urn:3gpp:sa5:_3gpp-nr-nrm-nrcelldu"
RRM = "urn:3gpp:sa5:_3gpp-nr-nrm-rrmpolicy"
KPI = "urn:rom:sim:kpi"
SD = LeafType(pattern="[0-9A-Fa-f]{6}")
SST = uint(255, 1)
RATIO = uint(100)
PRB_TYPES = frozenset({"PRB", "PRB_DL"})
INITIAL_CELLS = ((1, 273), (2, 106))  # (cellLocalId, PRBs): 100 MHz and 40 MHz carriers

SCHEMA = Schema(
    keys={
        f"{{{GNBDU}}}GNBDUFunction": ("id",),
        f"{{{CELL}}}NRCellDU": ("id",),
        f"{{{RRM}}}RRMPolicyRatio": ("id",),
        f"{{{RRM}}}rRMPolicyMemberList": ("sst", "sd"),
        f"{{{KPI}}}slice": ("sst", "sd"),  # per-slice KPIs: one list entry per S-NSSAI
    },
    leaves={
        f"{{{GNBDU}}}gNBId": UINT32,
        f"{{{GNBDU}}}gNBIdLength": uint(32, 22),
        f"{{{GNBDU}}}gNBDUId": LeafType("int", 0, 68719476735),
        f"{{{CELL}}}cellLocalId": uint(16383),
        f"{{{CELL}}}administrativeState": enum("LOCKED", "UNLOCKED", "SHUTTING_DOWN"),
        f"{{{CELL}}}nRPCI": uint(1007),
        f"{{{CELL}}}prbCapacity": uint(275, 1),
        f"{{{RRM}}}resourceType": enum("PRB", "PRB_UL", "PRB_DL", "RRC", "DRB"),
        f"{{{RRM}}}rRMPolicyMaxRatio": RATIO,
        f"{{{RRM}}}rRMPolicyMinRatio": RATIO,
        f"{{{RRM}}}rRMPolicyDedicatedRatio": RATIO,
        f"{{{RRM}}}sst": SST,
        f"{{{RRM}}}sd": SD,
        f"{{{RRM}}}mcc": LeafType(pattern="[0-9]{3}"),
        f"{{{RRM}}}mnc": LeafType(pattern="[0-9]{2,3}"),
    },
    prefixes={GNBDU: "gnbdu3gpp", CELL: "nrcelldu3gpp", RRM: "rrmpolicy3gpp", KPI: "rom-kpi"},
    roots=frozenset({f"{{{GNBDU}}}GNBDUFunction"}),
)


def _text(node: etree._Element, path: str, default: str = "") -> str:
    return (node.findtext(path) or default).strip()


def _ratio(attributes: etree._Element, name: str, default: int) -> int:
    raw = _text(attributes, f"{{{RRM}}}{name}", str(default))
    return int(raw) if raw.isdigit() else default


def _error(schema: Schema, root: etree._Element, node: etree._Element, tag: str, message: str) -> RpcError:
    return RpcError(
        tag=tag,
        message=message,
        path=schema.path_of(node, stop=root),
        path_ns=schema.path_namespaces(node),
        info={"bad-element": etree.QName(node).localname},
        app_tag="must-violation" if tag == "operation-failed" else None,
    )


def check_rrm(schema: Schema, root: etree._Element) -> list[RpcError]:
    """RRM policy rules of TS 28.541 (see the module docstring), plus unique cellLocalIds."""
    errors: list[RpcError] = []
    for du in root.iterfind(f"{{{GNBDU}}}GNBDUFunction"):
        seen: dict[str, str] = {}
        for cell in du.iterfind(f"{{{CELL}}}NRCellDU"):
            cell_id = _text(cell, f"{{{CELL}}}id")
            local = _text(cell, f"{{{CELL}}}attributes/{{{CELL}}}cellLocalId")
            if local and local in seen:
                message = f"cellLocalId {local} is used by cells {seen[local]} and {cell_id}"
                errors.append(_error(schema, root, cell, "operation-failed", message))
            seen.setdefault(local, cell_id)
            errors.extend(_check_cell(schema, root, cell, cell_id))
    return errors


def _check_cell(schema: Schema, root: etree._Element, cell: etree._Element, cell_id: str) -> list[RpcError]:
    errors: list[RpcError] = []
    dedicated_sum = min_sum = 0
    for policy in cell.iterfind(f"{{{RRM}}}RRMPolicyRatio"):
        attributes = policy.find(f"{{{RRM}}}attributes")
        if attributes is None:
            continue
        high = _ratio(attributes, "rRMPolicyMaxRatio", 100)
        low = _ratio(attributes, "rRMPolicyMinRatio", 0)
        dedicated = _ratio(attributes, "rRMPolicyDedicatedRatio", 0)
        if not dedicated <= low <= high:
            bad = "rRMPolicyDedicatedRatio" if dedicated > low else "rRMPolicyMinRatio"
            node = attributes.find(f"{{{RRM}}}{bad}")
            message = (
                f"RRM policy {_text(policy, f'{{{RRM}}}id')}: need dedicated ({dedicated}) <= "
                f"min ({low}) <= max ({high})"
            )
            errors.append(
                _error(schema, root, node if node is not None else policy, "invalid-value", message)
            )
        if _text(attributes, f"{{{RRM}}}resourceType", "PRB") in PRB_TYPES:
            dedicated_sum += dedicated
            min_sum += low
    for label, total in (("rRMPolicyDedicatedRatio", dedicated_sum), ("rRMPolicyMinRatio", min_sum)):
        if total > 100:
            message = f"cell {cell_id}: the {label} values of its PRB policies add up to {total} (> 100)"
            errors.append(_error(schema, root, cell, "operation-failed", message))
    return errors


SCHEMA = replace(
    SCHEMA,
    rules=(check_rrm,),
    state=frozenset({f"{{{KPI}}}kpis", f"{{{CELL}}}operationalState"}),
)


def initial_config(hostname: str) -> etree._Element:
    """A gNB DU called ``hostname`` with two unlocked cells and no RRM policies."""
    gnb_id = zlib.crc32(hostname.encode()) % (1 << 22)
    cells = "".join(
        f"<NRCellDU xmlns='{CELL}'><id>{local}</id><attributes><cellLocalId>{local}</cellLocalId>"
        f"<administrativeState>UNLOCKED</administrativeState><nRPCI>{(gnb_id + local) % 1008}</nRPCI>"
        f"<prbCapacity>{prbs}</prbCapacity></attributes></NRCellDU>"
        for local, prbs in INITIAL_CELLS
    )
    return parse_data(
        f"<data xmlns='{NC_NS}'><GNBDUFunction xmlns='{GNBDU}'><id>1</id><attributes>"
        f"<gNBId>{gnb_id}</gNBId><gNBIdLength>22</gNBIdLength><gNBDUId>1</gNBDUId>"
        f"<gNBDUName>{escape(hostname)}</gNBDUName></attributes>{cells}</GNBDUFunction></data>"
    )


def cell_spec(cell: etree._Element) -> CellSpec:
    """What the KPIs of an ``NRCellDU`` element depend on."""
    attributes = cell.find(f"{{{CELL}}}attributes")
    admin = _text(cell, f"{{{CELL}}}attributes/{{{CELL}}}administrativeState", "UNLOCKED")
    raw_prbs = _text(cell, f"{{{CELL}}}attributes/{{{CELL}}}prbCapacity", "273")
    policies: list[SlicePolicy] = []
    for policy in cell.iterfind(f"{{{RRM}}}RRMPolicyRatio/{{{RRM}}}attributes"):
        if _text(policy, f"{{{RRM}}}resourceType", "PRB") not in PRB_TYPES:
            continue
        members = policy.findall(f"{{{RRM}}}rRMPolicyMemberList")
        for member in members:  # the ratios hold for the member group: split them evenly
            sst = _text(member, f"{{{RRM}}}sst")
            if not sst.isdigit():
                continue
            policies.append(
                SlicePolicy(
                    int(sst),
                    _text(member, f"{{{RRM}}}sd", "FFFFFF"),
                    _ratio(policy, "rRMPolicyMaxRatio", 100) / len(members),
                    _ratio(policy, "rRMPolicyMinRatio", 0) / len(members),
                    _ratio(policy, "rRMPolicyDedicatedRatio", 0) / len(members),
                )
            )
    return CellSpec(
        _text(cell, f"{{{CELL}}}id"),
        int(raw_prbs) if raw_prbs.isdigit() else 0,
        attributes is not None and admin == "UNLOCKED",
        tuple(policies),
    )


def _leaf(parent: etree._Element, tag: str, text: str) -> None:
    etree.SubElement(parent, tag).text = text


def _slice_element(parent: etree._Element, kpis: SliceKpis) -> None:
    node = etree.SubElement(parent, f"{{{KPI}}}slice")
    for name, value in (
        ("sst", str(kpis.sst)),
        ("sd", kpis.sd),
        ("prbUsedDl", f"{kpis.prb_used_dl:.2f}"),
        ("prbUsedUl", f"{kpis.prb_used_ul:.2f}"),
        ("throughputDl", f"{kpis.throughput_dl_mbps:.2f}"),
        ("throughputUl", f"{kpis.throughput_ul_mbps:.2f}"),
        ("latency", f"{kpis.latency_ms:.2f}"),
        ("ues", f"{kpis.ues:.2f}"),
    ):
        _leaf(node, f"{{{KPI}}}{name}", value)


def _cell_state(cell: etree._Element, kpis: CellKpis) -> None:
    attributes = cell.find(f"{{{CELL}}}attributes")
    if attributes is None:
        attributes = etree.SubElement(cell, f"{{{CELL}}}attributes")
    _leaf(attributes, f"{{{CELL}}}operationalState", "ENABLED" if kpis.enabled else "DISABLED")
    node = etree.SubElement(cell, f"{{{KPI}}}kpis", nsmap={None: KPI})
    for name, value in kpis.measurements().items():
        _leaf(node, f"{{{KPI}}}{name}", value)
    for each in kpis.slices:
        _slice_element(node, each)


def live_state(running: etree._Element, uptime: float, conditions: Conditions) -> etree._Element:
    """Running config plus cell operational state and KPIs (per cell and per slice over the DU)."""
    data = copy.deepcopy(running)
    for du in data.iterfind(f"{{{GNBDU}}}GNBDUFunction"):
        seed = _text(du, f"{{{GNBDU}}}attributes/{{{GNBDU}}}gNBDUName") or _text(du, f"{{{GNBDU}}}id")
        all_kpis: list[CellKpis] = []
        for cell in du.iterfind(f"{{{CELL}}}NRCellDU"):
            kpis = cell_kpis(cell_spec(cell), uptime, seed, conditions)
            _cell_state(cell, kpis)
            all_kpis.append(kpis)
        totals = etree.SubElement(du, f"{{{KPI}}}kpis", nsmap={None: KPI})
        for each in slice_totals(all_kpis):
            _slice_element(totals, each)
    return data


def operational(running: etree._Element, uptime: float) -> etree._Element:
    """State without injected conditions."""
    return live_state(running, uptime, Conditions())


MODULES = (
    (GNBDU, "_3gpp-nr-nrm-gnbdufunction", "2023-09-18"),
    (CELL, "_3gpp-nr-nrm-nrcelldu", "2023-09-18"),
    (RRM, "_3gpp-nr-nrm-rrmpolicy", "2023-09-18"),
    (KPI, "rom-sim-kpi", "2025-01-01"),
)

GNB = DeviceModel(
    name="gnb",
    platform="rom-ran",
    schema=SCHEMA,
    module_capabilities=tuple(f"{ns}?module={module}&revision={rev}" for ns, module, rev in MODULES),
    initial_config=initial_config,
    operational=operational,
    live_state=live_state,
)
