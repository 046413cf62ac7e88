"""Exit codes of `check` and of `probe` (Nagios), as pure functions of finding statuses.

Schedulers and runbooks branch on these numbers, so they are a contract (design.md):
changing one is a CHANGELOG entry. The JSON report's `exit_code` is computed here
too, so it always equals the process's exit status.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from qsdoctor.models import Status


class CheckExit(enum.IntEnum):
    """Exit codes of `qsdoctor check`."""

    OK = 0
    """Nothing failed (warnings allowed unless --strict)."""
    FAILED = 1
    """At least one check failed (or, under --strict, warned)."""
    USAGE = 2
    """Bad command line or input: nothing was checked."""
    UNVERIFIED = 3
    """Nothing failed, but something could not be verified (a check errored)."""


class NagiosState(enum.IntEnum):
    """Nagios plugin states: the exit codes of `qsdoctor probe`."""

    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3


#: How bad each Nagios state is, for picking the worst of several chains.
#: NOTE: by the plugin guidelines UNKNOWN (3) is less severe than CRITICAL (2), so the
#: numeric order is not the severity order.
_NAGIOS_SEVERITY = {
    NagiosState.OK: 0,
    NagiosState.WARNING: 1,
    NagiosState.UNKNOWN: 2,
    NagiosState.CRITICAL: 3,
}


def check_exit_code(statuses: Iterable[Status], *, strict: bool = False) -> CheckExit:
    """The exit code of `check` for findings with these statuses.

    A failure outranks an error: a known break is more useful to act on than a read
    that could not be made. `--strict` treats warnings as failures.
    """
    present = set(statuses)
    if Status.FAIL in present or (strict and Status.WARN in present):
        return CheckExit.FAILED
    if Status.ERROR in present:
        return CheckExit.UNVERIFIED
    return CheckExit.OK


def nagios_state(statuses: Iterable[Status], *, strict: bool = False) -> NagiosState:
    """The Nagios state of one chain: fail is CRITICAL, error UNKNOWN, warn WARNING.

    Under `strict` a warning is CRITICAL, matching `check --strict`.
    """
    present = set(statuses)
    if Status.FAIL in present:
        return NagiosState.CRITICAL
    if Status.ERROR in present:
        return NagiosState.UNKNOWN
    if Status.WARN in present:
        return NagiosState.CRITICAL if strict else NagiosState.WARNING
    return NagiosState.OK


def worst_nagios(states: Iterable[NagiosState]) -> NagiosState:
    """The most severe of several chains' states (OK when there are none)."""
    return max(states, key=_NAGIOS_SEVERITY.__getitem__, default=NagiosState.OK)
