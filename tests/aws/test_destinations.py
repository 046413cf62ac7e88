"""Reading destination roles against moto: which credentials read what, and what is skipped."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

import qsdoctor.aws.sessions as sessions_module
from qsdoctor.arn import parse_role_arn
from qsdoctor.aws.gateway import RetryingFactory
from qsdoctor.collect import collect
from qsdoctor.config import CheckConfig, DestinationSpec
from qsdoctor.facts import RoleFacts
from qsdoctor.models import Ok, Skipped, Unavailable
from tests.aws.conftest import DESTINATION, INTERMEDIATE, account_session, answer_with_error

INTERMEDIATE_ARN = f"arn:aws:iam::{INTERMEDIATE}:role/QuiverstoneTrustedIntermediate"
DEST_ARN = f"arn:aws:iam::{DESTINATION}:role/QuiverstoneChainedAccess"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": INTERMEDIATE_ARN}, "Action": "sts:AssumeRole"}
    ],
}


def create_role(arn: str, account: str = DESTINATION) -> None:
    role = parse_role_arn(arn)
    account_session(account).client("iam").create_role(
        RoleName=role.name, Path=role.path, AssumeRolePolicyDocument=json.dumps(TRUST)
    )


def config(*arns: str, **changes: Any) -> CheckConfig:
    base = CheckConfig(
        intermediate=parse_role_arn(INTERMEDIATE_ARN),
        destinations=tuple(DestinationSpec(role=parse_role_arn(a)) for a in arns),
        live=False,
        trail=False,
    )
    return dataclasses.replace(base, **changes)


def test_reads_each_destination_with_the_destination_profile_in_order(
    account_profile: Callable[..., str], fast_retrying: RetryingFactory
) -> None:
    arns = [f"arn:aws:iam::{DESTINATION}:role/Access{i}" for i in range(4)]
    for arn in arns:
        create_role(arn)
    account_profile(DESTINATION, "dest-audit")
    facts = collect(config(*arns, destination_profile="dest-audit"), retrying=fast_retrying)
    assert [d.arn for d in facts.destinations] == arns
    for d in facts.destinations:
        assert isinstance(d.role, Ok)
        assert isinstance(d.role.value, RoleFacts)
        assert d.role.value.arn == d.arn
        assert d.role.value.trust_policy == TRUST
        # Only iam:GetRole: the destination checks judge the trust, not the role's policies.
        assert isinstance(d.role.value.permissions, Skipped)


def test_missing_role_and_same_name_under_another_path(
    account_profile: Callable[..., str], fast_retrying: RetryingFactory
) -> None:
    real = f"arn:aws:iam::{DESTINATION}:role/team/QuiverstoneChainedAccess"
    create_role(real)
    missing = f"arn:aws:iam::{DESTINATION}:role/NoSuchRole"
    account_profile(DESTINATION, "dest-audit")
    facts = collect(
        config(DEST_ARN, missing, destination_profile="dest-audit"), retrying=fast_retrying
    )
    by_arn = {d.arn: d for d in facts.destinations}
    assert by_arn[DEST_ARN].role == Ok(None)
    assert by_arn[DEST_ARN].other_arn == real
    assert by_arn[missing].role == Ok(None)
    assert by_arn[missing].other_arn is None


def test_no_credentials_for_the_account_names_destination_profile(
    fast_retrying: RetryingFactory,
) -> None:
    facts = collect(config(DEST_ARN), retrying=fast_retrying)
    role = facts.destinations[0].role
    assert isinstance(role, Skipped)
    assert "--destination-profile" in role.reason
    assert DESTINATION in role.reason


def test_destination_profile_in_another_account_is_named(
    account_profile: Callable[..., str], fast_retrying: RetryingFactory
) -> None:
    account_profile(INTERMEDIATE, "wrong-account")
    facts = collect(config(DEST_ARN, destination_profile="wrong-account"), retrying=fast_retrying)
    role = facts.destinations[0].role
    assert isinstance(role, Skipped)
    assert "wrong-account" in role.reason


def test_denied_get_role_is_unavailable_naming_the_permission(
    account_profile: Callable[..., str],
    fast_retrying: RetryingFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    create_role(DEST_ARN)
    account_profile(DESTINATION, "dest-audit")
    original = sessions_module.install_guard

    def install(session: boto3.Session, allowed: frozenset[tuple[str, str]]) -> None:
        original(session, allowed)
        # AWS's answer to a principal without iam:GetRole, stated by hand.
        answer_with_error(
            session.events,
            "iam",
            "GetRole",
            "AccessDenied",
            f"User: arn:aws:iam::{DESTINATION}:user/qsdoctor-dest-audit is not authorized to "
            f"perform: iam:GetRole on resource: role QuiverstoneChainedAccess",
        )

    monkeypatch.setattr(sessions_module, "install_guard", install)
    facts = collect(config(DEST_ARN, destination_profile="dest-audit"), retrying=fast_retrying)
    role = facts.destinations[0].role
    assert isinstance(role, Unavailable)
    assert role.error.operation == "iam:GetRole"
    assert role.error.resource == DEST_ARN
    assert role.error.profile == "dest-audit"
