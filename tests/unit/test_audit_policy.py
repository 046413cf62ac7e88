"""Correctness audit of the policy engine against AWS's documented evaluation rules.

Every expected decision below is derived by hand from the IAM User Guide (the page is
cited next to each group), never from qsdoctor's own output. "IAM UG x" stands for
https://docs.aws.amazon.com/IAM/latest/UserGuide/x.html.
"""

from __future__ import annotations

from typing import Any

import pytest

from qsdoctor.policy import (
    Decision,
    Request,
    classify_assume_scope,
    evaluate,
    external_id_requirement,
    parse_policy,
)

VENDOR = "684035162433"
INTER = "111122223333"
DEST_ACCT = "210987654321"
INTERMEDIATE = f"arn:aws:iam::{INTER}:role/QuiverstoneTrustedIntermediate"
INTERMEDIATE_WITH_PATH = f"arn:aws:iam::{INTER}:role/quiverstone/QuiverstoneTrustedIntermediate"
HOP2_SESSION = f"arn:aws:sts::{INTER}:assumed-role/QuiverstoneTrustedIntermediate/qs"
DEST = f"arn:aws:iam::{DEST_ACCT}:role/QuiverstoneChainedAccess"
SUPPORT_ROLE = f"arn:aws:iam::{VENDOR}:role/Support"
SUPPORT_SESSION = f"arn:aws:sts::{VENDOR}:assumed-role/Support/jdoe"
OTHER_SESSION = f"arn:aws:sts::{VENDOR}:assumed-role/Other/jdoe"
FOREIGN_SESSION = "arn:aws:sts::999988887777:assumed-role/Support/mallory"
EXT = "q8VwZ3k1Lr0TnYp5sXc7Hb2Md9Fj4Ga6"  # made-up test value, not a real secret
OLD_EXT = "oldValue-7Yh2Kd9Lm3Np5Qr8St1Vw4Xz"
WRONG = "WrongValue-1234567890abcdefghij"
ABSENT = None

ALLOW = Decision.ALLOWED
IMPLICIT = Decision.IMPLICIT_DENY
EXPLICIT = Decision.EXPLICIT_DENY


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(principal: Any, condition: Any = None, **extra: Any) -> dict[str, Any]:
    s: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition is not None:
        s["Condition"] = condition
    s.update(extra)
    return s


ACCOUNT_ROOT = {"AWS": f"arn:aws:iam::{VENDOR}:root"}
ANY_GRANT = doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})


def hop1(
    trust: dict[str, Any],
    external_id: str | None,
    *,
    principal: str = SUPPORT_SESSION,
    role_arn: str | None = None,
    extra_context: dict[str, Any] | None = None,
) -> Decision:
    """Hop 1 with a production caller whose own policy allows sts:AssumeRole."""
    context: dict[str, Any] = dict(extra_context or {})
    if external_id is not None:
        context["sts:ExternalId"] = external_id
    result = evaluate(
        Request(
            principal=principal,
            action="sts:AssumeRole",
            resource=INTERMEDIATE,
            context=context,
            principal_role_arn=role_arn,
        ),
        identity_policies=(parse_policy(ANY_GRANT, name="caller"),),
        trust_policy=parse_policy(trust, name="trust"),
    )
    return result.decision


# --------------------------------------------------------------------------------------
# Intermediate trusts. Sources: IAM UG reference_policies_elements_principal (account
# principals, role principals), reference_policies_elements_condition_operators
# (operators, IfExists, Null, negated operators on absent keys),
# reference_policies_multi-value-conditions (ForAnyValue/ForAllValues on absent keys),
# reference_policies_evaluation-logic (explicit deny wins), reference_policies_elements
# _notprincipal, reference_policies_condition-keys (aws:PrincipalArn carries the path).

REFERENCE = doc(allow(ACCOUNT_ROOT, {"StringEquals": {"sts:ExternalId": EXT}}))

TRUST_CASES: list[tuple[str, dict[str, Any], str | None, Decision]] = [
    # The reference's trust, verbatim but for the value: the ID must be sent and equal.
    ("reference/absent", REFERENCE, ABSENT, IMPLICIT),
    ("reference/right", REFERENCE, EXT, ALLOW),
    ("reference/wrong", REFERENCE, WRONG, IMPLICIT),
    # "AWS": "684035162433" is the same as the :root ARN (principal-accounts).
    (
        "bare-account/right",
        doc(allow({"AWS": VENDOR}, {"StringEquals": {"sts:ExternalId": EXT}})),
        EXT,
        ALLOW,
    ),
    (
        "bare-account/absent",
        doc(allow({"AWS": VENDOR}, {"StringEquals": {"sts:ExternalId": EXT}})),
        ABSENT,
        IMPLICIT,
    ),
    # Two Allow statements: one without a condition admits a request with no ID at all.
    (
        "second-statement-without-id/absent",
        doc(
            allow(ACCOUNT_ROOT, {"StringEquals": {"sts:ExternalId": EXT}}),
            allow(ACCOUNT_ROOT),
        ),
        ABSENT,
        ALLOW,
    ),
    # A Deny when the key is missing (Null true) beats the unconditional Allow.
    (
        "deny-null/absent",
        doc(
            allow(ACCOUNT_ROOT),
            {
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "sts:AssumeRole",
                "Condition": {"Null": {"sts:ExternalId": "true"}},
            },
        ),
        ABSENT,
        EXPLICIT,
    ),
    (
        "deny-null/any-value",
        doc(
            allow(ACCOUNT_ROOT),
            {
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "sts:AssumeRole",
                "Condition": {"Null": {"sts:ExternalId": "true"}},
            },
        ),
        WRONG,
        ALLOW,
    ),
    # Rotation: values under one key are ORed.
    (
        "rotation/old",
        doc(allow(ACCOUNT_ROOT, {"StringEquals": {"sts:ExternalId": [OLD_EXT, EXT]}})),
        OLD_EXT,
        ALLOW,
    ),
    (
        "rotation/new",
        doc(allow(ACCOUNT_ROOT, {"StringEquals": {"sts:ExternalId": [OLD_EXT, EXT]}})),
        EXT,
        ALLOW,
    ),
    (
        "rotation/other",
        doc(allow(ACCOUNT_ROOT, {"StringEquals": {"sts:ExternalId": [OLD_EXT, EXT]}})),
        WRONG,
        IMPLICIT,
    ),
    (
        "ignorecase/upper",
        doc(allow(ACCOUNT_ROOT, {"StringEqualsIgnoreCase": {"sts:ExternalId": EXT}})),
        EXT.upper(),
        ALLOW,
    ),
    # StringLike is case-sensitive; `*` matches any run of characters.
    (
        "like/prefix",
        doc(allow(ACCOUNT_ROOT, {"StringLike": {"sts:ExternalId": "q8VwZ3*"}})),
        EXT,
        ALLOW,
    ),
    (
        "like/case",
        doc(allow(ACCOUNT_ROOT, {"StringLike": {"sts:ExternalId": "q8VwZ3*"}})),
        EXT.upper(),
        IMPLICIT,
    ),
    (
        "like/absent",
        doc(allow(ACCOUNT_ROOT, {"StringLike": {"sts:ExternalId": "*"}})),
        ABSENT,
        IMPLICIT,
    ),
    # ...IfExists: absent key -> true; present key -> the base operator.
    (
        "ifexists/absent",
        doc(allow(ACCOUNT_ROOT, {"StringEqualsIfExists": {"sts:ExternalId": EXT}})),
        ABSENT,
        ALLOW,
    ),
    (
        "ifexists/wrong",
        doc(allow(ACCOUNT_ROOT, {"StringEqualsIfExists": {"sts:ExternalId": EXT}})),
        WRONG,
        IMPLICIT,
    ),
    # Negated operators are true for an absent key.
    (
        "notequals/absent",
        doc(allow(ACCOUNT_ROOT, {"StringNotEquals": {"sts:ExternalId": EXT}})),
        ABSENT,
        ALLOW,
    ),
    (
        "notequals/listed",
        doc(allow(ACCOUNT_ROOT, {"StringNotEquals": {"sts:ExternalId": EXT}})),
        EXT,
        IMPLICIT,
    ),
    (
        "notequals/other",
        doc(allow(ACCOUNT_ROOT, {"StringNotEquals": {"sts:ExternalId": EXT}})),
        WRONG,
        ALLOW,
    ),
    # ForAnyValue: absent key -> false; ForAllValues: absent key -> true.
    (
        "foranyvalue/absent",
        doc(allow(ACCOUNT_ROOT, {"ForAnyValue:StringEquals": {"sts:ExternalId": EXT}})),
        ABSENT,
        IMPLICIT,
    ),
    (
        "foranyvalue/right",
        doc(allow(ACCOUNT_ROOT, {"ForAnyValue:StringEquals": {"sts:ExternalId": EXT}})),
        EXT,
        ALLOW,
    ),
    (
        "forallvalues/absent",
        doc(allow(ACCOUNT_ROOT, {"ForAllValues:StringEquals": {"sts:ExternalId": EXT}})),
        ABSENT,
        ALLOW,
    ),
    # Null false alone: the key must be present, any value will do.
    (
        "null-false/absent",
        doc(allow(ACCOUNT_ROOT, {"Null": {"sts:ExternalId": "false"}})),
        ABSENT,
        IMPLICIT,
    ),
    (
        "null-false/any",
        doc(allow(ACCOUNT_ROOT, {"Null": {"sts:ExternalId": "false"}})),
        WRONG,
        ALLOW,
    ),
    # Condition key names are case-insensitive.
    (
        "key-case/right",
        doc(allow(ACCOUNT_ROOT, {"StringEquals": {"STS:externalid": EXT}})),
        EXT,
        ALLOW,
    ),
    (
        "key-case/absent",
        doc(allow(ACCOUNT_ROOT, {"StringEquals": {"STS:externalid": EXT}})),
        ABSENT,
        IMPLICIT,
    ),
    # NotPrincipal with Allow admits everyone not listed (the vendor is not listed).
    (
        "notprincipal/right",
        doc(
            {
                "Effect": "Allow",
                "NotPrincipal": {"AWS": "arn:aws:iam::999988887777:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": EXT}},
            }
        ),
        EXT,
        ALLOW,
    ),
]


@pytest.mark.parametrize(
    ("trust", "external_id", "expected"),
    [c[1:] for c in TRUST_CASES],
    ids=[c[0] for c in TRUST_CASES],
)
def test_hop1_trust_decisions(
    trust: dict[str, Any], external_id: str | None, expected: Decision
) -> None:
    assert hop1(trust, external_id) is expected


def test_role_principal_admits_its_sessions_only() -> None:
    # reference_policies_elements_principal: a role principal admits that role's sessions.
    trust = doc(allow({"AWS": SUPPORT_ROLE}, {"StringEquals": {"sts:ExternalId": EXT}}))
    assert hop1(trust, EXT, role_arn=SUPPORT_ROLE) is ALLOW
    other_role = f"arn:aws:iam::{VENDOR}:role/Other"
    assert hop1(trust, EXT, principal=OTHER_SESSION, role_arn=other_role) is IMPLICIT


def test_role_principal_with_path_matches_session_of_that_role() -> None:
    # reference_identifiers: the session ARN drops the path; the role ARN keeps it.
    with_path = f"arn:aws:iam::{VENDOR}:role/ops/Support"
    trust = doc(allow({"AWS": with_path}, {"StringEquals": {"sts:ExternalId": EXT}}))
    assert hop1(trust, EXT, role_arn=with_path) is ALLOW
    assert hop1(trust, EXT, role_arn=SUPPORT_ROLE) is IMPLICIT


def test_principal_arn_condition_pins_one_role() -> None:
    # condition-keys-principalarn: the role ARN of the session, path included.
    trust = doc(
        allow(
            ACCOUNT_ROOT,
            {
                "StringEquals": {"sts:ExternalId": EXT},
                "ArnEquals": {"aws:PrincipalArn": SUPPORT_ROLE},
            },
        )
    )
    assert hop1(trust, EXT, role_arn=SUPPORT_ROLE) is ALLOW
    assert hop1(
        trust, EXT, principal=OTHER_SESSION, role_arn=f"arn:aws:iam::{VENDOR}:role/Other"
    ) is (IMPLICIT)


def test_wildcard_principal_narrowed_by_principal_account() -> None:
    # reference_policies_elements_principal: "*" is anyone unless a Condition restricts
    # it; aws:PrincipalAccount is the caller's account.
    trust = doc(
        allow(
            "*",
            {
                "StringEquals": {"aws:PrincipalAccount": VENDOR, "sts:ExternalId": EXT},
            },
        )
    )
    assert hop1(trust, EXT) is ALLOW
    assert hop1(trust, EXT, principal=FOREIGN_SESSION) is IMPLICIT


def test_source_identity_condition_in_trust() -> None:
    # reference_policies_iam-condition-keys#ck_sourceidentity: sts:SourceIdentity is the
    # value the request sets; absent when none is set.
    trust = doc(
        allow(
            ACCOUNT_ROOT,
            {"StringEquals": {"sts:ExternalId": EXT, "sts:SourceIdentity": "jdoe"}},
            Action=["sts:AssumeRole", "sts:SetSourceIdentity"],
        )
    )
    assert hop1(trust, EXT, extra_context={"sts:SourceIdentity": "jdoe"}) is ALLOW
    assert hop1(trust, EXT) is IMPLICIT
    assert hop1(trust, EXT, extra_context={"sts:SourceIdentity": "other"}) is IMPLICIT


def test_cross_account_needs_the_callers_own_allow() -> None:
    # reference_policies_evaluation-logic-cross-account: both sides must allow.
    result = evaluate(
        Request(
            principal=SUPPORT_SESSION,
            action="sts:AssumeRole",
            resource=INTERMEDIATE,
            context={"sts:ExternalId": EXT},
        ),
        identity_policies=(),
        trust_policy=parse_policy(REFERENCE),
    )
    assert result.decision is IMPLICIT


# --------------------------------------------------------------------------------------
# External ID requirement analysis (what QS103 builds on). aws-facts §4 and
# reference_policies_iam-condition-keys#ck_externalid: 2-1224 chars of [\w+=,.@:/-].


def _req(condition: dict[str, Any]) -> Any:
    policy = parse_policy(doc(allow(ACCOUNT_ROOT, condition)))
    return external_id_requirement(policy.statements[0].ref)


@pytest.mark.parametrize(
    ("condition", "enforced", "impossible"),
    [
        ({"StringEquals": {"sts:ExternalId": EXT}}, True, False),
        ({"StringEquals": {"sts:ExternalId": [OLD_EXT, EXT]}}, True, False),
        ({"StringEqualsIfExists": {"sts:ExternalId": EXT}}, False, False),
        ({"StringNotEquals": {"sts:ExternalId": EXT}}, False, False),
        ({"ForAllValues:StringEquals": {"sts:ExternalId": EXT}}, False, False),
        ({"ForAnyValue:StringEquals": {"sts:ExternalId": EXT}}, True, False),
        ({"Null": {"sts:ExternalId": "false"}}, True, False),
        ({"StringEquals": {"STS:externalid": EXT}}, True, False),
        # A space is outside the STS pattern: STS never sends such a value.
        ({"StringEquals": {"sts:ExternalId": "abc def ghi"}}, True, True),
        ({"StringEquals": {"sts:ExternalId": ""}}, True, True),
    ],
)
def test_external_id_requirement(
    condition: dict[str, Any], enforced: bool, impossible: bool
) -> None:
    req = _req(condition)
    assert req.present
    assert req.enforced is enforced
    assert bool(req.problems) is impossible


def test_external_id_weak_flags() -> None:
    assert _req({"StringLike": {"sts:ExternalId": "*"}}).weak
    assert _req({"Null": {"sts:ExternalId": "false"}}).weak
    assert not _req({"StringEquals": {"sts:ExternalId": EXT}}).weak


# --------------------------------------------------------------------------------------
# Destination trusts, hop 2 (principal: a session of the intermediate role).


def hop2(
    trust: dict[str, Any],
    *,
    role_arn: str = INTERMEDIATE_WITH_PATH,
    identity: tuple[dict[str, Any], ...] = (ANY_GRANT,),
    resource: str = DEST,
    external_id: str | None = None,
) -> Decision:
    context = {"sts:ExternalId": external_id} if external_id else {}
    return evaluate(
        Request(
            principal=HOP2_SESSION,
            action="sts:AssumeRole",
            resource=resource,
            context=context,
            principal_role_arn=role_arn,
        ),
        identity_policies=tuple(parse_policy(d, name=f"id{i}") for i, d in enumerate(identity)),
        trust_policy=parse_policy(trust, name="dest-trust"),
    ).decision


def test_destination_named_role_needs_the_exact_path() -> None:
    # reference_policies_elements_principal: a role principal is the role's ARN, path
    # included; troubleshoot_roles: the ARN must be exact.
    assert hop2(doc(allow({"AWS": INTERMEDIATE_WITH_PATH}))) is ALLOW
    assert hop2(doc(allow({"AWS": INTERMEDIATE}))) is IMPLICIT


def test_destination_all_admits_any_role_of_the_account() -> None:
    assert hop2(doc(allow({"AWS": f"arn:aws:iam::{INTER}:root"}))) is ALLOW
    assert hop2(doc(allow({"AWS": "444455556666"}))) is IMPLICIT


def test_destination_stale_unique_id_never_matches() -> None:
    # reference_policies_elements_principal: a recreated role's old ID never matches.
    assert hop2(doc(allow({"AWS": "AROA3XFRBF535PLBIFPI4"}))) is IMPLICIT


def test_destination_principal_arn_condition_with_path() -> None:
    # condition-keys-principalarn: the value is the role ARN WITH its path.
    pinned_with_path = doc(
        allow(
            {"AWS": f"arn:aws:iam::{INTER}:root"},
            {"ArnEquals": {"aws:PrincipalArn": INTERMEDIATE_WITH_PATH}},
        )
    )
    pinned_without_path = doc(
        allow(
            {"AWS": f"arn:aws:iam::{INTER}:root"},
            {"ArnEquals": {"aws:PrincipalArn": INTERMEDIATE}},
        )
    )
    assert hop2(pinned_with_path) is ALLOW
    assert hop2(pinned_without_path) is IMPLICIT
    like = doc(
        allow(
            {"AWS": f"arn:aws:iam::{INTER}:root"},
            {"StringLike": {"aws:PrincipalArn": f"arn:aws:iam::{INTER}:role/*"}},
        )
    )
    assert hop2(like) is ALLOW


def test_same_account_named_trust_needs_no_identity_allow() -> None:
    # reference_policies_evaluation-logic ("Identity-based and resource-based
    # policies" within one account): a trust naming the principal suffices; an account
    # principal does not (the caller's own policy must then allow it).
    same_dest = f"arn:aws:iam::{INTER}:role/QuiverstoneChainedAccess"
    named = doc(allow({"AWS": INTERMEDIATE_WITH_PATH}))
    account = doc(allow({"AWS": f"arn:aws:iam::{INTER}:root"}))
    assert hop2(named, identity=(), resource=same_dest) is ALLOW
    assert hop2(account, identity=(), resource=same_dest) is IMPLICIT
    assert hop2(account, resource=same_dest) is ALLOW
    # cross-account, naming the role is not enough on its own
    assert hop2(named, identity=()) is IMPLICIT


# --------------------------------------------------------------------------------------
# Identity side: AssumeRole scope and Resource/NotResource. Sources:
# reference_policies_elements_resource, reference_policies_elements_notresource,
# access_policies_boundaries (effective permissions are the intersection).


def scope_of(*statements: dict[str, Any], boundary: dict[str, Any] | None = None) -> str:
    return classify_assume_scope(
        (parse_policy(doc(*statements), name="p"),),
        boundary=parse_policy(boundary, name="b") if boundary else None,
    ).kind


def grant(resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": resource, **extra}


@pytest.mark.parametrize(
    ("resource", "kind"),
    [
        # the reference's three policies, verbatim
        ("arn:aws:iam::*:role/*", "any-role-any-account"),
        (
            "arn:aws:iam::123456789012:role/QuiverstoneChainedOrgInventory",
            "specific-account-and-role",
        ),
        ("arn:aws:iam::*:role/QuiverstoneChainedAccess", "specific-role-any-account"),
        # other partitions
        ("arn:aws-cn:iam::*:role/*", "any-role-any-account"),
        ("arn:aws-us-gov:iam::*:role/QuiverstoneChainedAccess", "specific-role-any-account"),
        ("*", "any-role-any-account"),
        # a path wildcard is none of the template's three options
        ("arn:aws:iam::*:role/team/*", "custom"),
    ],
)
def test_scope_classification(resource: str, kind: str) -> None:
    assert scope_of(grant(resource)) == kind


def test_scope_boundary_without_assume_role_is_none() -> None:
    boundary = doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    assert scope_of(grant("arn:aws:iam::*:role/*"), boundary=boundary) == "none"


def _identity_decision(*statements: dict[str, Any], resource: str = DEST) -> Decision:
    return evaluate(
        Request(
            principal=HOP2_SESSION,
            action="sts:AssumeRole",
            resource=resource,
            principal_role_arn=INTERMEDIATE,
        ),
        identity_policies=(parse_policy(doc(*statements), name="p"),),
    ).decision


def test_not_resource_allow_and_deny() -> None:
    admin = f"arn:aws:iam::{DEST_ACCT}:role/Admin"
    allow_not = {"Effect": "Allow", "Action": "sts:AssumeRole", "NotResource": admin}
    assert _identity_decision(allow_not) is ALLOW
    assert _identity_decision(allow_not, resource=admin) is IMPLICIT
    deny_not = {"Effect": "Deny", "Action": "sts:AssumeRole", "NotResource": DEST}
    assert _identity_decision(grant("*"), deny_not) is ALLOW
    assert _identity_decision(grant("*"), deny_not, resource=admin) is EXPLICIT
    assert scope_of(allow_not) == "custom"


def test_path_wildcard_resource() -> None:
    team = "arn:aws:iam::*:role/team/*"
    assert _identity_decision(grant(team)) is IMPLICIT
    assert (
        _identity_decision(grant(team), resource=f"arn:aws:iam::{DEST_ACCT}:role/team/X") is ALLOW
    )
    # `*` in the resource part crosses "/" (reference_policies_elements_resource)
    assert (
        _identity_decision(
            grant("arn:aws:iam::*:role/*"), resource=f"arn:aws:iam::{DEST_ACCT}:role/a/b/C"
        )
        is ALLOW
    )


def test_boundary_without_assume_role_denies() -> None:
    result = evaluate(
        Request(
            principal=HOP2_SESSION,
            action="sts:AssumeRole",
            resource=DEST,
            principal_role_arn=INTERMEDIATE,
        ),
        identity_policies=(parse_policy(doc(grant("*")), name="p"),),
        permission_boundary=parse_policy(
            doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}), name="b"
        ),
    )
    assert result.decision is IMPLICIT


def test_an_empty_value_next_to_a_valid_one_is_not_impossible() -> None:
    # Values under one key are ORed (reference_policies_elements_condition_operators):
    # ["", EXT] still matches EXT, so the condition is satisfiable; the empty value is
    # only dead weight.
    req = _req({"StringEquals": {"sts:ExternalId": ["", EXT]}})
    assert req.problems == ()
    assert req.weak
    assert hop1(doc(allow(ACCOUNT_ROOT, {"StringEquals": {"sts:ExternalId": ["", EXT]}})), EXT) is (
        ALLOW
    )
    only_empty = _req({"StringEquals": {"sts:ExternalId": ""}})
    assert only_empty.problems
