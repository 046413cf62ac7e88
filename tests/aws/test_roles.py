"""Reading a role: trust, inline/attached/boundary policies, paths, denials, decoding."""

from __future__ import annotations

import json
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qsdoctor.arn import parse_role_arn
from qsdoctor.aws.gateway import AwsGateway, RetryingFactory
from qsdoctor.aws.sessions import new_session
from qsdoctor.collect.roles import decode_policy, fetch_role, list_role_arns, read_role
from qsdoctor.facts import RoleFacts
from qsdoctor.models import Ok, Unavailable
from tests.aws.conftest import answer_with_error

ACCOUNT = "123456789012"  # moto's default account for the suite's fake keys
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::684035162433:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "placeholder-value"}},
        }
    ],
}
ASSUME_ANY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
}


def _policy(action: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}],
    }


@pytest.fixture
def gateway(fast_retrying: RetryingFactory) -> AwsGateway:
    return AwsGateway(new_session(), profile="reader", retrying=fast_retrying)


def _make_role(name: str = "QuiverstoneTrustedIntermediate", path: str = "/") -> str:
    iam = boto3.client("iam")
    return str(
        iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=json.dumps(TRUST))[
            "Role"
        ]["Arn"]
    )


def _full_role() -> str:
    iam = boto3.client("iam")
    boundary = iam.create_policy(PolicyName="Boundary", PolicyDocument=json.dumps(ASSUME_ANY))
    arn = str(
        iam.create_role(
            RoleName="QuiverstoneTrustedIntermediate",
            Path="/quiverstone/",
            AssumeRolePolicyDocument=json.dumps(TRUST),
            PermissionsBoundary=boundary["Policy"]["Arn"],
            MaxSessionDuration=7200,
            Tags=[{"Key": "team", "Value": "platform"}],
        )["Role"]["Arn"]
    )
    name = "QuiverstoneTrustedIntermediate"
    iam.put_role_policy(RoleName=name, PolicyName="assume", PolicyDocument=json.dumps(ASSUME_ANY))
    iam.put_role_policy(
        RoleName=name, PolicyName="extra", PolicyDocument=json.dumps(_policy("s3:GetObject"))
    )
    managed = iam.create_policy(PolicyName="Managed", PolicyDocument=json.dumps(_policy("s3:*")))
    managed_arn = managed["Policy"]["Arn"]
    iam.create_policy_version(
        PolicyArn=managed_arn,
        PolicyDocument=json.dumps(_policy("ec2:Describe*")),
        SetAsDefault=True,
    )
    iam.attach_role_policy(RoleName=name, PolicyArn=managed_arn)
    return arn


def test_role_with_inline_attached_and_boundary(gateway: AwsGateway) -> None:
    arn = _full_role()
    role = fetch_role(gateway, parse_role_arn(arn))
    assert isinstance(role, Ok)
    facts = role.value
    assert isinstance(facts, RoleFacts)
    assert (facts.arn, facts.name, facts.path, facts.account_id) == (
        arn,
        "QuiverstoneTrustedIntermediate",
        "/quiverstone/",
        ACCOUNT,
    )
    assert facts.role_id.startswith("AROA")
    assert facts.trust_policy == TRUST
    assert facts.max_session_duration == 7200
    assert facts.tags == (("team", "platform"),)
    assert facts.create_date is not None
    perms = facts.permissions
    assert isinstance(perms, Ok)
    inline = {p.name: p.document for p in perms.value.inline}
    assert inline == {"assume": ASSUME_ANY, "extra": _policy("s3:GetObject")}
    assert [(p.name, p.kind, p.version_id) for p in perms.value.attached] == [
        ("Managed", "managed", "v2")
    ]
    assert perms.value.attached[0].document == _policy("ec2:Describe*")
    boundary = perms.value.boundary
    assert boundary is not None
    assert (boundary.name, boundary.kind, boundary.document) == ("Boundary", "boundary", ASSUME_ANY)
    assert boundary.arn == f"arn:aws:iam::{ACCOUNT}:policy/Boundary"


def test_role_without_policies(gateway: AwsGateway) -> None:
    arn = _make_role()
    role = fetch_role(gateway, parse_role_arn(arn))
    assert isinstance(role, Ok)
    assert role.value is not None
    perms = role.value.permissions
    assert isinstance(perms, Ok)
    assert (perms.value.inline, perms.value.attached, perms.value.boundary) == ((), (), None)


def test_missing_role_is_ok_none(gateway: AwsGateway) -> None:
    read = read_role(gateway, parse_role_arn(f"arn:aws:iam::{ACCOUNT}:role/Nope"))
    assert read.role == Ok(None)
    assert read.other_arn is None


@pytest.mark.parametrize(
    "asked",
    [
        f"arn:aws:iam::{ACCOUNT}:role/QuiverstoneTrustedIntermediate",
        f"arn:aws:iam::{ACCOUNT}:role/other/QuiverstoneTrustedIntermediate",
    ],
)
def test_same_name_under_another_path_is_not_the_role(gateway: AwsGateway, asked: str) -> None:
    actual = _make_role(path="/quiverstone/")
    read = read_role(gateway, parse_role_arn(asked))
    assert read.role == Ok(None)
    assert read.other_arn == actual


def test_access_denied_on_get_role_names_the_permission(gateway: AwsGateway) -> None:
    arn = _make_role()
    answer_with_error(gateway.client("iam").meta.events, "iam", "GetRole", "AccessDenied")
    role = fetch_role(gateway, parse_role_arn(arn))
    assert isinstance(role, Unavailable)
    assert role.error.needs() == f"needs iam:GetRole on {arn}"
    assert role.error.profile == "reader"


@pytest.mark.parametrize(
    ("operation", "on"),
    [
        ("ListRolePolicies", "role"),
        ("GetRolePolicy", "role"),
        ("ListAttachedRolePolicies", "role"),
        ("GetPolicy", "policy"),
        ("GetPolicyVersion", "policy"),
    ],
)
def test_denied_policy_read_keeps_the_role_and_names_the_call(
    gateway: AwsGateway, operation: str, on: str
) -> None:
    arn = _full_role()
    answer_with_error(gateway.client("iam").meta.events, "iam", operation, "AccessDenied")
    role = fetch_role(gateway, parse_role_arn(arn))
    assert isinstance(role, Ok)
    assert role.value is not None
    assert role.value.trust_policy == TRUST
    perms = role.value.permissions
    assert isinstance(perms, Unavailable)
    assert perms.error.operation == f"iam:{operation}"
    assert perms.error.code == "AccessDenied"
    if on == "role":
        assert perms.error.resource == arn
    else:
        assert perms.error.resource is not None
        assert perms.error.resource.startswith(f"arn:aws:iam::{ACCOUNT}:policy/")


def test_list_role_arns_follows_pages(gateway: AwsGateway) -> None:
    iam = boto3.client("iam")
    for i in range(105):
        iam.create_role(RoleName=f"role-{i:03}", AssumeRolePolicyDocument="{}")
    listed = list_role_arns(gateway)
    assert isinstance(listed, Ok)
    assert len(listed.value) == 105
    assert f"arn:aws:iam::{ACCOUNT}:role/role-104" in listed.value


def test_list_role_arns_denied(gateway: AwsGateway) -> None:
    answer_with_error(gateway.client("iam").meta.events, "iam", "ListRoles", "AccessDenied")
    listed = list_role_arns(gateway)
    assert isinstance(listed, Unavailable)
    assert listed.error.operation == "iam:ListRoles"


def test_concurrent_reads_share_one_gateway(gateway: AwsGateway) -> None:
    arn = parse_role_arn(_full_role())
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: fetch_role(gateway, arn), range(16)))
    assert all(r == results[0] for r in results)
    assert isinstance(results[0], Ok)


POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/A B+C"}
    ],
}


@pytest.mark.parametrize(
    "form",
    [
        POLICY,
        json.dumps(POLICY),
        urllib.parse.quote(json.dumps(POLICY)),
        urllib.parse.quote_plus(json.dumps(POLICY)).replace("+", "%20"),
        "  " + json.dumps(POLICY, indent=2),
    ],
)
def test_decode_policy_accepts_every_form(form: Any) -> None:
    assert decode_policy(form) == POLICY


@pytest.mark.parametrize("bad", [None, 42, "not json", "%7Bbroken", "[1, 2]"])
def test_decode_policy_rejects_non_documents(bad: Any) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        decode_policy(bad)


@given(st.dictionaries(st.text(), st.text() | st.integers(), max_size=5))
def test_decode_policy_round_trips_url_encoding(doc: dict[str, Any]) -> None:
    assert decode_policy(urllib.parse.quote(json.dumps(doc))) == doc


def test_policy_listings_do_not_wait_for_get_role(gateway: AwsGateway) -> None:
    """GetRole is held until both listings have been sent: sequential code would time out."""
    import threading

    arn = _full_role()
    listed = {"ListRolePolicies": threading.Event(), "ListAttachedRolePolicies": threading.Event()}
    iam = gateway.client("iam")
    for name, event in listed.items():
        iam.meta.events.register(f"before-call.iam.{name}", lambda event=event, **_: event.set())

    def hold(**_: Any) -> None:
        assert all(e.wait(5) for e in listed.values()), "listings waited for GetRole"

    iam.meta.events.register("before-call.iam.GetRole", hold)
    role = fetch_role(gateway, parse_role_arn(arn))
    assert isinstance(role, Ok)
    assert isinstance(role.value.permissions, Ok)  # type: ignore[union-attr]
