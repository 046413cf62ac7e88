"""Organization-trail log files in S3 (`--trail-bucket s3://BUCKET/PREFIX`): AssumeRole history.

A trail delivers gzip-compressed JSON files under
`PREFIX/AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/` named
`ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz`
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/get-and-view-cloudtrail-log-files.html).
qsdoctor lists only the day prefixes of the look-back window for the accounts and
Regions it needs, skips files whose delivery time is outside the window, fetches the
rest concurrently, decompresses each as it streams in, and keeps the STS AssumeRole
records. This reaches history the 90-day event history no longer has, and works with
read access to the log-archive bucket only.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from qsdoctor.aws.gateway import AwsCallFailed, AwsGateway
from qsdoctor.collect.trail_records import MalformedRecord, is_assume_role, parse_record
from qsdoctor.errors import UsageError
from qsdoctor.facts import TrailEvent
from qsdoctor.models import AwsCallError

#: Files are delivered about every 5 minutes; an event can land in a file stamped a
#: little after it. Files stamped this long after the window's end are not read.
DELIVERY_SLACK = timedelta(hours=1)
_STAMP = re.compile(r"_(\d{8}T\d{4})Z_")
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class BucketLocation:
    """Where a trail writes: bucket and key prefix (without a trailing slash)."""

    bucket: str
    prefix: str

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    @property
    def awslogs(self) -> str:
        return f"{self.prefix}/AWSLogs/" if self.prefix else "AWSLogs/"


def parse_bucket_url(url: str) -> BucketLocation:
    """`s3://bucket/prefix` (prefix optional), or a UsageError saying what it should be."""
    if not url.startswith("s3://") or len(url) <= len("s3://"):
        raise UsageError(
            f"--trail-bucket must be an s3:// URL, got {url!r}",
            "e.g. --trail-bucket s3://org-cloudtrail-logs/trail-prefix (the trail's bucket and "
            "key prefix, without AWSLogs/)",
        )
    bucket, _, prefix = url[len("s3://") :].partition("/")
    if not bucket:
        raise UsageError(
            f"--trail-bucket {url!r} names no bucket",
            "e.g. --trail-bucket s3://org-cloudtrail-logs/trail-prefix",
        )
    prefix = prefix.strip("/")
    if prefix.endswith("AWSLogs") or "/AWSLogs/" in f"/{prefix}/":
        prefix = prefix[: prefix.find("AWSLogs")].strip("/")
    return BucketLocation(bucket=bucket, prefix=prefix)


def days(start: datetime, end: datetime) -> list[datetime]:
    """Every UTC day from start to end (plus the slack), as midnight datetimes."""
    first = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    last = (end + DELIVERY_SLACK).astimezone(UTC)
    out: list[datetime] = []
    day = first
    while day <= last:
        out.append(day)
        day += timedelta(days=1)
    return out


def day_prefixes(
    bases: Iterable[str],
    accounts: Iterable[str],
    regions: Iterable[str],
    start: datetime,
    end: datetime,
) -> list[str]:
    """`BASE/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/` for every combination, in order."""
    return [
        f"{base}{account}/CloudTrail/{region}/{day:%Y/%m/%d}/"
        for base in bases
        for account in accounts
        for region in regions
        for day in days(start, end)
    ]


def key_in_window(key: str, start: datetime, end: datetime) -> bool:
    """Whether a log file's delivery stamp can hold events of the window.

    A file only holds events from before its stamp, so files stamped before `start` are
    skipped; files stamped well after `end` too. Keys without a stamp are read.
    """
    match = _STAMP.search(key)
    if not match:
        return True
    stamp = datetime.strptime(match.group(1), "%Y%m%dT%H%M").replace(tzinfo=UTC)
    return start - timedelta(minutes=1) <= stamp <= end + DELIVERY_SLACK


@dataclass(frozen=True, slots=True)
class FileResult:
    """What one log file held: the AssumeRole events and the counts behind them."""

    events: tuple[TrailEvent, ...]
    records: int
    malformed: int


def _stream(body: IO[bytes]) -> Iterator[bytes]:
    with gzip.GzipFile(fileobj=body, mode="rb") as unzipped:
        while chunk := unzipped.read(_CHUNK):
            yield chunk


def parse_log_file(body: IO[bytes], start: datetime, end: datetime) -> FileResult:
    """Decompress a CloudTrail log file as it streams and keep AssumeRole in [start, end].

    A file that is not gzip JSON with a `Records` array counts as one malformed record;
    a record that can't be parsed counts as one too. Nothing here raises on bad input.
    """
    try:
        data = b"".join(_stream(body))
        document = json.loads(data)
    except (OSError, EOFError, ValueError):
        return FileResult(events=(), records=0, malformed=1)
    records = document.get("Records") if isinstance(document, dict) else None
    if not isinstance(records, list):
        return FileResult(events=(), records=0, malformed=1)
    events: list[TrailEvent] = []
    malformed = 0
    low, high = _iso(start), _iso(end)
    for record in records:
        if not isinstance(record, dict):
            malformed += 1
            continue
        if not is_assume_role(record):
            continue
        try:
            event = parse_record(record)
        except MalformedRecord:
            malformed += 1
            continue
        if low <= event.event_time <= high:
            events.append(event)
    return FileResult(events=tuple(events), records=len(records), malformed=malformed)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class S3ReadResult:
    """All AssumeRole events read from the log files, with what it took and what failed."""

    events: tuple[TrailEvent, ...]
    files: int
    records: int
    malformed: int
    requests: int
    errors: tuple[AwsCallError, ...] = ()


def _list(
    gateway: AwsGateway, loc: BucketLocation, prefix: str, delimiter: str | None = None
) -> tuple[list[str], list[str], int]:
    """(keys, common prefixes, requests) under one prefix."""
    keys: list[str] = []
    common: list[str] = []
    requests = 0
    params: dict[str, Any] = {"Bucket": loc.bucket, "Prefix": prefix}
    if delimiter:
        params["Delimiter"] = delimiter
    for page in gateway.pages(
        "s3",
        "list_objects_v2",
        resource=f"arn:aws:s3:::{loc.bucket}",
        token_in="ContinuationToken",
        token_out="NextContinuationToken",
        **params,
    ):
        requests += 1
        keys.extend(str(o["Key"]) for o in page.get("Contents", ()))
        common.extend(str(p["Prefix"]) for p in page.get("CommonPrefixes", ()))
    return keys, common, requests


def _fetch(
    gateway: AwsGateway, loc: BucketLocation, key: str, start: datetime, end: datetime
) -> FileResult:
    answer = gateway.call(
        "s3", "get_object", resource=f"arn:aws:s3:::{loc.bucket}/{key}", Bucket=loc.bucket, Key=key
    )
    body = answer["Body"]
    try:
        return parse_log_file(body, start, end)
    finally:
        body.close()


def read_org_trail(
    gateway: AwsGateway,
    loc: BucketLocation,
    *,
    accounts: Sequence[str],
    regions: Sequence[str],
    start: datetime,
    end: datetime,
    executor: Executor,
) -> S3ReadResult:
    """AssumeRole events for `accounts` × `regions` in [start, end] from the trail's files.

    Finds organization folders (`AWSLogs/o-…/`) with one delimited listing, lists each
    day prefix concurrently, then fetches the files concurrently. Each task is a leaf
    (it never waits on the executor), so this may run on a thread of that executor.
    A failed listing or fetch is kept in `errors`; the rest is still read.
    """
    errors: list[AwsCallError] = []
    requests = 0
    try:
        _, orgs, requests = _list(gateway, loc, loc.awslogs, delimiter="/")
    except AwsCallFailed as e:
        return S3ReadResult(
            events=(), files=0, records=0, malformed=0, requests=1, errors=(e.error,)
        )
    bases = [loc.awslogs, *sorted(p for p in orgs if p[len(loc.awslogs) :].startswith("o-"))]
    listings: list[Future[tuple[list[str], list[str], int]]] = [
        executor.submit(_list, gateway, loc, prefix)
        for prefix in day_prefixes(bases, accounts, regions, start, end)
    ]
    keys: list[str] = []
    for listing in listings:
        try:
            found, _, n = listing.result()
        except AwsCallFailed as e:
            errors.append(e.error)
            requests += 1
            continue
        requests += n
        keys.extend(k for k in found if k.endswith(".json.gz") and key_in_window(k, start, end))
    fetches = [executor.submit(_fetch, gateway, loc, key, start, end) for key in keys]
    events: dict[str, TrailEvent] = {}
    records = malformed = files = 0
    for fetch in fetches:
        requests += 1
        try:
            result = fetch.result()
        except AwsCallFailed as e:
            errors.append(e.error)
            continue
        files += 1
        records += result.records
        malformed += result.malformed
        for event in result.events:
            events.setdefault(event.event_id, event)
    ordered = tuple(sorted(events.values(), key=lambda e: (e.event_time, e.event_id)))
    return S3ReadResult(
        events=ordered,
        files=files,
        records=records,
        malformed=malformed,
        requests=requests,
        errors=tuple(errors),
    )
