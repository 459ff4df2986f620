"""Normalised telemetry events: gnmic-style grouping by keys, and bad telemetry dropped with a reason."""

from __future__ import annotations

import json

from pygnmi.spec.v080 import gnmi_pb2

from telemetry.events import Bad, Event, Source, as_number, matches, normalise, split_path
from telemetry.subscriptions import to_path

SOURCE = Source("pe1", "base", ("interfaces/interface/state",), resource="r-1")


def _update(path: str, **value: object) -> gnmi_pb2.Update:
    return gnmi_pb2.Update(path=to_path(path), val=gnmi_pb2.TypedValue(**value))


def _notification(*updates: gnmi_pb2.Update, deletes: tuple[str, ...] = ()) -> gnmi_pb2.Notification:
    return gnmi_pb2.Notification(
        timestamp=1_700_000_000_000_000_000, update=list(updates), delete=[to_path(d) for d in deletes]
    )


def test_updates_group_by_keys_into_gnmic_style_events() -> None:
    note = _notification(
        _update("interfaces/interface[name=Ethernet1]/state/counters/in-octets", json_ietf_val=b'"40906"'),
        _update("interfaces/interface[name=Ethernet1]/state/oper-status", string_val="UP"),
        _update("interfaces/interface[name=Ethernet2]/state/counters/in-octets", uint_val=7),
        deletes=("interfaces/interface[name=Ethernet3]/state/oper-status",),
    )
    events, bad = normalise(note, SOURCE)
    assert bad == []
    assert [e.to_dict() for e in events] == [
        {
            "name": "base",
            "timestamp": 1_700_000_000_000_000_000,
            "device": "pe1",
            "resource": "r-1",
            "tags": {"source": "pe1", "subscription-name": "base", "resource": "r-1", "interface_name": name},
            "values": values,
            **({"deletes": ["/interfaces/interface/state/oper-status"]} if name == "Ethernet3" else {}),
        }
        for name, values in (
            (
                "Ethernet1",
                {
                    "/interfaces/interface/state/counters/in-octets": "40906",
                    "/interfaces/interface/state/oper-status": "UP",
                },
            ),
            ("Ethernet2", {"/interfaces/interface/state/counters/in-octets": 7}),
            ("Ethernet3", {}),
        )
    ]
    assert sum(e.updates for e in events) == 4
    assert Event.from_dict(json.loads(events[0].to_json())) == events[0]


def test_a_repeated_path_opens_a_new_event_so_no_update_is_lost() -> None:
    source = Source("upf1", "s", ("*/kpis",))
    note = _notification(
        _update("UPFFunction[id=u]/kpis/slice/latency", json_ietf_val=b'"1.00"'),
        _update("UPFFunction[id=u]/kpis/slice/latency", json_ietf_val=b'"2.00"'),
    )
    events, bad = normalise(note, source)
    assert [e.values for e in events] == [
        {"/UPFFunction/kpis/slice/latency": "1.00"},
        {"/UPFFunction/kpis/slice/latency": "2.00"},
    ]
    assert bad == []


def test_bad_telemetry_is_dropped_with_a_reason() -> None:
    note = _notification(
        _update("system/state/hostname", string_val="x"),  # not subscribed
        _update("interfaces/interface[name=E1]/state/description", json_ietf_val=b"{not json"),
        _update("interfaces/interface[name=E1]/state/counters", json_ietf_val=b'{"in-octets": 1}'),
        _update("interfaces/interface[name=E1]/state/x", any_val={}),
        _update("interfaces/interface[name=E1]/state/oper-status", string_val="UP"),
    )
    events, bad = normalise(note, SOURCE)
    assert bad == [Bad("bad-value", 3), Bad("unknown-path", 1)]
    assert [e.values for e in events] == [{"/interfaces/interface/state/oper-status": "UP"}]


def test_oversized_notifications_are_dropped_whole() -> None:
    note = _notification(*[_update(f"interfaces/interface[name=E{i}]/state/x", uint_val=i) for i in range(5)])
    assert normalise(note, SOURCE, max_updates=4) == ([], [Bad("oversized", 5)])


def test_paths_and_matching() -> None:
    assert split_path("/a/b[k=v][x=1/2]/oc-if:c") == [("a", {}), ("b", {"k": "v", "x": "1/2"}), ("c", {})]
    pattern = split_path("interfaces/interface[name=*]/state")
    assert matches(pattern, split_path("interfaces/interface[name=E1]/state/counters/in-octets"))
    assert not matches(pattern, split_path("interfaces/interface[name=E1]/config"))
    assert matches(split_path("*/kpis"), split_path("UPFFunction[id=u]/kpis/sessionCount"))
    assert not matches(split_path("x[name=E2]"), split_path("x[name=E1]/y"))


def test_as_number() -> None:
    assert [as_number(v) for v in ("1.50", 3, 2.5, True, "UP", None)] == [1.5, 3.0, 2.5, None, None, None]
