"""QS106-QS108 on hand-built Facts: the reference's three scope policies and breakages.

Expected statuses follow AWS's documented evaluation (an Allow is needed, an explicit
Deny wins, a boundary caps what the role's policies allow), stated by hand.
"""

from __future__ import annotations

import pytest
from intermediate_world import (
    ANY_ROLE_ANY_ACCOUNT,
    DEST_ACCOUNT,
    DEST_ARN,
    SPECIFIC_ACCOUNT_AND_ROLE,
    SPECIFIC_ROLE_ANY_ACCOUNT,
    denied,
    facts,
    one,
    permissions,
    role,
    run,
    scope_policy,
    with_role,
)

from qsdoctor.facts import Destination
from qsdoctor.models import Ok, Status

OTHER_NAME = f"arn:aws:iam::{DEST_ACCOUNT}:role/QuiverstoneChainedOrgInventory"
OTHER_ACCOUNT = "arn:aws:iam::444455556666:role/QuiverstoneChainedAccess"


def perms(resource: str, **kw: object) -> Ok:  # type: ignore[type-arg]
    return Ok(permissions(scope_policy(resource), **kw))  # type: ignore[arg-type]


# QS106 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "resource", [ANY_ROLE_ANY_ACCOUNT, SPECIFIC_ROLE_ANY_ACCOUNT, SPECIFIC_ACCOUNT_AND_ROLE]
)
def test_qs106_passes_for_each_reference_scope(resource: str) -> None:
    f = one("QS106", with_role(perms=perms(resource)))
    assert f.status is Status.PASS
    assert f.subject == DEST_ARN
    assert 'inline policy "AssumeRolePolicy"' in f.detail


def test_qs106_runs_once_per_destination() -> None:
    dests = (Destination(arn=DEST_ARN), Destination(arn=OTHER_NAME))
    findings = run("QS106", facts(destinations=dests))
    assert [(f.subject, f.status) for f in findings] == [
        (DEST_ARN, Status.PASS),
        (OTHER_NAME, Status.FAIL),
    ]


def test_qs106_fails_when_the_scope_names_another_role() -> None:
    f = one("QS106", facts(destinations=(Destination(arn=OTHER_NAME),)))
    assert f.status is Status.FAIL
    assert "no statement in the policies of QuiverstoneTrustedIntermediate allows" in f.detail
    assert "pAssumeRoleScope" in f.remediation
    assert OTHER_NAME in f.remediation
    assert any(e.kind == "policy" for e in f.evidence)


def test_qs106_fails_on_an_explicit_deny_and_names_it() -> None:
    doc = scope_policy(ANY_ROLE_ANY_ACCOUNT)
    doc["Statement"].append(
        {
            "Sid": "NoProd",
            "Effect": "Deny",
            "Action": "sts:AssumeRole",
            "Resource": f"arn:aws:iam::{DEST_ACCOUNT}:role/*",
        }
    )
    f = one("QS106", with_role(perms=Ok(permissions(doc))))
    assert f.status is Status.FAIL
    assert '"NoProd"' in f.detail
    assert "explicitly denies" in f.detail


def test_qs106_fails_when_the_boundary_does_not_allow_it() -> None:
    boundary = scope_policy("arn:aws:iam::*:role/SomethingElse")
    f = one("QS106", with_role(perms=perms(SPECIFIC_ROLE_ANY_ACCOUNT, boundary=boundary)))
    assert f.status is Status.FAIL
    assert "permissions boundary" in f.detail
    assert "boundary" in f.remediation


def test_qs106_passes_through_an_attached_managed_policy() -> None:
    managed = (
        (
            "arn:aws:iam::111122223333:policy/QuiverstoneAssume",
            scope_policy(SPECIFIC_ROLE_ANY_ACCOUNT),
        ),
    )
    p = Ok(permissions(managed=managed))
    f = one("QS106", with_role(perms=p))
    assert f.status is Status.PASS
    assert "QuiverstoneAssume" in f.detail


def test_qs106_errors_naming_the_denied_read() -> None:
    f = one("QS106", with_role(perms=denied("iam:ListRolePolicies")))
    assert f.status is Status.ERROR
    assert "iam:ListRolePolicies" in f.remediation


def test_qs106_skips_when_the_intermediate_role_is_missing() -> None:
    f = one("QS106", facts(intermediate_role=Ok(None)))
    assert f.status is Status.SKIP
    assert "QS101" in f.detail


# QS107 -------------------------------------------------------------------------------


def test_qs107_recommended_scope_passes_and_is_named_in_the_title() -> None:
    f = one("QS107", facts())
    assert f.status is Status.PASS
    assert f.title.endswith("specific-role-any-account")
    assert "recommended" in f.detail


def test_qs107_specific_account_and_role_passes_when_destinations_fit() -> None:
    f = one("QS107", with_role(perms=perms(SPECIFIC_ACCOUNT_AND_ROLE)))
    assert f.status is Status.PASS
    assert "specific-account-and-role" in f.title


def test_qs107_warns_for_any_role_any_account_and_suggests_the_name() -> None:
    f = one("QS107", with_role(perms=perms(ANY_ROLE_ANY_ACCOUNT)))
    assert f.status is Status.WARN
    assert "any-role-any-account" in f.title
    assert "pAssumeRoleScope=specific-role-any-account" in f.remediation
    assert "pDestinationRoleName=QuiverstoneChainedAccess" in f.remediation


def test_qs107_warns_when_a_destination_has_another_name() -> None:
    f = one("QS107", facts(destinations=(Destination(arn=OTHER_NAME),)))
    assert f.status is Status.WARN
    assert OTHER_NAME in f.detail
    assert "pDestinationRoleName=QuiverstoneChainedOrgInventory" in f.remediation


def test_qs107_warns_when_a_destination_is_in_another_account() -> None:
    f = one(
        "QS107",
        facts(
            intermediate_role=Ok(role(perms=perms(SPECIFIC_ACCOUNT_AND_ROLE))),
            destinations=(Destination(arn=OTHER_ACCOUNT),),
        ),
    )
    assert f.status is Status.WARN
    assert OTHER_ACCOUNT in f.detail


def test_qs107_a_destination_inside_the_scope_but_denied_points_at_qs106() -> None:
    # The scope's Allow covers the destination; a Deny elsewhere blocks it (AWS: an explicit
    # Deny wins). Renaming the destination or the scope would not help: say so.
    doc = scope_policy(SPECIFIC_ROLE_ANY_ACCOUNT)
    doc["Statement"].append(
        {"Sid": "NoProd", "Effect": "Deny", "Action": "sts:AssumeRole", "Resource": DEST_ARN}
    )
    f = one("QS107", with_role(perms=Ok(permissions(doc))))
    # The scope is not the problem: QS107 passes and points at QS106, which fails.
    assert f.status is Status.PASS
    assert "QS106" in f.detail
    assert "QS106" in f.title
    assert one("QS106", with_role(perms=Ok(permissions(doc)))).status is Status.FAIL


def test_qs107_fails_when_nothing_may_be_assumed() -> None:
    doc = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
    f = one("QS107", with_role(perms=Ok(permissions(doc))))
    assert f.status is Status.FAIL
    assert "nothing" in f.detail


def test_qs107_custom_scope_that_fits_passes_with_explanation() -> None:
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": [DEST_ARN, OTHER_NAME]}
        ],
    }
    f = one("QS107", with_role(perms=Ok(permissions(doc))))
    assert f.status is Status.PASS
    assert "custom" in f.title
    assert f.evidence[0].data["kind"] == "custom"


def test_qs107_skips_when_the_role_is_missing() -> None:
    assert one("QS107", facts(intermediate_role=Ok(None))).status is Status.SKIP


# QS108 -------------------------------------------------------------------------------


def test_qs108_passes_for_the_reference_policy() -> None:
    f = one("QS108", facts())
    assert f.status is Status.PASS


def test_qs108_accepts_session_tagging_and_source_identity() -> None:
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                "Resource": SPECIFIC_ROLE_ANY_ACCOUNT,
            }
        ],
    }
    assert one("QS108", with_role(perms=Ok(permissions(doc)))).status is Status.PASS


def test_qs108_warns_on_extra_permissions_and_lists_them() -> None:
    managed = (
        (
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "ReadAll",
                        "Effect": "Allow",
                        "Action": ["s3:Get*", "ec2:Describe*"],
                        "Resource": "*",
                    }
                ],
            },
        ),
    )
    f = one(
        "QS108",
        with_role(perms=Ok(permissions(scope_policy(SPECIFIC_ROLE_ANY_ACCOUNT), managed=managed))),
    )
    assert f.status is Status.WARN
    assert "s3:Get*" in f.detail
    assert "ec2:Describe*" in f.detail
    assert '"ReadAll"' in f.detail
    assert "sts:AssumeRole" in f.remediation


def test_qs108_errors_when_policies_cannot_be_read() -> None:
    f = one("QS108", with_role(perms=denied("iam:GetPolicyVersion")))
    assert f.status is Status.ERROR
