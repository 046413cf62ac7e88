"""Exit codes are a scheduler contract: every combination of statuses, table-tested."""

from __future__ import annotations

import pytest

from qsdoctor.exitcodes import CheckExit, NagiosState, check_exit_code, nagios_state, worst_nagios
from qsdoctor.models import Status

P, W, F, S, E = Status.PASS, Status.WARN, Status.FAIL, Status.SKIP, Status.ERROR


@pytest.mark.parametrize(
    ("statuses", "strict", "expected"),
    [
        ((), False, 0),
        ((P,), False, 0),
        ((S,), False, 0),
        ((P, S), False, 0),
        ((P, W), False, 0),
        ((P, W), True, 1),
        ((P, F), False, 1),
        ((F, E), False, 1),
        ((W, E), False, 3),
        ((W, E), True, 1),
        ((P, E), False, 3),
        ((P, E), True, 3),
        ((S, E), False, 3),
        ((F, W, E, S, P), False, 1),
    ],
)
def test_check_exit_code(statuses: tuple[Status, ...], strict: bool, expected: int) -> None:
    assert check_exit_code(statuses, strict=strict) == expected


def test_check_exit_codes_match_design_numbers() -> None:
    assert [int(c) for c in CheckExit] == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("statuses", "strict", "expected"),
    [
        ((), False, NagiosState.OK),
        ((P, S), False, NagiosState.OK),
        ((P, W), False, NagiosState.WARNING),
        ((P, W), True, NagiosState.CRITICAL),
        ((P, E), False, NagiosState.UNKNOWN),
        ((W, E), False, NagiosState.UNKNOWN),
        ((F, E), False, NagiosState.CRITICAL),
        ((F,), False, NagiosState.CRITICAL),
    ],
)
def test_nagios_state(statuses: tuple[Status, ...], strict: bool, expected: NagiosState) -> None:
    assert nagios_state(statuses, strict=strict) is expected


def test_nagios_numbers_follow_the_plugin_convention() -> None:
    assert [(s.name, int(s)) for s in NagiosState] == [
        ("OK", 0),
        ("WARNING", 1),
        ("CRITICAL", 2),
        ("UNKNOWN", 3),
    ]


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ((), NagiosState.OK),
        ((NagiosState.OK, NagiosState.WARNING), NagiosState.WARNING),
        ((NagiosState.WARNING, NagiosState.UNKNOWN), NagiosState.UNKNOWN),
        # CRITICAL outranks UNKNOWN although its number is lower.
        ((NagiosState.UNKNOWN, NagiosState.CRITICAL, NagiosState.OK), NagiosState.CRITICAL),
    ],
)
def test_worst_nagios(states: tuple[NagiosState, ...], expected: NagiosState) -> None:
    assert worst_nagios(states) is expected
