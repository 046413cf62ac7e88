"""Analysis helpers: principals, admitting statements, condition and External ID analysis,
assume-role scope and extra permissions.

The reference's trust policy and three scope policies are quoted verbatim from
../shared/reference/intermediate-role-reference.txt ("Trust Policy Structure",
"Assume Role Scope Options"). Missing-key behaviour per aws-facts.md §4.
"""

from __future__ import annotations

from typing import Any

import pytest
from policy_helpers import (
    DESTINATION,
    INTERMEDIATE,
    INTERMEDIATE_ROLE,
    INTERMEDIATE_SESSION,
    PRODUCTION,
    allow,
    deny,
    pol,
    trust,
)

from qsdoctor.policy import (
    StatementRef,
    admitting_statements,
    classify_assume_scope,
    condition_problems,
    condition_requirements,
    external_id_requirement,
    extra_permissions,
    parse_policy,
    principal_entries,
)

REFERENCE_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::684035162433:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "your-external-id-here"}},
        }
    ],
}
SCOPE_ANY = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/*"}
SCOPE_ACCOUNT_AND_ROLE = {
    "Effect": "Allow",
    "Action": "sts:AssumeRole",
    "Resource": "arn:aws:iam::123456789012:role/QuiverstoneChainedOrgInventory",
}
SCOPE_ROLE_ANY_ACCOUNT = {
    "Effect": "Allow",
    "Action": "sts:AssumeRole",
    "Resource": "arn:aws:iam::*:role/QuiverstoneChainedAccess",
}
GOOD_ID = "Zq3vN8rT1xLm5Kp0Wc7Ys2Hd9Gf4Jb6A"


def ref_with(condition: dict[str, Any]) -> StatementRef:
    return pol(trust({"AWS": PRODUCTION}, Condition=condition), name="trust").statements[0].ref


# --- principals -----------------------------------------------------------------------


def test_principal_entries_classify_every_form() -> None:
    policy = pol(
        trust(
            {
                "AWS": [
                    "684035162433",
                    "arn:aws:iam::684035162433:root",
                    f"arn:aws:iam::{INTERMEDIATE}:role/ops/QuiverstoneTrustedIntermediate",
                    INTERMEDIATE_SESSION,
                    f"arn:aws:iam::{INTERMEDIATE}:user/bob",
                    "AROA3XFRBF535PLBIFPI4",
                    "AIDAJQABLZS4A3QDU576Q",
                    "*",
                    "arn:aws:iam::*:role/Wild",
                ]
            }
        ),
        trust({"Service": "ec2.amazonaws.com", "Federated": "cognito-identity.amazonaws.com"}),
        {
            "Effect": "Deny",
            "NotPrincipal": {"CanonicalUser": "79a59df900b949e55d96a1e698fbace"},
            "Action": "*",
        },
        name="trust",
    )
    entries = principal_entries(policy)
    kinds = [e.kind for e in entries]
    assert kinds == [
        "account",
        "account",
        "role",
        "assumed-role",
        "user",
        "unique-id",
        "unique-id",
        "wildcard",
        "other",
        "service",
        "federated",
        "canonical",
    ]
    assert entries[2].role_path == "/ops/"
    assert entries[2].role_name == "QuiverstoneTrustedIntermediate"
    assert entries[0].account == PRODUCTION
    assert entries[1].account == PRODUCTION
    assert entries[3].role_name == "QuiverstoneTrustedIntermediate"
    assert entries[-1].negated
    assert entries[-1].principal_type == "CanonicalUser"
    assert entries[0].statement.index == 0
    assert entries[-1].statement.index == 2


def test_admitting_statements_for_the_whole_account_and_for_a_role() -> None:
    policy = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "NamedRole", **trust({"AWS": f"arn:aws:iam::{PRODUCTION}:role/Support"})},
                {
                    "Sid": "Account",
                    **trust(
                        {"AWS": PRODUCTION}, Condition={"StringEquals": {"sts:ExternalId": "nope"}}
                    ),
                },
                {"Sid": "Tagging", **trust({"AWS": PRODUCTION}, action="sts:TagSession")},
                {"Sid": "Denied", **trust({"AWS": PRODUCTION}, effect="Deny")},
                {"Sid": "Stale", **trust({"AWS": "AROA3XFRBF535PLBIFPI4"})},
            ],
        },
        name="trust",
    )
    # conditions are ignored; Deny and other actions are not admissions
    assert [r.sid for r in admitting_statements(policy, f"arn:aws:iam::{PRODUCTION}:root")] == [
        "Account"
    ]
    assert [r.sid for r in admitting_statements(policy, PRODUCTION)] == ["Account"]
    session = f"arn:aws:sts::{PRODUCTION}:assumed-role/Support/alice"
    assert [r.sid for r in admitting_statements(policy, session)] == ["NamedRole", "Account"]
    assert [r.sid for r in admitting_statements(policy, PRODUCTION, action="sts:TagSession")] == [
        "Tagging"
    ]
    assert admitting_statements(policy, DESTINATION) == ()


def test_admitting_statements_uses_the_role_path_when_given() -> None:
    policy = pol(
        trust({"AWS": f"arn:aws:iam::{INTERMEDIATE}:role/ops/QuiverstoneTrustedIntermediate"})
    )
    assert len(admitting_statements(policy, INTERMEDIATE_SESSION)) == 1
    assert (
        admitting_statements(policy, INTERMEDIATE_SESSION, principal_role_arn=INTERMEDIATE_ROLE)
        == ()
    )


# --- External ID requirement -----------------------------------------------------------

# condition, present, enforced, has problems, has weak, GOOD_ID matches, "other-id-1" matches
EXTERNAL_ID_CASES: dict[str, tuple[dict[str, Any], bool, bool, bool, bool, bool, bool]] = {
    "string-equals": (
        {"StringEquals": {"sts:ExternalId": GOOD_ID}},
        True,
        True,
        False,
        False,
        True,
        False,
    ),
    "key-case-insensitive": (
        {"StringEquals": {"STS:externalid": GOOD_ID}},
        True,
        True,
        False,
        False,
        True,
        False,
    ),
    "several-values-ored": (
        {"StringEquals": {"sts:ExternalId": ["other-id-1", GOOD_ID]}},
        True,
        True,
        False,
        False,
        True,
        True,
    ),
    "absent": (
        {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}},
        False,
        False,
        False,
        False,
        True,
        True,
    ),
    "if-exists": (
        {"StringEqualsIfExists": {"sts:ExternalId": GOOD_ID}},
        True,
        False,
        False,
        True,
        True,
        False,
    ),
    "negated": (
        {"StringNotEquals": {"sts:ExternalId": "other-id-1"}},
        True,
        False,
        False,
        True,
        True,
        False,
    ),
    "for-all-values": (
        {"ForAllValues:StringEquals": {"sts:ExternalId": GOOD_ID}},
        True,
        False,
        False,
        True,
        True,
        False,
    ),
    "string-like-wildcard": (
        {"StringLike": {"sts:ExternalId": "Zq3v*"}},
        True,
        True,
        False,
        True,
        True,
        False,
    ),
    "ignore-case": (
        {"StringEqualsIgnoreCase": {"sts:ExternalId": GOOD_ID.lower()}},
        True,
        True,
        False,
        True,
        True,
        False,
    ),
    "null-false": ({"Null": {"sts:ExternalId": "false"}}, True, True, False, True, True, True),
    "empty-list": ({"StringEquals": {"sts:ExternalId": []}}, True, True, True, False, False, False),
    "empty-string": (
        {"StringEquals": {"sts:ExternalId": ""}},
        True,
        True,
        True,
        False,
        False,
        False,
    ),
    "space-never-sent": (
        {"StringEquals": {"sts:ExternalId": "my external id"}},
        True,
        True,
        True,
        False,
        False,
        False,
    ),
    "too-long": (
        {"StringEquals": {"sts:ExternalId": "a" * 1225}},
        True,
        True,
        True,
        False,
        False,
        False,
    ),
    "numeric-operator": (
        {"NumericEquals": {"sts:ExternalId": "12345678"}},
        True,
        True,
        True,
        False,
        False,
        False,
    ),
    "bool-operator": ({"Bool": {"sts:ExternalId": "true"}}, True, True, True, False, False, False),
    "unknown-operator": (
        {"StringEqualz": {"sts:ExternalId": GOOD_ID}},
        True,
        True,
        True,
        False,
        False,
        False,
    ),
    "misspelt-plural": (
        {"StringEquals": {"sts:ExternalIds": GOOD_ID}},
        False,
        True,
        True,
        False,
        False,
        False,
    ),
    "misspelt-dash": (
        {"StringEquals": {"sts:External-Id": GOOD_ID}},
        False,
        True,
        True,
        False,
        False,
        False,
    ),
    "wrong-prefix": (
        {"StringEquals": {"aws:ExternalId": GOOD_ID}},
        False,
        True,
        True,
        False,
        False,
        False,
    ),
    "no-prefix": (
        {"StringEquals": {"ExternalId": GOOD_ID}},
        False,
        True,
        True,
        False,
        False,
        False,
    ),
}


@pytest.mark.parametrize("name", list(EXTERNAL_ID_CASES))
def test_external_id_requirement(name: str) -> None:
    condition, present, enforced, problems, weak, good, other = EXTERNAL_ID_CASES[name]
    req = external_id_requirement(ref_with(condition))
    assert req.present is present
    assert req.enforced is enforced
    assert bool(req.problems) is problems, req.problems
    assert bool(req.weak) is weak, req.weak
    assert req.matches(GOOD_ID) is good
    assert req.matches("other-id-1") is other


def test_external_id_requirement_reports_operator_and_values_but_never_prints_them() -> None:
    req = external_id_requirement(ref_with({"StringEquals": {"sts:ExternalId": GOOD_ID}}))
    assert req.operator == "StringEquals"
    assert req.values == (GOOD_ID,)
    assert GOOD_ID not in repr(req)


def test_reference_trust_policy_requires_its_placeholder() -> None:
    policy = parse_policy(REFERENCE_TRUST, name="QuiverstoneTrustedIntermediate trust policy")
    (stmt,) = admitting_statements(policy, "684035162433")
    req = external_id_requirement(stmt)
    assert req.present
    assert req.enforced
    assert req.matches("your-external-id-here")
    assert not req.matches("your-external-id-here ")
    assert req.problems == ()


def test_condition_requirements_decompose_operators() -> None:
    reqs = condition_requirements(
        ref_with(
            {
                "ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["a*", "b"]},
                "StringNotEquals": {"aws:PrincipalOrgID": "o-1"},
                "Null": {"sts:ExternalId": False},
            }
        )
    )
    assert [
        (r.operator, r.base_operator, r.key, r.values, r.if_exists, r.set_operator, r.negated)
        for r in reqs
    ] == [
        (
            "ForAnyValue:StringLikeIfExists",
            "StringLike",
            "aws:TagKeys",
            ("a*", "b"),
            True,
            "ForAnyValue",
            False,
        ),
        ("StringNotEquals", "StringNotEquals", "aws:PrincipalOrgID", ("o-1",), False, None, True),
        ("Null", "Null", "sts:ExternalId", ("false",), False, None, False),
    ]


@pytest.mark.parametrize(
    ("condition", "fragment"),
    [
        ({"StringEqualz": {"aws:PrincipalOrgID": "o-1"}}, "not an IAM condition operator"),
        ({"StringEquals": {"sts:SourceIdentty": "alice"}}, "misspelling of sts:SourceIdentity"),
        ({"StringEquals": {"aws:PrincipalOrgIDs": "o-1"}}, "misspelling of aws:PrincipalOrgID"),
        ({"StringEquals": {"aws:PrincipalArn": []}}, "empty"),
        ({"NumericLessThan": {"sts:DurationSeconds": "one hour"}}, "not valid for NumericLessThan"),
        ({"Bool": {"aws:MultiFactorAuthPresent": "yes"}}, "not valid for Bool"),
        ({"IpAddress": {"aws:SourceIp": "203.0.113.0/33"}}, "not valid for IpAddress"),
        ({"DateGreaterThan": {"aws:CurrentTime": "tomorrow"}}, "not valid for DateGreaterThan"),
        ({"StringEquals": {"sts:ExternalIds": GOOD_ID}}, "misspelling of sts:ExternalId"),
        ({"StringEquals": {"sts:ExternalId": "has space"}}, "can ever be sent by STS"),
        ({"ForSomeValues:StringEquals": {"aws:TagKeys": "a"}}, "not an IAM condition operator"),
        ({"StringEquals": {"team": "blue"}}, "no service prefix"),
    ],
)
def test_condition_problems_flag_conditions_that_never_match(
    condition: dict[str, Any], fragment: str
) -> None:
    problems = condition_problems(ref_with(condition))
    assert any(fragment in p for p in problems), problems


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:PrincipalOrgId": "o-1"}},  # key case does not matter
        {"StringEquals": {"sts:ExternalId": GOOD_ID}},
        {"StringLike": {"aws:PrincipalTag/team": "blue*"}},
        {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8::/32"]}},
        {"StringEquals": {"s3:prefix": "home/${aws:username}"}},
        {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
    ],
)
def test_condition_problems_accept_sound_conditions(condition: dict[str, Any]) -> None:
    assert condition_problems(ref_with(condition)) == ()


# --- assume-role scope ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "kind", "names", "accounts"),
    [
        (SCOPE_ANY, "any-role-any-account", (), ()),
        (
            SCOPE_ACCOUNT_AND_ROLE,
            "specific-account-and-role",
            ("QuiverstoneChainedOrgInventory",),
            ("123456789012",),
        ),
        (SCOPE_ROLE_ANY_ACCOUNT, "specific-role-any-account", ("QuiverstoneChainedAccess",), ()),
        ({**SCOPE_ANY, "Resource": "*"}, "any-role-any-account", (), ()),
        ({**SCOPE_ANY, "Action": "sts:*"}, "any-role-any-account", (), ()),
        (
            {
                **SCOPE_ROLE_ANY_ACCOUNT,
                "Resource": "arn:aws-us-gov:iam::*:role/QuiverstoneChainedAccess",
            },
            "specific-role-any-account",
            ("QuiverstoneChainedAccess",),
            (),
        ),
        ({**SCOPE_ANY, "Resource": "arn:aws:iam::*:role/Quiverstone*"}, "custom", (), ()),
        ({**SCOPE_ANY, "Resource": "arn:aws:iam::123456789012:role/*"}, "custom", (), ()),
        (
            {**SCOPE_ANY, "Resource": ["arn:aws:iam::*:role/A", "arn:aws:iam::*:role/B"]},
            "custom",
            ("A", "B"),
            (),
        ),
        (
            {"Effect": "Allow", "Action": "sts:AssumeRole", "NotResource": "arn:aws:iam::*:role/X"},
            "custom",
            (),
            (),
        ),
        ({**SCOPE_ANY, "Action": "s3:GetObject"}, "none", (), ()),
    ],
)
def test_scope_classification(
    statement: dict[str, Any], kind: str, names: tuple[str, ...], accounts: tuple[str, ...]
) -> None:
    scope = classify_assume_scope([pol(statement, name="intermediate policy")])
    assert scope.kind == kind
    assert scope.role_names == names
    assert scope.accounts == accounts
    assert scope.explanation


def test_scope_records_resources_and_statements() -> None:
    scope = classify_assume_scope(
        [pol(SCOPE_ROLE_ANY_ACCOUNT, name="scope policy"), pol(allow("s3:GetObject"), name="other")]
    )
    assert scope.resources == ("arn:aws:iam::*:role/QuiverstoneChainedAccess",)
    assert [s.policy for s in scope.statements] == ["scope policy"]


def test_any_role_pattern_dominates_other_patterns() -> None:
    scope = classify_assume_scope([pol(SCOPE_ROLE_ANY_ACCOUNT), pol(SCOPE_ANY)])
    assert scope.kind == "any-role-any-account"


def test_boundary_narrows_the_scope() -> None:
    narrowed = classify_assume_scope(
        [pol(SCOPE_ANY)], boundary=pol(SCOPE_ROLE_ANY_ACCOUNT, name="boundary")
    )
    assert narrowed.kind == "specific-role-any-account"
    assert "boundary" in narrowed.explanation
    blocked = classify_assume_scope([pol(SCOPE_ANY)], boundary=pol(allow("s3:*")))
    assert blocked.kind == "none"
    wide = classify_assume_scope([pol(SCOPE_ACCOUNT_AND_ROLE)], boundary=pol(allow("*")))
    assert wide.kind == "specific-account-and-role"


def test_scope_mentions_denies() -> None:
    scope = classify_assume_scope(
        [pol(SCOPE_ANY, deny("sts:AssumeRole", "arn:aws:iam::*:role/Admin"))]
    )
    assert scope.kind == "any-role-any-account"
    assert "Deny" in scope.explanation


# --- extra permissions -----------------------------------------------------------------


def test_extra_permissions() -> None:
    policy = pol(
        {**SCOPE_ROLE_ANY_ACCOUNT, "Sid": "Scope"},
        {"Sid": "Tags", **allow(["sts:TagSession", "STS:SetSourceIdentity"])},
        {"Sid": "Wild", **allow(["sts:*", "sts:AssumeRole"])},
        {"Sid": "Reads", **allow(["iam:Get*", "s3:ListBucket"])},
        {"Sid": "Everything", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        {"Sid": "DenyIsFine", **deny("*")},
        name="intermediate policy",
    )
    found = extra_permissions([policy])
    assert [(ref.sid, patterns) for ref, patterns in found] == [
        ("Wild", ("sts:*",)),
        ("Reads", ("iam:Get*", "s3:ListBucket")),
        ("Everything", ("NotAction iam:*",)),
    ]
    assert extra_permissions([policy], allowed=("sts:AssumeRole",))[0][0].sid == "Tags"
