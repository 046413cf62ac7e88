"""Evaluating a request across policy layers the way AWS documents it."""

from __future__ import annotations

from collections.abc import Sequence

from qsdoctor.policy.document import Policy
from qsdoctor.policy.model import EvaluationResult, Request


def evaluate(
    request: Request,
    *,
    identity_policies: Sequence[Policy] = (),
    trust_policy: Policy | None = None,
    permission_boundary: Policy | None = None,
    session_policies: Sequence[Policy] = (),
    scps: Sequence[Policy] | None = None,
    rcps: Sequence[Policy] = (),
) -> EvaluationResult:
    """Decide the request."""
    raise NotImplementedError
