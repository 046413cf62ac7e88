"""Parsing policy documents: accepted forms, and precise errors for malformed ones.

Source: IAM UG reference_policies_grammar and reference_policies_elements_version.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from qsdoctor.errors import PolicyError, UsageError
from qsdoctor.policy import parse_policy


def test_statement_as_object_or_list_and_strings_or_lists() -> None:
    single = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Sid": "One",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": "*",
            },
        },
        name="single",
    )
    listed = parse_policy(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "NotAction": ["iam:*", "s3:*"],
                        "NotResource": ["arn:aws:s3:::b"],
                    }
                ],
            }
        ),
        name="listed",
    )
    assert single.name == "single"
    assert single.version == "2012-10-17"
    assert single.statements[0].actions == ("sts:AssumeRole",)
    assert single.statements[0].ref.sid == "One"
    assert single.document["Statement"]["Sid"] == "One"
    stmt = listed.statements[0]
    assert stmt.not_action
    assert stmt.not_resource
    assert not stmt.allow
    assert stmt.actions == ("iam:*", "s3:*")


def test_principal_forms() -> None:
    policy = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
                {
                    "Effect": "Allow",
                    "Principal": {
                        "AWS": ["111122223333", "arn:aws:iam::1:root"],
                        "Service": "ec2.amazonaws.com",
                    },
                    "Action": "sts:AssumeRole",
                },
                {
                    "Effect": "Deny",
                    "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"},
                    "Action": "*",
                },
            ],
        }
    )
    assert policy.statements[0].principals == (("*", "*"),)
    assert policy.statements[1].principals == (
        ("AWS", "111122223333"),
        ("AWS", "arn:aws:iam::1:root"),
        ("Service", "ec2.amazonaws.com"),
    )
    assert policy.statements[2].not_principal


def test_missing_version_means_2008() -> None:
    policy = parse_policy({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    assert policy.version == "2008-10-17"
    assert not policy.variables_enabled


def test_condition_values_normalised() -> None:
    policy = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {
                        "Bool": {"aws:SecureTransport": True},
                        "NumericLessThan": {"s3:max-keys": [10, 2.5]},
                    },
                }
            ],
        }
    )
    conds = policy.statements[0].conditions
    assert [(c.base, c.values) for c in conds] == [
        ("Bool", ("true",)),
        ("NumericLessThan", ("10", "2.5")),
    ]


@pytest.mark.parametrize(
    ("document", "fragments"),
    [
        ("{not json", ["trust", "not valid JSON"]),
        ([], ["trust", "JSON object"]),
        ({"Version": "2012-10-17"}, ["trust", "no Statement"]),
        ({"Version": "2013-01-01", "Statement": []}, ["Version", "2013-01-01"]),
        ({"Statement": [], "Extra": 1}, ["unknown top-level field", "Extra"]),
        ({"Statement": ["x"]}, ["statement #1", "must be an object"]),
        (
            {"Statement": [{"Sid": "S1", "Effect": "allow", "Action": "*"}]},
            ['statement "S1" (#1)', "Effect"],
        ),
        ({"Statement": [{"Effect": "Allow", "Resource": "*"}]}, ["statement #1", "Action"]),
        (
            {"Statement": [{"Effect": "Allow", "Action": "*", "NotAction": "*"}]},
            ["both Action and NotAction"],
        ),
        ({"Statement": [{"Effect": "Allow", "Action": [1]}]}, ["field Action", "int"]),
        ({"Statement": [{"Effect": "Allow", "Action": []}]}, ["field Action", "empty"]),
        (
            {
                "Statement": [
                    {"Sid": "A"},
                    {"Sid": "B", "Effect": "Allow", "Action": "*", "Principal": {"Aws": "1"}},
                ]
            },
            ['statement "A" (#1)', "Effect"],
        ),
        (
            {
                "Statement": [
                    {"Sid": "B", "Effect": "Allow", "Action": "*", "Principal": {"Aws": "1"}}
                ]
            },
            ['statement "B" (#1)', "Principal", "Aws"],
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "*", "Principal": "someone"}]},
            ["field Principal"],
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "*", "Condition": ["x"]}]},
            ["field Condition"],
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "*", "Condition": {"StringEquals": "x"}}]},
            ["Condition.StringEquals"],
        ),
        (
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "*",
                        "Condition": {"StringEquals": {"k": {"nested": 1}}},
                    }
                ]
            },
            ["Condition.StringEquals.k", "dict"],
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "*", "Actions": "*"}]},
            ["unknown field", "Actions"],
        ),
        ({"Statement": [{"Effect": "Allow", "Action": "*", "Sid": 3}]}, ["Sid"]),
    ],
)
def test_malformed_documents_name_policy_statement_and_field(
    document: Any, fragments: list[str]
) -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy(document, name="trust")
    assert info.value.message.startswith("trust")
    for fragment in fragments:
        assert fragment in info.value.message
    assert isinstance(info.value, UsageError)
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    "statement",
    [
        {1: "x", "Effect": "Allow", "Action": "*"},
        {"Effect": "Allow", "Action": "*", "Condition": {"StringEquals": {1: "x"}}},
        {"Effect": "Allow", "Action": "*", "Condition": {2: {"k": "x"}}},
    ],
)
def test_non_string_keys_from_python_callers_are_policy_errors(statement: Any) -> None:
    with pytest.raises(PolicyError, match="statement #1"):
        parse_policy({"Statement": [statement]}, name="built in code")
