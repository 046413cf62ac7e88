"""AwsGateway: retries (throttling, 5xx, connection faults), no retry on AccessDenied,
errors as AwsCallError data with secrets redacted, paging and endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import (
    ConnectionClosedError,
    EndpointConnectionError,
    ReadTimeoutError,
    SSLError,
)
from botocore.stub import Stubber

from qsdoctor.aws.gateway import MAX_ATTEMPTS, AwsCallFailed, AwsGateway, RetryingFactory
from qsdoctor.aws.sessions import new_session

ROLE_ARN = "arn:aws:iam::111122223333:role/QuiverstoneTrustedIntermediate"
GET_ROLE_OK = {
    "Role": {
        "Path": "/",
        "RoleName": "QuiverstoneTrustedIntermediate",
        "RoleId": "AROAEXAMPLEEXAMPLE01",
        "Arn": ROLE_ARN,
        "CreateDate": "2026-01-01T00:00:00Z",
    }
}


@pytest.fixture
def gateway(fast_retrying: RetryingFactory) -> AwsGateway:
    return AwsGateway(new_session(), profile="ops", retrying=fast_retrying, secrets=("s3cr3t-id",))


@pytest.fixture
def attempts(gateway: AwsGateway) -> list[str]:
    """Every attempt the iam client makes (each builds its parameters anew)."""
    seen: list[str] = []
    iam = gateway.client("iam")
    iam.meta.events.register(
        "before-parameter-build.iam.GetRole", lambda **kw: seen.append(kw["model"].name)
    )
    return seen


@pytest.fixture
def stub(gateway: AwsGateway) -> Iterator[Stubber]:
    with Stubber(gateway.client("iam")) as stubber:
        yield stubber


def test_two_throttles_then_success(
    gateway: AwsGateway, stub: Stubber, attempts: list[str]
) -> None:
    stub.add_client_error("get_role", "Throttling", "Rate exceeded", http_status_code=400)
    stub.add_client_error("get_role", "ThrottlingException", "slow down", http_status_code=400)
    stub.add_response("get_role", GET_ROLE_OK, {"RoleName": "QuiverstoneTrustedIntermediate"})
    answer = gateway.call("iam", "get_role", RoleName="QuiverstoneTrustedIntermediate")
    assert answer["Role"]["Arn"] == ROLE_ARN
    assert len(attempts) == 3
    stub.assert_no_pending_responses()


def test_access_denied_is_never_retried(
    gateway: AwsGateway, stub: Stubber, attempts: list[str]
) -> None:
    stub.add_client_error(
        "get_role",
        "AccessDenied",
        "User: arn:aws:iam::111122223333:user/ops is not authorized to perform: iam:GetRole",
        http_status_code=403,
    )
    stub.add_response("get_role", GET_ROLE_OK)
    with pytest.raises(AwsCallFailed) as caught:
        gateway.call(
            "iam", "get_role", resource=ROLE_ARN, RoleName="QuiverstoneTrustedIntermediate"
        )
    assert len(attempts) == 1
    err = caught.value.error
    assert (err.operation, err.code, err.resource, err.profile) == (
        "iam:GetRole",
        "AccessDenied",
        ROLE_ARN,
        "ops",
    )
    assert err.denied
    assert err.needs() == f"needs iam:GetRole on {ROLE_ARN}"


@pytest.mark.parametrize(
    ("code", "status"),
    [("InternalFailure", 500), ("ServiceUnavailable", 503), ("SomethingOdd", 502)],
)
def test_server_faults_are_retried(
    gateway: AwsGateway, stub: Stubber, attempts: list[str], code: str, status: int
) -> None:
    stub.add_client_error("get_role", code, "oops", http_status_code=status)
    stub.add_response("get_role", GET_ROLE_OK)
    assert gateway.call("iam", "get_role", RoleName="QuiverstoneTrustedIntermediate")["Role"]
    assert len(attempts) == 2


def test_retries_exhausted_report_the_code(
    gateway: AwsGateway, stub: Stubber, attempts: list[str]
) -> None:
    for _ in range(MAX_ATTEMPTS):
        stub.add_client_error("get_role", "Throttling", "Rate exceeded", http_status_code=400)
    with pytest.raises(AwsCallFailed) as caught:
        gateway.call("iam", "get_role", RoleName="QuiverstoneTrustedIntermediate")
    assert caught.value.error.code == "Throttling"
    assert len(attempts) == MAX_ATTEMPTS


@pytest.mark.parametrize(
    "fault",
    [
        EndpointConnectionError(endpoint_url="https://iam.amazonaws.com/"),
        ConnectionClosedError(endpoint_url="https://iam.amazonaws.com/"),
        ReadTimeoutError(endpoint_url="https://iam.amazonaws.com/"),
    ],
)
def test_connection_faults_are_retried(gateway: AwsGateway, fault: Exception) -> None:
    sent: list[int] = []

    def flaky(**_: Any) -> None:
        sent.append(1)
        if len(sent) < 3:
            raise fault

    gateway.client("iam").meta.events.register_first("before-send.iam.ListRoles", flaky)
    assert gateway.call("iam", "list_roles")["Roles"] == []
    assert len(sent) == 3


def test_certificate_problems_are_not_retried(gateway: AwsGateway) -> None:
    sent: list[int] = []

    def broken(**_: Any) -> None:
        sent.append(1)
        raise SSLError(endpoint_url="https://iam.amazonaws.com/", error="self-signed certificate")

    gateway.client("iam").meta.events.register_first("before-send.iam.ListRoles", broken)
    with pytest.raises(AwsCallFailed) as caught:
        gateway.call("iam", "list_roles")
    assert caught.value.error.code == "SSLError"
    assert len(sent) == 1


def test_validation_errors_are_answers_and_secrets_are_redacted(
    gateway: AwsGateway, stub: Stubber, attempts: list[str]
) -> None:
    stub.add_client_error(
        "get_role",
        "ValidationError",
        "Value 's3cr3t-id' at 'externalId' failed to satisfy constraint",
        http_status_code=400,
    )
    with pytest.raises(AwsCallFailed) as caught:
        gateway.call("iam", "get_role", RoleName="QuiverstoneTrustedIntermediate")
    assert len(attempts) == 1
    assert "s3cr3t-id" not in caught.value.error.message
    assert "<redacted>" in caught.value.error.message
    assert "s3cr3t-id" not in str(caught.value)


def test_parameter_validation_is_data(gateway: AwsGateway) -> None:
    with pytest.raises(AwsCallFailed) as caught:
        gateway.call(
            "sts", "assume_role", RoleArn=ROLE_ARN, RoleSessionName="x", ExternalId="s3cr3t-id"
        )
    assert caught.value.error.code == "ParamValidationError"
    assert caught.value.error.operation == "sts:AssumeRole"


def test_pages_follow_markers(gateway: AwsGateway) -> None:
    import boto3

    iam = boto3.client("iam")
    for i in range(7):
        iam.create_role(RoleName=f"r{i}", AssumeRolePolicyDocument="{}")
    pages = list(
        gateway.pages("iam", "list_roles", token_in="Marker", token_out="Marker", MaxItems=3)
    )
    assert [len(p["Roles"]) for p in pages] == [3, 3, 1]
    assert (
        len(
            list(
                gateway.pages(
                    "iam",
                    "list_roles",
                    token_in="Marker",
                    token_out="Marker",
                    MaxItems=3,
                    max_pages=2,
                )
            )
        )
        == 2
    )


def test_permission_names_are_iam_actions(gateway: AwsGateway) -> None:
    assert gateway.permission("cloudwatch", "put_metric_data") == "cloudwatch:PutMetricData"
    assert gateway.permission("s3", "list_objects_v2") == "s3:ListBucket"
    assert gateway.permission("iam", "list_attached_role_policies") == (
        "iam:ListAttachedRolePolicies"
    )


def test_labels_name_the_credentials_not_the_keys() -> None:
    assert AwsGateway(new_session()).label == "default credential chain"
    assert AwsGateway(new_session(), profile="ops").label == "ops"
    assert AwsGateway(new_session(), profile="ops", label="hop 1 session").label == "hop 1 session"
