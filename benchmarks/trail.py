"""Benchmark CloudTrail reading: S3 log-file parsing speed, and LookupEvents pages vs the minimum.

Run: `python benchmarks/trail.py [--records 50000] [--files 50]`. Everything is local:
moto S3 in-process for the log files, botocore's Stubber for LookupEvents. Prints:

- records/second parsed from gzip log files in S3 (list + get + decompress + parse),
  and from the same files already in memory (the parser alone);
- LookupEvents pages fetched for a window versus the minimum a perfect server-side
  filter would need, and the time that costs at 2 requests/second per Region.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import math
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/QuiverstoneTrustedIntermediate"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/QuiverstoneTrustedIntermediate/s"
DEST = "arn:aws:iam::210987654321:role/QuiverstoneChainedAccess"
END = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
START = END - timedelta(days=2)


def record(i: int, at: datetime, rng: random.Random) -> dict[str, Any]:
    """A record in CloudTrail's shape: 30% AssumeRole (half denied), the rest other calls."""
    base: dict[str, Any] = {
        "eventVersion": "1.11",
        "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "awsRegion": "us-east-1",
        "eventID": f"bench-{i:08d}",
        "recipientAccountId": ACCOUNT,
        "userAgent": "Boto3/1.35",
    }
    if rng.random() < 0.3:
        denied = rng.random() < 0.5
        base.update(
            {
                "eventSource": "sts.amazonaws.com",
                "eventName": "AssumeRole",
                "userIdentity": {"type": "AssumedRole", "arn": SESSION, "accountId": ACCOUNT},
                "requestParameters": None if denied else {"roleArn": DEST, "roleSessionName": "s"},
                "errorCode": "AccessDenied" if denied else None,
                "errorMessage": (
                    f"User: {SESSION} is not authorized to perform: sts:AssumeRole "
                    f"on resource: {DEST}"
                )
                if denied
                else None,
            }
        )
    else:
        base.update(
            {
                "eventSource": "ec2.amazonaws.com",
                "eventName": "DescribeInstances",
                "userIdentity": {
                    "type": "IAMUser",
                    "arn": f"arn:aws:iam::{ACCOUNT}:user/u",
                    "accountId": ACCOUNT,
                },
                "requestParameters": {"maxResults": 100},
            }
        )
    return base


def log_files(records: int, files: int) -> list[tuple[str, bytes]]:
    """(key, gzip body) for `files` files spread over the window's two days and two Regions."""
    rng = random.Random(7)
    per_file = records // files
    out: list[tuple[str, bytes]] = []
    span = (END - START).total_seconds()
    for f in range(files):
        region = ("us-east-1", "eu-west-1")[f % 2]
        delivered = START + timedelta(seconds=span * (f + 1) / (files + 1))
        rows = [
            record(f * per_file + i, delivered - timedelta(minutes=3), rng) for i in range(per_file)
        ]
        key = (
            f"trail/AWSLogs/o-bench1/{ACCOUNT}/CloudTrail/{region}/{delivered:%Y/%m/%d}/"
            f"{ACCOUNT}_CloudTrail_{region}_{delivered:%Y%m%dT%H%MZ}_{f:04d}.json.gz"
        )
        out.append((key, gzip.compress(json.dumps({"Records": rows}).encode())))
    return out


def bench_s3(records: int, files: int) -> None:
    import boto3
    from moto import mock_aws

    from qsdoctor.aws.gateway import AwsGateway
    from qsdoctor.aws.sessions import new_session
    from qsdoctor.collect.trail_s3 import parse_bucket_url, parse_log_file, read_org_trail

    bodies = log_files(records, files)
    total = sum(1 for _ in range(files)) * (records // files)
    started = time.perf_counter()
    parsed = sum(parse_log_file(io.BytesIO(b), START, END).records for _, b in bodies)
    alone = time.perf_counter() - started
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="bench-trail")
        for key, body in bodies:
            s3.put_object(Bucket="bench-trail", Key=key, Body=body)
        gw = AwsGateway(new_session(region="us-east-1"))
        with ThreadPoolExecutor(max_workers=8) as pool:
            started = time.perf_counter()
            result = read_org_trail(
                gw,
                parse_bucket_url("s3://bench-trail/trail"),
                accounts=(ACCOUNT,),
                regions=("us-east-1", "eu-west-1"),
                start=START,
                end=END,
                executor=pool,
            )
            elapsed = time.perf_counter() - started
    assert parsed == total == result.records, (parsed, total, result.records)
    print(
        f"S3 log files: {result.files} files, {result.records} records, "
        f"{len(result.events)} AssumeRole kept, {result.requests} S3 requests"
    )
    print(
        f"  end to end (moto S3, 8 threads): {elapsed:.2f} s = "
        f"{result.records / elapsed:,.0f} records/s"
    )
    print(f"  parser alone (in memory):        {alone:.2f} s = {total / alone:,.0f} records/s")


def bench_lookup(platform_calls: int, chain_calls: int, regions: int) -> None:
    from botocore.stub import Stubber

    from qsdoctor.aws.gateway import AwsGateway, retrying_factory
    from qsdoctor.aws.sessions import new_session
    from qsdoctor.collect.trail import PAGE_SIZE, RateLimiter, lookup_assume_role

    class Clock:
        now = 0.0

        def time(self) -> float:
            return self.now

        def sleep(self, s: float) -> None:
            self.now += s

    rng = random.Random(11)
    per_region = platform_calls + chain_calls
    fetched = 0
    schedule = 0.0
    for r in range(regions):
        region = ("us-east-1", "eu-west-1", "eu-central-1")[r % 3]
        gw = AwsGateway(new_session(region="us-east-1"), retrying=retrying_factory(attempts=1))
        stubber = Stubber(gw.client("cloudtrail", region))
        items = []
        for i in range(per_region):
            rec = record(i, END - timedelta(seconds=i), rng)
            rec.update(
                eventSource="sts.amazonaws.com",
                eventName="AssumeRole",
                requestParameters={"roleArn": ROLE if i < chain_calls else DEST},
            )
            items.append({"EventId": rec["eventID"], "CloudTrailEvent": json.dumps(rec)})
        pages = [items[i : i + PAGE_SIZE] for i in range(0, len(items), PAGE_SIZE)] or [[]]
        for n, page in enumerate(pages):
            body: dict[str, Any] = {"Events": page}
            if n < len(pages) - 1:
                body["NextToken"] = f"t{n}"
            stubber.add_response("lookup_events", body)
        stubber.activate()
        clock = Clock()
        read = lookup_assume_role(
            gw,
            region=region,
            start=START,
            end=END,
            limiter=RateLimiter(clock=clock.time, sleep=clock.sleep),
        )
        fetched += read.pages
        schedule = max(schedule, clock.now)  # Regions run concurrently
    minimum = regions * max(1, math.ceil(chain_calls / PAGE_SIZE))
    print(
        f"LookupEvents: {regions} Region(s), {per_region} AssumeRole each "
        f"({chain_calls} on the chain's role)"
    )
    print(
        f"  pages fetched (EventName=AssumeRole): {fetched}; minimum with a perfect "
        f"server-side filter: {minimum}"
    )
    print(f"  time at 2 requests/s per Region, Regions in parallel: {schedule:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--files", type=int, default=50)
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "benchmark")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "benchmark")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    bench_s3(args.records, args.files)
    bench_lookup(platform_calls=900, chain_calls=100, regions=2)


if __name__ == "__main__":
    main()
