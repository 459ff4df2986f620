"""5G core network functions after 3GPP TS 28.541 NRM: UPF, SMF and AMF, one model each.

They are separate models because they are separate network functions with their own management
endpoints: an order reserves UPF capacity on one box and adds the slice to an SMF on another.
Each uses one namespace (its ``_3gpp-5gc-nrm-*function`` module)::

    UPFFunction[id]/attributes/{userLabel, administrativeState, maxSessions,
                                sNSSAIList[sst sd]/dnnList[dnn]}
    SMFFunction[id]/attributes/{userLabel, administrativeState,
                                sNSSAIList[sst sd]/dnnList[dnn], upfAssociationList[upfId]/n4Address}
    AMFFunction[id]/attributes/{userLabel, administrativeState, pLMNIdList[mcc mnc],
                                aMFIdentifier/{aMFRegionId, aMFSetId, aMFPointer}, sNSSAIList[sst sd]}

``<get>`` adds ``attributes/operationalState`` and ``kpis`` (urn:rom:sim:kpi): ``sessionCount``
(Open5GS ``fivegs_upffunction_upf_sessionnbr`` / ``fivegs_smffunction_sm_sessionnbr``),
``registeredUeCount`` on the AMF, and per slice sessions and user-plane latency.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from xml.sax.saxutils import escape

from lxml import etree

from sims.kpi import Conditions, CoreSlice, SessionKpis, profile, session_kpis
from sims.models.base import NC_NS, DeviceModel, parse_data
from sims.schema import UINT8, UINT32, LeafType, Schema, enum, uint

UPF = "urn:3gpp:sa5:_3gpp-5gc-nrm-upffunction"
SMF = "urn:3gpp:sa5:_3gpp-5gc-nrm-smffunction"
AMF = "urn:3gpp:sa5:_3gpp-5gc-nrm-amffunction"
KPI = "urn:rom:sim:kpi"
REVISION = "2023-09-18"
DEFAULT_SLICE = "<sNSSAIList><sst>1</sst><sd>FFFFFF</sd>{dnns}</sNSSAIList>"
DEFAULT_MAX_SESSIONS = 10000


def _schema(
    ns: str, root: str, prefix: str, keys: dict[str, tuple[str, ...]], leaves: dict[str, LeafType]
) -> Schema:
    return Schema(
        keys={
            f"{{{ns}}}{root}": ("id",),
            f"{{{ns}}}sNSSAIList": ("sst", "sd"),
            f"{{{ns}}}dnnList": ("dnn",),
            f"{{{KPI}}}slice": ("sst", "sd"),  # per-slice KPIs: one list entry per S-NSSAI
            **{f"{{{ns}}}{name}": value for name, value in keys.items()},
        },
        leaves={
            f"{{{ns}}}sst": uint(255, 1),
            f"{{{ns}}}sd": LeafType(pattern="[0-9A-Fa-f]{6}"),
            f"{{{ns}}}dnn": LeafType(pattern=r"[A-Za-z0-9]([A-Za-z0-9.-]{0,61}[A-Za-z0-9])?"),
            f"{{{ns}}}administrativeState": enum("LOCKED", "UNLOCKED", "SHUTTING_DOWN"),
            **{f"{{{ns}}}{name}": value for name, value in leaves.items()},
        },
        prefixes={ns: prefix, KPI: "rom-kpi"},
        roots=frozenset({f"{{{ns}}}{root}"}),
        state=frozenset({f"{{{KPI}}}kpis", f"{{{ns}}}operationalState", f"{{{ns}}}associationState"}),
    )


def _text(node: etree._Element, path: str, default: str = "") -> str:
    return (node.findtext(path) or default).strip()


def _leaf(parent: etree._Element, tag: str, text: str) -> None:
    etree.SubElement(parent, tag).text = text


def _slices(ns: str, attributes: etree._Element) -> list[CoreSlice]:
    result: list[CoreSlice] = []
    for entry in attributes.iterfind(f"{{{ns}}}sNSSAIList"):
        sst = _text(entry, f"{{{ns}}}sst")
        if sst.isdigit():
            dnns = len(entry.findall(f"{{{ns}}}dnnList"))
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
        for function in data.iterfind(f"{{{ns}}}{root}"):
            attributes = function.find(f"{{{ns}}}attributes")
            if attributes is None:
                attributes = etree.SubElement(function, f"{{{ns}}}attributes")
            enabled = _text(attributes, f"{{{ns}}}administrativeState", "UNLOCKED") == "UNLOCKED"
            _leaf(attributes, f"{{{ns}}}operationalState", "ENABLED" if enabled else "DISABLED")
            fill(function, attributes, uptime, conditions)
        return data

    return live


def _seed(ns: str, function: etree._Element) -> str:
    return _text(function, f"{{{ns}}}attributes/{{{ns}}}userLabel") or _text(function, f"{{{ns}}}id")


def _enabled(ns: str, attributes: etree._Element) -> bool:
    return _text(attributes, f"{{{ns}}}administrativeState", "UNLOCKED") == "UNLOCKED"


def _fill_upf(function: etree._Element, attributes: etree._Element, uptime: float, cond: Conditions) -> None:
    raw = _text(attributes, f"{{{UPF}}}maxSessions", str(DEFAULT_MAX_SESSIONS))
    capacity = int(raw) if raw.isdigit() else DEFAULT_MAX_SESSIONS
    kpis = session_kpis(
        _slices(UPF, attributes), uptime, _seed(UPF, function), cond, capacity, _enabled(UPF, attributes)
    )
    counts = {
        "sessionCount": str(kpis.total),
        "maxSessions": str(capacity),
        "sessionUtilisation": f"{100 * kpis.total / capacity if capacity else 0.0:.2f}",
        "rejectedSessions": str(kpis.rejected),
    }
    _kpi_block(function, counts, kpis, "sessions")


def _fill_smf(function: etree._Element, attributes: etree._Element, uptime: float, cond: Conditions) -> None:
    enabled = _enabled(SMF, attributes)
    for association in attributes.iterfind(f"{{{SMF}}}upfAssociationList"):
        _leaf(association, f"{{{SMF}}}associationState", "ASSOCIATED" if enabled else "NOT_ASSOCIATED")
    kpis = session_kpis(_slices(SMF, attributes), uptime, _seed(SMF, function), cond, None, enabled)
    _kpi_block(function, {"sessionCount": str(kpis.total)}, kpis, "sessions")


def _fill_amf(function: etree._Element, attributes: etree._Element, uptime: float, cond: Conditions) -> None:
    slices = _slices(AMF, attributes)
    kpis = session_kpis(slices, uptime, _seed(AMF, function), cond, None, _enabled(AMF, attributes))
    ues = {s.key: round(kpis.per_slice.get(s.key, 0) * profile(s.sst).ues / 40) for s in slices}
    registered = SessionKpis(sum(ues.values()), ues, 0, {})
    _kpi_block(function, {"registeredUeCount": str(registered.total)}, registered, "ues")


def _initial(ns: str, root: str, body: Callable[[str], str]) -> Callable[[str], etree._Element]:
    def initial_config(hostname: str) -> etree._Element:
        name = escape(hostname)
        return parse_data(
            f"<data xmlns='{NC_NS}'><{root} xmlns='{ns}'><id>{name}</id><attributes>"
            f"<userLabel>{name}</userLabel><administrativeState>UNLOCKED</administrativeState>"
            f"{body(hostname)}</attributes></{root}></data>"
        )

    return initial_config


def _model(
    name: str, ns: str, root: str, module: str, schema: Schema, body: Callable[[str], str], fill: StateFiller
) -> DeviceModel:
    live = _live_state(ns, root, fill)
    return DeviceModel(
        name=name,
        platform="rom-5gc",
        schema=schema,
        module_capabilities=(
            f"{ns}?module={module}&revision={REVISION}",
            f"{KPI}?module=rom-sim-kpi&revision=2025-01-01",
        ),
        initial_config=_initial(ns, root, body),
        operational=lambda running, uptime: live(running, uptime, Conditions()),
        live_state=live,
    )


UPF_MODEL = _model(
    "upf",
    UPF,
    "UPFFunction",
    "_3gpp-5gc-nrm-upffunction",
    _schema(UPF, "UPFFunction", "upf3gpp", {}, {"maxSessions": UINT32}),
    lambda _host: (
        f"<maxSessions>{DEFAULT_MAX_SESSIONS}</maxSessions>"
        + DEFAULT_SLICE.format(dnns="<dnnList><dnn>internet</dnn></dnnList>")
    ),
    _fill_upf,
)
SMF_MODEL = _model(
    "smf",
    SMF,
    "SMFFunction",
    "_3gpp-5gc-nrm-smffunction",
    _schema(SMF, "SMFFunction", "smf3gpp", {"upfAssociationList": ("upfId",)}, {}),
    lambda _host: DEFAULT_SLICE.format(dnns="<dnnList><dnn>internet</dnn></dnnList>"),
    _fill_smf,
)
AMF_MODEL = _model(
    "amf",
    AMF,
    "AMFFunction",
    "_3gpp-5gc-nrm-amffunction",
    _schema(
        AMF,
        "AMFFunction",
        "amf3gpp",
        {"pLMNIdList": ("mcc", "mnc")},
        {
            "mcc": LeafType(pattern="[0-9]{3}"),
            "mnc": LeafType(pattern="[0-9]{2,3}"),
            "aMFRegionId": UINT8,
            "aMFSetId": uint(1023),
            "aMFPointer": uint(63),
        },
    ),
    lambda _host: (
        "<pLMNIdList><mcc>001</mcc><mnc>01</mnc></pLMNIdList><aMFIdentifier><aMFRegionId>1"
        "</aMFRegionId><aMFSetId>1</aMFSetId><aMFPointer>0</aMFPointer></aMFIdentifier>"
        + DEFAULT_SLICE.format(dnns="")
    ),
    _fill_amf,
)
CORE_MODELS = (UPF_MODEL, SMF_MODEL, AMF_MODEL)
