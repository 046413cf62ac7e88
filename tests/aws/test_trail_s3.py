"""Organization-trail log files from S3 (moto): only the window's prefixes, gzip JSON, streamed.

Log files are written the way CloudTrail delivers them: gzip JSON `{"Records": [...]}`
under `PREFIX/AWSLogs/o-ORGID/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/`. The AssumeRole
records follow the shared samples (denial: assumerole-denied-hop1-caller-copy
.synthetic.json; role-owner success: assumerole-success-cross-account-role-owner-copy
.awsdoc.json).
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from qsdoctor.aws.gateway import AwsGateway, RetryingFactory
from qsdoctor.aws.sessions import new_session
from qsdoctor.collect.trail_s3 import (
    BucketLocation,
    day_prefixes,
    key_in_window,
    parse_bucket_url,
    parse_log_file,
    read_org_trail,
)
from qsdoctor.errors import UsageError

ACCOUNT = "111122223333"
OTHER = "444455556666"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/QuiverstoneTrustedIntermediate"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/QuiverstoneTrustedIntermediate/s"
DEST = "arn:aws:iam::210987654321:role/QuiverstoneChainedAccess"
BUCKET = "org-trail-logs"
END = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
START = END - timedelta(hours=30)  # 2026-12-03 10:00 -> spans two days


def denied(event_id: str, at: datetime, region: str) -> dict[str, Any]:
    return {
        "eventVersion": "1.11",
        "userIdentity": {"type": "AssumedRole", "arn": SESSION, "accountId": ACCOUNT},
        "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "sts.amazonaws.com",
        "eventName": "AssumeRole",
        "awsRegion": region,
        "errorCode": "AccessDenied",
        "errorMessage": f"User: {SESSION} is not authorized to perform: sts:AssumeRole on "
        f"resource: {DEST}",
        "requestParameters": None,
        "responseElements": None,
        "eventID": event_id,
        "recipientAccountId": ACCOUNT,
    }


def owner_copy(event_id: str, at: datetime) -> dict[str, Any]:
    return {
        "eventVersion": "1.05",
        "userIdentity": {
            "type": "AWSAccount",
            "principalId": "AROAX:c",
            "accountId": "684035162433",
        },
        "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "sts.amazonaws.com",
        "eventName": "AssumeRole",
        "awsRegion": "us-east-1",
        "requestParameters": {"roleArn": ROLE, "roleSessionName": "c"},
        "eventID": event_id,
    }


def other_event(event_id: str, at: datetime) -> dict[str, Any]:
    return {
        "eventVersion": "1.08",
        "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "eventID": event_id,
    }


def gz(records: list[Any]) -> bytes:
    return gzip.compress(json.dumps({"Records": records}).encode())


def key(account: str, region: str, delivered: datetime, org: str = "o-abc123") -> str:
    return (
        f"trail/AWSLogs/{org}/{account}/CloudTrail/{region}/{delivered:%Y/%m/%d}/"
        f"{account}_CloudTrail_{region}_{delivered:%Y%m%dT%H%MZ}_x{delivered:%H%M}.json.gz"
    )


@pytest.fixture
def bucket() -> Iterator[Any]:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    return s3


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=4) as executor:
        yield executor


def put(s3: Any, k: str, body: bytes) -> None:
    s3.put_object(Bucket=BUCKET, Key=k, Body=body)


def test_reads_only_the_windows_prefixes_and_keeps_assume_role(
    bucket: Any, pool: ThreadPoolExecutor, fast_retrying: RetryingFactory
) -> None:
    day1 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    day2 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    put(
        bucket,
        key(ACCOUNT, "us-east-1", day1 + timedelta(minutes=5)),
        gz(
            [
                denied("a1", day1, "us-east-1"),
                other_event("x1", day1),
                owner_copy("a2", day1 + timedelta(minutes=1)),
            ]
        ),
    )
    put(
        bucket,
        key(ACCOUNT, "eu-west-1", day2 + timedelta(minutes=5)),
        gz(
            [
                denied("a3", day2, "eu-west-1"),
                {"eventSource": "sts.amazonaws.com", "eventName": "AssumeRole"},
                "junk",
            ]
        ),
    )
    put(bucket, key(ACCOUNT, "us-east-1", day2 + timedelta(minutes=10)), b"not gzip at all")
    # Not to be read: another account, a Region not asked for, a day before the window
    # (even with in-window event times), a file delivered before the window started.
    put(bucket, key(OTHER, "us-east-1", day2), gz([denied("no1", day2, "us-east-1")]))
    put(bucket, key(ACCOUNT, "ap-south-1", day2), gz([denied("no2", day2, "ap-south-1")]))
    put(
        bucket,
        key(ACCOUNT, "us-east-1", datetime(2026, 12, 2, 23, 0, tzinfo=UTC)),
        gz([denied("no3", day2, "us-east-1")]),
    )
    put(
        bucket,
        key(ACCOUNT, "us-east-1", datetime(2026, 12, 3, 9, 0, tzinfo=UTC)),
        gz([denied("no4", day2, "us-east-1")]),
    )
    # A record inside a read file but outside the window is dropped by time.
    put(
        bucket,
        key(ACCOUNT, "us-east-1", END + timedelta(minutes=5)),
        gz([denied("late", END + timedelta(minutes=2), "us-east-1")]),
    )

    gw = AwsGateway(new_session(region="us-east-1"), profile="log-archive", retrying=fast_retrying)
    result = read_org_trail(
        gw,
        parse_bucket_url(f"s3://{BUCKET}/trail"),
        accounts=(ACCOUNT,),
        regions=("us-east-1", "eu-west-1"),
        start=START,
        end=END,
        executor=pool,
    )

    assert [e.event_id for e in result.events] == ["a1", "a2", "a3"]
    assert result.files == 4
    assert result.malformed == 3  # a record without ID/time, a non-object, a corrupt file
    assert result.records == 3 + 3 + 1
    assert result.errors == ()
    by_id = {e.event_id: e for e in result.events}
    assert by_id["a1"].role_arn == DEST
    assert by_id["a2"].caller_type == "AWSAccount"


def test_a_denied_bucket_is_reported_not_raised(
    bucket: Any, pool: ThreadPoolExecutor, fast_retrying: RetryingFactory
) -> None:
    gw = AwsGateway(new_session(region="us-east-1"), retrying=fast_retrying)
    result = read_org_trail(
        gw,
        BucketLocation("no-such-bucket", ""),
        accounts=(ACCOUNT,),
        regions=("us-east-1",),
        start=START,
        end=END,
        executor=pool,
    )
    assert result.events == ()
    assert result.errors[0].operation == "s3:ListBucket"
    assert result.errors[0].code == "NoSuchBucket"


def test_bucket_urls() -> None:
    assert parse_bucket_url("s3://b/p/q/") == BucketLocation("b", "p/q")
    assert parse_bucket_url("s3://b") == BucketLocation("b", "")
    assert parse_bucket_url("s3://b/p/AWSLogs/") == BucketLocation("b", "p")
    assert parse_bucket_url("s3://b/p").awslogs == "p/AWSLogs/"
    assert BucketLocation("b", "").awslogs == "AWSLogs/"
    for bad in ("b/p", "s3://", "https://b/p", "s3:///p"):
        with pytest.raises(UsageError):
            parse_bucket_url(bad)


def test_day_prefixes_cover_the_window_and_no_more() -> None:
    prefixes = day_prefixes(["AWSLogs/"], [ACCOUNT], ["us-east-1"], START, END)
    assert prefixes == [
        f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/12/03/",
        f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/12/04/",
    ]
    late = datetime(2026, 12, 4, 23, 30, tzinfo=UTC)
    assert len(day_prefixes(["AWSLogs/"], [ACCOUNT], ["us-east-1"], START, late)) == 3


def test_key_window_uses_the_delivery_stamp() -> None:
    assert key_in_window(key(ACCOUNT, "us-east-1", END), START, END)
    assert not key_in_window(key(ACCOUNT, "us-east-1", START - timedelta(hours=1)), START, END)
    assert not key_in_window(key(ACCOUNT, "us-east-1", END + timedelta(hours=2)), START, END)
    assert key_in_window("AWSLogs/odd-name.json.gz", START, END)


def test_parse_log_file_streams_gzip() -> None:
    body = io.BytesIO(gz([denied("a", END - timedelta(hours=1), "us-east-1")]))
    result = parse_log_file(body, START, END)
    assert [e.event_id for e in result.events] == ["a"]
    assert parse_log_file(io.BytesIO(gzip.compress(b'{"Records": 5}')), START, END).malformed == 1


def test_collect_trail_uses_the_bucket_for_the_intermediate_account(
    bucket: Any,
    pool: ThreadPoolExecutor,
    fast_retrying: RetryingFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without intermediate credentials, --trail-bucket alone gives QS402/QS403 their facts."""
    from qsdoctor.arn import parse_role_arn
    from qsdoctor.collect import trail as trail_mod
    from qsdoctor.collect.context import CollectContext
    from qsdoctor.config import CheckConfig
    from qsdoctor.models import Ok, Skipped

    at = END - timedelta(hours=2)
    put(
        bucket,
        key(ACCOUNT, "us-east-1", at + timedelta(minutes=5)),
        gz([denied("d1", at, "us-east-1"), owner_copy("o1", at)]),
    )
    monkeypatch.setattr(trail_mod, "_now", lambda: END)
    gw = AwsGateway(new_session(region="us-east-1"), profile="someone", retrying=fast_retrying)
    ctx = CollectContext(
        config=CheckConfig(
            intermediate=parse_role_arn(ROLE),
            since=timedelta(hours=6),
            trail_bucket=f"s3://{BUCKET}/trail",
        ),
        caller=gw,
        intermediate_reader=Skipped(
            "no credentials for account 111122223333: pass --intermediate-profile"
        ),
        executor=pool,
        retrying=fast_retrying,
    )
    facts = trail_mod.collect_trail(ctx, Skipped("not attempted"))
    assert facts is not None
    assert isinstance(facts.hop2, Ok)
    assert [e.event_id for e in facts.hop2.value.events] == ["d1"]
    assert facts.hop2.value.sources == (f"s3://{BUCKET}/trail",)
    assert isinstance(facts.hop1, Ok)
    assert facts.hop1.value.vantage == "intermediate"
    assert [e.event_id for e in facts.hop1.value.events] == ["o1"]
    assert isinstance(facts.trails, Skipped)
