"""CloudTrail: trails in the intermediate account and AssumeRole records (QS401-QS403's facts).

Where to look follows from how AWS records AssumeRole
(https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html): a
denied cross-account call is recorded only in the caller's account. So hop-1
failures are read from the production account (when `--profile` is a principal
there), hop-1 successes and hop-2 attempts from the intermediate account
(`--intermediate-profile`, and/or the organization trail's files with
`--trail-bucket`).

LookupEvents takes one lookup attribute. qsdoctor asks for `EventName=AssumeRole` and
filters on the client: `ResourceName=<role ARN>` would be more selective, but denied
records may carry no `resources` (and null `requestParameters`), so it would drop
exactly the failures these checks exist for. Each Region is queried separately (the
global STS endpoint records in us-east-1, Regional endpoints in their own Region),
Regions run concurrently, and a shared client-side limiter keeps every
(account, Region) at LookupEvents' 2 requests per second instead of provoking
throttling.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from qsdoctor.arn import session_to_role_name
from qsdoctor.aws.gateway import AwsCallFailed, AwsGateway
from qsdoctor.aws.sessions import PARTITION_DEFAULT_REGION, new_session
from qsdoctor.collect.context import CollectContext
from qsdoctor.collect.trail_records import MalformedRecord, iso, parse_lookup_event
from qsdoctor.errors import QsdoctorError
from qsdoctor.facts import AssumeAttempt, TrailEvent, TrailFacts, TrailInfo, TrailLookup
from qsdoctor.models import AwsCallError, Fetched, Ok, Skipped, Unavailable

#: LookupEvents covers the last 90 days of management events.
MAX_LOOKBACK = timedelta(days=90)
#: LookupEvents allows 2 requests per second per account and Region.
LOOKUP_RATE = 2.0
#: LookupEvents returns at most 50 events per page.
PAGE_SIZE = 50
#: Pages read per account and Region before giving up (10,000 AssumeRole records).
MAX_PAGES = 200
LOOKUP_SOURCE = "LookupEvents"


def _now() -> datetime:
    """The window's end (a function so tests can pin it)."""
    return datetime.now(UTC)


# --------------------------------------------------------------------------- rate limit


class RateLimiter:
    """Spaces calls at least 1/rate seconds apart, across threads.

    Each `acquire()` reserves the next free slot under a lock and sleeps until it, so
    concurrent callers queue up instead of bursting. Clock and sleep are injected so
    tests can check the spacing without waiting.
    """

    def __init__(
        self,
        rate: float = LOOKUP_RATE,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next = float("-inf")
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for the next slot; returns the slot's time on the limiter's clock."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            self._sleep(slot - now)
        return slot


class RateLimits:
    """One RateLimiter per key (account, Region), shared by every thread that asks."""

    def __init__(self, factory: Callable[[], RateLimiter] = RateLimiter) -> None:
        self._factory = factory
        self._limiters: dict[tuple[str, str], RateLimiter] = {}
        self._lock = threading.Lock()

    def get(self, account: str, region: str) -> RateLimiter:
        with self._lock:
            key = (account, region)
            if key not in self._limiters:
                self._limiters[key] = self._factory()
            return self._limiters[key]


#: Process-wide: every LookupEvents call qsdoctor makes goes through these.
LOOKUP_LIMITS = RateLimits()


# --------------------------------------------------------------------------- LookupEvents


@dataclass(frozen=True, slots=True)
class RegionRead:
    """LookupEvents results for one account and Region."""

    region: str
    events: tuple[TrailEvent, ...] = ()
    malformed: int = 0
    pages: int = 0
    truncated: bool = False
    error: AwsCallError | None = None


def lookup_assume_role(
    gateway: AwsGateway,
    *,
    region: str,
    start: datetime,
    end: datetime,
    limiter: RateLimiter,
    max_pages: int = MAX_PAGES,
) -> RegionRead:
    """Every AssumeRole record in [start, end] in one Region, page by page.

    NOTE: a NextToken is valid only with identical parameters, so the attribute and
    the window are fixed before the first page
    (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html).
    Malformed records are counted and skipped.
    """
    params: dict[str, Any] = {
        "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "AssumeRole"}],
        "StartTime": start,
        "EndTime": end,
        "MaxResults": PAGE_SIZE,
    }
    events: list[TrailEvent] = []
    malformed = pages = 0
    token: str | None = None
    while True:
        if pages >= max_pages:
            return RegionRead(
                region=region,
                events=tuple(events),
                malformed=malformed,
                pages=pages,
                truncated=True,
            )
        limiter.acquire()
        page_params = dict(params, NextToken=token) if token else params
        try:
            page = gateway.call("cloudtrail", "lookup_events", region=region, **page_params)
        except AwsCallFailed as e:
            return RegionRead(
                region=region, events=tuple(events), malformed=malformed, pages=pages, error=e.error
            )
        pages += 1
        for item in page.get("Events", ()):
            if not isinstance(item, Mapping):
                malformed += 1
                continue
            try:
                event = parse_lookup_event(item)
            except MalformedRecord:
                malformed += 1
                continue
            if event is not None:
                events.append(event)
        token = page.get("NextToken")
        if not token:
            return RegionRead(region=region, events=tuple(events), malformed=malformed, pages=pages)


# --------------------------------------------------------------------------- trails


_ASSUME_ROLE_ATTRS = {
    "eventCategory": "Management",
    "eventSource": "sts.amazonaws.com",
    "eventName": "AssumeRole",
    "readOnly": "false",
}


def _field_matches(selector: Mapping[str, Any]) -> bool | None:
    """Whether one advanced field selector admits AssumeRole; None for fields we can't judge."""
    value = _ASSUME_ROLE_ATTRS.get(str(selector.get("Field")))
    if value is None:
        return None

    def values(key: str) -> list[str]:
        raw = selector.get(key) or []
        return [str(v) for v in raw] if isinstance(raw, list) else [str(raw)]

    checks = [
        not values("Equals") or value in values("Equals"),
        not values("StartsWith") or any(value.startswith(v) for v in values("StartsWith")),
        not values("EndsWith") or any(value.endswith(v) for v in values("EndsWith")),
        value not in values("NotEquals"),
        not any(value.startswith(v) for v in values("NotStartsWith")),
        not any(value.endswith(v) for v in values("NotEndsWith")),
    ]
    return all(checks)


def judge_selectors(answer: Mapping[str, Any]) -> tuple[bool | None, str]:
    """(records AssumeRole?, a one-line summary) from a GetEventSelectors answer.

    Basic selectors need IncludeManagementEvents and a ReadWriteType other than
    ReadOnly (AssumeRole is recorded as a write, `readOnly: false`), without
    sts.amazonaws.com in ExcludeManagementEventSources. Advanced selectors are ORed;
    within one, every field selector must admit an STS AssumeRole management event.
    """
    advanced = answer.get("AdvancedEventSelectors") or []
    basic = answer.get("EventSelectors") or []
    if advanced:
        names: list[str] = []
        uncertain = False
        for sel in advanced:
            verdicts = [_field_matches(f) for f in sel.get("FieldSelectors", ())]
            if any(v is False for v in verdicts):
                continue
            categories = [
                f for f in sel.get("FieldSelectors", ()) if f.get("Field") == "eventCategory"
            ]
            if not categories:
                continue
            uncertain = uncertain or any(v is None for v in verdicts)
            names.append(str(sel.get("Name") or "unnamed"))
        if names:
            extra = " (with fields qsdoctor cannot judge)" if uncertain else ""
            return True, f"advanced selector(s) {', '.join(names)} record AssumeRole{extra}"
        return False, "advanced selectors exclude STS AssumeRole management events"
    for sel in basic:
        if sel.get("IncludeManagementEvents", True) is False:
            continue
        excluded = [str(s) for s in sel.get("ExcludeManagementEventSources") or []]
        if "sts.amazonaws.com" in excluded:
            continue
        rw = str(sel.get("ReadWriteType", "All"))
        if rw in ("All", "WriteOnly"):
            return True, f"management events: {'all' if rw == 'All' else 'write-only'}"
    if not basic:
        return False, "no event selectors: no management events recorded"
    if all(s.get("IncludeManagementEvents", True) is False for s in basic):
        return False, "management events are off"
    if any("sts.amazonaws.com" in (s.get("ExcludeManagementEventSources") or []) for s in basic):
        return False, "sts.amazonaws.com is excluded from management events"
    return False, "read-only management events only: AssumeRole (a write) is missed"


def _list_trails(gateway: AwsGateway, region: str) -> list[Mapping[str, Any]] | AwsCallError:
    """DescribeTrails in one Region (shadow trails included), or why it failed."""
    try:
        answer = gateway.call(
            "cloudtrail", "describe_trails", region=region, includeShadowTrails=True
        )
    except AwsCallFailed as e:
        return e.error
    return list(answer.get("trailList", ()))


def _is_logging(gateway: AwsGateway, arn: str, home: str) -> bool | None:
    """GetTrailStatus's IsLogging, or None when the status cannot be read."""
    try:
        status = gateway.call("cloudtrail", "get_trail_status", region=home, resource=arn, Name=arn)
    except AwsCallFailed:
        return None
    return bool(status.get("IsLogging"))


def _records_assume_role(gateway: AwsGateway, arn: str, home: str) -> tuple[bool | None, str]:
    """`judge_selectors` on the trail's GetEventSelectors, or why they are unknown."""
    try:
        selectors = gateway.call(
            "cloudtrail", "get_event_selectors", region=home, resource=arn, TrailName=arn
        )
    except AwsCallFailed as e:
        return None, f"selectors not readable ({e.error.code})"
    return judge_selectors(selectors)


def describe_trails(gateway: AwsGateway, regions: Sequence[str]) -> Fetched[tuple[TrailInfo, ...]]:
    """Trails the account sees from `regions` (own, multi-Region shadows, organization trails).

    Status and selectors are read in each trail's home Region; a failure there leaves
    that trail's `is_logging` / `records_management_events` unknown instead of failing
    the whole read.
    """
    # Every read here is independent of the others but the one listing the trails: run
    # them at once, on a pool of this function's own (it is a leaf task of the shared one).
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="qsdoctor-trails") as pool:
        listed = [pool.submit(_list_trails, gateway, region) for region in regions]
        found: dict[str, Mapping[str, Any]] = {}
        errors: list[AwsCallError] = []
        for future in listed:
            answer = future.result()
            if isinstance(answer, AwsCallError):
                errors.append(answer)
                continue
            for trail in answer:
                found.setdefault(str(trail.get("TrailARN") or trail.get("Name")), trail)
        if errors and len(errors) == len(regions):
            return Unavailable(errors[0])
        ordered = sorted(found.items())
        homes = [str(trail.get("HomeRegion") or regions[0]) for _, trail in ordered]
        statuses = [
            pool.submit(_is_logging, gateway, arn, home)
            for (arn, _), home in zip(ordered, homes, strict=True)
        ]
        selectors = [
            pool.submit(_records_assume_role, gateway, arn, home)
            for (arn, _), home in zip(ordered, homes, strict=True)
        ]
    infos: list[TrailInfo] = []
    for (arn, trail), home, status_f, selectors_f in zip(
        ordered, homes, statuses, selectors, strict=True
    ):
        records, summary = selectors_f.result()
        infos.append(
            TrailInfo(
                name=str(trail.get("Name") or arn),
                arn=arn,
                home_region=home,
                is_organization_trail=bool(trail.get("IsOrganizationTrail")),
                is_multi_region=bool(trail.get("IsMultiRegionTrail")),
                is_logging=status_f.result(),
                records_management_events=records,
                selector_summary=summary,
                s3_bucket=trail.get("S3BucketName"),
                s3_prefix=trail.get("S3KeyPrefix"),
            )
        )
    return Ok(tuple(infos))


# --------------------------------------------------------------------------- collector


def sts_regions(
    hop1: Fetched[AssumeAttempt], region: str, partition: str = "aws"
) -> tuple[str, ...]:
    """Where the hops' AssumeRole can be recorded: their Region plus the global endpoint's."""
    wanted = [region]
    if isinstance(hop1, Ok) and hop1.value.region:
        wanted.insert(0, hop1.value.region)
    wanted.append(PARTITION_DEFAULT_REGION.get(partition, "us-east-1"))
    return tuple(dict.fromkeys(wanted))


def on_role(event: TrailEvent, role_arn: str) -> bool:
    """An attempt on this role (IAM role names are case-insensitive)."""
    return event.role_arn is not None and event.role_arn.lower() == role_arn.lower()


def from_sessions_of(event: TrailEvent, role_arn: str) -> bool:
    """A call made by a session of this role (hop 2): session ARNs drop the path."""
    parsed = session_to_role_name(event.caller_arn or "")
    if parsed is None:
        return False
    parts = role_arn.split(":", 5)
    return parsed[1] == parts[4] and parsed[2].lower() == parts[5].rsplit("/", 1)[-1].lower()


def _identity_account(ctx: CollectContext, gateway: AwsGateway) -> str:
    for cred in ctx.credentialed:
        if cred.gateway is gateway and isinstance(cred.facts.identity, Ok):
            return cred.facts.identity.value.account
    return gateway.label


def production_reader(ctx: CollectContext) -> Fetched[AwsGateway]:
    """Credentials in the production account: only they see hop-1 denials."""
    vendor = ctx.config.vendor_account_id
    for cred in ctx.credentialed:
        ident = cred.facts.identity
        if isinstance(ident, Ok) and ident.value.account == vendor and cred.gateway:
            return Ok(cred.gateway)
    return Skipped(
        f"no credentials for the production account {vendor}: hop-1 failures are recorded "
        "only there (pass --profile with a principal in it)"
    )


def _bucket_reader(ctx: CollectContext) -> Fetched[AwsGateway]:
    config = ctx.config
    if config.trail_bucket_profile:
        try:
            session = new_session(profile=config.trail_bucket_profile, region=ctx.region)
        except QsdoctorError as e:
            return Unavailable(
                AwsCallError(
                    operation="s3:ListBucket",
                    code="ProfileNotFound",
                    message=e.message,
                    profile=config.trail_bucket_profile,
                )
            )
        return Ok(
            AwsGateway(
                session,
                profile=config.trail_bucket_profile,
                retrying=ctx.retrying,
                secrets=ctx.secrets,
            )
        )
    if isinstance(ctx.intermediate_reader, Ok):
        return ctx.intermediate_reader
    if ctx.caller is not None:
        return Ok(ctx.caller)
    return Skipped("no credentials to read the trail bucket: pass --trail-bucket-profile")


@dataclass(frozen=True, slots=True)
class _Extra:
    """Events from the trail bucket, merged into the intermediate account's lookups."""

    source: str
    events: tuple[TrailEvent, ...] = ()
    malformed: int = 0
    notes: tuple[str, ...] = ()
    error: AwsCallError | None = None


def _read_bucket(
    ctx: CollectContext, regions: Sequence[str], start: datetime, end: datetime
) -> _Extra | None:
    url = ctx.config.trail_bucket
    if not url:
        return None
    # Only runs with --trail-bucket need the S3 reader.
    from qsdoctor.collect.trail_s3 import parse_bucket_url, read_org_trail

    loc = parse_bucket_url(url)
    reader = _bucket_reader(ctx)
    if not isinstance(reader, Ok):
        reason = reader.reason if isinstance(reader, Skipped) else reader.error.message
        return _Extra(
            source=str(loc),
            notes=(f"{loc} not read: {reason}",),
            error=reader.error if isinstance(reader, Unavailable) else None,
        )
    result = read_org_trail(
        reader.value,
        loc,
        accounts=(ctx.config.intermediate.account,),
        regions=regions,
        start=start,
        end=end,
        executor=ctx.executor,
    )
    notes = tuple(f"{loc}: {e.operation} {e.code} ({e.resource or ''})" for e in result.errors[:3])
    if result.files == 0 and not result.errors:
        notes += (
            f"{loc}: no log files for account {ctx.config.intermediate.account} in the window",
        )
    error = result.errors[0] if result.errors and result.files == 0 else None
    return _Extra(
        source=str(loc), events=result.events, malformed=result.malformed, notes=notes, error=error
    )


def _assemble(
    vantage: Literal["production", "intermediate"],
    reads: Sequence[RegionRead],
    keep: Callable[[TrailEvent], bool],
    regions: Sequence[str],
    extra: _Extra | None = None,
) -> Fetched[TrailLookup]:
    """One TrailLookup from the per-Region reads (and bucket events), or why there is none."""
    usable = [r for r in reads if r.error is None]
    extra_ok = extra is not None and extra.error is None
    if not usable and not extra_ok:
        error = next((r.error for r in reads if r.error), None) or (extra.error if extra else None)
        if error is not None:
            return Unavailable(error)
        return Skipped("no CloudTrail source could be read")
    events: dict[str, TrailEvent] = {}
    notes: list[str] = []
    for read in reads:
        if read.error:
            notes.append(f"{read.region} not read: {read.error.operation} {read.error.code}")
        if read.truncated:
            notes.append(
                f"{read.region}: stopped after {read.pages} pages (oldest records "
                "not read; narrow --since)"
            )
        for event in read.events:
            if keep(event):
                events.setdefault(event.event_id, event)
    sources = [LOOKUP_SOURCE] if usable else []
    if extra is not None:
        notes.extend(extra.notes)
        if extra.error is None:
            sources.append(extra.source)
            for event in extra.events:
                if keep(event):
                    events.setdefault(event.event_id, event)
    if vantage == "production":
        nameless = {
            e.event_id
            for read in reads
            for e in read.events
            if e.role_arn is None and not e.succeeded
        }
        if nameless:
            notes.append(
                f"{len(nameless)} denied AssumeRole record(s) name no role (no parameters, "
                "message or resources) and could not be attributed"
            )
    ordered = tuple(sorted(events.values(), key=lambda e: (e.event_time, e.event_id)))
    return Ok(
        TrailLookup(
            vantage=vantage,
            regions=tuple(regions),
            events=ordered,
            malformed=sum(r.malformed for r in reads) + (extra.malformed if extra else 0),
            pages=sum(r.pages for r in reads),
            sources=tuple(sources),
            notes=tuple(notes),
        )
    )


def _submit_reads(
    ctx: CollectContext, gateway: AwsGateway, regions: Sequence[str], start: datetime, end: datetime
) -> list[Future[RegionRead]]:
    account = _identity_account(ctx, gateway)
    for region in regions:  # clients first, then threads (sessions are not thread-safe)
        gateway.precreate(("cloudtrail",), region)
    return [
        ctx.executor.submit(
            lookup_assume_role,
            gateway,
            region=region,
            start=start,
            end=end,
            limiter=LOOKUP_LIMITS.get(account, region),
        )
        for region in regions
    ]


#: The hop-1 outcome `sts_regions` gets before hop 1 has run.
NOT_KNOWN_YET: Fetched[AssumeAttempt] = Skipped("hop 1 has not run yet")


def start_early_reads(ctx: CollectContext) -> None:
    """What `collect_trail` needs that hop 1 does not decide, started before hop 1 ends.

    DescribeTrails (and each trail's status and selectors) depends only on the
    intermediate reader, so it starts at once (`ctx.early_trails`); the CloudTrail
    clients for the lookups are made meanwhile. Hop 1 runs in the run's Region, so
    the Regions are those `sts_regions` gives; if hop 1 says otherwise,
    `collect_trail` reads the trails again for its Regions.
    """
    if not ctx.config.trail:
        return
    regions = sts_regions(NOT_KNOWN_YET, ctx.region, ctx.config.intermediate.partition)
    readers = [production_reader(ctx), ctx.intermediate_reader]
    if isinstance(ctx.intermediate_reader, Ok):
        ctx.early_trails = (
            regions,
            ctx.executor.submit(describe_trails, ctx.intermediate_reader.value, regions),
        )
    gateways = [r.value for r in readers if isinstance(r, Ok)]
    ctx.executor.submit(_precreate_cloudtrail, gateways, regions)


def _precreate_cloudtrail(gateways: Sequence[AwsGateway], regions: Sequence[str]) -> None:
    for gateway in gateways:
        for region in regions:
            gateway.precreate(("cloudtrail",), region)


def _not_ok(reader: Fetched[AwsGateway]) -> Skipped | Unavailable:
    return reader if isinstance(reader, (Skipped, Unavailable)) else Skipped("not read")


def collect_trail(ctx: CollectContext, hop1: Fetched[AssumeAttempt]) -> TrailFacts | None:
    """What CloudTrail says about the chain; None when --no-trail was given.

    Runs the production and intermediate lookups for every Region concurrently on the
    shared executor (leaf tasks), reads the trail bucket from this thread, and never
    raises for AWS trouble: what could not be read is `Unavailable` or a note.
    """
    config = ctx.config
    if not config.trail:
        return None
    end = _now()
    start = end - min(config.since, MAX_LOOKBACK)
    role = config.intermediate.arn
    regions = sts_regions(hop1, ctx.region, config.intermediate.partition)
    production = production_reader(ctx)
    inter = ctx.intermediate_reader

    prod_f = (
        _submit_reads(ctx, production.value, regions, start, end)
        if isinstance(production, Ok)
        else []
    )
    inter_f = _submit_reads(ctx, inter.value, regions, start, end) if isinstance(inter, Ok) else []
    trails_f: Future[Fetched[tuple[TrailInfo, ...]]] | None = None
    if ctx.early_trails is not None and ctx.early_trails[0] == regions:
        trails_f = ctx.early_trails[1]  # started before hop 1 ended
    elif isinstance(inter, Ok):
        trails_f = ctx.executor.submit(describe_trails, inter.value, regions)
    extra = _read_bucket(ctx, regions, start, end)

    prod_reads = [f.result() for f in prod_f]
    inter_reads = [f.result() for f in inter_f]
    trails: Fetched[tuple[TrailInfo, ...]] = (
        trails_f.result() if trails_f is not None else _not_ok(inter)
    )

    def is_hop1(e: TrailEvent) -> bool:
        return on_role(e, role)

    def is_hop2(e: TrailEvent) -> bool:
        return from_sessions_of(e, role)

    hop1_lookup: Fetched[TrailLookup]
    if isinstance(production, Ok):
        hop1_lookup = _assemble("production", prod_reads, is_hop1, regions)
    elif inter_reads or extra is not None:
        hop1_lookup = _assemble("intermediate", inter_reads, is_hop1, regions, extra)
    else:
        hop1_lookup = Skipped(
            f"no CloudTrail access: hop-1 failures are recorded only in the production account "
            f"{config.vendor_account_id} (pass --profile with a principal there), successes "
            f"in the intermediate account {config.intermediate.account} (pass "
            "--intermediate-profile)"
        )
    hop2_lookup: Fetched[TrailLookup]
    if inter_reads or extra is not None:
        hop2_lookup = _assemble("intermediate", inter_reads, is_hop2, regions, extra)
    elif isinstance(inter, Unavailable):
        hop2_lookup = inter
    elif isinstance(inter, Skipped) and "--intermediate-profile" in inter.reason:
        hop2_lookup = Skipped(
            f"{inter.reason}; or pass --trail-bucket with the organization trail's bucket"
        )
    else:
        hop2_lookup = Skipped(
            f"no credentials for account {config.intermediate.account}: hop-2 failures are "
            "recorded only there; pass --intermediate-profile with cloudtrail:LookupEvents, "
            "or --trail-bucket with the organization trail's bucket"
        )
    return TrailFacts(
        since=iso(start), until=iso(end), trails=trails, hop1=hop1_lookup, hop2=hop2_lookup
    )
