"""Condition operators, multi-valued keys and policy variables, from AWS's documented examples.

Each row names its source page in the IAM User Guide:
  OPS = reference_policies_elements_condition_operators
  MV  = reference_policies_multi-value-conditions
  VAR = reference_policies_variables
  FACTS = the missing-key table in ../shared/aws-facts.md §4 (which cites OPS and MV)
Expected values are written by hand from those pages, never computed by qsdoctor.
"""

from __future__ import annotations

from typing import Any

import pytest
from policy_helpers import allow, pol

from qsdoctor.policy import Decision, Request, evaluate

USER = "arn:aws:iam::111122223333:user/alice"
OBJECT = "arn:aws:s3:::amzn-s3-demo-bucket/home/alice/notes.txt"


def allowed(
    condition: dict[str, Any],
    context: dict[str, Any],
    *,
    resource: str = OBJECT,
    version: str = "2012-10-17",
) -> bool:
    policy = pol(allow("s3:GetObject", "*", Condition=condition), version=version)
    result = evaluate(
        Request(principal=USER, action="s3:GetObject", resource=resource, context=context),
        identity_policies=[policy],
    )
    return result.decision is Decision.ALLOWED


CASES = [
    # --- String operators (OPS) ---
    (
        "OPS",
        {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}},
        {"aws:PrincipalTag/job-category": "iamuser-admin"},
        True,
    ),
    (
        "OPS",
        {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}},
        {"aws:PrincipalTag/job-category": "IAMUser-Admin"},
        False,
    ),
    ("FACTS", {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}}, {}, False),
    ("FACTS", {"StringNotEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}}, {}, True),
    (
        "OPS",
        {"StringNotEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}},
        {"aws:PrincipalTag/job-category": "iamuser-admin"},
        False,
    ),
    (
        "OPS",
        {"StringEqualsIgnoreCase": {"aws:PrincipalTag/job-category": "IAMUSER-ADMIN"}},
        {"aws:PrincipalTag/job-category": "iamuser-admin"},
        True,
    ),
    ("OPS", {"StringEquals": {"s3:prefix": "home/*"}}, {"s3:prefix": "home/alice"}, False),
    ("OPS", {"StringLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "home/alice"}, True),
    ("OPS", {"StringLike": {"s3:prefix": "home/?"}}, {"s3:prefix": "home/ab"}, False),
    ("OPS", {"StringNotLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "tmp/x"}, True),
    ("OPS", {"StringEquals": {"s3:prefix": ["a", "b"]}}, {"s3:prefix": "b"}, True),
    ("OPS", {"StringEquals": {"s3:prefix": "a", "s3:delimiter": "/"}}, {"s3:prefix": "a"}, False),
    (
        "OPS",
        {"StringEquals": {"s3:prefix": "a"}, "Bool": {"aws:SecureTransport": "true"}},
        {"s3:prefix": "a", "aws:SecureTransport": True},
        True,
    ),
    # --- Numeric (OPS) ---
    ("OPS", {"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "10"}, True),
    ("OPS", {"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": 11}, False),
    ("OPS", {"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "ten"}, False),
    ("OPS", {"NumericEquals": {"s3:max-keys": "5"}}, {"s3:max-keys": "5.0"}, True),
    ("OPS", {"NumericGreaterThan": {"s3:max-keys": "5"}}, {"s3:max-keys": "5"}, False),
    ("FACTS", {"NumericNotEquals": {"s3:max-keys": "5"}}, {}, True),
    # --- Date (OPS) ---
    (
        "OPS",
        {"DateGreaterThan": {"aws:CurrentTime": "2020-04-01T00:00:00Z"}},
        {"aws:CurrentTime": "2020-05-01T00:00:00Z"},
        True,
    ),
    (
        "OPS",
        {"DateLessThan": {"aws:CurrentTime": "2020-06-30T23:59:59Z"}},
        {"aws:CurrentTime": "2020-07-01T00:00:00Z"},
        False,
    ),
    (
        "OPS",
        {"DateGreaterThan": {"aws:CurrentTime": "2020-04-01T00:00:00Z"}},
        {"aws:CurrentTime": "1588291200"},
        True,
    ),  # epoch seconds for 2020-05-01
    (
        "OPS",
        {"DateEquals": {"aws:CurrentTime": "2020-04-01"}},
        {"aws:CurrentTime": "2020-04-01T00:00:00Z"},
        True,
    ),
    ("FACTS", {"DateLessThan": {"aws:CurrentTime": "2020-06-30T23:59:59Z"}}, {}, False),
    # --- Bool and Binary (OPS) ---
    ("OPS", {"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": True}, True),
    ("OPS", {"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "false"}, False),
    ("OPS", {"Bool": {"aws:SecureTransport": "true"}}, {}, False),
    ("OPS", {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, {}, True),
    (
        "OPS",
        {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        {"aws:MultiFactorAuthPresent": True},
        False,
    ),
    (
        "OPS",
        {"BinaryEquals": {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}},
        {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="},
        True,
    ),
    ("OPS", {"BinaryEquals": {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}, {"key": "other"}, False),
    # --- IP address (OPS) ---
    (
        "OPS",
        {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        {"aws:SourceIp": "203.0.113.7"},
        True,
    ),
    (
        "OPS",
        {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        {"aws:SourceIp": "198.51.100.1"},
        False,
    ),
    (
        "OPS",
        {"IpAddress": {"aws:SourceIp": "2001:DB8:1234:5678::/64"}},
        {"aws:SourceIp": "2001:db8:1234:5678::1"},
        True,
    ),
    (
        "OPS",
        {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        {"aws:SourceIp": "198.51.100.1"},
        True,
    ),
    ("FACTS", {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {}, True),
    # --- ARN (OPS) ---
    (
        "OPS",
        {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:123456789012:*"}},
        {"aws:SourceArn": "arn:aws:sns:us-east-2:123456789012:my-topic"},
        True,
    ),
    (
        "OPS",
        {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:*:123456789012:*"}},
        {"aws:SourceArn": "arn:aws:sns:us-east-2:210987654321:my-topic"},
        False,
    ),
    (
        "OPS",
        {"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:123456789012:*"}},
        {"aws:SourceArn": "arn:aws:sns:us-east-2:210987654321:my-topic"},
        True,
    ),
    # --- Null (OPS, FACTS) ---
    ("OPS", {"Null": {"aws:TokenIssueTime": "true"}}, {}, True),
    (
        "OPS",
        {"Null": {"aws:TokenIssueTime": "true"}},
        {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"},
        False,
    ),
    ("FACTS", {"Null": {"sts:ExternalId": "false"}}, {}, False),
    ("FACTS", {"Null": {"sts:ExternalId": "false"}}, {"sts:ExternalId": "abc123xyz"}, True),
    # --- IfExists (OPS) ---
    ("OPS", {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}}, {}, True),
    (
        "OPS",
        {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}},
        {"ec2:InstanceType": "t2.micro"},
        True,
    ),
    (
        "OPS",
        {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}},
        {"ec2:InstanceType": "c5.large"},
        False,
    ),
    # --- unknown operator never matches ---
    ("OPS", {"StringEqualz": {"s3:prefix": "a"}}, {"s3:prefix": "a"}, False),
    # --- multi-valued keys (MV) ---
    (
        "MV",
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}},
        {"aws:TagKeys": ["environment"]},
        True,
    ),
    (
        "MV",
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}},
        {"aws:TagKeys": ["environment", "cost-center"]},
        True,
    ),
    (
        "MV",
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}},
        {"aws:TagKeys": ["environment", "owner"]},
        False,
    ),
    (
        "MV",
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}},
        {},
        True,
    ),
    (
        "MV",
        {"ForAnyValue:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}},
        {"aws:TagKeys": ["owner", "cost-center"]},
        True,
    ),
    (
        "MV",
        {"ForAnyValue:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}},
        {"aws:TagKeys": ["owner"]},
        False,
    ),
    (
        "MV",
        {"ForAnyValue:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}},
        {},
        False,
    ),
    ("MV", {"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": ["environment"]}}, {}, True),
    ("MV", {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["environment"]}}, {}, False),
    ("MV", {"ForAllValues:StringNotEquals": {"aws:TagKeys": ["environment"]}}, {}, True),
    (
        "MV",
        {"ForAllValues:StringLike": {"aws:TagKeys": ["key*"]}},
        {"aws:TagKeys": ["key1", "key2"]},
        True,
    ),
    (
        "MV",
        {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["a"]}},
        {"aws:TagKeys": ["a", "b"]},
        True,
    ),
    ("MV", {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["a"]}}, {"aws:TagKeys": ["a"]}, False),
    (
        "MV",
        {"ForAllValues:StringNotEquals": {"aws:TagKeys": ["a"]}},
        {"aws:TagKeys": ["b", "c"]},
        True,
    ),
    (
        "MV",
        {"ForAllValues:StringNotEquals": {"aws:TagKeys": ["a"]}},
        {"aws:TagKeys": ["a", "b"]},
        False,
    ),
    # --- policy variables in conditions (VAR) ---
    (
        "VAR",
        {"StringLike": {"s3:prefix": ["home/${aws:username}/*"]}},
        {"s3:prefix": "home/alice/docs"},
        True,
    ),
    (
        "VAR",
        {"StringLike": {"s3:prefix": ["home/${aws:username}/*"]}},
        {"s3:prefix": "home/bob/docs"},
        False,
    ),
    (
        "VAR",
        {"StringEquals": {"s3:prefix": "${aws:PrincipalTag/team, 'company-wide'}"}},
        {"s3:prefix": "company-wide"},
        True,
    ),
    (
        "VAR",
        {"StringEquals": {"s3:prefix": "${aws:PrincipalTag/team, 'company-wide'}"}},
        {"s3:prefix": "blue", "aws:PrincipalTag/team": "blue"},
        True,
    ),
    ("VAR", {"StringEquals": {"s3:prefix": "${aws:PrincipalTag/team}"}}, {"s3:prefix": ""}, False),
    ("VAR", {"StringLike": {"s3:prefix": "a${*}"}}, {"s3:prefix": "a*"}, True),
    ("VAR", {"StringLike": {"s3:prefix": "a${*}"}}, {"s3:prefix": "abc"}, False),
    ("VAR", {"StringEquals": {"s3:prefix": "cost${$}"}}, {"s3:prefix": "cost$"}, True),
    ("VAR", {"StringLike": {"s3:prefix": "q${?}"}}, {"s3:prefix": "qx"}, False),
]


@pytest.mark.parametrize(
    ("source", "condition", "context", "expected"),
    [pytest.param(*row, id=f"{row[0]}-{i}") for i, row in enumerate(CASES)],
)
def test_documented_condition_cases(
    source: str, condition: dict[str, Any], context: dict[str, Any], expected: bool
) -> None:
    assert source in ("OPS", "MV", "VAR", "FACTS")
    assert allowed(condition, context) is expected


def test_condition_key_names_are_case_insensitive() -> None:
    # OPS: "Condition key names are not case-sensitive."
    assert allowed(
        {"IpAddress": {"AWS:SOURCEIP": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.7"}
    )
    assert allowed(
        {"StringEquals": {"sts:externalid": "abcdef123456"}}, {"STS:ExternalId": "abcdef123456"}
    )


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("arn:aws:s3:::amzn-s3-demo-bucket/home/alice/notes.txt", True),
        ("arn:aws:s3:::amzn-s3-demo-bucket/home/bob/notes.txt", False),
    ],
)
def test_variables_in_resource(resource: str, expected: bool) -> None:
    # VAR: "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*"]
    policy = pol(allow("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*"))
    result = evaluate(
        Request(principal=USER, action="s3:GetObject", resource=resource),
        identity_policies=[policy],
    )
    assert (result.decision is Decision.ALLOWED) is expected


def test_variables_are_literal_text_in_version_2008() -> None:
    # VAR: "policy variables ... only work with Version 2012-10-17"; earlier, literal text
    pattern = "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*"
    policy = pol(allow("s3:GetObject", pattern), version="2008-10-17")
    real = evaluate(
        Request(principal=USER, action="s3:GetObject", resource=OBJECT), identity_policies=[policy]
    )
    literal = evaluate(
        Request(
            principal=USER,
            action="s3:GetObject",
            resource="arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/x",
        ),
        identity_policies=[policy],
    )
    assert real.decision is Decision.IMPLICIT_DENY
    assert literal.decision is Decision.ALLOWED


def test_escaped_star_in_resource_is_literal() -> None:
    policy = pol(allow("s3:GetObject", "arn:aws:s3:::b/${*}key"))
    star = evaluate(
        Request(principal=USER, action="s3:GetObject", resource="arn:aws:s3:::b/*key"),
        identity_policies=[policy],
    )
    other = evaluate(
        Request(principal=USER, action="s3:GetObject", resource="arn:aws:s3:::b/xkey"),
        identity_policies=[policy],
    )
    assert star.decision is Decision.ALLOWED
    assert other.decision is Decision.IMPLICIT_DENY


def test_substituted_values_are_not_wildcards() -> None:
    # A user named "*" must not match every prefix through ${aws:username}.
    assert not allowed(
        {"StringLike": {"s3:prefix": "home/${aws:username}"}},
        {"s3:prefix": "home/alice", "aws:username": "*"},
    )
