from __future__ import annotations

import pytest

from core.errors import InvalidRequest
from core.order_states import ORDER_STATES, TERMINAL_STATES, can_transition, check_transition


def test_happy_path() -> None:
    check_transition("acknowledged", "inProgress")
    check_transition("inProgress", "completed")
    check_transition("inProgress", "failed")


@pytest.mark.parametrize("terminal", sorted(TERMINAL_STATES))
def test_terminal_states_are_final(terminal: str) -> None:
    assert not any(can_transition(terminal, s) for s in ORDER_STATES)


def test_illegal_transition_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="acknowledged to completed"):
        check_transition("acknowledged", "completed")
