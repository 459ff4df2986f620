"""A gNB DU on the 3GPP TS 28.541 Release 17 tree: NR cells, RRM policy ratios per S-NSSAI, KPIs
as state.

Layout (one namespace per module; ``ext`` is ROM's augment ``rom-nr-rrm-ext`` in ``yang/``, which
places ``RRMPolicyRatio`` under the cell as later releases do, with Release 17's attributes)::

    ManagedElement[id]/attributes/priorityLabel
      GNBDUFunction[id]/attributes/{priorityLabel, resourceType, rRMPolicyMemberList[mcc mnc sd sst],
                                    gNBId, gNBIdLength, gNBDUId, gNBDUName}
        NRCellDU[id]/attributes/{cellLocalId, administrativeState, nRPCI, bSChannelBwDL, ... (the
                                 cell's mandatory Release 17 attributes)}
          ext:RRMPolicyRatio[id]/attributes/{resourceType, rRMPolicyMaxRatio, rRMPolicyMinRatio,
                                  rRMPolicyDedicatedRatio, rRMPolicyMemberList[mcc mnc sd sst]}

The cell's PRB count follows its downlink bandwidth ``bSChannelBwDL`` (MHz, 30 kHz subcarriers,
TS 38.101-1 table 5.3.2-1). Validate/commit enforce, per policy,
dedicated <= min <= max (invalid-value) and, per cell, sum(dedicated) <= 100 and sum(min) <= 100
(operation-failed). ``<get>`` adds ``attributes/operationalState`` and ``kpis`` (urn:rom:sim:kpi).
"""

from __future__ import annotations

import copy
import zlib
from xml.sax.saxutils import escape

from lxml import etree

from sims.errors import RpcError
from sims.kpi import CellKpis, CellSpec, Conditions, SliceKpis, SlicePolicy, cell_kpis, slice_totals
from sims.models.base import NC_NS, DeviceModel, parse_data
from sims.schema import Schema
from sims.yanglib import YangSpec

ME = "urn:3gpp:sa5:_3gpp-common-managed-element"
GNBDU = "urn:3gpp:sa5:_3gpp-nr-nrm-gnbdufunction"
CELL = "urn:3gpp:sa5:_3gpp-nr-nrm-nrcelldu"
RRM = "urn:rom:yang:rom-nr-rrm-ext"  # RRMPolicyRatio under NRCellDU (later-release placement)
KPI = "urn:rom:sim:kpi"
PRB_TYPES = frozenset({"PRB", "PRB_DL"})
INITIAL_CELLS = ((1, 100), (2, 40))  # (cellLocalId, bSChannelBwDL MHz)
PRBS_30KHZ = {  # bSChannelBwDL (MHz) -> PRBs at 30 kHz subcarrier spacing (TS 38.101-1 table 5.3.2-1)
    **{5: 11, 10: 24, 15: 38, 20: 51, 25: 65, 30: 78, 40: 106},
    **{50: 133, 60: 162, 70: 189, 80: 217, 90: 245, 100: 273},
}


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
    for du in root.iterfind(f"{{{ME}}}ManagedElement/{{{GNBDU}}}GNBDUFunction"):
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


DEFAULT_MEMBER = "<mcc>001</mcc><mnc>01</mnc><sd>FFFFFF</sd><sst>1</sst>"
RRM_BASE = (  # the mandatory attributes of a DU and a cell (priorityLabel, RRMPolicy_Grp)
    "<priorityLabel>1</priorityLabel><resourceType>PRB</resourceType>"
    f"<rRMPolicyMemberList>{DEFAULT_MEMBER}</rRMPolicyMemberList>"
)


def _cell(name: str, gnb_id: int, local: int, mhz: int) -> str:
    """One unlocked NR cell with the attributes Release 17 makes mandatory (RIM-RS monitoring and
    SSB values of a 3.5 GHz TDD carrier)."""
    rim = "".join(
        f"<rimRSMonitoring{leaf}>{value}</rimRSMonitoring{leaf}>"
        for leaf, value in (
            ("StartTime", "2026-01-01T00:00:00Z"),
            ("StopTime", "2026-01-01T00:00:00Z"),
            ("WindowDuration", 1),
            ("WindowStartingOffset", 0),
            ("WindowPeriodicity", 24),
            ("OccasionInterval", 1),
            ("OccasionStartingOffset", 0),
        )
    )
    return (
        f"<NRCellDU xmlns='{CELL}'><id>{local}</id><attributes>{RRM_BASE}<cellLocalId>{local}</cellLocalId>"
        f"<administrativeState>UNLOCKED</administrativeState><pLMNInfoList>{DEFAULT_MEMBER}</pLMNInfoList>"
        f"<nPNIdentityList><idx>1</idx><plmnid><mcc>001</mcc><mnc>01</mnc></plmnid><cAGIdList>-</cAGIdList>"
        f"<nIDList>-</nIDList></nPNIdentityList><nRPCI>{(gnb_id + local) % 1008}</nRPCI>"
        f"<arfcnDL>{630000 + 2000 * local}</arfcnDL><bSChannelBwDL>{mhz}</bSChannelBwDL>{rim}"
        f"<ssbFrequency>{630000 + 2000 * local}</ssbFrequency><ssbPeriodicity>20</ssbPeriodicity>"
        "<ssbSubCarrierSpacing>30</ssbSubCarrierSpacing><ssbOffset>0</ssbOffset><ssbDuration>1</ssbDuration>"
        f"<nRSectorCarrierRef>ManagedElement={name},NRSectorCarrier={local}</nRSectorCarrierRef>"
        f"<victimSetRef>ManagedElement={name},RimRSSet=victim</victimSetRef>"
        f"<aggressorSetRef>ManagedElement={name},RimRSSet=aggressor</aggressorSetRef></attributes></NRCellDU>"
    )


def initial_config(hostname: str) -> etree._Element:
    """A gNB DU called ``hostname`` with two unlocked cells and no RRM policies."""
    gnb_id = zlib.crc32(hostname.encode()) % (1 << 22)
    name = escape(hostname)
    cells = "".join(_cell(name, gnb_id, local, mhz) for local, mhz in INITIAL_CELLS)
    return parse_data(
        f"<data xmlns='{NC_NS}'><ManagedElement xmlns='{ME}'><id>{name}</id><attributes>"
        f"<priorityLabel>1</priorityLabel></attributes><GNBDUFunction xmlns='{GNBDU}'><id>1</id><attributes>"
        f"{RRM_BASE}<gNBId>{gnb_id}</gNBId><gNBIdLength>22</gNBIdLength><gNBDUId>1</gNBDUId>"
        f"<gNBDUName>{name}</gNBDUName></attributes>{cells}</GNBDUFunction></ManagedElement></data>"
    )


def cell_spec(cell: etree._Element) -> CellSpec:
    """What the KPIs of an ``NRCellDU`` element depend on."""
    attributes = cell.find(f"{{{CELL}}}attributes")
    admin = _text(cell, f"{{{CELL}}}attributes/{{{CELL}}}administrativeState", "UNLOCKED")
    raw_mhz = _text(cell, f"{{{CELL}}}attributes/{{{CELL}}}bSChannelBwDL", "100")
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
        PRBS_30KHZ.get(int(raw_mhz), 0) if raw_mhz.isdigit() else 0,
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
    for du in data.iterfind(f"{{{ME}}}ManagedElement/{{{GNBDU}}}GNBDUFunction"):
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


YANG = YangSpec(  # TS 28.541 Release 17 (sims/yang/upstream/3gpp), ROM's RRM augment, the KPIs
    (
        "_3gpp-common-managed-element",
        "_3gpp-nr-nrm-gnbdufunction",
        "_3gpp-nr-nrm-nrcelldu",
        "_3gpp-nr-nrm-rrmpolicy",
        "rom-nr-rrm-ext",
        "rom-sim-kpi",
    ),
    deviations="rom-sim-gnb-deviations",
)

GNB = DeviceModel(
    name="gnb",
    platform="rom-ran",
    yang=YANG,
    rules=(check_rrm,),
    initial_config=initial_config,
    operational=operational,
    live_state=live_state,
)
