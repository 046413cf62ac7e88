"""Property: whatever the External IDs, no QS1xx finding ever contains one."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from intermediate_world import DEST_ARN, facts, role, trust_with

from qsdoctor.checks.registry import run_checks
from qsdoctor.facts import Destination
from qsdoctor.models import Ok
from qsdoctor.secrets import ExternalId

ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@:/-"
#: A marker prefix and some length, so a value cannot appear in a finding by coincidence
#: (e.g. a generated "111122223333" inside an ARN).
external_ids = st.text(alphabet=ALPHABET, min_size=8, max_size=80).map(lambda s: "QzX9-" + s)
operators = st.sampled_from(
    [
        "StringEquals",
        "StringEqualsIgnoreCase",
        "StringLike",
        "StringEqualsIfExists",
        "StringNotEquals",
        "ForAnyValue:StringEquals",
    ]
)
QS1XX = {f"QS10{i}" for i in range(1, 10)}


@settings(max_examples=40, deadline=None)
@given(
    configured=external_ids,
    in_trust=external_ids,
    destination=external_ids,
    operator=operators,
    whitespace=st.sampled_from(["", " ", "\n"]),
)
def test_no_finding_contains_an_external_id(
    configured: str, in_trust: str, destination: str, operator: str, whitespace: str
) -> None:
    trust = trust_with(Condition={operator: {"sts:ExternalId": [in_trust, configured[::-1]]}})
    f = facts(
        external_id=ExternalId(configured + whitespace, source="test"),
        intermediate_role=Ok(role(trust=trust)),
        destinations=(
            Destination(arn=DEST_ARN, external_id=ExternalId(destination, source="test")),
        ),
    )
    findings = run_checks(f, select=QS1XX, raise_errors=True)
    assert {x.id for x in findings} == QS1XX
    text = json.dumps([x.to_dict() for x in findings])
    for secret in (configured, in_trust, destination, configured[::-1]):
        assert secret not in text
