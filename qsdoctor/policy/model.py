"""The engine's data types: decisions, statement references, requests, verdicts, results.

Everything a check quotes as evidence lives here, so these types carry the words a
person needs ("statement "X" (#2) of Y trust policy") as well as the raw statement.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qsdoctor.secrets import describe_secret

ContextValue = str | Sequence[str] | bool | int


def redact_external_ids(statement: dict[str, Any]) -> dict[str, Any]:
    """A copy of a statement whose sts:ExternalId condition values are replaced by their
    length and fingerprint: External IDs never reach output or evidence."""
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        return statement
    redacted: dict[str, Any] = {}
    for operator, block in condition.items():
        if not isinstance(block, dict):
            redacted[operator] = block
            continue
        redacted[operator] = {
            key: _redact(values) if "externalid" in key.lower().replace("-", "") else values
            for key, values in block.items()
        }
    return {**statement, "Condition": redacted}


def _redact(values: Any) -> Any:
    if isinstance(values, list):
        return [_redact(v) for v in values]
    if isinstance(values, str):
        return f"<redacted External ID: {describe_secret(values)}>"
    return values


class Decision(enum.StrEnum):
    """AWS's three outcomes: only an Allow with no Deny anywhere lets a request through."""

    ALLOWED = "allowed"
    IMPLICIT_DENY = "implicit_deny"
    EXPLICIT_DENY = "explicit_deny"


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementRef:
    """Where a statement lives (policy name, 0-based index, Sid) and what it says.

    `statement` is the statement as written, so evidence can quote it verbatim; it
    takes no part in equality or hashing, which rest on policy, index, Sid and Effect.
    """

    policy: str
    index: int
    sid: str | None
    effect: str
    statement: dict[str, Any] = field(compare=False, hash=False, repr=False)
    _label: str = field(init=False, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        if self.sid:
            label = f'statement "{self.sid}" (#{self.index + 1}) of {self.policy}'
        else:
            label = f"statement #{self.index + 1} of {self.policy}"
        object.__setattr__(self, "_label", label)

    @property
    def label(self) -> str:
        """Human wording, counting statements from 1 as people do."""
        return self._label

    def to_dict(self) -> dict[str, Any]:
        """JSON form used in simulate output and finding evidence."""
        return {
            "policy": self.policy,
            "index": self.index,
            "sid": self.sid,
            "effect": self.effect,
            "label": self.label,
            "statement": redact_external_ids(self.statement),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    """One API call to decide: who calls what on which resource, with which context.

    `principal_role_arn` is the role ARN (with its path) behind an assumed-role session
    ARN; session ARNs drop the path, so without it a session is matched by role name.
    """

    principal: str
    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    principal_role_arn: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LayerVerdict:
    """What one policy layer said about the request, and which statements said it."""

    layer: str
    decision: Decision
    statements: tuple[StatementRef, ...] = ()
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "decision": str(self.decision),
            "note": self.note,
            "statements": [s.to_dict() for s in self.statements],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class EvaluationResult:
    """The final decision, each layer's verdict and plain-language reasons."""

    decision: Decision
    layers: tuple[LayerVerdict, ...] = ()
    reasons: tuple[str, ...] = ()
    deciding_statements: tuple[StatementRef, ...] = ()

    @property
    def deciding(self) -> tuple[StatementRef, ...]:
        """The statements that decided: the Deny(s) for explicit_deny, the Allow(s) for
        allowed, none for implicit_deny (nothing said yes)."""
        return self.deciding_statements

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOWED

    def layer(self, name: str) -> LayerVerdict | None:
        """The verdict of one layer, or None when that layer was not evaluated."""
        return next((lv for lv in self.layers if lv.layer == name), None)

    def to_dict(self) -> dict[str, Any]:
        """The `qsdoctor simulate` result object."""
        return {
            "decision": str(self.decision),
            "reasons": list(self.reasons),
            "deciding": [s.to_dict() for s in self.deciding_statements],
            "layers": [lv.to_dict() for lv in self.layers],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class PrincipalEntry:
    """One value of a statement's Principal or NotPrincipal, classified.

    kind: wildcard, account, role, assumed-role, user, unique-id (AROA…/AIDA…: a
    deleted and re-created entity, never matches), service, federated, canonical, other.
    """

    statement: StatementRef
    principal_type: str
    value: str
    negated: bool
    kind: str
    account: str | None = None
    role_name: str | None = None
    role_path: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ConditionRequirement:
    """One condition key test of a statement, as written and decomposed."""

    operator: str
    base_operator: str
    key: str
    values: tuple[str, ...]
    if_exists: bool
    set_operator: str | None
    negated: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ScopeClassification:
    """The effective sts:AssumeRole resource scope of a role's identity policies."""

    kind: str
    resources: tuple[str, ...] = ()
    role_names: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    statements: tuple[StatementRef, ...] = ()
    explanation: str = ""
