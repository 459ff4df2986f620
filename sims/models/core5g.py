"""5G core network functions on the 3GPP TS 28.541 Release 17 tree: UPF, SMF and AMF, one model each.

They are separate models because they are separate network functions with their own management
endpoints: an order reserves UPF capacity on one box and adds the slice to an SMF on another.
Each function augments ``ManagedElement`` (``_3gpp-common-managed-element``) from its
``_3gpp-5gc-nrm-*function`` module; what Release 17 does not model (DNNs, the UPF's session
capacity, the SMF's UPF associations) is in ROM's augment ``rom-5g-slice-ext`` (``yang/``)::

    ManagedElement[id]/attributes/priorityLabel
      UPFFunction[id]/attributes/{priorityLabel, userLabel, pLMNIdList[mcc mnc], managedNFProfile[idx],
                                  sNSSAIList[sd sst]/ext:dnnList[dnn], ext:maxSessions}
      SMFFunction[id]/attributes/{..., commModelList[groupId], sNSSAIList[sd sst]/ext:dnnList[dnn],
                                  ext:upfAssociationList[upfId]/ext:n4Address}
      AMFFunction[id]/attributes/{..., commModelList[groupId],
                                  aMFIdentifier/{amfRegionId, amfSetId, amfPointer}, sNSSAIList[sd sst]}

``<get>`` adds ``kpis`` (urn:rom:sim:kpi; Release 17 gives these functions no ``operationalState``):
``sessionCount`` (Open5GS ``fivegs_upffunction_upf_sessionnbr`` / ``fivegs_smffunction_sm_sessionnbr``),
``registeredUeCount`` on the AMF, and per slice sessions and user-plane latency.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from xml.sax.saxutils import escape

from lxml import etree

from sims.kpi import Conditions, CoreSlice, SessionKpis, profile, session_kpis
from sims.models.base import NC_NS, DeviceModel, parse_data
from sims.yanglib import YangSpec

ME = "urn:3gpp:sa5:_3gpp-common-managed-element"
EXT = "urn:rom:yang:rom-5g-slice-ext"
UPF = "urn:3gpp:sa5:_3gpp-5gc-nrm-upffunction"
SMF = "urn:3gpp:sa5:_3gpp-5gc-nrm-smffunction"
AMF = "urn:3gpp:sa5:_3gpp-5gc-nrm-amffunction"
KPI = "urn:rom:sim:kpi"
DEFAULT_SLICE = "<sNSSAIList><sd>FFFFFF</sd><sst>1</sst>{dnns}</sNSSAIList>"
DEFAULT_DNNS = f"<dnnList xmlns='{EXT}'><dnn>internet</dnn></dnnList>"
COMM_MODEL = (
    "<commModelList><groupId>1</groupId>"
    "<commModelType>DIRECT_COMMUNICATION_WITH_NRF</commModelType></commModelList>"
)
DEFAULT_MAX_SESSIONS = 10000


def _text(node: etree._Element, path: str, default: str = "") -> str:
    return (node.findtext(path) or default).strip()


def _leaf(parent: etree._Element, tag: str, text: str) -> None:
    etree.SubElement(parent, tag).text = text


def _slices(ns: str, attributes: etree._Element) -> list[CoreSlice]:
    result: list[CoreSlice] = []
    for entry in attributes.iterfind(f"{{{ns}}}sNSSAIList"):
        sst = _text(entry, f"{{{ns}}}sst")
        if sst.isdigit():
            dnns = len(entry.findall(f"{{{EXT}}}dnnList"))
            result.append(CoreSlice(int(sst), _text(entry, f"{{{ns}}}sd", "FFFFFF"), max(1, dnns)))
    return result


def _kpi_block(function: etree._Element, counts: dict[str, str], kpis: SessionKpis, per_slice: str) -> None:
    node = etree.SubElement(function, f"{{{KPI}}}kpis", nsmap={None: KPI})
    for name, value in counts.items():
        _leaf(node, f"{{{KPI}}}{name}", value)
    for key, sessions in sorted(kpis.per_slice.items()):
        sst, sd = key.split("-", 1)
        entry = etree.SubElement(node, f"{{{KPI}}}slice")
        _leaf(entry, f"{{{KPI}}}sst", sst)
        _leaf(entry, f"{{{KPI}}}sd", sd)
        _leaf(entry, f"{{{KPI}}}{per_slice}", str(sessions))
        if key in kpis.latency_ms:
            _leaf(entry, f"{{{KPI}}}latency", f"{kpis.latency_ms[key]:.2f}")


StateFiller = Callable[[etree._Element, etree._Element, float, Conditions], None]


def _live_state(
    ns: str, root: str, fill: StateFiller
) -> Callable[[etree._Element, float, Conditions], etree._Element]:
    def live(running: etree._Element, uptime: float, conditions: Conditions) -> etree._Element:
        data = copy.deepcopy(running)
        for function in data.iterfind(f"{{{ME}}}ManagedElement/{{{ns}}}{root}"):
            attributes = function.find(f"{{{ns}}}attributes")
            if attributes is None:
                attributes = etree.SubElement(function, f"{{{ns}}}attributes")
            fill(function, attributes, uptime, conditions)
        return data

    return live


def _seed(ns: str, function: etree._Element) -> str:
    return _text(function, f"{{{ns}}}attributes/{{{ns}}}userLabel") or _text(function, f"{{{ns}}}id")


def _fill_upf(function: etree._Element, attributes: etree._Element, uptime: float, cond: Conditions) -> None:
    raw = _text(attributes, f"{{{EXT}}}maxSessions", str(DEFAULT_MAX_SESSIONS))
    capacity = int(raw) if raw.isdigit() else DEFAULT_MAX_SESSIONS
    kpis = session_kpis(_slices(UPF, attributes), uptime, _seed(UPF, function), cond, capacity, True)
    counts = {
        "sessionCount": str(kpis.total),
        "maxSessions": str(capacity),
        "sessionUtilisation": f"{100 * kpis.total / capacity if capacity else 0.0:.2f}",
        "rejectedSessions": str(kpis.rejected),
    }
    _kpi_block(function, counts, kpis, "sessions")


def _fill_smf(function: etree._Element, attributes: etree._Element, uptime: float, cond: Conditions) -> None:
    for association in attributes.iterfind(f"{{{EXT}}}upfAssociationList"):
        _leaf(association, f"{{{EXT}}}associationState", "ASSOCIATED")
    kpis = session_kpis(_slices(SMF, attributes), uptime, _seed(SMF, function), cond, None, True)
    _kpi_block(function, {"sessionCount": str(kpis.total)}, kpis, "sessions")


def _fill_amf(function: etree._Element, attributes: etree._Element, uptime: float, cond: Conditions) -> None:
    slices = _slices(AMF, attributes)
    kpis = session_kpis(slices, uptime, _seed(AMF, function), cond, None, True)
    ues = {s.key: round(kpis.per_slice.get(s.key, 0) * profile(s.sst).ues / 40) for s in slices}
    registered = SessionKpis(sum(ues.values()), ues, 0, {})
    _kpi_block(function, {"registeredUeCount": str(registered.total)}, registered, "ues")


def _initial(ns: str, root: str, body: Callable[[str], str]) -> Callable[[str], etree._Element]:
    def initial_config(hostname: str) -> etree._Element:
        name = escape(hostname)
        return parse_data(
            f"<data xmlns='{NC_NS}'><ManagedElement xmlns='{ME}'><id>{name}</id><attributes>"
            f"<priorityLabel>1</priorityLabel></attributes><{root} xmlns='{ns}'><id>{name}</id><attributes>"
            f"<priorityLabel>1</priorityLabel><userLabel>{name}</userLabel>"
            f"<pLMNIdList><mcc>001</mcc><mnc>01</mnc></pLMNIdList>{body(hostname)}"
            f"<managedNFProfile><idx>1</idx><hostAddr>{name}</hostAddr><capacity>100</capacity>"
            f"</managedNFProfile></attributes></{root}></ManagedElement></data>"
        )

    return initial_config


def _yang(module: str, extension: bool) -> YangSpec:
    """A function's modules: ManagedElement, its own, ROM's augment (UPF, SMF), the KPIs; and its
    deviation module (``sims/yang/rom-sim-{upf,smf,amf}-deviations``)."""
    ext = ("rom-5g-slice-ext",) if extension else ()
    short = module.rsplit("-", 1)[-1][:3]
    modules = ("_3gpp-common-managed-element", module, *ext, "rom-sim-kpi")
    return YangSpec(modules, deviations=f"rom-sim-{short}-deviations")


def _model(
    name: str, ns: str, root: str, module: str, body: Callable[[str], str], fill: StateFiller
) -> DeviceModel:
    live = _live_state(ns, root, fill)
    return DeviceModel(
        name=name,
        platform="rom-5gc",
        yang=_yang(module, extension=name != "amf"),
        initial_config=_initial(ns, root, body),
        operational=lambda running, uptime: live(running, uptime, Conditions()),
        live_state=live,
    )


UPF_MODEL = _model(
    "upf",
    UPF,
    "UPFFunction",
    "_3gpp-5gc-nrm-upffunction",
    lambda _host: (
        DEFAULT_SLICE.format(dnns=DEFAULT_DNNS)
        + f"<maxSessions xmlns='{EXT}'>{DEFAULT_MAX_SESSIONS}</maxSessions>"
    ),
    _fill_upf,
)
SMF_MODEL = _model(
    "smf",
    SMF,
    "SMFFunction",
    "_3gpp-5gc-nrm-smffunction",
    lambda _host: DEFAULT_SLICE.format(dnns=DEFAULT_DNNS) + COMM_MODEL,
    _fill_smf,
)
AMF_MODEL = _model(
    "amf",
    AMF,
    "AMFFunction",
    "_3gpp-5gc-nrm-amffunction",
    lambda _host: (
        "<aMFIdentifier><amfRegionId>1</amfRegionId><amfSetId>1</amfSetId><amfPointer>0</amfPointer>"
        "</aMFIdentifier>" + DEFAULT_SLICE.format(dnns="") + COMM_MODEL
    ),
    _fill_amf,
)
CORE_MODELS = (UPF_MODEL, SMF_MODEL, AMF_MODEL)
