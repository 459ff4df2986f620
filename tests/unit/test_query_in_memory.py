"""TMF630 list rules over documents in memory (core.query.page_docs) and dotted attribute names."""

from __future__ import annotations

import pytest

from core.errors import InvalidRequest
from core.query import Column, PageRequest, page_docs, parse_filters
from inventory.alarms import COLUMNS as ALARM_COLUMNS

DOCS = [
    {"id": str(n), "href": f"/x/{n}", "name": f"n{n}", "category": "a" if n % 2 else "b"} for n in range(5)
]


def test_filters_sort_paging_and_fields() -> None:
    found, total = page_docs(DOCS, ("id", "category"), "id", PageRequest((("category", "a"),), fields="name"))
    assert total == 2 and found == [
        {"id": "1", "href": "/x/1", "name": "n1"},
        {"id": "3", "href": "/x/3", "name": "n3"},
    ]
    found, total = page_docs(DOCS, ("id",), "id", PageRequest(offset=1, limit=2, sort="-id"))
    assert [d["id"] for d in found] == ["3", "2"] and total == 5
    found, _ = page_docs(DOCS, ("id",), "id", PageRequest((("id", "0,4"),)))
    assert [d["id"] for d in found] == ["0", "4"]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [((("colour", "red"),), "cannot filter"), ((("id.gte", "1"),), "unknown operator")],
)
def test_refusals(params: tuple[tuple[str, str], ...], fragment: str) -> None:
    with pytest.raises(InvalidRequest, match=fragment):
        page_docs(DOCS, ("id",), "id", PageRequest(params))


def test_a_dotted_attribute_is_a_name_and_an_operator_follows_it() -> None:
    columns: dict[str, Column] = dict(ALARM_COLUMNS)
    (by_object,) = parse_filters([("alarmedObject.id", "device-pe1")], columns)
    assert (by_object.name, by_object.op) == ("alarmedObject.id", "eq")
    (since,) = parse_filters([("alarmRaisedTime.gte", "2026-01-01T00:00:00Z")], columns)
    assert (since.name, since.op) == ("alarmRaisedTime", "gte")
    with pytest.raises(InvalidRequest, match="cannot filter on 'alarmedObject'"):
        parse_filters([("alarmedObject.name", "x")], columns)
