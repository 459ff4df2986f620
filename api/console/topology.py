"""The network as a picture: containerlab files and the inventory's devices, laid out in columns
by hop count along the links, drawn as SVG on the server (pure, no I/O but reading the files)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import yaml

COLUMN_WIDTH, ROW_HEIGHT, NODE_RADIUS, MARGIN = 150, 70, 22, 40
MAX_ROWS = 12  # a column taller than this wraps into the next


@dataclass(frozen=True)
class Node:
    name: str
    role: str
    state: str  # ok | alarm | unknown | absent (in the lab file, not in the inventory)
    resources: int
    group: str  # the lab's name, or "inventory" for devices no lab file names


@dataclass(frozen=True)
class Lab:
    name: str
    roles: dict[str, str]  # node -> role
    links: list[tuple[str, str]]


def read_labs(folder: Path) -> list[Lab]:
    """Every `*.clab.yml` in `folder`; an unreadable file is skipped (the picture is a view)."""
    labs = []
    for path in sorted(folder.glob("*.clab.yml")):
        try:
            doc = yaml.safe_load(path.read_text()) or {}
            topo = doc.get("topology") or {}
            nodes = topo.get("nodes") or {}
            roles = {
                str(n): str(((spec or {}).get("labels") or {}).get("rom.role", ""))
                for n, spec in nodes.items()
            }
            links = []
            for link in topo.get("links") or []:
                ends = [str(e).split(":", 1)[0] for e in (link or {}).get("endpoints", [])]
                if len(ends) == 2:
                    links.append((ends[0], ends[1]))
            labs.append(Lab(str(doc.get("name", path.stem)), roles, links))
        except (OSError, yaml.YAMLError, AttributeError, TypeError):
            continue
    return labs


def nodes_and_links(
    labs: Sequence[Lab],
    devices: Mapping[str, tuple[str, str]],  # inventory name -> (role, source)
    states: Mapping[str, str],
    counts: Mapping[str, int],
) -> tuple[list[Node], list[tuple[str, str]]]:
    """Lab nodes a device of that lab is (or is not yet) in the inventory for, then every other
    inventory device. Labs without any inventory device are left out."""
    nodes: dict[str, Node] = {}
    links: list[tuple[str, str]] = []
    for lab in labs:
        if not any(source == f"lab:{lab.name}" for _, source in devices.values()):
            continue
        for name, role in lab.roles.items():
            if name in nodes:
                continue
            known = name in devices
            state = states.get(name, "ok") if known else "absent"
            nodes[name] = Node(
                name, devices[name][0] if known else role, state, counts.get(name, 0), lab.name
            )
        links += [(a, b) for a, b in lab.links if a in nodes and b in nodes]
    for name, (role, _) in devices.items():
        if name not in nodes:
            nodes[name] = Node(name, role, states.get(name, "ok"), counts.get(name, 0), "inventory")
    return list(nodes.values()), links


def layout(nodes: Sequence[Node], links: Iterable[tuple[str, str]]) -> dict[str, tuple[int, int]]:
    """node -> (x, y): columns by hops from each group's first node; unlinked nodes after them."""
    near: dict[str, list[str]] = {n.name: [] for n in nodes}
    for a, b in links:
        near[a].append(b)
        near[b].append(a)
    depth: dict[str, int] = {}
    for n in nodes:
        if n.name in depth or not near[n.name]:
            continue
        depth[n.name] = 0
        queue = deque([n.name])
        while queue:
            here = queue.popleft()
            for there in near[here]:
                if there not in depth:
                    depth[there] = depth[here] + 1
                    queue.append(there)
    columns: dict[int, list[str]] = {}
    last = max(depth.values(), default=-1)
    for n in nodes:
        columns.setdefault(depth.get(n.name, last + 1), []).append(n.name)
    where: dict[str, tuple[int, int]] = {}
    x = 0
    for col in sorted(columns):
        names = columns[col]
        for start in range(0, len(names), MAX_ROWS):
            for row, name in enumerate(names[start : start + MAX_ROWS]):
                where[name] = (
                    MARGIN + x * COLUMN_WIDTH + NODE_RADIUS,
                    MARGIN + row * ROW_HEIGHT + NODE_RADIUS,
                )
            x += 1
    return where


def draw(nodes: Sequence[Node], links: Sequence[tuple[str, str]]) -> str:
    """An accessible SVG: each node a link to its device page, titled with its role and state."""
    where = layout(nodes, links)
    width = max((x for x, _ in where.values()), default=0) + NODE_RADIUS + MARGIN + 40
    height = max((y for _, y in where.values()), default=0) + NODE_RADIUS + MARGIN + 10
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="topology" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="topo-title">',
        f'<title id="topo-title">Topology: {len(nodes)} devices, {len(links)} links</title>',
    ]
    for a, b in links:
        (x1, y1), (x2, y2) = where[a], where[b]
        out.append(f'<line class="link" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"/>')
    for n in nodes:
        x, y = where[n.name]
        label = f"{n.name}: {n.role or 'no role'}, {n.state}, {n.resources} resources"
        href = quoteattr(f"/console/devices/{n.name}")
        out.append(
            f'<a href={href} class="node state-{n.state} role-{escape(n.role or "none")}" '
            f"aria-label={quoteattr(label)}><title>{escape(label)}</title>"
            f'<circle cx="{x}" cy="{y}" r="{NODE_RADIUS}"/>'
            f'<text x="{x}" y="{y + 4}" class="role">{escape((n.role or "?")[:4])}</text>'
            f'<text x="{x}" y="{y + NODE_RADIUS + 14}" class="name">{escape(n.name)}</text>'
            + (
                f'<text x="{x + NODE_RADIUS}" y="{y - NODE_RADIUS + 6}" class="count">{n.resources}</text>'
                if n.resources
                else ""
            )
            + "</a>"
        )
    out.append("</svg>")
    return "".join(out)
