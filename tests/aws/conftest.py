"""moto for every test here, plus helpers to build a multi-account world with profiles.

moto picks the account from the request's access key; keys returned by AssumeRole
or created for an IAM user belong to that account. So each account gets an IAM user
whose keys are written as a profile into the test's own AWS credentials file.
"""

from __future__ import annotations

import configparser
import functools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from moto import mock_aws
from tenacity import wait_none

from qsdoctor.aws.gateway import RetryingFactory, retrying_factory

PRODUCTION = "684035162433"
INTERMEDIATE = "111122223333"
DESTINATION = "210987654321"


@pytest.fixture(autouse=True)
def _moto() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def fast_retrying() -> RetryingFactory:
    """The real retry policy without the waiting."""
    return retrying_factory(wait=wait_none())


@functools.cache
def _loader() -> Any:
    return botocore.session.get_session().get_component("data_loader")


def setup_session(**kwargs: Any) -> boto3.Session:
    """An unguarded session for test setup, sharing one model loader (much faster)."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _loader())
    session = boto3.Session(botocore_session=core, **kwargs)
    _loader().search_paths[:] = list(dict.fromkeys(_loader().search_paths))
    return session


def account_session(account: str) -> boto3.Session:
    """An unguarded session acting in `account` (test setup only, never qsdoctor's code)."""
    creds = (
        setup_session(region_name="us-east-1")
        .client("sts")
        .assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/test-setup", RoleSessionName="test-setup"
        )["Credentials"]
    )
    return setup_session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )


def _update_ini(path: Path, section: str, values: dict[str, str]) -> None:
    ini = configparser.ConfigParser()
    ini.read(path)
    ini[section] = values
    with path.open("w") as f:
        ini.write(f)


def write_profile(name: str, config: dict[str, str], credentials: dict[str, str] | None) -> None:
    """Add a profile to the test's private AWS config (and credentials) file."""
    section = "default" if name == "default" else f"profile {name}"
    _update_ini(Path(os.environ["AWS_CONFIG_FILE"]), section, config)
    if credentials is not None:
        _update_ini(Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"]), name, credentials)


@pytest.fixture
def account_profile() -> Callable[..., str]:
    """`account_profile(account, name)`: a profile whose keys are an IAM user's in `account`."""

    def make(account: str, name: str, **config: Any) -> str:
        iam = account_session(account).client("iam")
        user = f"qsdoctor-{name}"
        iam.create_user(UserName=user)
        key = iam.create_access_key(UserName=user)["AccessKey"]
        write_profile(
            name,
            {k: str(v) for k, v in config.items()},
            {
                "aws_access_key_id": key["AccessKeyId"],
                "aws_secret_access_key": key["SecretAccessKey"],
            },
        )
        return name

    return make


def answer_with_error(
    events: Any, service: str, operation: str, code: str, message: str = "", status: int = 403
) -> list[str]:
    """Make `service:operation` fail with `code` on a session's or client's event system.

    moto does not enforce IAM, so where AWS would deny a read we state its answer by
    hand: a before-call handler returns the error response, and nothing is sent.
    Returns the list of answered calls (for counting).
    """
    from botocore.awsrequest import AWSResponse

    answered: list[str] = []

    def respond(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        answered.append(operation)
        parsed = {
            "Error": {"Code": code, "Message": message or f"{code} for {operation}"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }
        return AWSResponse("https://example.invalid/", status, {}, None), parsed  # type: ignore[arg-type]

    events.register(f"before-call.{service}.{operation}", respond)
    return answered
