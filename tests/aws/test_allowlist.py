"""The read-only allowlist: what is on it, and that the guard refuses the rest unsent."""

from __future__ import annotations

import json
from typing import Any

import boto3
import botocore.session
import pytest

from qsdoctor.aws.allowlist import PROBE_METRICS, READ_ONLY
from qsdoctor.aws.gateway import AwsGateway
from qsdoctor.aws.sessions import new_session
from qsdoctor.errors import ForbiddenOperation

MUTATING_PREFIXES = (
    "Create",
    "Put",
    "Update",
    "Delete",
    "Attach",
    "Detach",
    "Tag",
    "Untag",
    "Set",
    "Add",
    "Remove",
)
TRUST = json.dumps({"Version": "2012-10-17", "Statement": []})


def _signed_requests(session: boto3.Session) -> list[str]:
    """Record every request that reaches signing (the guard must stop calls before it)."""
    seen: list[str] = []

    def record(**kwargs: Any) -> None:
        seen.append(str(kwargs.get("event_name")))

    session.events.register("before-sign", record)
    return seen


@pytest.mark.parametrize("key", sorted(READ_ONLY | PROBE_METRICS))
def test_every_allowlisted_operation_exists_in_botocore(key: tuple[str, str]) -> None:
    service, operation = key
    model = botocore.session.get_session().get_service_model(service)
    assert operation in model.operation_names


def test_allowlist_holds_no_mutating_operation_except_the_probe_set() -> None:
    mutating = {(s, op) for s, op in READ_ONLY if op.startswith(MUTATING_PREFIXES)}
    assert mutating == set()
    assert all(op.startswith(MUTATING_PREFIXES) for _, op in PROBE_METRICS)
    assert not (PROBE_METRICS & READ_ONLY)


def test_only_read_verbs_and_assume_role() -> None:
    read_verbs = ("Get", "List", "Describe", "Lookup", "Simulate")
    others = {key for key in READ_ONLY if not key[1].startswith(read_verbs)}
    assert others == {("sts", "AssumeRole")}


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("create_role", {"RoleName": "evil", "AssumeRolePolicyDocument": TRUST}),
        ("update_assume_role_policy", {"RoleName": "victim", "PolicyDocument": TRUST}),
        ("delete_role", {"RoleName": "victim"}),
    ],
)
def test_profile_session_refuses_mutation_before_signing(
    method: str, params: dict[str, str]
) -> None:
    boto3.client("iam").create_role(RoleName="victim", AssumeRolePolicyDocument=TRUST)
    session = new_session()
    signed = _signed_requests(session)
    iam = session.client("iam")
    with pytest.raises(ForbiddenOperation, match=r"iam:\w+ is not on qsdoctor's read-only"):
        getattr(iam, method)(**params)
    assert signed == []
    roles = boto3.client("iam").list_roles()["Roles"]
    assert [r["RoleName"] for r in roles] == ["victim"]
    assert roles[0]["AssumeRolePolicyDocument"] == json.loads(TRUST)


def test_assumed_role_session_refuses_mutation_before_signing() -> None:
    creds = boto3.client("sts").assume_role(
        RoleArn="arn:aws:iam::111122223333:role/QuiverstoneTrustedIntermediate",
        RoleSessionName="qsdoctor-test",
    )["Credentials"]
    session = new_session(credentials=creds)
    signed = _signed_requests(session)
    iam = session.client("iam")
    with pytest.raises(ForbiddenOperation):
        iam.create_role(RoleName="evil", AssumeRolePolicyDocument=TRUST)
    assert signed == []
    # ...while reads through the very same session are sent and answered.
    assert iam.list_roles()["Roles"] == []
    assert signed == ["before-sign.iam.ListRoles"]


def test_gateway_call_does_not_turn_refusal_into_data() -> None:
    """A refused operation is a bug, never a finding: it must not become Unavailable."""
    gateway = AwsGateway(new_session())
    with pytest.raises(ForbiddenOperation):
        gateway.call("iam", "create_role", RoleName="evil", AssumeRolePolicyDocument=TRUST)


def test_put_metric_data_needs_probe_mode() -> None:
    metric = {"Namespace": "qsdoctor", "MetricData": [{"MetricName": "ok", "Value": 1.0}]}
    with pytest.raises(ForbiddenOperation, match="cloudwatch:PutMetricData"):
        new_session().client("cloudwatch").put_metric_data(**metric)
    probe = new_session(allowed=READ_ONLY | PROBE_METRICS).client("cloudwatch")
    probe.put_metric_data(**metric)
    listed = boto3.client("cloudwatch").list_metrics(Namespace="qsdoctor")["Metrics"]
    assert [m["MetricName"] for m in listed] == ["ok"]
