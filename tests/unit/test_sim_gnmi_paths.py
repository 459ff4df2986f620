"""gNMI path text syntax, origins/prefixes and their mapping onto a router's datastore tree."""

from __future__ import annotations

import grpc
import pytest
from lxml import etree
from pygnmi.create_gnmi_path import gnmi_path_generator
from pygnmi.spec.v080 import gnmi_pb2

from sims.gnmi.modules import GnmiError, table_for
from sims.gnmi.paths import ensure, format_path, parse_path, path_of, resolve, steps_of
from sims.models.router import IF, ROUTER

MODULES = table_for(ROUTER)


def _tree() -> etree._Element:
    return ROUTER.initial_config("r1")


def test_parse_keys_with_slashes_escapes_and_origin() -> None:
    path = parse_path(r"openconfig:/a/b[ip=10.0.0.0/8][name=x\]y]/c")
    assert path.origin == "openconfig"
    assert [e.name for e in path.elem] == ["a", "b", "c"]
    assert dict(path.elem[1].key) == {"ip": "10.0.0.0/8", "name": "x]y"}
    assert format_path(path) == r"openconfig:/a/b[ip=10.0.0.0/8][name=x\]y]/c"


def test_parse_keeps_module_qualified_first_element() -> None:
    path = parse_path("/openconfig-interfaces:interfaces/interface[name=Ethernet1]")
    assert path.origin == ""
    assert path.elem[0].name == "openconfig-interfaces:interfaces"


@pytest.mark.parametrize("text", ["/a/b[name=x", "/a/b]x", "/a/b[=x]", "/a/b[name]", "/a//[k=v]"])
def test_bad_syntax_is_invalid_argument(text: str) -> None:
    with pytest.raises(GnmiError) as caught:
        parse_path(text)
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize(
    "prefix, path",
    [
        ("", "/interfaces/interface[name=Ethernet2]/config/enabled"),
        ("", "openconfig:/interfaces/interface[name=Ethernet2]/config/enabled"),
        ("", "/openconfig-interfaces:interfaces/interface[name=Ethernet2]/config/enabled"),
        ("/interfaces", "/interface[name=Ethernet2]/config/enabled"),
    ],
)
def test_equivalent_spellings_resolve_to_the_same_leaf(prefix: str, path: str) -> None:
    steps = steps_of(parse_path(prefix) if prefix else None, parse_path(path), MODULES)
    (leaf,) = resolve(_tree(), steps)
    assert leaf.tag == f"{{{IF}}}enabled"
    assert leaf.getparent().getparent().findtext(f"{{{IF}}}name") == "Ethernet2"  # type: ignore[union-attr]


def test_pygnmi_module_origin_names_the_first_module() -> None:
    path = gnmi_path_generator("openconfig-interfaces:interfaces/interface[name=Ethernet3]")
    assert path.origin == "openconfig-interfaces"
    steps = steps_of(None, path, MODULES)
    assert steps[0].namespace == IF
    assert len(resolve(_tree(), steps)) == 1


def test_wrong_module_or_origin_is_rejected_or_matches_nothing() -> None:
    with pytest.raises(GnmiError):
        steps_of(None, parse_path("/no-such-module:interfaces"), MODULES)
    with pytest.raises(GnmiError):
        steps_of(None, parse_path("bogus:/interfaces"), MODULES)
    steps = steps_of(None, parse_path("/openconfig-system:interfaces"), MODULES)
    assert resolve(_tree(), steps) == []


def test_wildcards_match_every_entry() -> None:
    steps = steps_of(None, parse_path("/interfaces/interface[name=*]/config/name"), MODULES)
    assert [leaf.text for leaf in resolve(_tree(), steps)] == [
        "Ethernet1",
        "Ethernet2",
        "Ethernet3",
        "Ethernet4",
    ]
    with pytest.raises(GnmiError) as caught:
        steps_of(None, parse_path("/interfaces/.../name"), MODULES)
    assert caught.value.code == grpc.StatusCode.UNIMPLEMENTED


def test_identity_keys_match_without_prefix() -> None:
    tree = _tree()
    steps = steps_of(
        None, parse_path("/network-instances/network-instance[name=default]/config/type"), MODULES
    )
    (leaf,) = resolve(tree, steps)
    assert leaf.text == "oc-ni-types:DEFAULT_INSTANCE"


def test_path_of_round_trips_through_resolve() -> None:
    tree = _tree()
    (leaf,) = resolve(
        tree, steps_of(None, parse_path("/interfaces/interface[name=Ethernet4]/config/type"), MODULES)
    )
    path = path_of(leaf, ROUTER.schema)
    assert format_path(path) == "/interfaces/interface[name=Ethernet4]/config/type"
    assert resolve(tree, steps_of(None, path, MODULES)) == [leaf]


def test_ensure_creates_list_entries_with_keys_first() -> None:
    tree = _tree()
    steps = steps_of(None, parse_path("/interfaces/interface[name=Loopback0]/config"), MODULES)
    config = ensure(tree, steps, ROUTER.schema)
    entry = config.getparent()
    assert entry is not None and entry[0].tag == f"{{{IF}}}name" and entry[0].text == "Loopback0"
    with pytest.raises(GnmiError):
        ensure(tree, steps_of(None, parse_path("/interfaces/interface/config"), MODULES), ROUTER.schema)
    with pytest.raises(GnmiError):
        ensure(tree, steps_of(None, parse_path("/interfaces/interface[name=*]"), MODULES), ROUTER.schema)
    with pytest.raises(GnmiError):
        ensure(tree, steps_of(None, parse_path("/nothing-like-this/x"), MODULES), ROUTER.schema)


def test_legacy_string_elements_are_accepted() -> None:
    path = gnmi_pb2.Path(element=["interfaces", "interface[name=Ethernet1]", "config"])
    assert len(resolve(_tree(), steps_of(None, path, MODULES))) == 1
