"""Rendezvous hashing of devices over collectors (telemetry.cluster, pure parts)."""

from __future__ import annotations

from telemetry.cluster import mine, owner

DEVICES = [f"pe{i}" for i in range(1000)]


def test_every_device_has_exactly_one_owner() -> None:
    members = ["a", "b", "c"]
    shares = [mine(DEVICES, m, members) for m in members]
    assert sum(len(s) for s in shares) == len(DEVICES)
    assert set().union(*shares) == set(DEVICES)
    assert all(250 < len(s) < 420 for s in shares), [len(s) for s in shares]  # about a third each


def test_the_split_does_not_depend_on_the_order_of_members() -> None:
    assert all(owner(d, ["a", "b", "c"]) == owner(d, ["c", "a", "b"]) for d in DEVICES)


def test_only_the_leavers_devices_move() -> None:
    before = {d: owner(d, ["a", "b", "c"]) for d in DEVICES}
    after = {d: owner(d, ["a", "c"]) for d in DEVICES}
    moved = {d for d in DEVICES if before[d] != after[d]}
    assert moved == {d for d in DEVICES if before[d] == "b"}


def test_a_joiner_takes_devices_only_for_itself() -> None:
    before = {d: owner(d, ["a", "b"]) for d in DEVICES}
    after = {d: owner(d, ["a", "b", "n"]) for d in DEVICES}
    assert {after[d] for d in DEVICES if before[d] != after[d]} == {"n"}


def test_a_member_counts_itself_live() -> None:
    assert mine(DEVICES, "solo", []) == set(DEVICES)
