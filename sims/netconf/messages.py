"""NETCONF message building and parsing: hello, rpc-reply, rpc-error."""

from __future__ import annotations

from lxml import etree

from sims.errors import RpcError
from sims.xml import parser

NC_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
BASE_10 = "urn:ietf:params:netconf:base:1.0"
BASE_11 = "urn:ietf:params:netconf:base:1.1"
BASE_CAPABILITIES = (
    BASE_10,
    BASE_11,
    "urn:ietf:params:netconf:capability:candidate:1.0",
    "urn:ietf:params:netconf:capability:confirmed-commit:1.1",
    "urn:ietf:params:netconf:capability:rollback-on-error:1.0",
    "urn:ietf:params:netconf:capability:validate:1.1",
)
WRITABLE_RUNNING = "urn:ietf:params:netconf:capability:writable-running:1.0"


def qn(local: str) -> str:
    """A Clark tag in the NETCONF base namespace."""
    return f"{{{NC_NS}}}{local}"


def _malformed(message: str) -> RpcError:
    return RpcError(tag="malformed-message", message=message, error_type="rpc")


def parse_xml(message: bytes) -> etree._Element:
    """Parse a message; raises RpcError malformed-message."""
    try:
        return etree.fromstring(message, parser())
    except etree.XMLSyntaxError as exc:
        raise _malformed(f"not well-formed XML: {exc}") from None


def build_hello(capabilities: list[str], session_id: int) -> bytes:
    """The server hello."""
    hello = etree.Element(qn("hello"), nsmap={None: NC_NS})
    caps = etree.SubElement(hello, qn("capabilities"))
    for uri in capabilities:
        etree.SubElement(caps, qn("capability")).text = uri
    etree.SubElement(hello, qn("session-id")).text = str(session_id)
    return etree.tostring(hello, xml_declaration=True, encoding="UTF-8")


def parse_client_hello(message: bytes) -> list[str]:
    """Capabilities of a client hello; raises RpcError when the message is not a valid hello."""
    root = parse_xml(message)
    if root.tag != qn("hello"):
        raise _malformed("expected <hello>")
    if root.find(qn("session-id")) is not None:
        raise _malformed("a client hello carries no session-id")
    caps = [(node.text or "").strip() for node in root.iter(qn("capability"))]
    if BASE_10 not in caps and BASE_11 not in caps:
        raise _malformed("no common base capability")
    return caps


def reply_element(rpc: etree._Element | None) -> etree._Element:
    """An empty ``<rpc-reply>`` carrying every attribute of the ``<rpc>`` it answers."""
    reply = etree.Element(qn("rpc-reply"), nsmap={None: NC_NS})
    if rpc is not None:
        for name, value in rpc.attrib.items():
            reply.set(name, value)
    return reply


def ok_reply(rpc: etree._Element) -> bytes:
    """``<rpc-reply><ok/></rpc-reply>``."""
    reply = reply_element(rpc)
    etree.SubElement(reply, qn("ok"))
    return serialize(reply)


def data_reply(rpc: etree._Element, data: etree._Element) -> bytes:
    """``<rpc-reply><data>…</data></rpc-reply>`` (``data`` is a ``<data>`` element, reused)."""
    reply = reply_element(rpc)
    reply.append(data)
    return serialize(reply)


def error_reply(rpc: etree._Element | None, error: RpcError) -> bytes:
    """An ``<rpc-reply>`` holding one ``<rpc-error>`` per error."""
    reply = reply_element(rpc)
    for each in error.all_errors():
        reply.append(error_element(each))
    return serialize(reply)


def error_element(error: RpcError) -> etree._Element:
    """One ``<rpc-error>``."""
    node = etree.Element(qn("rpc-error"), nsmap={None: NC_NS})
    etree.SubElement(node, qn("error-type")).text = error.error_type
    etree.SubElement(node, qn("error-tag")).text = error.tag
    etree.SubElement(node, qn("error-severity")).text = error.severity
    if error.app_tag:
        etree.SubElement(node, qn("error-app-tag")).text = error.app_tag
    if error.path:
        path = etree.SubElement(node, qn("error-path"), nsmap=error.path_ns or None)
        path.text = error.path
    if error.message:
        message = etree.SubElement(node, qn("error-message"))
        message.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
        message.text = error.message
    if error.info:
        info = etree.SubElement(node, qn("error-info"))
        for name, value in error.info.items():
            etree.SubElement(info, qn(name)).text = value
    return node


def serialize(element: etree._Element) -> bytes:
    """Bytes of a reply, with an XML declaration."""
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8")
