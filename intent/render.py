"""Render resource specifications into device payloads: sandboxed Jinja2, StrictUndefined, and
values escaped for the target encoding.

- `.xml.j2` (NETCONF): XML autoescape, so a value can never open or close an element.
- `.json.j2` (gNMI): every `{{ ... }}` must end in `| tojson`; any other output is refused at
  render time (the environment's `finalize` only lets `tojson`'s output through), so a value is
  always a JSON string/number/object and can never close a string or add a member. Key values
  in gNMI paths go in the list form (drivers.gnmi_payload), where they stay data. The result is
  parsed and checked as a payload document before it leaves this module.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, Template, TemplateError, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree

from core.errors import RomError
from drivers.errors import DriverError
from drivers.gnmi_payload import document_json, parse_document
from intent.catalog import PlatformBinding, ResourceSpec

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"


class UnsafeOutput(TemplateError):
    """A JSON template printed a value without `| tojson`."""


class _Json(str):
    """What `tojson` returns in JSON templates: the only output `finalize` lets through (exact
    type: concatenating it with anything yields a plain str or Markup, which is refused)."""

    def __html__(self) -> str:
        return str(self)


def _tojson(value: Any) -> _Json:
    try:
        return _Json(json.dumps(value))
    except (TypeError, ValueError) as exc:
        raise UnsafeOutput(f"not JSON-serialisable: {value!r}") from exc


def _only_tojson(value: Any) -> Any:
    if type(value) is _Json:
        return value
    raise UnsafeOutput(f"JSON templates print values only as `{{{{ value | tojson }}}}`, got {value!r}")


@lru_cache(maxsize=8)
def _environment(root: Path) -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=FileSystemLoader(str(root)),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("xml.j2", "xml"), default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=8)
def _json_environment(root: Path) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(root)),
        undefined=StrictUndefined,
        autoescape=True,  # plain strings would be HTML-escaped: finalize refuses them first
        finalize=_only_tojson,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tojson"] = _tojson
    return env


def render_text(root: Path, template: str, values: Mapping[str, Any]) -> str:
    env = _json_environment(root) if template.endswith(".json.j2") else _environment(root)
    try:
        return env.get_template(template).render(**values)
    except TemplateError as exc:
        raise RomError(f"template {template}: {exc}") from exc


def render_string(source: str, values: Mapping[str, Any]) -> str:
    """Render a one-line template held in a spec (e.g. the resource name); no escaping."""
    try:
        return _string_template(source).render(**values)
    except TemplateError as exc:
        raise RomError(f"template {source!r}: {exc}") from exc


@lru_cache(maxsize=1024)
def _string_template(source: str) -> Template:
    """Compiled once per source (a spec's few templates; compiling is most of a render)."""
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False).from_string(source)


def render_xml(root: Path, template: str, values: Mapping[str, Any]) -> etree._Element:
    """Render and parse; a template that yields malformed XML is a bug, reported as RomError."""
    text = render_text(root, template, values)
    try:
        return etree.fromstring(text.encode(), parser=etree.XMLParser(remove_blank_text=True))
    except etree.XMLSyntaxError as exc:
        raise RomError(f"template {template} rendered malformed XML: {exc}") from exc


def render_json(root: Path, template: str, values: Mapping[str, Any]) -> str:
    """Render a gNMI payload template; the canonical document (text paths, sorted keys)."""
    text = render_text(root, template, values)
    try:
        json.loads(text)
        doc = parse_document(text)
    except (ValueError, RomError, DriverError) as exc:
        raise RomError(f"template {template} rendered an invalid gNMI payload: {exc}") from exc
    return json.dumps(document_json(doc), sort_keys=True)


@dataclass(frozen=True)
class Rendered:
    """One role of one resource on one device: NETCONF `<config>` + read-back `<filter>`, or a gNMI
    payload document (whose touched paths are its read-back)."""

    protocol: str
    payload: etree._Element
    filter: etree._Element
    document: str | None = None


def _empty(tag: str) -> etree._Element:
    return etree.Element(f"{{{NC}}}{tag}", nsmap={None: NC})


def render_binding(
    root: Path, spec: ResourceSpec, binding: PlatformBinding, values: Mapping[str, Any]
) -> Rendered:
    template_dir = root / spec.id
    if binding.driver == "gnmi":
        return Rendered(
            "gnmi", _empty("config"), _empty("filter"), render_json(template_dir, binding.template, values)
        )
    assert binding.filter is not None  # PlatformBinding requires it for XML drivers
    return Rendered(
        binding.driver,
        render_xml(template_dir, binding.template, values),
        render_xml(template_dir, binding.filter, values),
    )


def render_resource(
    root: Path, spec: ResourceSpec, platform: str, values: Mapping[str, Any], role: str | None = None
) -> tuple[etree._Element, etree._Element]:
    """The `<config>` payload and the `<filter>` that reads it back, for one NETCONF resource role."""
    binding = spec.binding(platform, role)
    if binding.driver == "gnmi":
        raise RomError(f"{spec.id} on {platform} is a gNMI binding: use render_binding")
    rendered = render_binding(root, spec, binding, values)
    return rendered.payload, rendered.filter
