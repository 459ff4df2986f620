"""The pure parts of `inventory.pool_sync`: a UPF's stated capacity, merged over a pool's."""

from __future__ import annotations

from lxml import etree

from inventory.pool_defs import Pool
from inventory.pool_sync import EXT, ME, UPF, merged, upf_capacity


def data(*functions: str) -> etree._Element:
    body = "".join(
        f"<UPFFunction xmlns='{UPF}'><id>u{i}</id>{f}</UPFFunction>" for i, f in enumerate(functions)
    )
    body = f"<ManagedElement xmlns='{ME}'><id>c1</id>{body}</ManagedElement>"
    return etree.fromstring(f"<data xmlns='urn:ietf:params:xml:ns:netconf:base:1.0'>{body}</data>")


def test_upf_capacity_sums_the_functions_and_skips_what_is_not_a_number() -> None:
    sessions = f"<attributes><maxSessions xmlns='{EXT}'>{{}}</maxSessions></attributes>"
    assert upf_capacity(data(sessions.format(700))) == 700
    assert upf_capacity(data(sessions.format(700), sessions.format(" 300 "))) == 1000
    assert upf_capacity(data(sessions.format("lots"), "<attributes/>")) is None
    assert upf_capacity(data()) is None  # an SMF or AMF answers with nothing


def test_merged_keeps_other_scopes_and_overrides_the_read_ones() -> None:
    pool = Pool("upf-sessions", "capacity", {"capacity": 10, "capacities": {"upf1": 5, "upf2": 7}})
    assert merged(pool, {"upf2": 9, "upf3": 1}) == {
        "capacity": 10,
        "capacities": {"upf1": 5, "upf2": 9, "upf3": 1},
    }
    assert merged(Pool("p", "capacity", {"capacity": 1}), {}) == {"capacity": 1, "capacities": {}}
