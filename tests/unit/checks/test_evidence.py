"""Evidence helpers: External ID values never reach a report, whatever the operator or key case."""

from __future__ import annotations

import json

import pytest

from qsdoctor.checks import evidence
from qsdoctor.secrets import fingerprint

SECRET = "7f3c9a1e-5b2d-4c8e-9f0a-1d2e3f4a5b6c"


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"sts:ExternalId": SECRET}},
        {"StringEquals": {"STS:EXTERNALID": [SECRET, "other-value"]}},
        {"ForAnyValue:StringLikeIfExists": {"sts:externalid": SECRET}},
    ],
)
def test_redact_statement_replaces_external_id_values_with_fingerprints(
    condition: dict[str, object],
) -> None:
    stmt = {
        "Effect": "Allow",
        "Principal": {"AWS": "684035162433"},
        "Action": "sts:AssumeRole",
        "Condition": condition,
    }
    original = json.dumps(stmt)
    out = evidence.redact_statement(stmt)
    text = json.dumps(out)
    assert SECRET not in text
    assert fingerprint(SECRET) in text
    assert json.dumps(stmt) == original, "the input must not be modified"


def test_redact_statement_keeps_other_conditions() -> None:
    stmt = {
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Condition": {
            "StringEquals": {"sts:ExternalId": SECRET, "aws:PrincipalArn": "arn:aws:iam::1:role/x"}
        },
    }
    out = evidence.redact_statement(stmt)
    assert out["Condition"]["StringEquals"]["aws:PrincipalArn"] == "arn:aws:iam::1:role/x"


def test_redact_policy_handles_a_single_statement_object() -> None:
    doc = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": SECRET}},
        },
    }
    assert SECRET not in json.dumps(evidence.redact_policy(doc))


def test_statement_evidence_is_labelled_and_redacted() -> None:
    stmt = {
        "Sid": "Vendor",
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": SECRET}},
    }
    ev = evidence.statement("trust policy of R", 0, stmt, note="admits 684035162433")
    assert ev.kind == "statement"
    assert ev.summary == 'statement "Vendor" (#1) of trust policy of R: admits 684035162433'
    assert SECRET not in json.dumps(ev.to_dict())


def test_external_id_evidence_shows_length_and_fingerprint_only() -> None:
    ev = evidence.external_id("configured External ID", SECRET)
    assert SECRET not in json.dumps(ev.to_dict())
    assert ev.data["length"] == len(SECRET)
    assert ev.data["fingerprint"] == fingerprint(SECRET)


def test_scrub_replaces_secrets_but_not_short_values() -> None:
    text = f"condition sts:ExternalId = {SECRET} failed; ab"
    out = evidence.scrub(text, [SECRET, "ab"])
    assert SECRET not in out
    assert fingerprint(SECRET) in out
    assert out.endswith("; ab")
