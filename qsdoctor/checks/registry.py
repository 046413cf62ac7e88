"""The check registry and runner: declared checks in, findings out.

Checks are pure functions of Facts. The runner, not each check, turns "could not
read" into `error` and "did not look" into `skip` (see `need`), and keeps one
crashing check from stopping the others.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar

from qsdoctor.facts import Destination, Facts
from qsdoctor.models import (
    AwsCallError,
    Evidence,
    Fetched,
    Finding,
    Ok,
    Outcome,
    Skipped,
    Status,
    Unavailable,
)

T = TypeVar("T")

#: Console groups, by the hundreds digit of the ID.
GROUPS: Mapping[str, str] = {
    "0": "Credentials",
    "1": "Intermediate role",
    "2": "Destination roles",
    "3": "Live hops",
    "4": "CloudTrail",
    "5": "Template",
}

#: Placeholders a remediation text may use.
REMEDIATION_PLACEHOLDERS = frozenset({"subject", "intermediate_arn", "vendor_account_id"})

Prior = Mapping[str, tuple[Finding, ...]]
"""Findings of checks with lower IDs, by check ID (for checks that link causes)."""


class _NotAvailable(Exception):
    def __init__(self, error: AwsCallError) -> None:
        self.error = error


class _NotCollected(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


def need(fetched: Fetched[T]) -> T:
    """The value, or let the runner report `error` (read failed) or `skip` (not read)."""
    match fetched:
        case Ok(value):
            return value
        case Unavailable(error):
            raise _NotAvailable(error)
        case Skipped(reason):
            raise _NotCollected(reason)
    raise TypeError(f"not a Fetched value: {fetched!r}")  # pragma: no cover


class NotApplicable(Exception):
    """Raised by a check whose precondition (not a read) is unmet: reported as skip."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckSpec:
    """A declared check: the catalog entry plus the function that decides it."""

    id: str
    name: str
    title: str
    """What holds when the check passes ("Destination role exists")."""
    problem: str
    """The title of a failure when the check gives none of its own: states the problem."""
    needs: tuple[str, ...]
    """IAM actions the reads behind this check need (all on the allowlist)."""
    remediation: str
    scope: Literal["chain", "destination"]
    func: Callable[..., Outcome]
    uses_prior: bool

    @property
    def group(self) -> str:
        return GROUPS[self.id[2]]

    @property
    def doc(self) -> str:
        """The user documentation: the function's docstring."""
        return inspect.cleandoc(self.func.__doc__ or "")


_REGISTRY: dict[str, CheckSpec] = {}


def _declare(
    scope: Literal["chain", "destination"],
    *,
    id: str,
    name: str,
    title: str,
    problem: str,
    remediation: str,
    needs: tuple[str, ...],
) -> Callable[[Callable[..., Outcome]], Callable[..., Outcome]]:
    def wrap(func: Callable[..., Outcome]) -> Callable[..., Outcome]:
        if id in _REGISTRY:
            raise RuntimeError(f"check {id} declared twice")
        _REGISTRY[id] = CheckSpec(
            id=id,
            name=name,
            title=title,
            problem=problem or title,
            needs=needs,
            remediation=remediation,
            scope=scope,
            func=func,
            uses_prior="prior" in inspect.signature(func).parameters,
        )
        return func

    return wrap


def check(
    *,
    id: str,
    name: str,
    title: str,
    remediation: str,
    needs: tuple[str, ...] = (),
    problem: str = "",
) -> Callable[[Callable[..., Outcome]], Callable[..., Outcome]]:
    """Declare a check that runs once per chain: `func(facts[, prior]) -> Outcome`.

    `title` says what holds; `problem` is the failing title ("… does not …").
    """
    return _declare(
        "chain",
        id=id,
        name=name,
        title=title,
        problem=problem,
        remediation=remediation,
        needs=needs,
    )


def destination_check(
    *,
    id: str,
    name: str,
    title: str,
    remediation: str,
    needs: tuple[str, ...] = (),
    problem: str = "",
) -> Callable[[Callable[..., Outcome]], Callable[..., Outcome]]:
    """Declare a check that runs per destination: `func(facts, dest[, prior]) -> Outcome`."""
    return _declare(
        "destination",
        id=id,
        name=name,
        title=title,
        problem=problem,
        remediation=remediation,
        needs=needs,
    )


def load_all() -> Mapping[str, CheckSpec]:
    """Import every check module (they register on import) and return the registry by ID."""
    from qsdoctor.checks import catalog  # noqa: F401  (imports the check modules)

    return dict(sorted(_REGISTRY.items()))


def _fill(template: str, values: Mapping[str, str]) -> str:
    try:
        return template.format_map(dict(values))
    except (KeyError, IndexError, ValueError):
        return template


def _finding(spec: CheckSpec, subject: str, outcome: Outcome, facts: Facts) -> Finding:
    values = {
        "subject": subject,
        "intermediate_arn": facts.intermediate_arn,
        "vendor_account_id": facts.vendor_account_id,
    }
    if outcome.status in (Status.PASS,):
        remediation = ""
    else:
        remediation = _fill(outcome.remediation or spec.remediation, values)
    return Finding(
        id=spec.id,
        name=spec.name,
        status=outcome.status,
        subject=subject,
        title=outcome.title or (spec.problem if outcome.status is Status.FAIL else spec.title),
        detail=outcome.detail,
        remediation=remediation,
        evidence=outcome.evidence,
    )


def _run_one(spec: CheckSpec, facts: Facts, args: tuple[object, ...], prior: Prior) -> Outcome:
    kwargs = {"prior": prior} if spec.uses_prior else {}
    try:
        return spec.func(facts, *args, **kwargs)
    except _NotAvailable as e:
        err = e.error
        return Outcome.errored(
            f"could not read: {err.operation} failed with {err.code}: {err.message}",
            Evidence(
                kind="api-error",
                summary=f"{err.operation}: {err.code}",
                data={
                    "operation": err.operation,
                    "code": err.code,
                    "resource": err.resource,
                    "profile": err.profile,
                },
            ),
            remediation=(
                f"grant {err.operation}"
                + (f" on {err.resource}" if err.resource else "")
                + (f" to the credentials of profile {err.profile}" if err.profile else "")
                if err.denied
                else "retry; if it persists, check network access and the AWS endpoint"
            ),
        )
    except _NotCollected as e:
        return Outcome.skipped(e.reason)
    except NotApplicable as e:
        return Outcome.skipped(e.reason)
    except Exception as e:
        return Outcome.errored(
            f"internal error in {spec.id}: {type(e).__name__}; rerun with -vv for the traceback",
            remediation="report this as a qsdoctor bug with the -vv output (secrets are redacted)",
        )


def run_checks(
    facts: Facts,
    *,
    select: Iterable[str] | None = None,
    raise_errors: bool = False,
) -> tuple[Finding, ...]:
    """Run the selected checks (all by default) in ID order and return their findings.

    `raise_errors` re-raises a check's own exception (for -vv and tests).
    """
    registry = load_all()
    wanted = set(select) if select is not None else None
    done: dict[str, tuple[Finding, ...]] = {}
    for spec in registry.values():
        if wanted is not None and spec.id not in wanted:
            continue
        findings: list[Finding] = []
        if spec.scope == "chain":
            runs: list[tuple[str, tuple[object, ...]]] = [(facts.intermediate_arn, ())]
        else:
            runs = [(d.arn, (d,)) for d in facts.destinations]
        for subject, args in runs:
            if raise_errors:
                kwargs = {"prior": done} if spec.uses_prior else {}
                try:
                    outcome = spec.func(facts, *args, **kwargs)
                except (_NotAvailable, _NotCollected, NotApplicable):
                    outcome = _run_one(spec, facts, args, done)
            else:
                outcome = _run_one(spec, facts, args, done)
            findings.append(_finding(spec, subject, outcome, facts))
        done[spec.id] = tuple(findings)
    return tuple(f for fs in done.values() for f in fs)


def destination_of(facts: Facts, arn: str) -> Destination | None:
    """The destination with this ARN, if configured."""
    return next((d for d in facts.destinations if d.arn == arn), None)
