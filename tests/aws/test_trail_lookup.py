"""collect_trail on LookupEvents: vantages, Regions, pagination, throttling and bad records.

moto has no LookupEvents, so `botocore.stub.Stubber` serves hand-written events in
the real format: a LookupEvents item whose `CloudTrailEvent` is the record as a JSON
string. Record shapes follow the shared cloudtrail-samples: denials after
assumerole-denied-hop1-caller-copy.synthetic.json (null requestParameters), the
production account's successes after assumerole-success-cross-account-caller-copy
.awsdoc.json, and the intermediate account's copy of a hop-1 success after
assumerole-success-cross-account-role-owner-copy.awsdoc.json (`AWSAccount`, no ARN).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.stub import Stubber

from qsdoctor.arn import parse_role_arn
from qsdoctor.aws.gateway import AwsGateway, RetryingFactory
from qsdoctor.aws.sessions import new_session
from qsdoctor.collect import trail as trail_mod
from qsdoctor.collect.context import CollectContext, Credentialed
from qsdoctor.collect.trail import RateLimiter, RateLimits, collect_trail
from qsdoctor.config import CheckConfig
from qsdoctor.facts import AssumeAttempt, CallerFacts, CallerIdentity, TrailLookup
from qsdoctor.models import Ok, Skipped, Unavailable
from qsdoctor.secrets import ExternalId, fingerprint

PRODUCTION = "684035162433"
INTERMEDIATE_ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{INTERMEDIATE_ACCOUNT}:role/QuiverstoneTrustedIntermediate"
DEST = "arn:aws:iam::210987654321:role/QuiverstoneChainedAccess"
PLATFORM = f"arn:aws:sts::{PRODUCTION}:assumed-role/Platform/connector"
HOP1_SESSION = f"arn:aws:sts::{INTERMEDIATE_ACCOUNT}:assumed-role/QuiverstoneTrustedIntermediate/x"
NOW = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
START = NOW - timedelta(hours=24)
ASSUME_ROLE_FILTER = [{"AttributeKey": "EventName", "AttributeValue": "AssumeRole"}]


def denied(
    event_id: str, at: str, *, caller: str = PLATFORM, role: str = ROLE, region: str = "us-east-1"
) -> dict[str, Any]:
    account = caller.split(":")[4]
    return {
        "eventVersion": "1.11",
        "userIdentity": {"type": "AssumedRole", "arn": caller, "accountId": account},
        "eventTime": at,
        "eventSource": "sts.amazonaws.com",
        "eventName": "AssumeRole",
        "awsRegion": region,
        "errorCode": "AccessDenied",
        "errorMessage": f"User: {caller} is not authorized to perform: sts:AssumeRole on "
        f"resource: {role}",
        "requestParameters": None,
        "responseElements": None,
        "eventID": event_id,
        "recipientAccountId": account,
    }


def succeeded(
    event_id: str,
    at: str,
    *,
    external_id: str | None = None,
    owner_copy: bool = False,
    caller: str = PLATFORM,
    role: str = ROLE,
) -> dict[str, Any]:
    account = caller.split(":")[4]
    identity: dict[str, Any] = (
        {"type": "AWSAccount", "principalId": "AROAEXAMPLE:connector", "accountId": account}
        if owner_copy
        else {"type": "AssumedRole", "arn": caller, "accountId": account}
    )
    params: dict[str, Any] = {"roleArn": role, "roleSessionName": "connector"}
    if external_id:
        params["externalId"] = external_id
    record = {
        "eventVersion": "1.08",
        "userIdentity": identity,
        "eventTime": at,
        "eventSource": "sts.amazonaws.com",
        "eventName": "AssumeRole",
        "awsRegion": "us-east-1",
        "requestParameters": params,
        "responseElements": {"assumedRoleUser": {"arn": "arn:aws:sts::x:assumed-role/y/z"}},
        "resources": [{"ARN": role, "accountId": role.split(":")[4], "type": "AWS::IAM::Role"}],
        "sharedEventID": f"shared-{event_id}",
        "eventID": event_id,
    }
    if not owner_copy:
        record["recipientAccountId"] = account
    return record


def item(record: dict[str, Any]) -> dict[str, Any]:
    """A LookupEvents result item: the record travels as a JSON string."""
    return {
        "EventId": record["eventID"],
        "EventName": "AssumeRole",
        "ReadOnly": "false",
        "EventTime": datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00")),
        "EventSource": "sts.amazonaws.com",
        "Resources": [{"ResourceType": "AWS::IAM::Role", "ResourceName": ROLE}],
        "CloudTrailEvent": json.dumps(record),
    }


def expected(token: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "LookupAttributes": ASSUME_ROLE_FILTER,
        "StartTime": START,
        "EndTime": NOW,
        "MaxResults": 50,
    }
    if token:
        params["NextToken"] = token
    return params


class FakeClock:
    """A clock that only moves when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slots: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def pinned(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """Pin the window's end and give the limiter a clock that never really waits."""
    clock = FakeClock()
    monkeypatch.setattr(trail_mod, "_now", lambda: NOW)
    monkeypatch.setattr(
        trail_mod,
        "LOOKUP_LIMITS",
        RateLimits(lambda: RateLimiter(clock=clock.time, sleep=clock.sleep)),
    )
    return clock


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=4) as executor:
        yield executor


def gateway(label: str, retrying: RetryingFactory) -> AwsGateway:
    return AwsGateway(new_session(region="us-east-1"), profile=label, retrying=retrying)


def stub(gw: AwsGateway, region: str) -> Stubber:
    stubber = Stubber(gw.client("cloudtrail", region))
    stubber.activate()
    return stubber


def identity(label: str, gw: AwsGateway | None, account: str) -> Credentialed:
    return Credentialed(
        gateway=gw,
        facts=CallerFacts(
            label=label,
            profile=label,  # type: ignore[arg-type]
            identity=Ok(
                CallerIdentity(
                    account=account, arn=f"arn:aws:iam::{account}:user/u", user_id="AIDA"
                )
            ),
        ),
    )


def context(
    pool: ThreadPoolExecutor,
    *,
    caller: AwsGateway | None = None,
    caller_account: str = PRODUCTION,
    inter: AwsGateway | None = None,
    retrying: RetryingFactory,
    **config: Any,
) -> CollectContext:
    creds = []
    if caller is not None:
        creds.append(identity("caller", caller, caller_account))
    if inter is not None:
        creds.append(identity("intermediate", inter, INTERMEDIATE_ACCOUNT))
    return CollectContext(
        config=CheckConfig(intermediate=parse_role_arn(ROLE), **config),
        caller=caller,
        intermediate_reader=(
            Ok(inter)
            if inter is not None
            else Skipped("no credentials for account 111122223333: pass --intermediate-profile")
        ),
        executor=pool,
        retrying=retrying,
        credentialed=tuple(creds),
        region="us-east-1",
    )


def hop1_in(region: str) -> Ok[AssumeAttempt]:
    return Ok(
        AssumeAttempt(role_arn=ROLE, succeeded=False, session_name="qsdoctor-1", region=region)
    )


def test_production_vantage_pages_regions_throttling_and_malformed(
    pool: ThreadPoolExecutor,
    fast_retrying: RetryingFactory,
) -> None:
    gw = gateway("qs-support", fast_retrying)
    east, west = stub(gw, "us-east-1"), stub(gw, "eu-west-1")
    nameless = {**denied("w4", "2026-12-04T10:10:00Z"), "errorMessage": "Access denied"}
    # eu-west-1 (hop 1's Region): two pages, with a malformed item and another role.
    west.add_response(
        "lookup_events",
        {
            "Events": [
                item(denied("w1", "2026-12-04T10:00:00Z", region="eu-west-1")),
                item(denied("w2", "2026-12-04T10:05:00Z", role=DEST, region="eu-west-1")),
            ],
            "NextToken": "page-2",
        },
        expected(),
    )
    west.add_response(
        "lookup_events",
        {
            "Events": [
                item(nameless),
                item(succeeded("w3", "2026-12-04T09:00:00Z", external_id="platform-external-id-x")),
                {"EventId": "bad", "CloudTrailEvent": "{truncated"},
            ]
        },
        expected("page-2"),
    )
    # us-east-1 (global endpoint): throttled twice, then an answer.
    east.add_client_error(
        "lookup_events",
        service_error_code="ThrottlingException",
        http_status_code=400,
        expected_params=expected(),
    )
    east.add_client_error(
        "lookup_events",
        service_error_code="ThrottlingException",
        http_status_code=400,
        expected_params=expected(),
    )
    east.add_response(
        "lookup_events",
        {
            "Events": [
                item(denied("e1", "2026-12-04T11:00:00Z")),
            ]
        },
        expected(),
    )
    ctx = context(pool, caller=gw, retrying=fast_retrying)

    facts = collect_trail(ctx, hop1_in("eu-west-1"))

    assert facts is not None
    assert (facts.since, facts.until) == ("2026-12-03T16:00:00Z", "2026-12-04T16:00:00Z")
    lookup = facts.hop1
    assert isinstance(lookup, Ok)
    assert lookup.value.vantage == "production"
    assert lookup.value.regions == ("eu-west-1", "us-east-1")
    assert [e.event_id for e in lookup.value.events] == ["w3", "w1", "e1"]
    assert lookup.value.malformed == 1
    assert lookup.value.pages == 3
    assert lookup.value.sources == ("LookupEvents",)
    assert lookup.value.notes == (
        "1 denied AssumeRole record(s) name no role (no parameters, message or resources) "
        "and could not be attributed",
    )
    assert lookup.value.events[0].external_id_fingerprint == fingerprint("platform-external-id-x")
    east.assert_no_pending_responses()
    west.assert_no_pending_responses()
    # No intermediate credentials: hop 2 and the trails say which option enables them.
    assert isinstance(facts.hop2, Skipped)
    assert "--intermediate-profile" in facts.hop2.reason
    assert isinstance(facts.trails, Skipped)


def test_intermediate_vantage_sees_hop1_successes_and_hop2_attempts(
    pool: ThreadPoolExecutor,
    fast_retrying: RetryingFactory,
) -> None:
    caller = gateway("somewhere-else", fast_retrying)
    inter = gateway("acme-audit", fast_retrying)
    stubber = stub(inter, "us-east-1")
    stubber.add_response(
        "lookup_events",
        {
            "Events": [
                item(
                    succeeded(
                        "o1",
                        "2026-12-04T08:00:00Z",
                        owner_copy=True,
                        caller=f"arn:aws:sts::{PRODUCTION}:assumed-role/Platform/c",
                    )
                ),
                item(denied("h2", "2026-12-04T08:01:00Z", caller=HOP1_SESSION, role=DEST)),
                item(succeeded("h3", "2026-12-04T08:02:00Z", caller=HOP1_SESSION, role=DEST)),
                item(
                    denied(
                        "n1",
                        "2026-12-04T08:03:00Z",
                        caller=f"arn:aws:sts::{INTERMEDIATE_ACCOUNT}:assumed-role/Other/x",
                        role=DEST,
                    )
                ),
            ]
        },
        expected(),
    )
    stubber.add_response("describe_trails", {"trailList": []}, {"includeShadowTrails": True})
    ctx = context(
        pool, caller=caller, caller_account="999999999999", inter=inter, retrying=fast_retrying
    )

    facts = collect_trail(ctx, Skipped("not attempted"))

    assert facts is not None
    assert isinstance(facts.hop1, Ok)
    assert isinstance(facts.hop2, Ok)
    hop1: TrailLookup = facts.hop1.value
    assert hop1.vantage == "intermediate"
    assert [(e.event_id, e.caller_type, e.caller_account) for e in hop1.events] == [
        ("o1", "AWSAccount", PRODUCTION)
    ]
    assert [e.event_id for e in facts.hop2.value.events] == ["h2", "h3"]
    assert facts.trails == Ok(())
    stubber.assert_no_pending_responses()


def test_a_denied_region_is_a_note_and_all_denied_is_unavailable(
    pool: ThreadPoolExecutor,
    fast_retrying: RetryingFactory,
) -> None:
    gw = gateway("qs-support", fast_retrying)
    east, west = stub(gw, "us-east-1"), stub(gw, "eu-west-1")
    west.add_client_error(
        "lookup_events", service_error_code="AccessDeniedException", http_status_code=400
    )
    east.add_response("lookup_events", {"Events": []}, expected())
    facts = collect_trail(context(pool, caller=gw, retrying=fast_retrying), hop1_in("eu-west-1"))
    assert facts is not None
    assert isinstance(facts.hop1, Ok)
    assert facts.hop1.value.notes == (
        "eu-west-1 not read: cloudtrail:LookupEvents AccessDeniedException",
    )

    gw2 = gateway("qs-support", fast_retrying)
    only = stub(gw2, "us-east-1")
    only.add_client_error(
        "lookup_events", service_error_code="AccessDeniedException", http_status_code=400
    )
    facts = collect_trail(
        context(pool, caller=gw2, retrying=fast_retrying), Skipped("not attempted")
    )
    assert facts is not None
    assert isinstance(facts.hop1, Unavailable)
    assert facts.hop1.error.operation == "cloudtrail:LookupEvents"


def test_no_trail_and_no_credentials(
    pool: ThreadPoolExecutor, fast_retrying: RetryingFactory
) -> None:
    ctx = context(pool, retrying=fast_retrying, trail=False)
    assert collect_trail(ctx, Skipped("x")) is None
    facts = collect_trail(context(pool, retrying=fast_retrying), Skipped("x"))
    assert facts is not None
    assert isinstance(facts.hop1, Skipped)
    assert "--profile" in facts.hop1.reason
    assert "--intermediate-profile" in facts.hop1.reason


def test_since_is_capped_at_lookup_events_90_days(
    pool: ThreadPoolExecutor,
    fast_retrying: RetryingFactory,
) -> None:
    gw = gateway("qs-support", fast_retrying)
    stubber = stub(gw, "us-east-1")
    start = NOW - timedelta(days=90)
    stubber.add_response("lookup_events", {"Events": []}, {**expected(), "StartTime": start})
    ctx = context(pool, caller=gw, retrying=fast_retrying, since=timedelta(days=400))
    facts = collect_trail(ctx, Skipped("x"))
    assert facts is not None
    assert facts.since == "2026-09-05T16:00:00Z"
    stubber.assert_no_pending_responses()


def test_limiters_are_shared_per_account_and_region() -> None:
    limits = trail_mod.LOOKUP_LIMITS
    a = limits.get(PRODUCTION, "us-east-1")
    assert limits.get(PRODUCTION, "us-east-1") is a
    assert limits.get(PRODUCTION, "eu-west-1") is not a
    assert limits.get(INTERMEDIATE_ACCOUNT, "us-east-1") is not a


def test_external_ids_never_reach_the_facts(
    pool: ThreadPoolExecutor, fast_retrying: RetryingFactory
) -> None:
    secret = "the-platforms-external-id-0123456789"
    gw = gateway("qs-support", fast_retrying)
    stubber = stub(gw, "us-east-1")
    stubber.add_response(
        "lookup_events",
        {"Events": [item(succeeded("s1", "2026-12-04T09:00:00Z", external_id=secret))]},
        expected(),
    )
    ctx = context(
        pool, caller=gw, retrying=fast_retrying, external_id=ExternalId(secret, source="test")
    )
    facts = collect_trail(ctx, Skipped("x"))
    assert facts is not None
    assert isinstance(facts.hop1, Ok)
    assert facts.hop1.value.events[0].external_id_fingerprint == fingerprint(secret)
    assert secret not in repr(facts)
