"""Action and ARN wildcard matching.

Source: IAM UG reference_policies_elements_action (case-insensitive, wildcards) and
reference_policies_elements_resource (ARN wildcards per segment, case-sensitive).
"""

from __future__ import annotations

import pytest

from qsdoctor.policy import action_matches, arn_matches


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("sts:AssumeRole", "sts:AssumeRole", True),
        ("STS:assumerole", "sts:AssumeRole", True),  # actions are case-insensitive
        ("sts:*", "sts:AssumeRole", True),
        ("*", "iam:GetRole", True),
        ("sts:Assume*", "sts:AssumeRoleWithSAML", True),
        ("iam:Get*", "iam:ListRoles", False),
        ("sts:AssumeRol?", "sts:AssumeRole", True),
        ("sts:AssumeRol?", "sts:AssumeRoles", False),
        ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", False),
        ("s3:*", "sts:AssumeRole", False),
    ],
)
def test_action_matching(pattern: str, action: str, expected: bool) -> None:
    assert action_matches(pattern, action) is expected


@pytest.mark.parametrize(
    ("pattern", "arn", "expected"),
    [
        ("arn:aws:iam::*:role/*", "arn:aws:iam::210987654321:role/QuiverstoneChainedAccess", True),
        ("arn:aws:iam::*:role/*", "arn:aws:iam::210987654321:role/team/Nested", True),
        (
            "arn:aws:iam::*:role/QuiverstoneChainedAccess",
            "arn:aws:iam::210987654321:role/QuiverstoneChainedAccess",
            True,
        ),
        (
            "arn:aws:iam::*:role/QuiverstoneChainedAccess",
            "arn:aws:iam::210987654321:role/quiverstonechainedaccess",
            False,
        ),  # case-sensitive
        (
            "arn:aws:iam::*:role/QuiverstoneChainedAccess",
            "arn:aws:iam::210987654321:role/path/QuiverstoneChainedAccess",
            False,
        ),
        ("arn:aws:iam::123456789012:role/X", "arn:aws:iam::210987654321:role/X", False),
        ("*", "arn:aws:s3:::bucket", True),
        # a wildcard in the account segment does not cross into other segments
        ("arn:aws:iam::*:role/X", "arn:aws:iam::1:2:role/X", False),
        ("arn:aws:iam::12345678901?:role/X", "arn:aws:iam::123456789012:role/X", True),
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a:b/c", True),
        ("arn:*:iam::*:role/*", "arn:aws-us-gov:iam::123456789012:role/X", True),
    ],
)
def test_arn_matching(pattern: str, arn: str, expected: bool) -> None:
    assert arn_matches(pattern, arn) is expected
