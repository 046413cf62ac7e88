"""Classify sts:AssumeRole failures and link them to the static findings on the same hop.

STS usually answers a refused AssumeRole with a bare AccessDenied that hides the
reason (aws-facts §1), so a failed live hop on its own says little. This module
does two pure things:

1. `classify(code, message)` reads AWS's error code and message and says what
   kind of failure it is: bare or enriched AccessDenied (naming the policy type),
   a denied sts:TagSession / sts:SetSourceIdentity, root-user keys, the role-
   chaining and MaxSessionDuration limits, an invalid parameter, a disabled STS
   Region, expired or invalid caller credentials, throttling.
2. `diagnose(...)` joins that failure to the findings of the static checks on the
   same link of the chain (QS101-QS105/QS109 for hop 1; QS106 and QS201-QS204
   for hop 2), naming the most likely cause by check ID, or saying plainly that
   the cause is not visible from the accounts qsdoctor could read and what access
   would reveal it. `contradictions(...)` finds static failures on a hop that
   nevertheless succeeded.

Exact texts the classifier expects (aws-facts §1-2; sandbox scenarios should send
these verbatim, with the caller and role ARNs filled in):

- ``AccessDenied``: ``User: <caller> is not authorized to perform: sts:AssumeRole
  on resource: <role ARN>``, optionally followed by `` because no <policy type>
  allows the sts:AssumeRole action`` or `` with an explicit deny in a <policy
  type>`` (policy types: role trust policy, identity-based policy, resource-based
  policy, permissions boundary, session policy, service control policy, resource
  control policy, VPC endpoint policy);
- ``AccessDenied``: the same with ``sts:TagSession`` or ``sts:SetSourceIdentity``
  as the action;
- ``AccessDenied``: ``Roles may not be assumed by root accounts.``;
- ``ValidationError``: ``The requested DurationSeconds exceeds the 1 hour session
  limit for roles assumed by role chaining.``;
- ``ValidationError``: ``The requested DurationSeconds exceeds the MaxSessionDuration
  set for this role.``;
- ``ValidationError``: ``1 validation error detected: Value '<v>' at 'externalId'
  failed to satisfy constraint: Member must satisfy regular expression pattern:
  [\\w+=,.@:/-]*`` (the echoed value is redacted by `redact_echoed_values`);
- ``ParamValidationError`` (botocore, client side): ``Invalid length for parameter
  ExternalId, value: 1, valid min length: 2``;
- ``RegionDisabledException``: ``STS is not activated in this region for
  account:<id>. Your account administrator can activate STS in this region using
  the IAM Console.``;
- ``ExpiredToken``: ``The security token included in the request is expired``;
- ``InvalidClientTokenId``: ``The security token included in the request is
  invalid.``;
- ``PackedPolicyTooLarge``: ``Packed size of session tags consumes 112% of allotted
  space.``;
- throttling codes (``Throttling``, ``ThrottlingException``...) after retries.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from qsdoctor.awserrors import THROTTLING_CODES
from qsdoctor.checks.registry import Prior
from qsdoctor.models import Evidence, Finding, Status

# --------------------------------------------------------------------------------------
# Classification


class FailureKind(enum.StrEnum):
    """What kind of AssumeRole failure AWS reported; values appear in JSON evidence."""

    ACCESS_DENIED = "access-denied"
    """Bare AccessDenied: STS gives no reason."""
    NO_ALLOW = "no-allow"
    """Enriched: "because no <policy type> allows ..."."""
    EXPLICIT_DENY = "explicit-deny"
    """Enriched: "with an explicit deny in a <policy type>"."""
    TAG_SESSION_DENIED = "tag-session-denied"
    SOURCE_IDENTITY_DENIED = "source-identity-denied"
    ROOT_CALLER = "root-caller"
    CHAINING_LIMIT = "role-chaining-limit"
    MAX_SESSION_DURATION = "max-session-duration"
    INVALID_PARAMETER = "invalid-parameter"
    PACKED_POLICY_TOO_LARGE = "packed-policy-too-large"
    REGION_DISABLED = "region-disabled"
    EXPIRED_TOKEN = "expired-token"
    INVALID_TOKEN = "invalid-token"
    NO_CREDENTIALS = "no-credentials"
    THROTTLED = "throttled"
    SERVICE_FAULT = "service-fault"
    OTHER = "other"

    @property
    def is_denial(self) -> bool:
        """Whether AWS evaluated policies and said no (as opposed to an input/credential fault)."""
        return self in _DENIALS


_DENIALS = frozenset(
    {
        FailureKind.ACCESS_DENIED,
        FailureKind.NO_ALLOW,
        FailureKind.EXPLICIT_DENY,
        FailureKind.TAG_SESSION_DENIED,
        FailureKind.SOURCE_IDENTITY_DENIED,
    }
)


class PolicyType(enum.StrEnum):
    """Policy types an enriched AccessDenied names (IAM UG troubleshoot_access-denied)."""

    TRUST = "role trust policy"
    IDENTITY = "identity-based policy"
    RESOURCE = "resource-based policy"
    BOUNDARY = "permissions boundary"
    SESSION = "session policy"
    SCP = "service control policy"
    RCP = "resource control policy"
    VPC_ENDPOINT = "VPC endpoint policy"


@dataclass(frozen=True, slots=True, kw_only=True)
class AssumeFailure:
    """One AssumeRole failure, classified. Holds no secrets (messages are redacted)."""

    kind: FailureKind
    code: str
    message: str
    """AWS's message with echoed values redacted."""
    summary: str
    """One line for humans, e.g. "AccessDenied (bare: STS gives no reason)"."""
    caller: str | None = None
    """The principal AWS names after "User: "."""
    action: str | None = None
    """The action AWS names after "perform: " (sts:AssumeRole, sts:TagSession...)."""
    resource: str | None = None
    """The ARN after "on resource: "."""
    policy_type: PolicyType | None = None
    """The policy type an enriched message names (only one, even when several deny)."""
    account: str | None = None
    """The account a RegionDisabledException names."""
    parameter: str | None = None
    """The parameter a validation error names (externalId, roleSessionName...)."""
    authorization_id: str | None = None
    """The authorization ID some newer AccessDenied messages end with."""

    def to_data(self) -> dict[str, str | None]:
        """Evidence data: everything but the message's free text."""
        return {
            "kind": str(self.kind),
            "code": self.code,
            "caller": self.caller,
            "action": self.action,
            "resource": self.resource,
            "policy_type": str(self.policy_type) if self.policy_type else None,
            "account": self.account,
            "parameter": self.parameter,
            "authorization_id": self.authorization_id,
        }


_FAULT_CODES = frozenset(
    {
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
        "RequestTimeout",
        "IDPCommunicationError",
        "EndpointConnectionError",
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "ConnectionClosedError",
    }
)
_DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException"})

_NOT_AUTHORIZED = re.compile(
    r"User:\s*(?P<caller>\S+)\s+is not authorized to perform:\s*(?P<action>\S+)"
    r"(?:\s+on resource:\s*(?P<resource>arn:[^\s,;]+?))?(?=\.?(?:\s|$)|[,;])",
)
_NO_ALLOW = re.compile(r"because no (?P<type>[A-Za-z -]+?) allows", re.IGNORECASE)
_EXPLICIT = re.compile(
    r"with an explicit deny in (?:an?|the) (?P<type>[A-Za-z -]+?)(?:[:.,]|$)", re.IGNORECASE
)
_AUTH_ID = re.compile(r"authorization id:\s*(?P<id>[^\s.]+)", re.IGNORECASE)
_REGION_ACCOUNT = re.compile(r"account:?\s*(?P<account>\d{12})")
_STS_PARAM = re.compile(r"at '(?P<param>\w+)'")
_BOTO_PARAM = re.compile(r"for parameter (?P<param>\w+)")
#: ValidationError echoes the offending value: `Value '<v>' at 'externalId'`.
_ECHOED = re.compile(r"Value '(?:[^']|'(?! at '))*' at '")


def redact_echoed_values(message: str) -> str:
    """Remove values STS echoes in ValidationError texts (they may be External IDs).

    NOTE: STS quotes the rejected value, e.g. "Value 'abc def' at 'externalId' failed
    to satisfy constraint" (aws-facts §2), so the secret would otherwise reach output.
    """
    return _ECHOED.sub("Value '<redacted>' at '", message)


def _policy_type(text: str) -> PolicyType | None:
    lowered = text.strip().lower()
    for p in PolicyType:
        if lowered == p.value.lower() or lowered.startswith(p.value.lower()):
            return p
    aliases = {
        "trust policy": PolicyType.TRUST,
        "identity policy": PolicyType.IDENTITY,
        "scp": PolicyType.SCP,
        "rcp": PolicyType.RCP,
        "permissions boundary policy": PolicyType.BOUNDARY,
        "vpc endpoint policy": PolicyType.VPC_ENDPOINT,
    }
    return aliases.get(lowered)


def _a(noun: str) -> str:
    """ "an identity-based policy", "a service control policy"."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def classify(code: str, message: str) -> AssumeFailure:
    """Classify one AssumeRole failure from AWS's error code and message (pure)."""
    message = redact_echoed_values(message or "")
    m = _NOT_AUTHORIZED.search(message)
    caller = m.group("caller") if m else None
    action = m.group("action") if m else None
    resource = m.group("resource") if m else None
    auth = _AUTH_ID.search(message)
    base = AssumeFailure(
        kind=FailureKind.OTHER,
        code=code,
        message=message,
        summary=code or "an error without a code",
        caller=caller,
        action=action,
        resource=resource,
        authorization_id=auth.group("id") if auth else None,
    )
    lowered = message.lower()

    if code in _DENIED_CODES:
        if "roles may not be assumed by root accounts" in lowered:
            return replace(
                base,
                kind=FailureKind.ROOT_CALLER,
                summary="the caller used root-user keys; roles can't be assumed by root",
            )
        if action and action.lower() == "sts:tagsession":
            return replace(
                base,
                kind=FailureKind.TAG_SESSION_DENIED,
                summary="AccessDenied for sts:TagSession: session tags were passed or "
                "inherited and a policy does not allow tagging",
            )
        if action and action.lower() == "sts:setsourceidentity":
            return replace(
                base,
                kind=FailureKind.SOURCE_IDENTITY_DENIED,
                summary="AccessDenied for sts:SetSourceIdentity: a source identity was set "
                "or carried and a policy does not allow it",
            )
        explicit = _EXPLICIT.search(message)
        if explicit:
            ptype = _policy_type(explicit.group("type"))
            return replace(
                base,
                kind=FailureKind.EXPLICIT_DENY,
                policy_type=ptype,
                summary=f"AccessDenied: explicit deny in {_a(ptype or explicit.group('type'))}",
            )
        no_allow = _NO_ALLOW.search(message)
        if no_allow:
            ptype = _policy_type(no_allow.group("type"))
            return replace(
                base,
                kind=FailureKind.NO_ALLOW,
                policy_type=ptype,
                summary=f"AccessDenied: no {ptype or no_allow.group('type')} allows it",
            )
        return replace(
            base,
            kind=FailureKind.ACCESS_DENIED,
            summary="AccessDenied (bare: STS gives no reason)",
        )
    if code == "ValidationError" and "role chaining" in lowered:
        return replace(
            base,
            kind=FailureKind.CHAINING_LIMIT,
            summary="DurationSeconds above the 1-hour limit for role chaining",
        )
    if code == "ValidationError" and "maxsessionduration" in lowered:
        return replace(
            base,
            kind=FailureKind.MAX_SESSION_DURATION,
            summary="DurationSeconds above the role's MaxSessionDuration",
        )
    if code in ("ValidationError", "ParamValidationError"):
        param = _STS_PARAM.search(message) or _BOTO_PARAM.search(message)
        name = param.group("param") if param else None
        return replace(
            base,
            kind=FailureKind.INVALID_PARAMETER,
            parameter=name,
            summary=f"STS rejected the {name or 'request'} parameter as invalid",
        )
    if code == "PackedPolicyTooLarge":
        return replace(
            base,
            kind=FailureKind.PACKED_POLICY_TOO_LARGE,
            summary="session tags (inherited ones included) exceed STS's packed size",
        )
    if code == "RegionDisabledException":
        acct = _REGION_ACCOUNT.search(message)
        account = acct.group("account") if acct else None
        return replace(
            base,
            kind=FailureKind.REGION_DISABLED,
            account=account,
            summary="STS is not activated in this Region"
            + (f" for account {account}" if account else ""),
        )
    if code in ("ExpiredToken", "ExpiredTokenException", "RequestExpired"):
        return replace(
            base,
            kind=FailureKind.EXPIRED_TOKEN,
            summary="the calling credentials have expired",
        )
    if code in ("InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch"):
        return replace(
            base,
            kind=FailureKind.INVALID_TOKEN,
            summary="the calling credentials are not valid here",
        )
    if code in ("NoCredentials", "NoCredentialsError"):
        return replace(
            base,
            kind=FailureKind.NO_CREDENTIALS,
            summary="no credentials to call STS with",
        )
    if code in THROTTLING_CODES:
        return replace(
            base,
            kind=FailureKind.THROTTLED,
            summary="STS throttled the call, still after retries",
        )
    if code in _FAULT_CODES or (code.endswith("Error") and "Connection" in code):
        return replace(
            base,
            kind=FailureKind.SERVICE_FAULT,
            summary=f"STS could not be reached or failed ({code})",
        )
    return base


# --------------------------------------------------------------------------------------
# Linking to static findings


class Hop(enum.StrEnum):
    """A link of the chain that a live AssumeRole exercises."""

    VENDOR_TO_INTERMEDIATE = "hop1"
    INTERMEDIATE_TO_DESTINATION = "hop2"


#: Static checks on each link, in the order they are blamed for a bare AccessDenied:
#: a missing role first (it explains everything), then the reference's Common Issues.
#: QS105 is not here: it also judges destination External IDs, and an External ID STS
#: rejects fails with a ValidationError (linked to QS105 by kind), never a denial.
LINK_CHECKS: dict[Hop, tuple[str, ...]] = {
    Hop.VENDOR_TO_INTERMEDIATE: ("QS101", "QS104", "QS102", "QS103", "QS109"),
    Hop.INTERMEDIATE_TO_DESTINATION: ("QS201", "QS106", "QS202", "QS203", "QS204"),
}

#: Which static checks can explain which kind of failure, most likely first. An empty
#: tuple means no static check covers it (the failure is about the call, not policies).
_BY_KIND: dict[Hop, dict[FailureKind, tuple[str, ...]]] = {
    Hop.VENDOR_TO_INTERMEDIATE: {
        FailureKind.TAG_SESSION_DENIED: ("QS109",),
        FailureKind.SOURCE_IDENTITY_DENIED: ("QS109",),
        FailureKind.INVALID_PARAMETER: ("QS105",),
    },
    Hop.INTERMEDIATE_TO_DESTINATION: {
        FailureKind.TAG_SESSION_DENIED: ("QS204", "QS106"),
        FailureKind.SOURCE_IDENTITY_DENIED: ("QS204", "QS106"),
        FailureKind.INVALID_PARAMETER: (),
    },
}

_BY_POLICY_TYPE: dict[Hop, dict[PolicyType, tuple[str, ...]]] = {
    Hop.VENDOR_TO_INTERMEDIATE: {
        PolicyType.TRUST: ("QS101", "QS104", "QS102", "QS103"),
        PolicyType.RESOURCE: ("QS101", "QS104", "QS102", "QS103"),
    },
    Hop.INTERMEDIATE_TO_DESTINATION: {
        PolicyType.TRUST: ("QS201", "QS202", "QS203"),
        PolicyType.RESOURCE: ("QS201", "QS202", "QS203"),
        PolicyType.IDENTITY: ("QS106",),
        PolicyType.BOUNDARY: ("QS106",),
    },
}

#: Evidence kind a static check attaches to a FAIL that is about exposure (e.g. a
#: wildcard principal), not reachability: such a failure can't explain a denial and
#: is no contradiction when the hop succeeds.
EXPOSURE_EVIDENCE_KIND = "exposure"
#: Evidence kind a static check attaches to a WARN that would stop the hop if AWS
#: behaves as documented (e.g. QS203: the trust requires an External ID and none was
#: supplied). Such warnings are offered as causes of a denial, after the failures.
POSSIBLE_CAUSE_EVIDENCE_KIND = "possible-cause"

_NO_CAUSE_CODES = frozenset(
    {
        FailureKind.ROOT_CALLER,
        FailureKind.CHAINING_LIMIT,
        FailureKind.MAX_SESSION_DURATION,
        FailureKind.PACKED_POLICY_TOO_LARGE,
        FailureKind.REGION_DISABLED,
        FailureKind.EXPIRED_TOKEN,
        FailureKind.INVALID_TOKEN,
        FailureKind.NO_CREDENTIALS,
        FailureKind.THROTTLED,
        FailureKind.SERVICE_FAULT,
    }
)


def candidate_checks(hop: Hop, failure: AssumeFailure) -> tuple[str, ...]:
    """The static checks that could explain this failure on this hop, most likely first."""
    if failure.kind in _NO_CAUSE_CODES:
        return ()
    by_kind = _BY_KIND[hop].get(failure.kind)
    if by_kind is not None:
        return by_kind
    if failure.policy_type is not None:
        return _BY_POLICY_TYPE[hop].get(failure.policy_type, ())
    return LINK_CHECKS[hop]


def _is_exposure_only(finding: Finding) -> bool:
    if any(e.kind == EXPOSURE_EVIDENCE_KIND for e in finding.evidence):
        return True
    detail = finding.detail.lower()
    return ("wildcard" in detail and "principal" in detail) or "notprincipal" in detail


def findings_on_link(
    prior: Prior, ids: Iterable[str], *, subject: str | None, other_subjects: Iterable[str] = ()
) -> list[Finding]:
    """Prior findings of `ids`, in that order, about `subject` or about the whole chain.

    A per-destination check's findings about *other* destinations (`other_subjects`)
    are left out, so one destination's QS202 never explains another's hop.
    """
    others = set(other_subjects) - ({subject} if subject else set())
    out: list[Finding] = []
    for check_id in ids:
        for f in prior.get(check_id, ()):
            if f.subject in others:
                continue
            out.append(f)
    return out


def blocking_failures(
    prior: Prior, ids: Iterable[str], *, subject: str | None, other_subjects: Iterable[str] = ()
) -> list[Finding]:
    """Failing static findings on the link that would stop the hop (not exposure-only)."""
    return [
        f
        for f in findings_on_link(prior, ids, subject=subject, other_subjects=other_subjects)
        if f.status is Status.FAIL and not _is_exposure_only(f)
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class Diagnosis:
    """A failed hop explained: its likely causes among the static findings, or why none."""

    failure: AssumeFailure
    causes: tuple[Finding, ...]
    """Failing static findings that explain the failure, most likely first."""
    unverified: tuple[Finding, ...]
    """Static findings on the link that could not decide (skip or error)."""
    detail: str
    remediation: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkContext:
    """What `diagnose` needs to know about the link beyond the prior findings."""

    hop: Hop
    subject: str | None = None
    """The destination ARN for hop 2; None for hop 1."""
    other_subjects: tuple[str, ...] = ()
    """All destination ARNs (to keep other destinations' findings out)."""
    caller_account: str | None = None
    """The account that made the call (production account for hop 1, intermediate for hop 2)."""
    role_account: str | None = None
    """The account of the role being assumed."""
    role_created_at: str | None = None
    """When the assumed role was created (ISO-8601), if known: recent roles may not
    have propagated yet."""
    collected_at: str | None = None


def _short(finding: Finding) -> str:
    """ "QS104 (<its title>)": a failing title states the problem; the detail is shown there."""
    return f"{finding.id} ({finding.title})"


def _recently_created(ctx: LinkContext, window: timedelta = timedelta(minutes=5)) -> bool:
    if not ctx.role_created_at or not ctx.collected_at:
        return False
    try:
        created = datetime.fromisoformat(ctx.role_created_at.replace("Z", "+00:00"))
        now = datetime.fromisoformat(ctx.collected_at.replace("Z", "+00:00"))
    except ValueError:
        return False
    if created.tzinfo is None or now.tzinfo is None:
        return False
    return timedelta(0) <= now - created <= window


PROPAGATION_HINT = (
    "if the trust or the policies were changed in the last few minutes, IAM may still be "
    "propagating the change (it is eventually consistent): retry in 1-2 minutes"
)


def _invisible(failure: AssumeFailure, ctx: LinkContext) -> tuple[str, str]:
    """(what qsdoctor could not see, what access would reveal it) for a policy denial."""
    caller = ctx.caller_account or "the caller's account"
    role = ctx.role_account or "the role's account"
    ptype = failure.policy_type
    if ctx.hop is Hop.VENDOR_TO_INTERMEDIATE:
        by_type = {
            PolicyType.SCP: (
                f"a service control policy in the production account's ({caller}) organization",
                "the Quiverstone side must review its SCPs for sts:AssumeRole",
            ),
            PolicyType.IDENTITY: (
                f"the calling principal's identity policies in {caller}",
                "the Quiverstone side must allow sts:AssumeRole on the intermediate role",
            ),
            PolicyType.BOUNDARY: (
                f"a permissions boundary on the calling principal in {caller}",
                "the Quiverstone side must review the caller's boundary",
            ),
            PolicyType.SESSION: (
                "a session policy on the caller's own session",
                "re-create the caller's session without a restricting session policy",
            ),
            PolicyType.RCP: (
                f"a resource control policy in the customer's organization (account {role})",
                "the customer's organization administrator can list RCPs attached to "
                f"{role} and its OUs (e.g. a data-perimeter RCP that does not list {caller})",
            ),
        }
        if ptype in by_type:
            return by_type[ptype]
        return (
            f"a resource control policy in the customer's organization (account {role}), or "
            f"the caller's own permissions or an SCP on the Quiverstone side ({caller})",
            "the customer's organization administrator can check RCPs on "
            f"{role}; the Quiverstone side can check the caller's policies and SCPs",
        )
    by_type = {
        PolicyType.SCP: (
            f"a service control policy in the intermediate account's ({caller}) organization",
            f"the customer's organization administrator can list SCPs attached to {caller} "
            "and its OUs",
        ),
        PolicyType.RCP: (
            f"a resource control policy in the destination account's ({role}) organization",
            f"the organization administrator can list RCPs attached to {role} and its OUs",
        ),
        PolicyType.SESSION: (
            "a session policy on the hop-1 session",
            "qsdoctor passes none on hop 1; the Quiverstone side should check whether its "
            "platform passes Policy/PolicyArns",
        ),
    }
    if ptype in by_type:
        return by_type[ptype]
    return (
        f"an SCP in the intermediate account's ({caller}) organization, or an RCP in the "
        f"destination account's ({role}) organization",
        "the customer's organization administrator can list the SCPs and RCPs attached to "
        "those accounts and their OUs",
    )


def _fix_for_kind(failure: AssumeFailure, ctx: LinkContext) -> str | None:
    """The remediation for failures that no static check covers."""
    hop1 = ctx.hop is Hop.VENDOR_TO_INTERMEDIATE
    match failure.kind:
        case FailureKind.ROOT_CALLER:
            return (
                "run with an IAM user's or role's credentials in the production account "
                "(--profile), not the root user's keys"
            )
        case FailureKind.CHAINING_LIMIT:
            return (
                "request at most 3600 seconds (or omit DurationSeconds): this hop is role "
                "chaining, which AWS caps at one hour"
            )
        case FailureKind.MAX_SESSION_DURATION:
            return (
                "request at most the role's MaxSessionDuration, or raise MaxSessionDuration "
                "on the role"
            )
        case FailureKind.PACKED_POLICY_TOO_LARGE:
            return (
                "pass fewer or shorter session tags; inherited transitive tags count too "
                "(e.g. from EKS Pod Identity or CI credentials)"
            )
        case FailureKind.REGION_DISABLED:
            who = f"account {failure.account}" if failure.account else "the named account"
            return (
                f"activate the STS Regional endpoint for {who} (IAM console → Account "
                "settings), or run with --region set to an active Region"
            )
        case FailureKind.EXPIRED_TOKEN:
            if hop1:
                return "refresh the caller's credentials (e.g. `aws sso login --profile P`)"
            return "the hop-1 session expired before hop 2 ran: run the check again"
        case FailureKind.INVALID_TOKEN:
            return (
                "the caller's keys are invalid here: refresh them; in an opt-in Region, "
                "make sure both accounts enabled it, or use a Regional STS endpoint"
            )
        case FailureKind.NO_CREDENTIALS:
            return "configure credentials for --profile (aws configure / aws sso login)"
        case FailureKind.THROTTLED:
            return "STS throttled qsdoctor even after retries: run again in a minute"
        case FailureKind.SERVICE_FAULT:
            return "check network access to the STS endpoint (and AWS_ENDPOINT_URL), then retry"
        case FailureKind.INVALID_PARAMETER if hop1 and (failure.parameter or "").lower() == (
            "externalid"
        ):
            return "fix the External ID: STS accepts 2-1224 of letters, digits and _+=,.@:/-"
        case FailureKind.INVALID_PARAMETER:
            return f"fix the {failure.parameter or 'request'} parameter"
        case _:
            return None


def diagnose(failure: AssumeFailure, prior: Prior, ctx: LinkContext) -> Diagnosis:
    """Join a failed hop to the static findings on its link (pure).

    The most likely cause is the first failing static check among those that can
    explain this kind of failure. When none fails, the detail says the cause isn't
    visible from the accounts qsdoctor could read, which checks could not decide
    (and what would let them), and where else to look.
    """
    ids = candidate_checks(ctx.hop, failure)
    causes = blocking_failures(prior, ids, subject=ctx.subject, other_subjects=ctx.other_subjects)
    link = findings_on_link(prior, ids, subject=ctx.subject, other_subjects=ctx.other_subjects)
    causes += [
        f
        for f in link
        if f.status is Status.WARN
        and any(e.kind == POSSIBLE_CAUSE_EVIDENCE_KIND for e in f.evidence)
    ]
    unverified = [f for f in link if f.status in (Status.SKIP, Status.ERROR)]
    evidence: list[Evidence] = [
        Evidence(
            kind="api-error", summary=f"{failure.code}: {failure.message}", data=failure.to_data()
        ),
    ]
    parts = [failure.summary]
    remediation: str
    if causes:
        first = causes[0]
        parts.append(f"most likely cause: {_short(first)}")
        if len(causes) > 1:
            parts.append("other causes on this link: " + ", ".join(f.id for f in causes[1:]))
        else:
            parts.append("nothing else on this link fails")
        remediation = first.remediation or f"fix {first.id} (qsdoctor explain {first.id})"
        evidence.extend(
            Evidence(
                kind="cause",
                summary=f"{f.id} {f.status}: {f.detail}",
                data={"id": f.id, "name": f.name, "subject": f.subject},
            )
            for f in causes
        )
    elif (fix := _fix_for_kind(failure, ctx)) is not None:
        remediation = fix
    else:
        where, access = _invisible(failure, ctx)
        if unverified:
            names = ", ".join(dict.fromkeys(f.id for f in unverified))
            by_reason: dict[str, list[str]] = {}
            for f in unverified:
                ids_for = by_reason.setdefault(f.detail, [])
                if f.id not in ids_for:
                    ids_for.append(f.id)
            reasons = (
                next(iter(by_reason))  # one reason for all: say it once
                if len(by_reason) == 1
                else "; ".join(f"{', '.join(i)}: {reason}" for reason, i in by_reason.items())
            )
            parts.append(
                f"no static check on this link fails, but {names} could not decide: {reasons}"
            )
            remediation = (
                f"let the static checks decide ({names}: each says what it needs), then, if "
                f"none fails, look at {where}"
            )
        else:
            parts.append(
                "the cause is not visible from the accounts qsdoctor could read: every "
                f"static check on this link passes; look at {where}"
            )
            remediation = access
        if failure.kind.is_denial:
            parts.append(
                "the role was created minutes ago and IAM may not have propagated it yet: "
                "retry in 1-2 minutes"
                if _recently_created(ctx)
                else PROPAGATION_HINT
            )
    if failure.authorization_id:
        parts.append(
            f"AWS gave authorization ID {failure.authorization_id}: IAM's "
            "GetRequestAuthorizationDetails (service iam-toolbox, same Region, a caller in the "
            "denied principal's organization) shows which policy decided"
        )
    return Diagnosis(
        failure=failure,
        causes=tuple(causes),
        unverified=tuple(unverified),
        detail="; ".join(parts),
        remediation=remediation,
        evidence=tuple(evidence),
    )


def contradictions(
    prior: Prior, hop: Hop, *, subject: str | None = None, other_subjects: Sequence[str] = ()
) -> tuple[Finding, ...]:
    """Static findings on the link that FAILED although the live hop succeeded."""
    return tuple(
        blocking_failures(prior, LINK_CHECKS[hop], subject=subject, other_subjects=other_subjects)
    )


def contradiction_detail(found: Sequence[Finding]) -> str:
    """The warning text for a hop that succeeded against failing static checks."""
    ids = ", ".join(dict.fromkeys(f.id for f in found))
    return (
        f"contradiction: the live hop succeeded although {ids} failed — the static reading "
        "may be stale (IAM is eventually consistent) or incomplete (e.g. a policy qsdoctor "
        "evaluated differently from AWS); re-run in a minute, and report it if it persists"
    )
