"""Properties of the pure drift core (hypothesis): a rendered intent has no drift against itself,
fingerprints ignore sibling order, and remediation (the intent applied onto any device state
around it, replace on the resource's own entries) always converges to in-sync."""

from __future__ import annotations

import copy
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from intent.catalog import Catalog
from intent.fingerprint import actual_fingerprint
from intent.render import render_resource
from intent.tree import apply_edit, compare, mark_replace
from sims.subtree import filter_tree

CATALOG = Catalog.load()
NC_DATA = "{urn:ietf:params:xml:ns:netconf:base:1.0}data"

values_strategy = st.fixed_dictionaries(
    {
        "device": st.just("pe1"),
        "vrfName": st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,8}", fullmatch=True),
        "routeDistinguisher": st.builds(lambda a, b: f"{a}:{b}", st.integers(1, 65535), st.integers(0, 9999)),
        "interface": st.sampled_from(["Ethernet1", "Ethernet2", "ge-0/0/1"]),
        "vlanId": st.integers(1, 4094),
        "ipv4Address": st.ip_addresses(v=4).map(str),
        "prefixLength": st.integers(1, 32),
        "description": st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20),
    }
)


def intended(values: dict[str, Any]) -> tuple[etree._Element, etree._Element]:
    return render_resource(CATALOG.root, CATALOG.get("l3vpn-endpoint"), "rom-router", values)


def as_data(config: etree._Element) -> etree._Element:
    data = etree.Element(NC_DATA)
    for child in config:
        data.append(copy.deepcopy(child))
    return data


def perturb(tree: etree._Element, seed: int, edits: int) -> etree._Element:
    """Out-of-band changes: leaves changed, elements deleted, unexpected leaves added."""
    out = copy.deepcopy(tree)
    rng = random.Random(seed)
    for _ in range(edits):
        nodes = [n for n in out.iter() if n is not out and n.getparent() is not None]
        if not nodes:
            break
        node = rng.choice(nodes)
        action = rng.randrange(3)
        if action == 0 and not len(node):
            node.text = f"oob{rng.randrange(1000)}"
        elif action == 1:
            parent = node.getparent()
            assert parent is not None
            parent.remove(node)
        else:
            etree.SubElement(
                node if len(node) else node.getparent(), f"{{{etree.QName(node).namespace}}}extra"
            ).text = "x"
    return out


@settings(max_examples=60, deadline=None)
@given(values_strategy)
def test_no_drift_against_itself(values: dict[str, Any]) -> None:
    payload, flt = intended(values)
    assert compare(payload, as_data(payload), flt) == []
    assert compare(payload, filter_tree(as_data(payload), flt), flt) == []


@settings(max_examples=60, deadline=None)
@given(values_strategy, st.randoms(use_true_random=False))
def test_fingerprint_ignores_sibling_order(values: dict[str, Any], rng: random.Random) -> None:
    payload, _ = intended(values)
    data = as_data(payload)
    shuffled = copy.deepcopy(data)
    for node in shuffled.iter():
        children = list(node)
        rng.shuffle(children)
        node[:] = children
    assert actual_fingerprint(shuffled) == actual_fingerprint(data)


@settings(max_examples=150, deadline=None)
@given(values_strategy, st.integers(0, 2**32), st.integers(0, 6))
def test_remediation_converges(values: dict[str, Any], seed: int, edits: int) -> None:
    payload, flt = intended(values)
    running = perturb(as_data(payload), seed, edits)
    after = apply_edit(running, mark_replace(payload, flt), flt)
    assert compare(payload, filter_tree(after, flt), flt) == []


def test_perturbation_is_seen_before_remediation() -> None:
    """The property above is not vacuous: the same perturbations do show up as drift."""
    values = {
        "device": "pe1",
        "vrfName": "A",
        "routeDistinguisher": "65000:1",
        "interface": "Ethernet2",
        "vlanId": 100,
        "ipv4Address": "10.0.0.1",
        "prefixLength": 31,
        "description": "",
    }
    payload, flt = intended(values)
    drifted = [
        s for s in range(50) if compare(payload, filter_tree(perturb(as_data(payload), s, 3), flt), flt)
    ]
    assert len(drifted) > 40
