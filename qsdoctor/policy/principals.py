"""Principal elements: classifying entries and matching a caller against them."""

from __future__ import annotations

from qsdoctor.policy.document import Policy
from qsdoctor.policy.model import PrincipalEntry, StatementRef


def principal_entries(policy: Policy) -> tuple[PrincipalEntry, ...]:
    """Every Principal/NotPrincipal value of the policy, classified."""
    raise NotImplementedError


def admitting_statements(
    trust: Policy,
    principal: str,
    *,
    principal_role_arn: str | None = None,
    action: str = "sts:AssumeRole",
) -> tuple[StatementRef, ...]:
    """Allow statements whose Principal and Action admit the principal, ignoring conditions."""
    raise NotImplementedError
