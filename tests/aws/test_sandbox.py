"""The sandbox server, driven with plain boto3: gate decisions, LookupEvents, profiles.

These tests hold the sandbox to the AWS behaviour it claims (aws-facts.md §1, §2,
§6), independently of qsdoctor's checks: the end-to-end tests then rely on it.
"""

from __future__ import annotations

import configparser
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from qsdoctor.sandbox import world as w
from qsdoctor.sandbox.scenarios import OLD_EXTERNAL_ID, PLATFORM_SESSION, by_name
from qsdoctor.sandbox.server import LoadedScenario, SandboxServer


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer() as s:
        yield s


def load(server: SandboxServer, name: str, tmp_path: Path) -> LoadedScenario:
    return server.load(by_name(name), tmp_path / "aws")


_SESSION = boto3.Session(region_name=w.REGION)  # one session: service models load once


def client(loaded: LoadedScenario, profile: str, service: str, region: str = w.REGION) -> Any:
    identity = next(i for i in loaded.identities if i.profile == profile)
    return _SESSION.client(  # type: ignore[call-overload]
        service,
        endpoint_url=loaded.endpoint,
        region_name=region,
        aws_access_key_id=identity.access_key_id,
        aws_secret_access_key=identity.secret_access_key,
    )


def session_client(loaded: LoadedScenario, creds: dict[str, Any], service: str) -> Any:
    return _SESSION.client(  # type: ignore[call-overload]
        service,
        endpoint_url=loaded.endpoint,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def error_of(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    err = caught.value.response["Error"]
    return err["Code"], err["Message"]


SUPPORT_ARN = f"arn:aws:iam::{w.PRODUCTION}:user/quiverstone-support"


def hop1(loaded: LoadedScenario, **extra: Any) -> dict[str, Any]:
    sts = client(loaded, w.SUPPORT_PROFILE, "sts")
    response = sts.assume_role(
        RoleArn=w.INTERMEDIATE_ROLE,
        RoleSessionName="sandbox-test",
        ExternalId=w.EXTERNAL_ID,
        **extra,
    )
    return dict(response["Credentials"])


def test_profiles_resolve_to_their_accounts(server: SandboxServer, tmp_path: Path) -> None:
    loaded = load(server, "healthy", tmp_path)
    arns = {
        profile: client(loaded, profile, "sts").get_caller_identity()["Arn"]
        for profile in (w.SUPPORT_PROFILE, w.INTERMEDIATE_PROFILE, w.DESTINATION_PROFILE)
    }
    assert arns == {
        w.SUPPORT_PROFILE: SUPPORT_ARN,
        w.INTERMEDIATE_PROFILE: f"arn:aws:iam::{w.INTERMEDIATE}:user/acme-auditor",
        w.DESTINATION_PROFILE: f"arn:aws:iam::{w.DESTINATION}:user/acme-dest-auditor",
    }


def test_profile_files_point_at_the_server(
    server: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = load(server, "healthy", tmp_path)
    config = configparser.ConfigParser()
    config.read(loaded.config_file)
    assert config[f"profile {w.SUPPORT_PROFILE}"]["endpoint_url"] == server.endpoint
    env = loaded.environ({"AWS_PROFILE": "prod", "AWS_ACCESS_KEY_ID": "AKIAREAL"})
    assert "AWS_PROFILE" not in env
    assert "AWS_ACCESS_KEY_ID" not in env
    assert env["AWS_ENDPOINT_URL"] == server.endpoint
    assert env["QSDOCTOR_EXTERNAL_ID"] == w.EXTERNAL_ID
    assert "127.0.0.1" in env["NO_PROXY"].split(",")
    # A boto3 session built from the files alone, as qsdoctor builds them.
    monkeypatch.setenv("AWS_CONFIG_FILE", env["AWS_CONFIG_FILE"])
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", env["AWS_SHARED_CREDENTIALS_FILE"])
    session = boto3.Session(profile_name=w.INTERMEDIATE_PROFILE)
    assert session.get_credentials() is not None
    assert session.region_name == w.REGION


def test_world_is_the_reference_deployment(server: SandboxServer, tmp_path: Path) -> None:
    loaded = load(server, "healthy", tmp_path)
    iam = client(loaded, w.INTERMEDIATE_PROFILE, "iam")
    role = iam.get_role(RoleName=w.INTERMEDIATE_ROLE_NAME)["Role"]
    assert role["AssumeRolePolicyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{w.PRODUCTION}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": w.EXTERNAL_ID}},
            }
        ],
    }
    policy = iam.get_role_policy(RoleName=w.INTERMEDIATE_ROLE_NAME, PolicyName="AssumeRoleScope")
    assert policy["PolicyDocument"]["Statement"][0]["Resource"] == (
        "arn:aws:iam::*:role/QuiverstoneChainedAccess"
    )
    dest = client(loaded, w.DESTINATION_PROFILE, "iam").get_role(RoleName=w.DESTINATION_ROLE_NAME)
    principal = dest["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
    assert principal == {"AWS": w.INTERMEDIATE_ROLE}
    trails = client(loaded, w.INTERMEDIATE_PROFILE, "cloudtrail")
    assert trails.get_trail_status(Name="acme-management-events")["IsLogging"] is True
    # The intermediate role lives only in the intermediate account.
    with pytest.raises(ClientError):
        client(loaded, w.DESTINATION_PROFILE, "iam").get_role(RoleName=w.INTERMEDIATE_ROLE_NAME)


def test_healthy_chain_and_negative_probes(server: SandboxServer, tmp_path: Path) -> None:
    loaded = load(server, "healthy", tmp_path)
    creds = hop1(loaded, DurationSeconds=900)
    hop_sts = session_client(loaded, creds, "sts")
    session_arn = hop_sts.get_caller_identity()["Arn"]
    assert session_arn == (
        f"arn:aws:sts::{w.INTERMEDIATE}:assumed-role/{w.INTERMEDIATE_ROLE_NAME}/sandbox-test"
    )
    dest = hop_sts.assume_role(
        RoleArn=w.DESTINATION_ROLE, RoleSessionName="hop2", ExternalId=w.DESTINATION_EXTERNAL_ID
    )
    assert dest["AssumedRoleUser"]["Arn"].startswith(f"arn:aws:sts::{w.DESTINATION}:")

    sts = client(loaded, w.SUPPORT_PROFILE, "sts")
    bare = (
        "AccessDenied",
        f"User: {SUPPORT_ARN} is not authorized to perform: sts:AssumeRole on resource: "
        f"{w.INTERMEDIATE_ROLE}",
    )
    assert error_of(sts.assume_role, RoleArn=w.INTERMEDIATE_ROLE, RoleSessionName="probe") == bare
    assert (
        error_of(
            sts.assume_role,
            RoleArn=w.INTERMEDIATE_ROLE,
            RoleSessionName="probe",
            ExternalId="qsdoctor-probe-wrong-id",
        )
        == bare
    )
    # The destination's External ID does not open the intermediate role.
    assert (
        error_of(
            sts.assume_role,
            RoleArn=w.INTERMEDIATE_ROLE,
            RoleSessionName="probe",
            ExternalId=w.DESTINATION_EXTERNAL_ID,
        )
        == bare
    )


def test_hop2_from_anyone_but_the_intermediate_session_is_denied(
    server: SandboxServer, tmp_path: Path
) -> None:
    loaded = load(server, "healthy", tmp_path)
    auditor = client(loaded, w.INTERMEDIATE_PROFILE, "sts")
    code, message = error_of(
        auditor.assume_role,
        RoleArn=w.DESTINATION_ROLE,
        RoleSessionName="x1",
        ExternalId=w.DESTINATION_EXTERNAL_ID,
    )
    assert code == "AccessDenied"
    assert message.startswith(f"User: arn:aws:iam::{w.INTERMEDIATE}:user/acme-auditor ")


def test_role_chaining_limit(server: SandboxServer, tmp_path: Path) -> None:
    loaded = load(server, "healthy", tmp_path)
    hop_sts = session_client(loaded, hop1(loaded), "sts")
    code, message = error_of(
        hop_sts.assume_role,
        RoleArn=w.DESTINATION_ROLE,
        RoleSessionName="hop2",
        ExternalId=w.DESTINATION_EXTERNAL_ID,
        DurationSeconds=7200,
    )
    assert (code, message) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
        "role chaining.",
    )
    # Exactly an hour is allowed.
    hop_sts.assume_role(
        RoleArn=w.DESTINATION_ROLE,
        RoleSessionName="hop2",
        ExternalId=w.DESTINATION_EXTERNAL_ID,
        DurationSeconds=3600,
    )


def test_source_identity_is_carried_to_hop2(server: SandboxServer, tmp_path: Path) -> None:
    loaded = load(server, "missing-set-source-identity", tmp_path)
    creds = hop1(loaded, SourceIdentity="jdoe")
    hop_sts = session_client(loaded, creds, "sts")
    code, message = error_of(
        hop_sts.assume_role,
        RoleArn=w.DESTINATION_ROLE,
        RoleSessionName="hop2",
        ExternalId=w.DESTINATION_EXTERNAL_ID,
    )
    assert code == "AccessDenied"
    assert "not authorized to perform: sts:SetSourceIdentity on resource: " in message
    assert message.endswith(w.DESTINATION_ROLE)
    # Without a source identity the same hop works: the denial is about the carried value.
    plain = session_client(loaded, hop1(loaded), "sts")
    plain.assume_role(
        RoleArn=w.DESTINATION_ROLE, RoleSessionName="hop2", ExternalId=w.DESTINATION_EXTERNAL_ID
    )


def test_healthy_trust_refuses_a_source_identity(server: SandboxServer, tmp_path: Path) -> None:
    loaded = load(server, "healthy", tmp_path)
    sts = client(loaded, w.SUPPORT_PROFILE, "sts")
    code, message = error_of(
        sts.assume_role,
        RoleArn=w.INTERMEDIATE_ROLE,
        RoleSessionName="si",
        ExternalId=w.EXTERNAL_ID,
        SourceIdentity="jdoe",
    )
    assert code == "AccessDenied"
    assert "sts:SetSourceIdentity" in message


def test_no_external_id_condition_accepts_probes(server: SandboxServer, tmp_path: Path) -> None:
    loaded = load(server, "no-external-id-condition", tmp_path)
    sts = client(loaded, w.SUPPORT_PROFILE, "sts")
    sts.assume_role(RoleArn=w.INTERMEDIATE_ROLE, RoleSessionName="probe")
    sts.assume_role(RoleArn=w.INTERMEDIATE_ROLE, RoleSessionName="probe", ExternalId="wrong-id")


def test_explicit_deny_has_the_enriched_message(server: SandboxServer, tmp_path: Path) -> None:
    loaded = load(server, "missing-assume-permission", tmp_path)
    hop_sts = session_client(loaded, hop1(loaded), "sts")
    _, message = error_of(
        hop_sts.assume_role,
        RoleArn=w.DESTINATION_ROLE,
        RoleSessionName="hop2",
        ExternalId=w.DESTINATION_EXTERNAL_ID,
    )
    assert message.endswith("with an explicit deny in an identity-based policy")


def lookup_all(loaded: LoadedScenario, profile: str, **params: Any) -> list[dict[str, Any]]:
    trail = client(loaded, profile, "cloudtrail")
    events: list[dict[str, Any]] = []
    for page in trail.get_paginator("lookup_events").paginate(**params):
        events.extend(page["Events"])
    return events


def test_lookup_events_per_account(server: SandboxServer, tmp_path: Path) -> None:
    loaded = load(server, "healthy", tmp_path)
    attribute = [{"AttributeKey": "EventName", "AttributeValue": "AssumeRole"}]
    production = lookup_all(loaded, w.SUPPORT_PROFILE, LookupAttributes=attribute)
    intermediate = lookup_all(loaded, w.INTERMEDIATE_PROFILE, LookupAttributes=attribute)
    # Production holds the caller's copies of hop 1; the intermediate account holds the
    # role owner's copies of hop 1 and the caller's copies of hop 2.
    assert len(production) == 4
    assert len(intermediate) == 8
    records = [json.loads(e["CloudTrailEvent"]) for e in production]
    assert {r["recipientAccountId"] for r in records} == {w.PRODUCTION}
    assert {r["userIdentity"]["arn"] for r in records} == {PLATFORM_SESSION}
    owner = [json.loads(e["CloudTrailEvent"]) for e in intermediate]
    kinds = sorted(r["userIdentity"]["type"] for r in owner)
    assert kinds == ["AWSAccount"] * 4 + ["AssumedRole"] * 4
    shared = {r["sharedEventID"] for r in records}
    assert shared <= {r.get("sharedEventID") for r in owner}
    # Newest first, inside the last few hours.
    times = [e["EventTime"] for e in production]
    assert times == sorted(times, reverse=True)
    assert datetime.now(UTC) - times[-1] < timedelta(hours=4)


def test_lookup_events_filters_and_windows(server: SandboxServer, tmp_path: Path) -> None:
    loaded = load(server, "healthy", tmp_path)
    by_resource = lookup_all(
        loaded,
        w.INTERMEDIATE_PROFILE,
        LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": w.DESTINATION_ROLE}],
    )
    assert len(by_resource) == 4
    assert all(e["Resources"][0]["ResourceName"] == w.DESTINATION_ROLE for e in by_resource)
    recent = lookup_all(
        loaded, w.SUPPORT_PROFILE, StartTime=datetime.now(UTC) - timedelta(minutes=60)
    )
    assert len(recent) == 1
    nothing = lookup_all(
        loaded,
        w.SUPPORT_PROFILE,
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "assumerole"}],
    )
    assert nothing == []  # attribute values are case-sensitive
    west = client(loaded, w.SUPPORT_PROFILE, "cloudtrail", region="us-west-2")
    assert west.lookup_events()["Events"] == []  # one Region per call


def test_lookup_events_pagination(server: SandboxServer, tmp_path: Path) -> None:
    loaded = load(server, "healthy", tmp_path)
    everything = lookup_all(loaded, w.INTERMEDIATE_PROFILE)
    paged = lookup_all(loaded, w.INTERMEDIATE_PROFILE, PaginationConfig={"PageSize": 3})
    assert [e["EventId"] for e in paged] == [e["EventId"] for e in everything]
    trail = client(loaded, w.INTERMEDIATE_PROFILE, "cloudtrail")
    first = trail.lookup_events(MaxResults=3)
    assert len(first["Events"]) == 3
    code, _ = error_of(
        trail.lookup_events,
        MaxResults=3,
        NextToken=first["NextToken"],
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "AssumeRole"}],
    )
    assert code == "InvalidNextTokenException"
    code, _ = error_of(
        trail.lookup_events,
        LookupAttributes=[
            {"AttributeKey": "EventName", "AttributeValue": "AssumeRole"},
            {"AttributeKey": "Username", "AttributeValue": "x"},
        ],
    )
    assert code == "InvalidLookupAttributesException"


def test_denied_records_and_presented_ids(server: SandboxServer, tmp_path: Path) -> None:
    loaded = load(server, "cloudtrail-stale-external-id", tmp_path)
    records = [json.loads(e["CloudTrailEvent"]) for e in lookup_all(loaded, w.SUPPORT_PROFILE)]
    denied = [r for r in records if r.get("errorCode")]
    assert len(denied) == 5
    assert {r["requestParameters"]["externalId"] for r in records} == {OLD_EXTERNAL_ID}
    assert records[0].get("errorCode") == "AccessDenied"  # the latest attempt failed
    loaded = load(server, "untrusted-vendor", tmp_path)
    records = [json.loads(e["CloudTrailEvent"]) for e in lookup_all(loaded, w.SUPPORT_PROFILE)]
    assert {r["requestParameters"] for r in records} == {None}
    assert all(r["errorMessage"].endswith(f"on resource: {w.INTERMEDIATE_ROLE}") for r in records)
    # Denied cross-account calls are not logged in the role owner's account.
    assert lookup_all(loaded, w.INTERMEDIATE_PROFILE) == []


def test_timeline_and_latency(tmp_path: Path) -> None:
    with SandboxServer(latency=0.02) as slow:
        loaded = slow.load(by_name("healthy"), tmp_path / "aws")
        slow.middleware.timeline.clear()
        sts = client(loaded, w.SUPPORT_PROFILE, "sts")
        sts.get_caller_identity()
        hop1(loaded)
        timeline = list(slow.middleware.timeline)
    assert [(r.service, r.action, r.account, r.status) for r in timeline] == [
        ("sts", "GetCallerIdentity", w.PRODUCTION, 200),
        ("sts", "AssumeRole", w.PRODUCTION, 200),
    ]
    assert all(r.end - r.start >= 0.02 for r in timeline)
    assert timeline[0].end <= timeline[1].start


def test_lookup_events_refuses_what_aws_refuses(server: SandboxServer, tmp_path: Path) -> None:
    loaded = load(server, "healthy", tmp_path)
    trail = client(loaded, w.SUPPORT_PROFILE, "cloudtrail")
    now = datetime.now(UTC)
    code, _ = error_of(trail.lookup_events, StartTime=now, EndTime=now - timedelta(hours=1))
    assert code == "InvalidTimeRangeException"
    code, _ = error_of(trail.lookup_events, MaxResults=51)
    assert code == "InvalidMaxResultsException"
    code, _ = error_of(trail.lookup_events, NextToken="not-a-token")
    assert code == "InvalidNextTokenException"
