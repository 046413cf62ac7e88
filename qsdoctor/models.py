"""Core result types: statuses, findings, the report, and what fetching from AWS returns."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Generic, TypeAlias, TypeVar

T = TypeVar("T")

#: Anything json.dumps can write.
JsonValue: TypeAlias = Any


class Status(enum.StrEnum):
    """A finding's status; values are the JSON strings of the report contract."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"


@dataclass(frozen=True, slots=True, kw_only=True)
class AwsCallError:
    """A read or call that did not give an answer: what was called, and what AWS said."""

    operation: str
    """Service and operation as IAM spells the permission, e.g. "iam:GetRole"."""
    code: str
    """AWS error code ("AccessDenied", "Throttling"...) or a client-side class name."""
    message: str
    """AWS's message with any External ID redacted."""
    resource: str | None = None
    """The ARN the call was about, when there is one."""
    profile: str | None = None
    """The profile (or "default chain") whose credentials made the call."""

    @property
    def denied(self) -> bool:
        return self.code in {
            "AccessDenied",
            "AccessDeniedException",
            "UnauthorizedOperation",
            "UnauthorizedAccess",
        }

    def needs(self) -> str:
        """The permission that would have let the read succeed, in IAM's words."""
        on = f" on {self.resource}" if self.resource else ""
        return f"needs {self.operation}{on}"


@dataclass(frozen=True, slots=True)
class Ok(Generic[T]):
    """A value read from AWS (which may itself say "there is none")."""

    value: T


@dataclass(frozen=True, slots=True)
class Unavailable:
    """We tried to look and could not: the runner reports the check as `error`."""

    error: AwsCallError


@dataclass(frozen=True, slots=True)
class Skipped:
    """We did not look: a precondition is unmet. The runner reports the check as `skip`.

    `reason` says why and what would let it run, e.g. "no credentials for account
    111122223333: pass --intermediate-profile".
    """

    reason: str


Fetched: TypeAlias = Ok[T] | Unavailable | Skipped


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """One piece of evidence behind a finding: a policy statement, a trail event, an API answer."""

    kind: str
    """What it is: "statement", "policy", "trail-event", "api-error", "cause", "role"..."""
    summary: str
    """One line for humans."""
    data: JsonValue = None
    """The machine-readable detail (never a secret)."""

    def to_dict(self) -> dict[str, JsonValue]:
        return {"kind": self.kind, "summary": self.summary, "data": self.data}


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One line of the checklist; exactly the fields of the JSON contract."""

    id: str
    name: str
    status: Status
    subject: str
    title: str
    detail: str
    remediation: str
    evidence: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "id": self.id,
            "name": self.name,
            "status": str(self.status),
            "subject": self.subject,
            "title": self.title,
            "detail": self.detail,
            "remediation": self.remediation,
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What a check function returns; the runner turns it into a Finding.

    `title` replaces the check's title for this finding when the result reads better
    that way ("hop 1 denied"); `remediation` replaces the declared remediation.
    """

    status: Status
    detail: str
    evidence: tuple[Evidence, ...] = ()
    title: str | None = None
    remediation: str | None = None

    @classmethod
    def passed(cls, detail: str, *evidence: Evidence, title: str | None = None) -> Outcome:
        return cls(status=Status.PASS, detail=detail, evidence=evidence, title=title)

    @classmethod
    def warned(
        cls,
        detail: str,
        *evidence: Evidence,
        title: str | None = None,
        remediation: str | None = None,
    ) -> Outcome:
        return cls(
            status=Status.WARN,
            detail=detail,
            evidence=evidence,
            title=title,
            remediation=remediation,
        )

    @classmethod
    def failed(
        cls,
        detail: str,
        *evidence: Evidence,
        title: str | None = None,
        remediation: str | None = None,
    ) -> Outcome:
        return cls(
            status=Status.FAIL,
            detail=detail,
            evidence=evidence,
            title=title,
            remediation=remediation,
        )

    @classmethod
    def skipped(cls, detail: str, *evidence: Evidence, title: str | None = None) -> Outcome:
        return cls(status=Status.SKIP, detail=detail, evidence=evidence, title=title)

    @classmethod
    def errored(
        cls,
        detail: str,
        *evidence: Evidence,
        title: str | None = None,
        remediation: str | None = None,
    ) -> Outcome:
        return cls(
            status=Status.ERROR,
            detail=detail,
            evidence=evidence,
            title=title,
            remediation=remediation,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """Everything a renderer needs. `to_dict()` is the JSON report contract."""

    schema_version: str
    tool_version: str
    generated_at: str
    """UTC ISO-8601, e.g. 2026-12-04T15:49:26Z."""
    intermediate_role_arn: str
    destinations: tuple[str, ...]
    findings: tuple[Finding, ...]
    exit_code: int
    context: dict[str, JsonValue] = field(default_factory=dict)
    """Extra run context (caller ARN, region, vendor account, look-back window)."""

    @property
    def counts(self) -> dict[str, int]:
        counts = {str(s): 0 for s in Status}
        for f in self.findings:
            counts[str(f.status)] += 1
        return counts

    @property
    def status(self) -> Status:
        """The worst status present: fail > error > warn > pass > skip."""
        present = {f.status for f in self.findings}
        for s in (Status.FAIL, Status.ERROR, Status.WARN, Status.PASS):
            if s in present:
                return s
        return Status.SKIP

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "schema_version": self.schema_version,
            "tool": {"name": "qsdoctor", "version": self.tool_version},
            "generated_at": self.generated_at,
            "target": {
                "intermediate_role_arn": self.intermediate_role_arn,
                "destinations": list(self.destinations),
            },
            "summary": {"status": str(self.status), "counts": self.counts},
            "findings": [f.to_dict() for f in self.findings],
            "exit_code": self.exit_code,
            "context": self.context,
        }
