"""Swagger formats checked at intake (core/tmf_formats.py)."""

from __future__ import annotations

import pytest

from core.tmf_formats import misformatted


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"@schemaLocation": ""}, "@schemaLocation"),
        ({"@schemaLocation": "no scheme"}, "@schemaLocation"),
        ({"a": [{"@schemaLocation": "http://x/ y"}]}, "a[0].@schemaLocation"),
        ({"note": [{"date": "2026-01-01"}]}, "note[0].date"),
        ({"requestedCompletionDate": "2026-01-01T00:00:00"}, "requestedCompletionDate"),
        ({"requestedStartDate": "2026-13-01T00:00:00Z"}, "requestedStartDate"),
    ],
)
def test_misformatted_values_are_named(body: dict[str, object], where: str) -> None:
    found = misformatted(body)
    assert found is not None and found[0] == where


@pytest.mark.parametrize(
    "body",
    [
        {"@schemaLocation": "https://example.com/s.json#/x?y=%20"},
        {"requestedStartDate": "2026-01-01T00:00:00.123+02:00", "note": [{"date": "2026-01-01T00:00:00Z"}]},
        {"resourceCharacteristic": [{"name": "d", "value": {"date": "anything"}}]},
        {"requestedStartDate": None},
    ],
)
def test_well_formed_values_pass(body: dict[str, object]) -> None:
    assert misformatted(body) is None
