"""Correctness audit of the hop failure classifier and its link to the static checks.

Messages are the exact texts of aws-facts §1-2 (each cites where AWS sent it); the
expected classes and causes are derived by hand from those facts. The linking tests
feed findings produced by the real static checks on hand-built Facts, so a wording
change in a check cannot silently break which cause is named.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

import pytest

from qsdoctor.checks.classify import (
    FailureKind,
    Hop,
    LinkContext,
    PolicyType,
    classify,
    diagnose,
)
from qsdoctor.checks.registry import run_checks
from qsdoctor.facts import (
    CallerFacts,
    CallerIdentity,
    Destination,
    Facts,
    NamedPolicy,
    RoleFacts,
    RolePermissions,
)
from qsdoctor.models import Finding, Ok, Status
from qsdoctor.secrets import ExternalId

VENDOR = "684035162433"
INTER = "111122223333"
DEST_ACCT = "210987654321"
CALLER = f"arn:aws:sts::{VENDOR}:assumed-role/Support/jdoe"
INTERMEDIATE = f"arn:aws:iam::{INTER}:role/QuiverstoneTrustedIntermediate"
DEST = f"arn:aws:iam::{DEST_ACCT}:role/QuiverstoneChainedAccess"
HOP2_CALLER = f"arn:aws:sts::{INTER}:assumed-role/QuiverstoneTrustedIntermediate/qs"
EXT = secrets.token_urlsafe(32)


def bare(caller: str = CALLER, action: str = "sts:AssumeRole", role: str = INTERMEDIATE) -> str:
    return f"User: {caller} is not authorized to perform: {action} on resource: {role}"


# --------------------------------------------------------------------------------------
# Classification: every exact text of aws-facts §1-2


@pytest.mark.parametrize(
    ("code", "message", "kind", "policy_type"),
    [
        ("AccessDenied", bare(), FailureKind.ACCESS_DENIED, None),
        (
            "AccessDenied",
            bare() + " because no role trust policy allows the sts:AssumeRole action",
            FailureKind.NO_ALLOW,
            PolicyType.TRUST,
        ),
        (
            "AccessDenied",
            bare() + " because no permissions boundary allows the sts:AssumeRole action",
            FailureKind.NO_ALLOW,
            PolicyType.BOUNDARY,
        ),
        (
            "AccessDenied",
            bare() + " because no session policy allows the sts:AssumeRole action",
            FailureKind.NO_ALLOW,
            PolicyType.SESSION,
        ),
        (
            "AccessDenied",
            bare() + " with an explicit deny in a VPC endpoint policy",
            FailureKind.EXPLICIT_DENY,
            PolicyType.VPC_ENDPOINT,
        ),
        (
            "AccessDenied",
            bare() + " with an explicit deny in an identity-based policy",
            FailureKind.EXPLICIT_DENY,
            PolicyType.IDENTITY,
        ),
        (
            "AccessDenied",
            bare(action="sts:TagSession"),
            FailureKind.TAG_SESSION_DENIED,
            None,
        ),
        (
            "AccessDenied",
            bare(action="sts:SetSourceIdentity"),
            FailureKind.SOURCE_IDENTITY_DENIED,
            None,
        ),
        (
            "AccessDenied",
            "Roles may not be assumed by root accounts.",
            FailureKind.ROOT_CALLER,
            None,
        ),
        (
            "ValidationError",
            "The requested DurationSeconds exceeds the 1 hour session limit for roles "
            "assumed by role chaining.",
            FailureKind.CHAINING_LIMIT,
            None,
        ),
        (
            "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            FailureKind.MAX_SESSION_DURATION,
            None,
        ),
        (
            "ValidationError",
            "1 validation error detected: Value 'abc def' at 'externalId' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [\\w+=,.@:/-]*",
            FailureKind.INVALID_PARAMETER,
            None,
        ),
        (
            "ParamValidationError",
            "Invalid length for parameter ExternalId, value: 1, valid min length: 2",
            FailureKind.INVALID_PARAMETER,
            None,
        ),
        (
            "PackedPolicyTooLarge",
            "Packed size of session tags consumes 112% of allotted space.",
            FailureKind.PACKED_POLICY_TOO_LARGE,
            None,
        ),
        (
            "RegionDisabledException",
            f"STS is not activated in this region for account:{INTER}. Your account "
            "administrator can activate STS in this region using the IAM Console.",
            FailureKind.REGION_DISABLED,
            None,
        ),
        (
            "ExpiredToken",
            "The security token included in the request is expired",
            FailureKind.EXPIRED_TOKEN,
            None,
        ),
        (
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
            FailureKind.INVALID_TOKEN,
            None,
        ),
        ("Throttling", "Rate exceeded", FailureKind.THROTTLED, None),
    ],
)
def test_exact_texts_classify(
    code: str, message: str, kind: FailureKind, policy_type: PolicyType | None
) -> None:
    failure = classify(code, message)
    assert failure.kind is kind
    assert failure.policy_type is policy_type


def test_echoed_external_id_is_redacted() -> None:
    failure = classify(
        "ValidationError",
        "1 validation error detected: Value 'my secret id' at 'externalId' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:/-]*",
    )
    assert "my secret id" not in failure.message
    assert failure.parameter == "externalId"


def test_region_disabled_names_the_account() -> None:
    failure = classify(
        "RegionDisabledException",
        f"STS is not activated in this region for account:{INTER}. Your account "
        "administrator can activate STS in this region using the IAM Console.",
    )
    assert failure.account == INTER


@pytest.mark.parametrize(
    "role",
    [
        # IAM role names may contain "." (IAM UG reference_iam-quotas: [\w+=,.@-]+)
        f"arn:aws:iam::{INTER}:role/Quiverstone.Intermediate",
        f"arn:aws:iam::{INTER}:role/team.a/Quiverstone@Intermediate",
        INTERMEDIATE,
    ],
)
def test_resource_is_the_whole_arn(role: str) -> None:
    for suffix in ("", ".", " because no role trust policy allows the sts:AssumeRole action"):
        failure = classify("AccessDenied", bare(role=role) + suffix)
        assert failure.resource == role, suffix
        assert failure.caller == CALLER
        assert failure.action == "sts:AssumeRole"


# --------------------------------------------------------------------------------------
# Linking: findings from the real static checks on hand-built Facts


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(principal: Any, condition: Any = None) -> dict[str, Any]:
    s: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition is not None:
        s["Condition"] = condition
    return s


REFERENCE = doc(
    allow({"AWS": f"arn:aws:iam::{VENDOR}:root"}, {"StringEquals": {"sts:ExternalId": EXT}})
)
GRANT = doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/*"})


def _role(arn: str, trust: dict[str, Any], identity: dict[str, Any] | None = None) -> RoleFacts:
    name = arn.rsplit("/", 1)[1]
    return RoleFacts(
        arn=arn,
        name=name,
        path="/",
        role_id="AROAEXAMPLEAUDIT0002",
        account_id=arn.split(":")[4],
        trust_policy=trust,
        create_date="2026-01-05T10:00:00Z",
        permissions=Ok(
            RolePermissions(
                inline=(NamedPolicy(name="P", kind="inline", document=identity or GRANT),),
                attached=(),
                boundary=None,
            )
        ),
    )


def chain(
    trust: dict[str, Any] = REFERENCE,
    *,
    configured: str = EXT,
    identity: dict[str, Any] | None = None,
    dest_trust: dict[str, Any] | None = None,
) -> Facts:
    destination = Destination(
        arn=DEST,
        role=Ok(_role(DEST, dest_trust or doc(allow({"AWS": INTERMEDIATE}))))
        if dest_trust is not None
        else Ok(_role(DEST, doc(allow({"AWS": INTERMEDIATE})))),
    )
    return Facts(
        collected_at="2026-12-04T16:00:00Z",
        vendor_account_id=VENDOR,
        intermediate_arn=INTERMEDIATE,
        region="us-east-1",
        callers=(
            CallerFacts(
                label="caller",
                profile="qs",
                identity=Ok(CallerIdentity(account=VENDOR, arn=CALLER, user_id="AROAX:jdoe")),
            ),
        ),
        external_id=ExternalId(configured, source="test"),
        intermediate_role=Ok(_role(INTERMEDIATE, trust, identity)),
        destinations=(destination,),
    )


STATIC = {"QS101", "QS102", "QS103", "QS104", "QS105", "QS106", "QS109"} | {
    "QS201",
    "QS202",
    "QS203",
    "QS204",
}


def prior_of(f: Facts) -> dict[str, tuple[Finding, ...]]:
    out: dict[str, list[Finding]] = {}
    for finding in run_checks(f, select=STATIC, raise_errors=True):
        out.setdefault(finding.id, []).append(finding)
    return {k: tuple(v) for k, v in out.items()}


HOP1 = LinkContext(hop=Hop.VENDOR_TO_INTERMEDIATE, caller_account=VENDOR, role_account=INTER)
HOP2 = LinkContext(
    hop=Hop.INTERMEDIATE_TO_DESTINATION,
    subject=DEST,
    other_subjects=(DEST,),
    caller_account=INTER,
    role_account=DEST_ACCT,
)


def causes(f: Facts, failure_message: str, ctx: LinkContext = HOP1) -> list[str]:
    prior = prior_of(f)
    d = diagnose(classify("AccessDenied", failure_message), prior, ctx)
    return [c.id for c in d.causes]


def test_hop1_denied_trust_names_another_account_blames_qs102() -> None:
    trust = doc(allow({"AWS": "arn:aws:iam::999988887777:root"}))
    prior = prior_of(chain(trust))
    assert prior["QS102"][0].status is Status.FAIL
    assert causes(chain(trust), bare())[0] == "QS102"


def test_hop1_denied_mismatched_external_id_blames_qs104() -> None:
    f = chain(configured=secrets.token_urlsafe(32))
    assert causes(f, bare()) == ["QS104"]


def test_hop1_denied_by_a_deny_enforced_external_id_blames_qs104() -> None:
    trust = doc(
        allow({"AWS": f"arn:aws:iam::{VENDOR}:root"}),
        {
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringNotEquals": {"sts:ExternalId": EXT}},
        },
    )
    f = chain(trust, configured=secrets.token_urlsafe(32))
    assert causes(f, bare()) == ["QS104"]


def test_hop1_wildcard_pinned_to_another_account_is_a_cause_not_exposure() -> None:
    # "*" narrowed to another account admits no production principal: QS102 fails and
    # must be offered as the cause (it is not a mere exposure finding).
    trust = doc(allow("*", {"StringEquals": {"aws:PrincipalAccount": "999988887777"}}))
    assert "QS102" in causes(chain(trust), bare())


def test_hop1_denied_with_everything_passing_is_not_visible() -> None:
    f = chain()
    prior = prior_of(f)
    assert all(x.status is Status.PASS for k in ("QS102", "QS103", "QS104") for x in prior[k])
    d = diagnose(classify("AccessDenied", bare()), prior, HOP1)
    assert d.causes == ()
    assert "not visible" in d.detail
    # what would reveal it: the customer's RCPs, or the caller's own side
    assert "resource control polic" in d.detail
    assert INTER in d.remediation


def test_hop1_enriched_identity_denial_points_at_the_callers_policies() -> None:
    # "because no identity-based policy allows": the production principal's own
    # policies, which qsdoctor cannot read; no intermediate-side check is to blame
    # even though QS104 fails here.
    f = chain(configured=secrets.token_urlsafe(32))
    msg = bare() + " because no identity-based policy allows the sts:AssumeRole action"
    d = diagnose(classify("AccessDenied", msg), prior_of(f), HOP1)
    assert d.causes == ()
    assert "identity policies" in d.detail


def test_hop2_denied_scope_blames_qs106_not_the_trust() -> None:
    narrow = doc(
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": "arn:aws:iam::*:role/SomethingElse",
        }
    )
    f = chain(identity=narrow)
    assert causes(f, bare(HOP2_CALLER, role=DEST), HOP2) == ["QS106"]


def test_hop2_denied_stale_unique_id_blames_qs202() -> None:
    f = chain(dest_trust=doc(allow({"AWS": "AROA3XFRBF535PLBIFPI4"})))
    assert causes(f, bare(HOP2_CALLER, role=DEST), HOP2) == ["QS202"]


def test_hop2_same_account_named_trust_not_blamed_on_qs106() -> None:
    # the destination sits in the intermediate account and its trust names the role:
    # no identity Allow is needed (IAM UG reference_policies_evaluation-logic), so a
    # denial must not be pinned on QS106.
    same = f"arn:aws:iam::{INTER}:role/QuiverstoneChainedAccess"
    narrow = doc(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/X"}
    )
    f = chain(identity=narrow)
    f = replace(
        f,
        destinations=(
            Destination(arn=same, role=Ok(_role(same, doc(allow({"AWS": INTERMEDIATE}))))),
        ),
    )
    ctx = replace(HOP2, subject=same, other_subjects=(same,), role_account=INTER)
    assert "QS106" not in causes(f, bare(HOP2_CALLER, role=same), ctx)
