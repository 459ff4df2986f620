"""drivers.gnmi_payload: ROM's gNMI payload document, paths, restore and diff (pure)."""

from __future__ import annotations

import json

import pytest
from pygnmi.spec.v080 import gnmi_pb2

from drivers._gnmi_session import error_info
from drivers.errors import InvalidInput
from drivers.gnmi_payload import (
    PreImage,
    format_path,
    missing_or_changed,
    parse_document,
    parse_path,
    path_from_json,
    restore_request,
    set_request,
    unified_json_diff,
    would_be,
)

QUEUE = ["openconfig-qos:qos", "interfaces", {"interface": {"interface-id": "Ethernet1"}}]


def test_list_form_keys_are_data_not_syntax() -> None:
    path = path_from_json([{"interface": {"name": "e1/1]/evil[x=y"}}, "config"])
    assert [e.name for e in path.elem] == ["interface", "config"]
    assert dict(path.elem[0].key) == {"name": "e1/1]/evil[x=y"}
    assert parse_path(format_path(path)) == path  # the text form escapes and reads back


def test_text_paths_with_origin_and_escapes() -> None:
    path = parse_path(r"openconfig:/a/b[k=v\]w][j=1]/c")
    assert path.origin == "openconfig" and [e.name for e in path.elem] == ["a", "b", "c"]
    assert dict(path.elem[1].key) == {"k": "v]w", "j": "1"}
    with pytest.raises(InvalidInput, match="unterminated"):
        parse_path("/a/b[k=v")


@pytest.mark.parametrize(
    "text",
    ['{"update": [{"path": "/a"}]}', '{"merge": []}', "[]", '{"update": []}', "{not json"],
)
def test_malformed_documents_are_invalid_requests(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_document(text)


def test_set_request_keeps_operations_and_encoding() -> None:
    doc = parse_document(
        json.dumps(
            {
                "delete": ["/x"],
                "replace": [{"path": QUEUE, "value": {"a": 1}}],
                "update": [{"path": "/y", "value": 2}],
            }
        )
    )
    req = set_request(doc, json_ietf=True)
    assert [format_path(p) for p in req.delete] == ["/x"]
    assert json.loads(req.replace[0].val.json_ietf_val) == {"a": 1}
    assert req.update[0].val.WhichOneof("value") == "json_ietf_val"
    assert set_request(doc, json_ietf=False).update[0].val.WhichOneof("value") == "json_val"
    assert [format_path(p) for p in doc.touched()] == [
        "/x",
        "/openconfig-qos:qos/interfaces/interface[interface-id=Ethernet1]",
        "/y",
    ]


def test_restore_deletes_what_was_created_and_replaces_the_rest() -> None:
    pre = PreImage(((parse_path("/a/b"), {"c": 1}),), (parse_path("/qos"),))
    req = restore_request(pre)
    assert [format_path(p) for p in req.delete] == ["/qos"]
    assert format_path(req.replace[0].path) == "/a/b" and json.loads(req.replace[0].val.json_ietf_val) == {
        "c": 1
    }
    assert not req.update


def test_dry_run_diff_of_update_replace_and_delete() -> None:
    doc = parse_document(
        json.dumps(
            {
                "update": [{"path": "/a", "value": {"x": 2}}],
                "delete": ["/gone"],
                "replace": [{"path": "/n", "value": 1}],
            }
        )
    )
    before = {"/a": {"x": 1, "y": 1}, "/gone": {"z": 1}, "/n": None}
    after = would_be(doc, before)
    assert after == {"/a": {"x": 2, "y": 1}, "/gone": None, "/n": 1}
    diff = unified_json_diff(before, after)
    assert '-  "x": 1,' in diff and '+  "x": 2,' in diff and "--- a/gone" in diff and "+1" in diff
    assert unified_json_diff(after, after) == ""


def test_the_diffs_pretty_print_is_jsons_indent_2_sorted() -> None:
    """The audit trail stores these lines: they stay json.dumps(indent=2, sort_keys=True)'s."""
    values = [
        {
            "b": [1, 2.5, {"x": None, "y": True, "é": 'ü\n"q'}],
            "a": {},
            "c": [],
            "d": {"z": {"k": [[], [{}]]}},
        },
        {"o": {1: "x", 2: {"a": -0.0}}, "t": ("t", 10**30)},
        "s",
        1e300,
    ]
    for value in values:
        expected = json.dumps({"/p": value}["/p"], indent=2, sort_keys=True).splitlines(keepends=True)
        diff = unified_json_diff({}, {"/p": value})
        assert diff.splitlines(keepends=True)[3:] == ["+" + line for line in expected[:-1]] + [
            "+" + expected[-1] + "\n"
        ]


def test_read_back_compare_ignores_prefixes_and_number_encoding() -> None:
    intended = {"openconfig-qos:interface-id": "E1", "queue": [{"name": "q", "cir": "1000"}], "t": "mod:ID"}
    actual = {
        "interface-id": "E1",
        "queue": [{"name": "other"}, {"name": "q", "cir": 1000}],
        "t": "ID",
        "x": 1,
    }
    assert list(missing_or_changed(intended, actual)) == []
    actual["queue"] = [{"name": "q", "cir": 5}]
    assert list(missing_or_changed(intended, actual)) == [("missing", "/queue[0]")]
    assert list(missing_or_changed({"a": 1}, {"a": 2})) == [("changed", "/a")]


def test_grpc_status_maps_to_rpc_error_fields() -> None:
    import grpc

    info = error_info(
        grpc.StatusCode.INVALID_ARGUMENT, "/interfaces/interface[name=E1]/mtu: '9' is out of range"
    )
    assert (info.tag, info.path, info.message) == (
        "invalid-value",
        "/interfaces/interface[name=E1]/mtu",
        "'9' is out of range",
    )
    assert info.info == {"grpc-status": "INVALID_ARGUMENT", "grpc-code": "3"}
    assert error_info(grpc.StatusCode.ABORTED, "cell 1: sum > 100").tag == "operation-failed"
    assert error_info(grpc.StatusCode.UNAUTHENTICATED, "bad password").type == "protocol"
    assert gnmi_pb2.Encoding.JSON_IETF == 4
