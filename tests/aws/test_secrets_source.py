"""External IDs from Secrets Manager: plain and JSON secrets, and errors with a fix."""

from __future__ import annotations

import json

import boto3
import pytest

from qsdoctor.aws.gateway import RetryingFactory
from qsdoctor.aws.secrets_source import read_secret_external_id
from qsdoctor.errors import UsageError
from tests.aws.conftest import answer_with_error

VALUE = "qs-7f3c9a1e5b2d4c8f9e0a1b2c3d4e5f60"


def _secret(value: str | bytes, region: str = "eu-west-1") -> str:
    client = boto3.client("secretsmanager", region_name=region)
    if isinstance(value, bytes):
        return str(client.create_secret(Name="qs/external-id", SecretBinary=value)["ARN"])
    return str(client.create_secret(Name="qs/external-id", SecretString=value)["ARN"])


@pytest.mark.parametrize(
    "stored",
    [
        VALUE,
        json.dumps({"external_id": VALUE, "note": "x"}),
        json.dumps({"ExternalId": VALUE}),
        json.dumps({"externalId": VALUE, "other": "y"}),
        json.dumps({"anything": VALUE}),
    ],
)
def test_reads_plain_and_json_secrets(stored: str, fast_retrying: RetryingFactory) -> None:
    arn = _secret(stored)
    # The region comes from the ARN: the session's us-east-1 has no such secret.
    assert read_secret_external_id(arn, None, "us-east-1", retrying=fast_retrying) == VALUE


def test_plain_value_is_returned_as_stored(fast_retrying: RetryingFactory) -> None:
    arn = _secret(VALUE + "\n")
    assert read_secret_external_id(arn, None, None, retrying=fast_retrying) == VALUE + "\n"


def test_secret_by_name_uses_the_given_region(fast_retrying: RetryingFactory) -> None:
    _secret(VALUE, region="ap-southeast-2")
    got = read_secret_external_id("qs/external-id", None, "ap-southeast-2", retrying=fast_retrying)
    assert got == VALUE


def test_json_without_an_external_id_key(fast_retrying: RetryingFactory) -> None:
    arn = _secret(json.dumps({"a": VALUE, "b": "other"}))
    with pytest.raises(UsageError) as caught:
        read_secret_external_id(arn, None, None, retrying=fast_retrying)
    assert "external_id" in (caught.value.hint or "")
    assert VALUE not in caught.value.message
    assert VALUE not in (caught.value.hint or "")


def test_binary_secret(fast_retrying: RetryingFactory) -> None:
    arn = _secret(VALUE.encode())
    with pytest.raises(UsageError, match="no SecretString"):
        read_secret_external_id(arn, None, None, retrying=fast_retrying)


def test_missing_secret_says_what_to_check(fast_retrying: RetryingFactory) -> None:
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:qs/absent-AbCdEf"
    with pytest.raises(UsageError) as caught:
        read_secret_external_id(arn, None, None, retrying=fast_retrying)
    assert caught.value.exit_code == 2
    assert "ResourceNotFoundException" in caught.value.message
    assert caught.value.hint == "check the secret's ARN and region"


def test_denied_secret_names_the_permission(
    fast_retrying: RetryingFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = _secret(VALUE)
    import qsdoctor.aws.secrets_source as source

    real = source.new_session

    def denying(**kwargs: object) -> boto3.Session:
        session = real(**kwargs)  # type: ignore[arg-type]
        answer_with_error(
            session.events, "secretsmanager", "GetSecretValue", "AccessDeniedException"
        )
        return session

    monkeypatch.setattr(source, "new_session", denying)
    with pytest.raises(UsageError) as caught:
        read_secret_external_id(arn, None, None, retrying=fast_retrying)
    assert f"secretsmanager:GetSecretValue on {arn}" in (caught.value.hint or "")
    assert "kms:Decrypt" in (caught.value.hint or "")
