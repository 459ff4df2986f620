"""The known_hosts cache and index answer as paramiko's own HostKeys does."""

from __future__ import annotations

import os
from pathlib import Path

import paramiko
from paramiko.hostkeys import HostKeys

from drivers.host_keys import known_hosts_line, load_known_hosts


def _key() -> paramiko.PKey:
    return paramiko.ECDSAKey.generate()


def test_lookups_match_paramiko(tmp_path: Path) -> None:
    keys = [_key() for _ in range(4)]
    hashed = HostKeys.hash_host("[10.0.0.9]:830")
    lines = [
        known_hosts_line("10.0.0.1", 830, f"{keys[0].get_name()} {keys[0].get_base64()}"),
        known_hosts_line("10.0.0.2", 22, f"{keys[1].get_name()} {keys[1].get_base64()}"),
        f"{hashed} {keys[2].get_name()} {keys[2].get_base64()}",
        f"10.0.0.3,[10.0.0.3]:830 {keys[3].get_name()} {keys[3].get_base64()}",
    ]
    path = tmp_path / "known_hosts"
    path.write_text("\n".join(lines) + "\n")
    ours, theirs = load_known_hosts(path), HostKeys(str(path))
    for name in ("[10.0.0.1]:830", "10.0.0.2", "[10.0.0.9]:830", "10.0.0.3", "[10.0.0.3]:830", "10.0.0.7"):
        mine, reference = ours.lookup(name), theirs.lookup(name)
        assert (mine is None) == (reference is None), name
        if mine is not None:
            assert {k: v.asbytes() for k, v in mine.items()} == {k: v.asbytes() for k, v in reference.items()}
    assert sorted(ours.keys()) == sorted(theirs.keys())
    assert len(ours) == len(theirs)
    assert ours.check("[10.0.0.1]:830", keys[0]) and not ours.check("[10.0.0.1]:830", keys[1])


def test_the_cache_follows_the_file(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    first, second = _key(), _key()
    path.write_text(known_hosts_line("10.0.0.1", 830, f"{first.get_name()} {first.get_base64()}") + "\n")
    assert load_known_hosts(path) is load_known_hosts(path)  # parsed once
    with path.open("a") as handle:
        handle.write(known_hosts_line("10.0.0.2", 830, f"{second.get_name()} {second.get_base64()}") + "\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1))
    assert load_known_hosts(path).lookup("[10.0.0.2]:830") is not None
    assert load_known_hosts(tmp_path / "missing").lookup("[10.0.0.2]:830") is None


def test_writes_through_a_lookup_do_not_reach_the_cache(tmp_path: Path) -> None:
    bare, ported = _key(), paramiko.ECDSAKey.generate()
    path = tmp_path / "known_hosts"
    lines = [f"10.0.0.1 {bare.get_name()} {bare.get_base64()}"]
    lines.append(f"[10.0.0.1]:830 {ported.get_name()} {ported.get_base64()}")
    path.write_text("\n".join(lines) + "\n")
    found = load_known_hosts(path).lookup("10.0.0.1")
    found.update(load_known_hosts(path).lookup("[10.0.0.1]:830"))  # what ncclient's connect does
    assert load_known_hosts(path).check("10.0.0.1", bare)
