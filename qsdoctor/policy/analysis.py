"""Analysis helpers the checks use: conditions, External IDs, scopes, extra permissions."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from qsdoctor.policy.document import Policy
from qsdoctor.policy.model import ConditionRequirement, ScopeClassification, StatementRef


@dataclass(frozen=True, slots=True, kw_only=True)
class ExternalIdRequirement:
    """What a statement demands of sts:ExternalId."""

    present: bool
    enforced: bool
    operator: str | None = None
    values: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()
    _matcher: Callable[[str], bool] = field(default=lambda _v: True, repr=False, compare=False)

    def matches(self, value: str) -> bool:
        """Whether this External ID satisfies the statement's sts:ExternalId conditions."""
        return self._matcher(value)


def condition_requirements(stmt: StatementRef) -> tuple[ConditionRequirement, ...]:
    raise NotImplementedError


def external_id_requirement(stmt: StatementRef) -> ExternalIdRequirement:
    raise NotImplementedError


def condition_problems(stmt: StatementRef) -> tuple[str, ...]:
    raise NotImplementedError


def classify_assume_scope(
    identity_policies: Sequence[Policy], *, boundary: Policy | None = None
) -> ScopeClassification:
    raise NotImplementedError


def extra_permissions(
    identity_policies: Sequence[Policy],
    allowed: Collection[str] = ("sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"),
) -> tuple[tuple[StatementRef, tuple[str, ...]], ...]:
    raise NotImplementedError
