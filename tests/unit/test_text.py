"""Text a device can carry (core/text.py): what intake refuses, and how stored text reads back."""

from __future__ import annotations

import json

import pytest

from core.text import loads, readable, uncarryable


@pytest.mark.parametrize(
    ("value", "where", "why"),
    [
        ("\udc80", "body", "lone surrogate (U+DC80)"),
        ({"a": [{"b": "x\x00"}]}, "a[0].b", "NUL"),
        ({"a": {"b": "\x1b"}}, "a.b", "control character (U+001B)"),
        ([1, "\ufffe"], "[1]", "non-character (U+FFFE)"),
        ({"ok": "fine", "k\x07": 1}, "body (attribute name 'k\\x07')", "U+0007"),
    ],
)
def test_uncarryable_names_the_field(value: object, where: str, why: str) -> None:
    found = uncarryable(value)
    assert found is not None and found[0] == where and why in found[1]


@pytest.mark.parametrize("value", ["tab\tnl\ncr\r", "😀\u202e", "\u00a0€", {"a": [1, None, True, 2.5]}, ""])
def test_carryable_text_passes(value: object) -> None:
    assert uncarryable(value) is None


def test_readable_replaces_only_lone_surrogates() -> None:
    assert readable({"a\udc80": ["x\ud800y", "😀", 3]}) == {"a\ufffd": ["x\ufffdy", "😀", 3]}


def test_loads_reads_stored_escapes_back_as_encodable_text() -> None:
    stored = json.dumps({"d": "\udc80", "e": "\ud83d\ude00", "n": "\x00"})
    value = loads(stored)
    assert value == {"d": "\ufffd", "e": "😀", "n": "\x00"}
    json.dumps(value, ensure_ascii=False).encode()  # no UnicodeEncodeError
    assert loads(b'{"a": 1}') == {"a": 1}
