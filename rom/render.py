"""Render resource specifications into device payloads: sandboxed Jinja2, StrictUndefined, escaped XML."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree

from rom.catalog import ResourceSpec
from rom.errors import RomError


@lru_cache(maxsize=8)
def _environment(root: Path) -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=FileSystemLoader(str(root)),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("xml.j2", "xml"), default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_text(root: Path, template: str, values: Mapping[str, Any]) -> str:
    try:
        return _environment(root).get_template(template).render(**values)
    except TemplateError as exc:
        raise RomError(f"template {template}: {exc}") from exc


def render_string(source: str, values: Mapping[str, Any]) -> str:
    """Render a one-line template held in a spec (e.g. the resource name); no escaping."""
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    try:
        return env.from_string(source).render(**values)
    except TemplateError as exc:
        raise RomError(f"template {source!r}: {exc}") from exc


def render_xml(root: Path, template: str, values: Mapping[str, Any]) -> etree._Element:
    """Render and parse; a template that yields malformed XML is a bug, reported as RomError."""
    text = render_text(root, template, values)
    try:
        return etree.fromstring(text.encode(), parser=etree.XMLParser(remove_blank_text=True))
    except etree.XMLSyntaxError as exc:
        raise RomError(f"template {template} rendered malformed XML: {exc}") from exc


def render_resource(
    root: Path, spec: ResourceSpec, platform: str, values: Mapping[str, Any]
) -> tuple[etree._Element, etree._Element]:
    """The `<config>` payload and the `<filter>` that reads it back, for one resource on one platform."""
    binding = spec.binding(platform)
    template_dir = root / spec.id
    return render_xml(template_dir, binding.template, values), render_xml(
        template_dir, binding.filter, values
    )
