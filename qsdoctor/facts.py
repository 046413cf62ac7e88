"""Facts: everything collection learned, as plain data. Checks read only this.

The same checks run on facts collected live, loaded from a saved bundle
(`--save-facts` / `--from-facts`, secrets redacted) or derived from a template, so
every field here is part of a file format: document it, and add fields with
defaults rather than changing existing ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from qsdoctor.models import Fetched, Skipped
from qsdoctor.secrets import ExternalId

PolicyDocument = dict[str, Any]

FACTS_SCHEMA_VERSION = 1

#: Defaults for facts nobody collected (immutable, so safe to share).
NOT_READ = Skipped("not read")
NOT_ATTEMPTED = Skipped("not attempted")


@dataclass(frozen=True, slots=True, kw_only=True)
class NamedPolicy:
    """A policy document with where it came from."""

    name: str
    """Inline policy name, or the managed policy's name."""
    kind: Literal["inline", "managed", "boundary"]
    document: PolicyDocument
    """The decoded policy document (botocore decodes IAM's URL-encoded JSON)."""
    arn: str | None = None
    """Managed policy ARN (managed and boundary policies)."""
    version_id: str | None = None
    """Default version of a managed policy."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RolePermissions:
    """The role's identity-side policies: what its sessions may do."""

    inline: tuple[NamedPolicy, ...] = ()
    attached: tuple[NamedPolicy, ...] = ()
    boundary: NamedPolicy | None = None
    """Permissions boundary; None when the role has none."""

    @property
    def identity_policies(self) -> tuple[NamedPolicy, ...]:
        return self.inline + self.attached


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleFacts:
    """One IAM role as iam:GetRole (and the policy reads) describe it."""

    arn: str
    name: str
    path: str
    role_id: str
    """Unique ID (AROA...): what a trust policy shows once this role is deleted."""
    account_id: str
    trust_policy: PolicyDocument
    """AssumeRolePolicyDocument, decoded."""
    max_session_duration: int = 3600
    create_date: str | None = None
    last_used_date: str | None = None
    """RoleLastUsed.LastUsedDate (ISO-8601); None when unused in IAM's 400-day window."""
    last_used_region: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    permissions: Fetched[RolePermissions] = NOT_READ
    """Inline, attached and boundary policies (needs iam:List*/Get* on the role)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerIdentity:
    """sts:GetCallerIdentity's answer."""

    account: str
    arn: str
    user_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerFacts:
    """The identity behind one set of credentials qsdoctor uses."""

    label: Literal["caller", "intermediate", "destination"]
    """What the credentials are for: "caller" (--profile, live hops), "intermediate"
    (reads in the intermediate account), "destination" (reads in destination accounts)."""
    profile: str | None
    """Profile name, or None for the default credential chain."""
    identity: Fetched[CallerIdentity]


@dataclass(frozen=True, slots=True, kw_only=True)
class AssumeAttempt:
    """One live sts:AssumeRole call and what STS answered. Never holds credentials."""

    role_arn: str
    succeeded: bool
    session_name: str
    region: str
    """Region of the STS endpoint used (where CloudTrail records the call)."""
    endpoint: str | None = None
    duration_seconds: int | None = None
    external_id_sent: bool = False
    external_id_fingerprint: str | None = None
    source_identity: str | None = None
    session_arn: str | None = None
    """Assumed-role ARN on success."""
    expiration: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    """STS's message, External IDs redacted."""
    attempted_at: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class NegativeProbes:
    """QS303's probes: AssumeRole on the intermediate role with no and with a wrong External ID."""

    without_external_id: AssumeAttempt
    wrong_external_id: AssumeAttempt


@dataclass(frozen=True, slots=True, kw_only=True)
class Destination:
    """A destination role the intermediate role's sessions should assume."""

    arn: str
    role: Fetched[RoleFacts | None] = NOT_READ
    """Ok(None): IAM said there is no such role."""
    external_id: ExternalId | None = None
    """The External ID configured for this destination, if any."""
    hop: Fetched[AssumeAttempt] = NOT_ATTEMPTED
    """Live hop 2 onto this destination."""
    other_arn: str | None = None
    """When `role` is Ok(None): the same-named role IAM has under another path or letter
    case (STS needs the exact ARN), for QS201 to suggest."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TrailInfo:
    """A CloudTrail trail that may record the intermediate account's management events."""

    name: str
    arn: str
    home_region: str
    is_organization_trail: bool
    is_multi_region: bool
    is_logging: bool | None
    """From GetTrailStatus; None when it could not be read."""
    records_management_events: bool | None
    """Whether the event selectors include write management events from sts.amazonaws.com."""
    selector_summary: str = ""
    s3_bucket: str | None = None
    s3_prefix: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TrailEvent:
    """One AssumeRole record, reduced to what the checks need (no secrets, no credentials)."""

    event_id: str
    event_time: str
    region: str
    succeeded: bool
    role_arn: str | None
    """From requestParameters.roleArn, or from errorMessage when parameters are null."""
    caller_arn: str | None
    caller_account: str | None
    recipient_account: str | None
    error_code: str | None = None
    error_message: str | None = None
    session_name: str | None = None
    external_id_fingerprint: str | None = None
    """Fingerprint of requestParameters.externalId (same run key as the configured one)."""
    source_identity: str | None = None
    user_agent: str | None = None
    caller_type: str | None = None
    """userIdentity.type: "AWSAccount" marks the role owner's copy of a cross-account call."""
    endpoint: str | None = None
    """tlsDetails.clientProvidedHostHeader: the STS endpoint that served the call."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TrailLookup:
    """AssumeRole records read for one hop, from one vantage point."""

    vantage: Literal["production", "intermediate"]
    """Whose trail: the production account sees hop-1 denials, the intermediate
    account sees hop-1 successes and hop-2 denials."""
    regions: tuple[str, ...]
    events: tuple[TrailEvent, ...]
    malformed: int = 0
    """Records that could not be parsed (skipped, counted)."""
    pages: int = 0
    sources: tuple[str, ...] = ()
    """Where the records came from: "LookupEvents" and/or s3://bucket/prefix."""
    notes: tuple[str, ...] = ()
    """What was not read (a Region denied, a page cap reached): the evidence is partial."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TrailFacts:
    """What CloudTrail says about the chain in the look-back window."""

    since: str
    """Start of the look-back window (UTC ISO-8601)."""
    until: str
    trails: Fetched[tuple[TrailInfo, ...]] = NOT_READ
    hop1: Fetched[TrailLookup] = NOT_READ
    hop2: Fetched[TrailLookup] = NOT_READ


@dataclass(frozen=True, slots=True, kw_only=True)
class Facts:
    """Everything known about one chain: the input of every check."""

    schema_version: int = FACTS_SCHEMA_VERSION
    collected_at: str
    """UTC ISO-8601 time collection started."""
    vendor_account_id: str
    """The production account expected to assume the intermediate role (684035162433)."""
    intermediate_arn: str
    region: str
    partition: str = "aws"
    callers: tuple[CallerFacts, ...] = ()
    external_id: ExternalId | None = None
    """The External ID Quiverstone is configured with for the intermediate role."""
    source_identity: str | None = None
    """--source-identity: hop 1 sets it, so both trusts need sts:SetSourceIdentity."""
    session_tag_keys: tuple[str, ...] = ()
    """Session tags hop 1 passes (or the caller carries); trusts then need sts:TagSession."""
    intermediate_role: Fetched[RoleFacts | None] = NOT_READ
    """Ok(None): IAM said there is no such role."""
    role_candidates: Fetched[tuple[str, ...]] = NOT_READ
    """ARNs of the roles in the intermediate account (read only when the role is missing)."""
    destinations: tuple[Destination, ...] = ()
    hop1: Fetched[AssumeAttempt] = NOT_ATTEMPTED
    negative_probes: Fetched[NegativeProbes] = NOT_ATTEMPTED
    trail: TrailFacts | None = None
    notes: tuple[str, ...] = field(default=())
    """Collection remarks worth showing with -v (e.g. which profile read what)."""
