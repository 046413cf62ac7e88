"""Evaluation across layers, accounts and principals, from AWS's documented rules.

Sources (IAM User Guide pages), named per row:
  EL = reference_policies_evaluation-logic
  XA = reference_policies_evaluation-logic-cross-account
  PR = reference_policies_elements_principal
  ORG = Organizations UG orgs_manage_policies_scps / orgs_manage_policies_rcps
Expected decisions are written by hand from those pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from policy_helpers import (
    DESTINATION,
    DESTINATION_ROLE,
    INTERMEDIATE,
    INTERMEDIATE_ROLE,
    INTERMEDIATE_SESSION,
    PRODUCTION,
    SUPPORT_SESSION,
    allow,
    deny,
    pol,
    trust,
)

from qsdoctor.policy import Decision, Policy, Request, evaluate

ALLOWED, IMPLICIT, EXPLICIT = Decision.ALLOWED, Decision.IMPLICIT_DENY, Decision.EXPLICIT_DENY
EXTERNAL_ID = "Zq3vN8rT1xLm5Kp0Wc7Ys2Hd9Gf4Jb6A"
ROOT = f"arn:aws:iam::{PRODUCTION}:root"
SAME_ACCOUNT_ROLE = f"arn:aws:iam::{INTERMEDIATE}:role/Helper"
FULL_ACCESS = {"Effect": "Allow", "Action": "*", "Resource": "*"}


@dataclass(frozen=True)
class Case:
    source: str
    principal: str
    resource: str
    expected: Decision
    identity: tuple[dict[str, Any], ...] = ()
    trust: tuple[dict[str, Any], ...] | None = None
    boundary: tuple[dict[str, Any], ...] | None = None
    session: tuple[dict[str, Any], ...] = ()
    scps: tuple[tuple[dict[str, Any], ...], ...] | None = None
    rcps: tuple[tuple[dict[str, Any], ...], ...] = ()
    context: dict[str, Any] = field(default_factory=dict)
    role_arn: str | None = None


def run(case: Case) -> Decision:
    def p(stmts: tuple[dict[str, Any], ...], name: str) -> Policy:
        return pol(*stmts, name=name)

    result = evaluate(
        Request(
            principal=case.principal,
            action="sts:AssumeRole",
            resource=case.resource,
            context=case.context,
            principal_role_arn=case.role_arn,
        ),
        identity_policies=[p(case.identity, "identity")] if case.identity else [],
        trust_policy=p(case.trust, "trust") if case.trust is not None else None,
        permission_boundary=p(case.boundary, "boundary") if case.boundary is not None else None,
        session_policies=[p(case.session, "session")] if case.session else [],
        scps=[p(s, f"scp{i}") for i, s in enumerate(case.scps)] if case.scps is not None else None,
        rcps=[p(s, f"rcp{i}") for i, s in enumerate(case.rcps)],
    )
    return result.decision


ACCOUNT_TRUST = (trust({"AWS": ROOT}, Condition={"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}),)
WITH_ID = {"sts:ExternalId": EXTERNAL_ID}
ROLE_TRUST = (trust({"AWS": f"arn:aws:iam::{INTERMEDIATE}:role/QuiverstoneTrustedIntermediate"}),)
ASSUME_ANY = (allow("sts:AssumeRole", "arn:aws:iam::*:role/*"),)

CASES = {
    # cross-account: both sides must allow
    "xa-both-allow": Case(
        "XA",
        SUPPORT_SESSION,
        INTERMEDIATE_ROLE,
        ALLOWED,
        ASSUME_ANY,
        ACCOUNT_TRUST,
        context=WITH_ID,
    ),
    "xa-no-identity": Case(
        "XA", SUPPORT_SESSION, INTERMEDIATE_ROLE, IMPLICIT, (), ACCOUNT_TRUST, context=WITH_ID
    ),
    "xa-no-trust-allow": Case(
        "XA",
        SUPPORT_SESSION,
        INTERMEDIATE_ROLE,
        IMPLICIT,
        ASSUME_ANY,
        (trust({"AWS": "999988887777"}),),
        context=WITH_ID,
    ),
    "xa-trust-names-role-still-needs-identity": Case(
        "XA", INTERMEDIATE_SESSION, DESTINATION_ROLE, IMPLICIT, (), ROLE_TRUST
    ),
    "xa-trust-names-role-and-identity": Case(
        "XA", INTERMEDIATE_SESSION, DESTINATION_ROLE, ALLOWED, ASSUME_ANY, ROLE_TRUST
    ),
    "xa-identity-scope-misses-destination": Case(
        "XA",
        INTERMEDIATE_SESSION,
        DESTINATION_ROLE,
        IMPLICIT,
        (allow("sts:AssumeRole", "arn:aws:iam::*:role/OtherName"),),
        ROLE_TRUST,
    ),
    # explicit deny anywhere wins
    "el-identity-deny": Case(
        "EL",
        SUPPORT_SESSION,
        INTERMEDIATE_ROLE,
        EXPLICIT,
        (*ASSUME_ANY, deny("sts:*", "*")),
        ACCOUNT_TRUST,
        context=WITH_ID,
    ),
    "el-trust-deny": Case(
        "EL",
        SUPPORT_SESSION,
        INTERMEDIATE_ROLE,
        EXPLICIT,
        ASSUME_ANY,
        (*ACCOUNT_TRUST, trust({"AWS": ROOT}, effect="Deny")),
        context=WITH_ID,
    ),
    "el-external-id-wrong": Case(
        "EL",
        SUPPORT_SESSION,
        INTERMEDIATE_ROLE,
        IMPLICIT,
        ASSUME_ANY,
        ACCOUNT_TRUST,
        context={"sts:ExternalId": EXTERNAL_ID[:-1]},
    ),
    "el-external-id-missing": Case(
        "EL", SUPPORT_SESSION, INTERMEDIATE_ROLE, IMPLICIT, ASSUME_ANY, ACCOUNT_TRUST
    ),
    # same account: naming the principal in the trust suffices; an account principal does not
    "el-same-account-named-role": Case(
        "EL",
        f"arn:aws:sts::{INTERMEDIATE}:assumed-role/Helper/s",
        INTERMEDIATE_ROLE,
        ALLOWED,
        (),
        (trust({"AWS": SAME_ACCOUNT_ROLE}),),
    ),
    "el-same-account-account-principal-no-identity": Case(
        "EL",
        f"arn:aws:sts::{INTERMEDIATE}:assumed-role/Helper/s",
        INTERMEDIATE_ROLE,
        IMPLICIT,
        (),
        (trust({"AWS": INTERMEDIATE}),),
    ),
    "el-same-account-account-principal-with-identity": Case(
        "EL",
        f"arn:aws:sts::{INTERMEDIATE}:assumed-role/Helper/s",
        INTERMEDIATE_ROLE,
        ALLOWED,
        ASSUME_ANY,
        (trust({"AWS": INTERMEDIATE}),),
    ),
    "el-same-account-trust-must-admit": Case(
        "EL",
        f"arn:aws:sts::{INTERMEDIATE}:assumed-role/Helper/s",
        INTERMEDIATE_ROLE,
        IMPLICIT,
        ASSUME_ANY,
        (trust({"AWS": PRODUCTION}),),
    ),
    # permissions boundary and session policies intersect with identity policies
    "el-boundary-blocks": Case(
        "EL",
        INTERMEDIATE_SESSION,
        DESTINATION_ROLE,
        IMPLICIT,
        ASSUME_ANY,
        ROLE_TRUST,
        boundary=(allow("s3:*", "*"),),
    ),
    "el-boundary-allows": Case(
        "EL",
        INTERMEDIATE_SESSION,
        DESTINATION_ROLE,
        ALLOWED,
        ASSUME_ANY,
        ROLE_TRUST,
        boundary=(allow("sts:AssumeRole", "*"),),
    ),
    "el-boundary-denies": Case(
        "EL",
        INTERMEDIATE_SESSION,
        DESTINATION_ROLE,
        EXPLICIT,
        ASSUME_ANY,
        ROLE_TRUST,
        boundary=(FULL_ACCESS, deny("sts:AssumeRole", DESTINATION_ROLE)),
    ),
    "el-boundary-alone-grants-nothing": Case(
        "EL",
        INTERMEDIATE_SESSION,
        DESTINATION_ROLE,
        IMPLICIT,
        (),
        ROLE_TRUST,
        boundary=(FULL_ACCESS,),
    ),
    "el-same-account-session-arn-not-limited-by-boundary": Case(
        "EL",
        f"arn:aws:sts::{INTERMEDIATE}:assumed-role/Helper/s",
        INTERMEDIATE_ROLE,
        ALLOWED,
        (),
        (trust({"AWS": f"arn:aws:sts::{INTERMEDIATE}:assumed-role/Helper/s"}),),
        boundary=(allow("s3:*", "*"),),
    ),
    "el-same-account-role-arn-limited-by-boundary": Case(
        "EL",
        f"arn:aws:sts::{INTERMEDIATE}:assumed-role/Helper/s",
        INTERMEDIATE_ROLE,
        IMPLICIT,
        (),
        (trust({"AWS": SAME_ACCOUNT_ROLE}),),
        boundary=(allow("s3:*", "*"),),
    ),
    "el-session-policy-blocks": Case(
        "EL",
        INTERMEDIATE_SESSION,
        DESTINATION_ROLE,
        IMPLICIT,
        ASSUME_ANY,
        ROLE_TRUST,
        session=(allow("s3:*", "*"),),
    ),
    "el-session-policy-allows": Case(
        "EL",
        INTERMEDIATE_SESSION,
        DESTINATION_ROLE,
        ALLOWED,
        ASSUME_ANY,
        ROLE_TRUST,
        session=(FULL_ACCESS,),
    ),
    # SCPs need an explicit allow; RCPs only deny
    "org-scp-none-allows": Case(
        "ORG",
        INTERMEDIATE_SESSION,
        DESTINATION_ROLE,
        IMPLICIT,
        ASSUME_ANY,
        ROLE_TRUST,
        scps=((allow("s3:*", "*"),),),
    ),
    "org-scp-full-access": Case(
        "ORG",
        INTERMEDIATE_SESSION,
        DESTINATION_ROLE,
        ALLOWED,
        ASSUME_ANY,
        ROLE_TRUST,
        scps=((FULL_ACCESS,),),
    ),
    "org-scp-empty-set-denies": Case(
        "ORG", INTERMEDIATE_SESSION, DESTINATION_ROLE, IMPLICIT, ASSUME_ANY, ROLE_TRUST, scps=()
    ),
    "org-scp-deny": Case(
        "ORG",
        INTERMEDIATE_SESSION,
        DESTINATION_ROLE,
        EXPLICIT,
        ASSUME_ANY,
        ROLE_TRUST,
        scps=((FULL_ACCESS,), (deny("sts:AssumeRole"),)),
    ),
    "org-scp-region-deny": Case(
        "ORG",
        INTERMEDIATE_SESSION,
        DESTINATION_ROLE,
        EXPLICIT,
        ASSUME_ANY,
        ROLE_TRUST,
        scps=(
            (FULL_ACCESS,),
            (
                deny(
                    "*", "*", Condition={"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}
                ),
            ),
        ),
        context={"aws:RequestedRegion": "us-east-1"},
    ),
    "org-rcp-perimeter-denies-outsider": Case(
        "ORG",
        SUPPORT_SESSION,
        INTERMEDIATE_ROLE,
        EXPLICIT,
        ASSUME_ANY,
        ACCOUNT_TRUST,
        rcps=(
            (
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sts:AssumeRole",
                    "Resource": "*",
                    "Condition": {
                        "StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-customer"},
                        "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
                    },
                },
            ),
        ),
        context=WITH_ID,
    ),
    "org-rcp-perimeter-lists-vendor": Case(
        "ORG",
        SUPPORT_SESSION,
        INTERMEDIATE_ROLE,
        ALLOWED,
        ASSUME_ANY,
        ACCOUNT_TRUST,
        rcps=(
            (
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sts:AssumeRole",
                    "Resource": "*",
                    "Condition": {
                        "StringNotEqualsIfExists": {
                            "aws:PrincipalOrgID": "o-customer",
                            "aws:PrincipalAccount": [PRODUCTION],
                        }
                    },
                },
            ),
        ),
        context=WITH_ID,
    ),
    "org-rcp-never-grants": Case(
        "ORG",
        SUPPORT_SESSION,
        INTERMEDIATE_ROLE,
        IMPLICIT,
        (),
        ACCOUNT_TRUST,
        rcps=((FULL_ACCESS,),),
        context=WITH_ID,
    ),
    # principals
    "pr-account-id-equals-root-arn": Case(
        "PR", SUPPORT_SESSION, INTERMEDIATE_ROLE, ALLOWED, ASSUME_ANY, (trust({"AWS": PRODUCTION}),)
    ),
    "pr-root-arn-other-partition": Case(
        "PR",
        SUPPORT_SESSION,
        INTERMEDIATE_ROLE,
        IMPLICIT,
        ASSUME_ANY,
        (trust({"AWS": f"arn:aws-cn:iam::{PRODUCTION}:root"}),),
    ),
    "pr-wildcard": Case(
        "PR", SUPPORT_SESSION, INTERMEDIATE_ROLE, ALLOWED, ASSUME_ANY, (trust("*"),)
    ),
    "pr-aws-wildcard": Case(
        "PR", SUPPORT_SESSION, INTERMEDIATE_ROLE, ALLOWED, ASSUME_ANY, (trust({"AWS": "*"}),)
    ),
    "pr-stale-unique-id": Case(
        "PR",
        INTERMEDIATE_SESSION,
        DESTINATION_ROLE,
        IMPLICIT,
        ASSUME_ANY,
        (trust({"AWS": "AROA3XFRBF535PLBIFPI4"}),),
    ),
    "pr-role-with-path-covers-session-by-name": Case(
        "PR",
        INTERMEDIATE_SESSION,
        DESTINATION_ROLE,
        ALLOWED,
        ASSUME_ANY,
        (trust({"AWS": f"arn:aws:iam::{INTERMEDIATE}:role/ops/QuiverstoneTrustedIntermediate"}),),
    ),
    "pr-role-path-checked-when-known": Case(
        "PR",
        INTERMEDIATE_SESSION,
        DESTINATION_ROLE,
        IMPLICIT,
        ASSUME_ANY,
        (trust({"AWS": f"arn:aws:iam::{INTERMEDIATE}:role/ops/QuiverstoneTrustedIntermediate"}),),
        role_arn=INTERMEDIATE_ROLE,
    ),
    "pr-role-path-matches-when-known": Case(
        "PR",
        INTERMEDIATE_SESSION,
        DESTINATION_ROLE,
        ALLOWED,
        ASSUME_ANY,
        ROLE_TRUST,
        role_arn=INTERMEDIATE_ROLE,
    ),
    "pr-role-names-are-case-sensitive": Case(
        "PR",
        INTERMEDIATE_SESSION,
        DESTINATION_ROLE,
        IMPLICIT,
        ASSUME_ANY,
        (trust({"AWS": f"arn:aws:iam::{INTERMEDIATE}:role/quiverstonetrustedintermediate"}),),
    ),
    "pr-other-role-same-account": Case(
        "PR",
        INTERMEDIATE_SESSION,
        DESTINATION_ROLE,
        IMPLICIT,
        ASSUME_ANY,
        (trust({"AWS": f"arn:aws:iam::{INTERMEDIATE}:role/Other"}),),
    ),
    "pr-session-arn": Case(
        "PR",
        INTERMEDIATE_SESSION,
        DESTINATION_ROLE,
        ALLOWED,
        ASSUME_ANY,
        (trust({"AWS": INTERMEDIATE_SESSION}),),
    ),
    "pr-other-session": Case(
        "PR",
        INTERMEDIATE_SESSION,
        DESTINATION_ROLE,
        IMPLICIT,
        ASSUME_ANY,
        (trust({"AWS": INTERMEDIATE_SESSION + "-2"}),),
    ),
    "pr-user": Case(
        "PR",
        f"arn:aws:iam::{PRODUCTION}:user/ops/bob",
        INTERMEDIATE_ROLE,
        ALLOWED,
        ASSUME_ANY,
        (trust({"AWS": f"arn:aws:iam::{PRODUCTION}:user/ops/bob"}),),
    ),
    "pr-service": Case(
        "PR",
        "ec2.amazonaws.com",
        INTERMEDIATE_ROLE,
        ALLOWED,
        (),
        (trust({"Service": "ec2.amazonaws.com"}),),
    ),
    "pr-service-without-trust-is-not-allowed": Case(
        "PR", "ec2.amazonaws.com", INTERMEDIATE_ROLE, IMPLICIT, (), None
    ),
    "pr-federated-provider": Case(
        "PR",
        f"arn:aws:iam::{INTERMEDIATE}:saml-provider/Okta",
        INTERMEDIATE_ROLE,
        ALLOWED,
        (),
        (
            trust(
                {"Federated": f"arn:aws:iam::{INTERMEDIATE}:saml-provider/Okta"},
                action="sts:AssumeRole",
            ),
        ),
    ),
    "pr-federated-as-aws-principal-does-not-match": Case(
        "PR",
        f"arn:aws:iam::{INTERMEDIATE}:saml-provider/Okta",
        INTERMEDIATE_ROLE,
        IMPLICIT,
        (),
        (trust({"AWS": f"arn:aws:iam::{INTERMEDIATE}:saml-provider/Okta"}),),
    ),
    "pr-federated-user-session": Case(
        "PR",
        f"arn:aws:sts::{PRODUCTION}:federated-user/carol",
        INTERMEDIATE_ROLE,
        ALLOWED,
        ASSUME_ANY,
        (trust({"AWS": f"arn:aws:sts::{PRODUCTION}:federated-user/carol"}),),
    ),
    "pr-service-other": Case(
        "PR",
        "lambda.amazonaws.com",
        INTERMEDIATE_ROLE,
        IMPLICIT,
        (),
        (trust({"Service": "ec2.amazonaws.com"}),),
    ),
    "pr-not-principal-deny": Case(
        "PR",
        INTERMEDIATE_SESSION,
        DESTINATION_ROLE,
        EXPLICIT,
        ASSUME_ANY,
        (
            trust({"AWS": INTERMEDIATE}),
            {"Effect": "Deny", "NotPrincipal": {"AWS": PRODUCTION}, "Action": "sts:AssumeRole"},
        ),
    ),
    # NotPrincipal (reference_policies_elements_notprincipal): a session is exempt only when
    # its session ARN, role ARN and account are all listed
    "pr-not-principal-account-alone-does-not-exempt-session": Case(
        "PR",
        SUPPORT_SESSION,
        INTERMEDIATE_ROLE,
        EXPLICIT,
        ASSUME_ANY,
        (
            trust({"AWS": PRODUCTION}),
            {"Effect": "Deny", "NotPrincipal": {"AWS": PRODUCTION}, "Action": "sts:AssumeRole"},
        ),
    ),
    "pr-not-principal-exempts-fully-listed-session": Case(
        "PR",
        SUPPORT_SESSION,
        INTERMEDIATE_ROLE,
        ALLOWED,
        ASSUME_ANY,
        (
            trust({"AWS": PRODUCTION}),
            {
                "Effect": "Deny",
                "NotPrincipal": {
                    "AWS": [
                        SUPPORT_SESSION,
                        f"arn:aws:iam::{PRODUCTION}:role/SupportEngineer",
                        ROOT,
                    ]
                },
                "Action": "sts:AssumeRole",
            },
        ),
    ),
    # derived context keys
    "el-principal-arn-derived": Case(
        "EL",
        SUPPORT_SESSION,
        INTERMEDIATE_ROLE,
        ALLOWED,
        ASSUME_ANY,
        (
            trust(
                {"AWS": PRODUCTION},
                Condition={
                    "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{PRODUCTION}:role/Support*"}
                },
            ),
        ),
    ),
    "el-principal-arn-other-role": Case(
        "EL",
        f"arn:aws:sts::{PRODUCTION}:assumed-role/Billing/s",
        INTERMEDIATE_ROLE,
        IMPLICIT,
        ASSUME_ANY,
        (
            trust(
                {"AWS": PRODUCTION},
                Condition={
                    "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{PRODUCTION}:role/Support*"}
                },
            ),
        ),
    ),
    "el-principal-account-derived": Case(
        "EL",
        INTERMEDIATE_SESSION,
        DESTINATION_ROLE,
        ALLOWED,
        (
            allow(
                "sts:AssumeRole",
                "*",
                Condition={"StringEquals": {"aws:ResourceAccount": DESTINATION}},
            ),
        ),
        (trust("*", Condition={"StringEquals": {"aws:PrincipalAccount": INTERMEDIATE}}),),
    ),
    "el-context-overrides-derived": Case(
        "EL",
        INTERMEDIATE_SESSION,
        DESTINATION_ROLE,
        IMPLICIT,
        ASSUME_ANY,
        (trust("*", Condition={"StringEquals": {"aws:PrincipalAccount": INTERMEDIATE}}),),
        context={"aws:PrincipalAccount": "000000000000"},
    ),
    "el-caller-side-only": Case(
        "EL", INTERMEDIATE_SESSION, DESTINATION_ROLE, ALLOWED, ASSUME_ANY, None
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_documented_evaluation_cases(name: str) -> None:
    case = CASES[name]
    assert case.source in ("EL", "XA", "PR", "ORG")
    assert run(case) is case.expected


def test_explicit_deny_names_the_deny_statement_and_layer() -> None:
    denying = {"Sid": "NoChaining", **deny("sts:AssumeRole", DESTINATION_ROLE)}
    result = evaluate(
        Request(principal=INTERMEDIATE_SESSION, action="sts:AssumeRole", resource=DESTINATION_ROLE),
        identity_policies=[pol(*ASSUME_ANY, denying, name="QuiverstoneTrustedIntermediate policy")],
        trust_policy=pol(*ROLE_TRUST, name="destination trust policy"),
    )
    assert result.decision is EXPLICIT
    assert [ref.sid for ref in result.deciding] == ["NoChaining"]
    identity = result.layer("identity")
    assert identity is not None
    assert identity.decision is EXPLICIT
    assert 'statement "NoChaining" (#2) of QuiverstoneTrustedIntermediate policy' in identity.note
    assert any("NoChaining" in reason for reason in result.reasons)


def test_allowed_result_quotes_both_sides_and_serialises() -> None:
    result = evaluate(
        Request(
            principal=SUPPORT_SESSION,
            action="sts:AssumeRole",
            resource=INTERMEDIATE_ROLE,
            context=WITH_ID,
        ),
        identity_policies=[pol(*ASSUME_ANY, name="support policy")],
        trust_policy=pol({"Sid": "TrustQuiverstone", **ACCOUNT_TRUST[0]}, name="trust policy"),
    )
    assert result.decision is ALLOWED
    assert [r.policy for r in result.deciding] == ["support policy", "trust policy"]
    data = result.to_dict()
    assert data["decision"] == "allowed"
    assert [layer["layer"] for layer in data["layers"]] == ["identity", "trust"]
    quoted = data["deciding"][1]["statement"]
    assert EXTERNAL_ID not in str(quoted)  # External IDs never reach output
    assert "redacted External ID" in str(quoted)
    assert result.deciding[1].statement["Condition"]["StringEquals"]["sts:ExternalId"] == (
        EXTERNAL_ID
    )


def test_trust_near_miss_explains_failing_condition_without_the_value() -> None:
    result = evaluate(
        Request(
            principal=SUPPORT_SESSION,
            action="sts:AssumeRole",
            resource=INTERMEDIATE_ROLE,
            context={"sts:ExternalId": "wrong-value-123"},
        ),
        identity_policies=[pol(*ASSUME_ANY)],
        trust_policy=pol(*ACCOUNT_TRUST, name="trust policy"),
    )
    assert result.decision is IMPLICIT
    assert result.deciding == ()
    text = " ".join(result.reasons)
    assert "sts:ExternalId" in text
    assert EXTERNAL_ID not in text
    assert "wrong-value-123" not in text


@pytest.mark.parametrize(
    ("principal", "role_arn", "fragment"),
    [
        ("AROA3XFRBF535PLBIFPI4", None, "names AROA3XFRBF535PLBIFPI4, a unique ID"),
        (
            f"arn:aws:iam::{INTERMEDIATE}:role/ops/QuiverstoneTrustedIntermediate",
            INTERMEDIATE_ROLE,
            "whose path differs",
        ),
        (
            f"arn:aws:iam::{INTERMEDIATE}:role/quiverstoneTrustedIntermediate",
            None,
            "role names are case-sensitive",
        ),
    ],
)
def test_trust_denial_names_stale_ids_paths_and_case(
    principal: str, role_arn: str | None, fragment: str
) -> None:
    result = evaluate(
        Request(
            principal=INTERMEDIATE_SESSION,
            action="sts:AssumeRole",
            resource=DESTINATION_ROLE,
            principal_role_arn=role_arn,
        ),
        identity_policies=[pol(*ASSUME_ANY)],
        trust_policy=pol(trust({"AWS": principal}), name="destination trust"),
    )
    assert result.decision is IMPLICIT
    trust_layer = result.layer("trust")
    assert trust_layer is not None
    assert fragment in trust_layer.note
    assert any(fragment in reason for reason in result.reasons)


def test_same_account_identity_note_explains_account_principals() -> None:
    result = evaluate(
        Request(
            principal=f"arn:aws:sts::{INTERMEDIATE}:assumed-role/Helper/s",
            action="sts:AssumeRole",
            resource=INTERMEDIATE_ROLE,
        ),
        trust_policy=pol(trust({"AWS": INTERMEDIATE})),
    )
    assert result.decision is IMPLICIT
    identity = result.layer("identity")
    assert identity is not None
    assert "only through its account" in identity.note
