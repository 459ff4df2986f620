"""The console's pure parts: the topology picture from the repo's lab files, and where a login may
send a browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from api.console import session
from api.console.session import safe_next
from api.console.topology import MAX_ROWS, Node, draw, layout, nodes_and_links, read_labs

REPO = Path(__file__).resolve().parents[2]


def test_the_5g_lab_file_is_read_with_roles_and_links() -> None:
    labs = {lab.name: lab for lab in read_labs(REPO / "topologies")}
    five_g = labs["rom-5g-slice"]
    assert five_g.roles["gnb1"] == "gnb" and five_g.roles["upf1"] == "upf"
    assert ("gnb1", "pe1") in five_g.links and ("pe2", "upf1") in five_g.links


def test_lab_nodes_come_with_the_inventory_and_unknown_ones_are_absent() -> None:
    labs = read_labs(REPO / "topologies")
    devices = {"pe1": ("pe", "lab:rom-l3vpn"), "pe2": ("pe", "lab:rom-l3vpn"), "r9": ("", "file:x.csv")}
    nodes, links = nodes_and_links(labs, devices, {"pe1": "alarm"}, {"pe1": 3})
    by_name = {n.name: n for n in nodes}
    assert by_name["pe1"] == Node("pe1", "pe", "alarm", 3, "rom-l3vpn")
    assert by_name["p1"].state == "absent"  # in the lab file, not (yet) in the inventory
    assert by_name["r9"].group == "inventory"
    assert sorted(links) == [("p1", "pe2"), ("pe1", "p1")]
    assert "gnb1" not in by_name  # a lab none of whose devices is in the inventory is left out


def test_layout_follows_the_links_and_wraps_tall_columns() -> None:
    chain = [Node(n, "pe", "ok", 0, "lab") for n in ("a", "b", "c")]
    where = layout(chain, [("a", "b"), ("b", "c")])
    assert where["a"][0] < where["b"][0] < where["c"][0] and where["a"][1] == where["c"][1]
    loose = [Node(f"r{i}", "", "ok", 0, "inventory") for i in range(MAX_ROWS + 1)]
    spots = layout(loose, [])
    assert len({x for x, _ in spots.values()}) == 2 and len(set(spots.values())) == MAX_ROWS + 1


def test_the_svg_is_well_formed_and_escapes_names() -> None:
    nodes = [Node('x"><script>', "pe", "ok", 1, "inventory"), Node("y", "p", "unknown", 0, "inventory")]
    svg = draw(nodes, [])
    root = etree.fromstring(svg.encode())
    assert "<script>" not in svg
    titles = root.findall(".//{http://www.w3.org/2000/svg}title")
    assert titles[0].text == "Topology: 2 devices, 0 links"
    assert re.search(r'class="node state-unknown role-p"', svg)


def test_login_only_returns_to_console_paths() -> None:
    assert safe_next("/console/drift?device=pe1") == "/console/drift?device=pe1"
    for elsewhere in ("https://elsewhere.example/", "//elsewhere.example/console/", "/admin/audit", None, ""):
        assert safe_next(elsewhere) == "/console/orders"


def test_sessions_are_bounded_and_closed_ones_are_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session, "MAX_SESSIONS", 3)
    store = session.Sessions()
    opened = [store.open(f"token-{i}")[0] for i in range(4)]
    assert store.get(opened[0]) is None  # the oldest made room
    assert [store.get(sid).token for sid in opened[1:]] == ["token-1", "token-2", "token-3"]  # type: ignore[union-attr]
    store.close(opened[3])
    assert store.get(opened[3]) is None and store.get(None) is None
