"""Reachability over NETCONF for devices without gNOI: a platform's own ping RPC.

The catalog describes the RPC per platform (``templates/reachability/platforms.yaml``): the
rendered request, and a parser of XPath expressions over the ``<rpc-reply>`` (``success``, and
optionally ``reason``, ``hops``, ``sent``, ``received``, ``avgRttMs``). An RPC that answers only
success or failure counts as every probe answered or none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from lxml import etree

from drivers._errors import mapped_errors
from drivers._netconf_session import open_session
from drivers.base import DeviceTarget
from drivers.errors import InvalidInput
from drivers.gnoi import PingResult


def _parser() -> etree.XMLParser:
    """A parser for one call: probes run in parallel threads, and an lxml parser is not thread-safe."""
    return etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)


@dataclass(frozen=True)
class ReplyParser:
    """XPath expressions (relative to ``<rpc-reply>``) that read a ping RPC's answer."""

    success: str
    namespaces: Mapping[str, str] = field(default_factory=dict)
    reason: str | None = None
    hops: str | None = None
    sent: str | None = None
    received: str | None = None
    avg_rtt_ms: str | None = None

    def _text(self, reply: etree._Element, path: str | None) -> str:
        if not path:
            return ""
        found = reply.xpath(f"string({path})", namespaces=dict(self.namespaces))
        return str(found).strip()

    def parse(self, device: str, reply: etree._Element, destination: str, vrf: str, count: int) -> PingResult:
        ok = self._text(reply, self.success).lower() in ("true", "1", "yes", "success")
        sent = int(self._text(reply, self.sent) or count)
        received = int(self._text(reply, self.received) or (sent if ok else 0))
        rtt = float(self._text(reply, self.avg_rtt_ms) or 0.0)
        hops: tuple[str, ...] = ()
        if self.hops:
            nodes = reply.xpath(self.hops, namespaces=dict(self.namespaces))
            hops = tuple(str(n.text if isinstance(n, etree._Element) else n).strip() for n in nodes)
        return PingResult(
            device,
            destination,
            vrf,
            sent,
            received,
            rtt,
            rtt,
            rtt,
            reason=self._text(reply, self.reason),
            path=hops,
            via="netconf",
        )


def netconf_ping(
    target: DeviceTarget, rpc_xml: str, parser: ReplyParser, destination: str, vrf: str, count: int
) -> PingResult:
    """Send the rendered ping RPC on a new session and read the reply with ``parser``."""
    try:
        operation = etree.fromstring(rpc_xml.strip().encode(), _parser())
    except etree.XMLSyntaxError as exc:
        raise InvalidInput(f"{target.name}: the ping RPC template is not XML: {exc}") from None
    session = open_session(target)
    try:
        with mapped_errors(target.name, "ping"):
            reply = session.manager.dispatch(operation)
        root = etree.fromstring(reply.xml.encode(), _parser())
    finally:
        session.close()
    return parser.parse(target.name, root, destination, vrf, count)
