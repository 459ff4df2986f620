"""The resourceStatus lifecycle (inventory.tmf639.STATUS_CHANGES) and the reconciliation beside it."""

from __future__ import annotations

import itertools

import pytest

from core.errors import Unprocessable
from drift.monitor import MARKED
from inventory.tmf639 import STATES, STATUS_CHANGES, check_status_change


def test_every_status_has_its_row_and_leads_only_to_statuses() -> None:
    assert set(STATUS_CHANGES) == set(STATES["resourceStatus"][1])
    for source, (targets, why) in STATUS_CHANGES.items():
        assert targets <= set(STATUS_CHANGES) and source not in targets
        assert why or targets == set(STATUS_CHANGES) - {source}  # a refusal always has its reason


def test_reconciliation_only_makes_changes_the_lifecycle_allows() -> None:
    for before, after in itertools.permutations(MARKED, 2):
        check_status_change(before, after)


def test_suspended_is_left_only_by_releasing_it() -> None:
    check_status_change("suspended", "suspended")
    check_status_change("suspended", "available")
    for other in set(STATUS_CHANGES) - {"suspended", "available"}:
        with pytest.raises(
            Unprocessable, match=f"from suspended to {other}: .*\\(from suspended: available\\)"
        ):
            check_status_change("suspended", other)


def test_values_outside_the_enumeration_are_left_to_the_state_check() -> None:
    check_status_change("suspended", "sleeping")
    check_status_change(None, "alarm")
