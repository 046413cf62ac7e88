"""AssumeRole failure classification (exact AWS texts) and linking to static findings."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qsdoctor.checks.classify import (
    EXPOSURE_EVIDENCE_KIND,
    FailureKind,
    Hop,
    LinkContext,
    PolicyType,
    classify,
    contradictions,
    diagnose,
    redact_echoed_values,
)
from qsdoctor.models import Evidence, Finding, Status

CALLER = "arn:aws:sts::684035162433:assumed-role/Support/jdoe"
INTERMEDIATE = "arn:aws:iam::111122223333:role/QuiverstoneTrustedIntermediate"
DEST = "arn:aws:iam::210987654321:role/QuiverstoneChainedAccess"
OTHER_DEST = "arn:aws:iam::210987654322:role/QuiverstoneChainedAccess"
HOP1_SESSION = "arn:aws:sts::111122223333:assumed-role/QuiverstoneTrustedIntermediate/qsdoctor-x"

BARE = f"User: {CALLER} is not authorized to perform: sts:AssumeRole on resource: {INTERMEDIATE}"

# (code, message, kind, policy type, source). Texts are from aws-facts.md §1-2, which
# cites where AWS was observed to send them.
TABLE = [
    # aws-facts §1 [OBS] Netflix/security_monkey#77, aws-actions/configure-aws-credentials#1219
    ("AccessDenied", BARE, FailureKind.ACCESS_DENIED, None),
    # aws-facts §1 [DOC] IAM UG troubleshoot_access-denied ("because no <type> allows")
    (
        "AccessDenied",
        BARE + " because no role trust policy allows the sts:AssumeRole action",
        FailureKind.NO_ALLOW,
        PolicyType.TRUST,
    ),
    (
        "AccessDenied",
        BARE + " because no identity-based policy allows the sts:AssumeRole action",
        FailureKind.NO_ALLOW,
        PolicyType.IDENTITY,
    ),
    # aws-facts §1 [DOC] IAM UG troubleshoot_access-denied ("with an explicit deny in a <type>")
    (
        "AccessDenied",
        BARE + " with an explicit deny in a service control policy",
        FailureKind.EXPLICIT_DENY,
        PolicyType.SCP,
    ),
    (
        "AccessDenied",
        BARE + " with an explicit deny in a resource control policy",
        FailureKind.EXPLICIT_DENY,
        PolicyType.RCP,
    ),
    (
        "AccessDenied",
        BARE + " with an explicit deny in a permissions boundary",
        FailureKind.EXPLICIT_DENY,
        PolicyType.BOUNDARY,
    ),
    # aws-facts §1 [OBS] DataDog/stratus-red-team#462; mattrobinsonsre/terrapod#1546
    (
        "AccessDenied",
        f"User: {CALLER} is not authorized to perform: sts:TagSession on resource: {INTERMEDIATE}",
        FailureKind.TAG_SESSION_DENIED,
        None,
    ),
    # aws-facts §1 [OBS] noqdev/iambic#357
    (
        "AccessDenied",
        f"User: {CALLER} is not authorized to perform: sts:SetSourceIdentity on resource: "
        f"{INTERMEDIATE}",
        FailureKind.SOURCE_IDENTITY_DENIED,
        None,
    ),
    # aws-facts §1 [OBS] kubeflow/testing#961
    ("AccessDenied", "Roles may not be assumed by root accounts.", FailureKind.ROOT_CALLER, None),
    # aws-facts §2 [OBS] 99designs/aws-vault#263; prowler-cloud/prowler#7721
    (
        "ValidationError",
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
        "role chaining.",
        FailureKind.CHAINING_LIMIT,
        None,
    ),
    # aws-facts §2 [OBS] kreuzwerker/awsu#27
    (
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        FailureKind.MAX_SESSION_DURATION,
        None,
    ),
    # aws-facts §2 [OBS] ansible-collections/amazon.aws sts_assume_role test
    (
        "ValidationError",
        "1 validation error detected: Value 'my secret id' at 'externalId' failed to satisfy "
        r"constraint: Member must satisfy regular expression pattern: [\w+=,.@:\/-]*",
        FailureKind.INVALID_PARAMETER,
        None,
    ),
    # aws-facts §2 [MODEL/code] botocore validate.py (client-side minimums)
    (
        "ParamValidationError",
        "Parameter validation failed:\nInvalid length for parameter ExternalId, value: 1, "
        "valid min length: 2",
        FailureKind.INVALID_PARAMETER,
        None,
    ),
    # aws-facts §2 [OBS] aws/containers-roadmap#2413
    (
        "PackedPolicyTooLarge",
        "Packed size of session tags consumes 112% of allotted space.",
        FailureKind.PACKED_POLICY_TOO_LARGE,
        None,
    ),
    # aws-facts §2 [OBS] turbot/steampipe-plugin-aws#1510
    (
        "RegionDisabledException",
        "STS is not activated in this region for account:111122223333. Your account "
        "administrator can activate STS in this region using the IAM Console.",
        FailureKind.REGION_DISABLED,
        None,
    ),
    # aws-facts §2 [OBS] boto/boto3#1431
    (
        "ExpiredToken",
        "The security token included in the request is expired",
        FailureKind.EXPIRED_TOKEN,
        None,
    ),
    # aws-facts §2 [OBS] Nike-Inc/gimme-aws-creds#141
    (
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
        FailureKind.INVALID_TOKEN,
        None,
    ),
    # botocore sts model: common throttling error; gateway gives up after retries
    ("Throttling", "Rate exceeded", FailureKind.THROTTLED, None),
    ("InternalFailure", "", FailureKind.SERVICE_FAULT, None),
    ("SomethingNew", "unheard of", FailureKind.OTHER, None),
]


@pytest.mark.parametrize(("code", "message", "kind", "ptype"), TABLE)
def test_classify_table(
    code: str, message: str, kind: FailureKind, ptype: PolicyType | None
) -> None:
    failure = classify(code, message)
    assert failure.kind is kind
    assert failure.policy_type == ptype
    assert failure.code == code


def test_parses_caller_action_resource_of_denial() -> None:
    failure = classify("AccessDenied", BARE + " because no role trust policy allows it")
    assert failure.caller == CALLER
    assert failure.action == "sts:AssumeRole"
    assert failure.resource == INTERMEDIATE


def test_synthetic_trail_denial_message_parses() -> None:
    # cloudtrail-samples/assumerole-denied-hop1-caller-copy.synthetic.json
    msg = (
        "User: arn:aws:sts::111111111111:assumed-role/VendorProdRole/vendor-prod-session is not "
        "authorized to perform: sts:AssumeRole on resource: "
        "arn:aws:iam::222222222222:role/IntermediateRole"
    )
    failure = classify("AccessDenied", msg)
    assert failure.resource == "arn:aws:iam::222222222222:role/IntermediateRole"
    assert failure.caller is not None
    assert failure.caller.endswith("vendor-prod-session")


def test_region_disabled_names_the_account() -> None:
    failure = classify(
        "RegionDisabledException",
        "STS is not activated in this region for account:210987654321. Your account "
        "administrator can activate STS in this region using the IAM Console.",
    )
    assert failure.account == "210987654321"


def test_validation_error_names_parameter_and_never_echoes_value() -> None:
    secret = "abc def-ghi"
    failure = classify(
        "ValidationError",
        f"1 validation error detected: Value '{secret}' at 'externalId' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*",
    )
    assert failure.parameter == "externalId"
    assert secret not in failure.message
    assert secret not in failure.summary


def test_redaction_handles_quotes_inside_the_value() -> None:
    text = "Value 'it's secret' at 'externalId' failed"
    assert redact_echoed_values(text) == "Value '<redacted>' at 'externalId' failed"


def test_authorization_id_is_kept() -> None:
    msg = (
        BARE + " with an explicit deny in a service control policy: "
        "arn:aws:organizations::1:policy/o-x/service_control_policy/p-y. Go to the console, or "
        "call the GetRequestAuthorizationDetails API with the following authorization id: "
        "a1b2c3"
    )
    failure = classify("AccessDenied", msg)
    assert failure.authorization_id == "a1b2c3"
    assert failure.policy_type is PolicyType.SCP
    assert "authorization ID a1b2c3" in diagnose(failure, {}, HOP1).detail


# ---------------------------------------------------------------------------- linking


def finding(
    check_id: str,
    status: Status,
    detail: str = "d",
    subject: str = INTERMEDIATE,
    *evidence: Evidence,
) -> Finding:
    return Finding(
        id=check_id,
        name=check_id.lower(),
        status=status,
        subject=subject,
        title=f"{check_id} title",
        detail=detail,
        remediation=f"fix {check_id}",
        evidence=evidence,
    )


def prior_of(*findings: Finding) -> dict[str, tuple[Finding, ...]]:
    out: dict[str, tuple[Finding, ...]] = {}
    for f in findings:
        out[f.id] = (*out.get(f.id, ()), f)
    return out


HOP1 = LinkContext(
    hop=Hop.VENDOR_TO_INTERMEDIATE, caller_account="684035162433", role_account="111122223333"
)


def hop2(subject: str = DEST) -> LinkContext:
    return LinkContext(
        hop=Hop.INTERMEDIATE_TO_DESTINATION,
        subject=subject,
        other_subjects=(DEST, OTHER_DEST),
        caller_account="111122223333",
        role_account=subject.split(":")[4],
    )


def test_bare_denial_names_failing_external_id_check_first() -> None:
    prior = prior_of(
        finding("QS101", Status.PASS),
        finding("QS102", Status.FAIL, "trust admits 999999999999, not 684035162433"),
        finding("QS104", Status.FAIL, "the External ID differs from the trust policy's"),
    )
    d = diagnose(classify("AccessDenied", BARE), prior, HOP1)
    assert [f.id for f in d.causes] == ["QS104", "QS102"]
    assert "most likely cause: QS104 (QS104 title)" in d.detail
    assert "other causes on this link: QS102" in d.detail
    assert d.remediation == "fix QS104"


def test_source_identity_denial_blames_qs109_only() -> None:
    prior = prior_of(finding("QS104", Status.FAIL), finding("QS109", Status.FAIL, "no SSI"))
    failure = classify(
        "AccessDenied",
        f"User: {CALLER} is not authorized to perform: sts:SetSourceIdentity on resource: "
        f"{INTERMEDIATE}",
    )
    d = diagnose(failure, prior, HOP1)
    assert [f.id for f in d.causes] == ["QS109"]


def test_no_static_failure_says_cause_is_invisible_and_where_to_look() -> None:
    prior = prior_of(*(finding(i, Status.PASS) for i in ("QS101", "QS102", "QS103", "QS104")))
    d = diagnose(classify("AccessDenied", BARE), prior, HOP1)
    assert d.causes == ()
    assert "not visible from the accounts qsdoctor could read" in d.detail
    assert "resource control policy" in d.detail
    assert "retry in 1-2 minutes" in d.detail
    assert "111122223333" in d.remediation


def test_skipped_static_checks_are_named_with_their_reason() -> None:
    reason = "no credentials for account 111122223333: pass --intermediate-profile"
    prior = prior_of(finding("QS102", Status.SKIP, reason), finding("QS104", Status.SKIP, reason))
    d = diagnose(classify("AccessDenied", BARE), prior, HOP1)
    assert [f.id for f in d.unverified] == ["QS104", "QS102"]
    assert "--intermediate-profile" in d.detail
    assert "could not decide" in d.detail
    assert d.detail.count(reason) == 1
    # One reason for all: the IDs are named once, then the reason.
    assert f"QS104, QS102 could not decide: {reason}" in d.detail
    mixed = prior_of(
        finding("QS102", Status.SKIP, reason), finding("QS104", Status.ERROR, "iam:GetRole denied")
    )
    d = diagnose(classify("AccessDenied", BARE), mixed, HOP1)
    assert f"QS102: {reason}" in d.detail
    assert "QS104: iam:GetRole denied" in d.detail


def test_explicit_scp_deny_on_hop2_points_at_customer_organization() -> None:
    msg = (
        f"User: {HOP1_SESSION} is not authorized to perform: sts:AssumeRole on resource: {DEST}"
        " with an explicit deny in a service control policy"
    )
    prior = prior_of(finding("QS202", Status.PASS, subject=DEST))
    d = diagnose(classify("AccessDenied", msg), prior, hop2())
    assert d.causes == ()
    assert "service control policy in the intermediate account's (111122223333)" in d.detail


def test_hop2_ignores_other_destinations_findings() -> None:
    prior = prior_of(
        finding("QS202", Status.FAIL, "trusts another account", OTHER_DEST),
        finding("QS202", Status.PASS, "named", DEST),
        finding("QS106", Status.FAIL, "no allow for this destination", DEST),
    )
    msg = f"User: {HOP1_SESSION} is not authorized to perform: sts:AssumeRole on resource: {DEST}"
    d = diagnose(classify("AccessDenied", msg), prior, hop2())
    assert [(f.id, f.subject) for f in d.causes] == [("QS106", DEST)]


def test_chaining_limit_has_its_own_fix_and_no_static_cause() -> None:
    failure = classify(
        "ValidationError",
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
        "role chaining.",
    )
    prior = prior_of(finding("QS202", Status.FAIL, subject=DEST))
    d = diagnose(failure, prior, hop2())
    assert d.causes == ()
    assert "3600" in d.remediation


def test_expired_token_on_hop2_says_rerun() -> None:
    failure = classify("ExpiredToken", "The security token included in the request is expired")
    d = diagnose(failure, {}, hop2())
    assert "hop-1 session expired" in d.remediation


def test_exposure_only_failures_neither_explain_nor_contradict() -> None:
    wildcard = finding(
        "QS102",
        Status.FAIL,
        "trust admits anyone",
        INTERMEDIATE,
        Evidence(kind=EXPOSURE_EVIDENCE_KIND, summary="Principal *"),
    )
    prior = prior_of(wildcard)
    assert contradictions(prior, Hop.VENDOR_TO_INTERMEDIATE) == ()
    d = diagnose(classify("AccessDenied", BARE), prior, HOP1)
    assert d.causes == ()


def test_contradictions_list_failing_checks_on_the_link_only() -> None:
    prior = prior_of(
        finding("QS104", Status.FAIL),
        finding("QS105", Status.WARN),
        finding("QS202", Status.FAIL, subject=DEST),
    )
    found = contradictions(prior, Hop.VENDOR_TO_INTERMEDIATE)
    assert [f.id for f in found] == ["QS104"]
    found2 = contradictions(
        prior,
        Hop.INTERMEDIATE_TO_DESTINATION,
        subject=OTHER_DEST,
        other_subjects=(DEST, OTHER_DEST),
    )
    assert found2 == ()


def test_single_cause_says_nothing_else_fails_and_names_the_cause_by_its_title() -> None:
    prior = prior_of(finding("QS104", Status.FAIL, "IDs differ; hint: same first 3 characters"))
    d = diagnose(classify("AccessDenied", BARE), prior, HOP1)
    assert "most likely cause: QS104 (QS104 title); nothing else on this link fails" in d.detail
    # The cause's own detail is shown under its finding, not repeated here.
    assert "IDs differ" not in d.detail
    assert "hint" not in d.detail


def test_recently_created_role_mentions_propagation_when_no_static_cause() -> None:
    ctx = LinkContext(
        hop=Hop.INTERMEDIATE_TO_DESTINATION,
        subject=DEST,
        other_subjects=(DEST,),
        role_created_at="2026-12-04T15:58:00Z",
        collected_at="2026-12-04T16:00:00Z",
    )
    passing = prior_of(finding("QS202", Status.PASS, subject=DEST))
    d = diagnose(classify("AccessDenied", BARE), passing, ctx)
    assert "created minutes ago" in d.detail
    old = dataclasses.replace(ctx, role_created_at="2026-11-04T15:58:00Z")
    d_old = diagnose(classify("AccessDenied", BARE), passing, old)
    assert "created minutes ago" not in d_old.detail
    assert "retry in 1-2 minutes" in d_old.detail
    # A failing static check is the cause; propagation is not offered as one.
    failing = prior_of(finding("QS202", Status.FAIL, subject=DEST))
    assert "1-2 minutes" not in diagnose(classify("AccessDenied", BARE), failing, ctx).detail


def test_notprincipal_failure_is_exposure_and_qs105_is_no_contradiction() -> None:
    prior = prior_of(
        finding("QS102", Status.FAIL, "statement #1 allows NotPrincipal: any AWS account"),
        finding("QS105", Status.FAIL, "the destination External ID has a space"),
    )
    assert contradictions(prior, Hop.VENDOR_TO_INTERMEDIATE) == ()


def test_invalid_external_id_parameter_is_linked_to_qs105() -> None:
    failure = classify(
        "ParamValidationError",
        "Invalid value for parameter ExternalId (41 chars): STS accepts 2-1224 of letters",
    )
    assert failure.parameter == "ExternalId"
    prior = prior_of(finding("QS104", Status.FAIL), finding("QS105", Status.FAIL, "bad chars"))
    d = diagnose(failure, prior, HOP1)
    assert [f.id for f in d.causes] == ["QS105"]


@given(code=st.text(max_size=30), message=st.text(max_size=300))
def test_classify_never_raises_and_always_summarises(code: str, message: str) -> None:
    failure = classify(code, message)
    assert isinstance(failure.kind, FailureKind)
    assert failure.summary


@given(
    secret=st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="'"),
        min_size=2,
        max_size=80,
    )
)
def test_echoed_values_never_survive_redaction(secret: str) -> None:
    message = (
        f"1 validation error detected: Value '{secret}' at 'externalId' failed to satisfy "
        r"constraint: Member must satisfy regular expression pattern: [\w+=,.@:\/-]*"
    )
    redacted = classify("ValidationError", message).message
    assert f"'{secret}'" not in redacted
    assert "Value '<redacted>' at 'externalId'" in redacted


def test_explicit_deny_summary_reads_as_english() -> None:
    identity = classify("AccessDenied", BARE + " with an explicit deny in an identity-based policy")
    assert identity.summary == "AccessDenied: explicit deny in an identity-based policy"
    scp = classify("AccessDenied", BARE + " with an explicit deny in a service control policy")
    assert scp.summary == "AccessDenied: explicit deny in a service control policy"
