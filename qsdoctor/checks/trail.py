"""QS4xx: what CloudTrail recorded about the chain — is anyone logging, and did it fail?

Where the evidence is decides what each check can say. STS records a *denied*
cross-account AssumeRole only in the caller's account
(https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html): hop-1
denials live in the production account's trail, hop-2 denials in the intermediate
account's (the caller of hop 2), and the intermediate account sees hop-1 *successes*
only. These checks are pure: the collector (`qsdoctor.collect.trail`) read the trail.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from qsdoctor.arn import session_to_role_name
from qsdoctor.checks import evidence as ev
from qsdoctor.checks.classify import FailureKind, classify
from qsdoctor.checks.registry import NotApplicable, check, need
from qsdoctor.facts import AssumeAttempt, Facts, TrailEvent, TrailFacts, TrailInfo, TrailLookup
from qsdoctor.models import Evidence, Ok, Outcome, Status

#: CloudTrail delivers about 5 minutes after a call, with no guarantee
#: (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-tutorial.html).
DELIVERY_DELAY = timedelta(minutes=5)
#: A live hop this close to the window's end may not be in the trail yet.
DELAY_MARGIN = timedelta(minutes=15)
#: qsdoctor's own calls carry this in their user agent (botocore user_agent_appid).
QSDOCTOR_MARK = "qsdoctor"
#: How many example events a finding shows.
EXAMPLES = 3
STS_DEFAULT_REGION = "us-east-1"


def _trail(facts: Facts) -> TrailFacts:
    if facts.trail is None:
        raise NotApplicable("CloudTrail was not read (--no-trail, or replayed facts without it)")
    return facts.trail


def _time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _short(text: str) -> str:
    """'2026-12-04T09:12:00Z' -> '2026-12-04 09:12 UTC'."""
    try:
        return _time(text).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return text


def window_label(trail: TrailFacts) -> str:
    """'last 24 h', 'last 7 d': how long the look-back window is."""
    try:
        span = _time(trail.until) - _time(trail.since)
    except ValueError:
        return f"since {trail.since}"
    hours = round(span.total_seconds() / 3600)
    if hours >= 48 and hours % 24 == 0:
        return f"last {hours // 24} d"
    if hours >= 1:
        return f"last {hours} h"
    return f"last {max(1, round(span.total_seconds() / 60))} min"


def by_qsdoctor(event: TrailEvent) -> bool:
    """qsdoctor's own live hops and negative probes: reported apart, never the verdict.

    QS301-QS303 already judge them, and QS303's deliberate denials would otherwise make
    every later run fail QS402.
    """
    agent = (event.user_agent or "").lower()
    session = (event.session_name or "").lower()
    return QSDOCTOR_MARK in agent or session.startswith(QSDOCTOR_MARK)


def same_role(arn: str | None, role_arn: str) -> bool:
    """Role ARNs compared as IAM does: role names are case-insensitive."""
    return arn is not None and arn.lower() == role_arn.lower()


def is_session_of(caller_arn: str | None, role_arn: str) -> bool:
    """Whether a caller ARN is a session of `role_arn` (session ARNs drop the path)."""
    if not caller_arn:
        return False
    parsed = session_to_role_name(caller_arn)
    if parsed is None:
        return False
    _, account, name = parsed
    parts = role_arn.split(":", 5)
    if len(parts) != 6:
        return False
    role_name = parts[5].rsplit("/", 1)[-1]
    return account == parts[4] and name.lower() == role_name.lower()


def event_evidence(event: TrailEvent, label: str) -> Evidence:
    """One record as evidence: time, outcome, caller, fingerprint and event ID, never a secret."""
    outcome = "succeeded" if event.succeeded else f"failed: {event.error_code}"
    who = event.caller_arn or (f"account {event.caller_account}" if event.caller_account else "?")
    summary = f"{label} {_short(event.event_time)} {outcome} — {who} (event {event.event_id})"
    return Evidence(
        kind="trail-event",
        summary=summary,
        data={
            "event_id": event.event_id,
            "event_time": event.event_time,
            "region": event.region,
            "succeeded": event.succeeded,
            "role_arn": event.role_arn,
            "caller_arn": event.caller_arn,
            "caller_account": event.caller_account,
            "error_code": event.error_code,
            "session_name": event.session_name,
            "external_id_fingerprint": event.external_id_fingerprint,
            "endpoint": event.endpoint,
        },
    )


def external_id_phrase(fp: str | None, configured: str | None, *, succeeded: bool) -> str:
    """How the presented External ID compares with the configured one, by fingerprint only."""
    if fp is None:
        if succeeded:
            return "no External ID in the request"
        return "External ID not recorded (the denial's requestParameters are empty)"
    if configured is None:
        return f"External ID fingerprint {fp} (no configured External ID to compare)"
    if fp == configured:
        return f"presented the configured External ID (fingerprint {fp})"
    return (
        f"the caller presented a different External ID than the configured one "
        f"(fingerprint {fp}, configured {configured})"
    )


@dataclass(frozen=True, slots=True)
class _Group:
    key: tuple[str, ...]
    events: tuple[TrailEvent, ...]


def group_failures(
    failures: Sequence[TrailEvent], key: Callable[[TrailEvent], tuple[str, ...]]
) -> list[_Group]:
    """Failures grouped by `key`, largest group first."""
    buckets: dict[tuple[str, ...], list[TrailEvent]] = {}
    for event in failures:
        buckets.setdefault(key(event), []).append(event)
    groups = [_Group(k, tuple(v)) for k, v in buckets.items()]
    groups.sort(key=lambda g: (-len(g.events), g.key))
    return groups


def group_evidence(group: _Group, fields: Sequence[str], configured: str | None) -> Evidence:
    """A group of failures: count, first and last time, a few example event IDs."""
    first, last = group.events[0], group.events[-1]
    labelled = dict(zip(fields, group.key, strict=True))
    fp = labelled.get("external_id_fingerprint") or None
    parts = [f"{len(group.events)} × {labelled.get('error_code', '?')}"]
    if "caller" in labelled:
        parts.append(f"from {labelled['caller']}")
    if "destination" in labelled:
        parts.append(f"on {labelled['destination']}")
    parts.append(external_id_phrase(fp, configured, succeeded=False))
    parts.append(f"first {_short(first.event_time)}, last {_short(last.event_time)}")
    return Evidence(
        kind="trail-group",
        summary="; ".join(parts),
        data={
            **labelled,
            "count": len(group.events),
            "first": first.event_time,
            "last": last.event_time,
            "examples": [
                {"event_id": e.event_id, "event_time": e.event_time, "region": e.region}
                for e in group.events[-EXAMPLES:]
            ],
            "matches_configured_external_id": (
                None if fp is None or configured is None else fp == configured
            ),
        },
    )


def _sorted(events: Iterable[TrailEvent]) -> list[TrailEvent]:
    return sorted(events, key=lambda e: (e.event_time, e.event_id))


def _caller(event: TrailEvent) -> str:
    return event.caller_arn or (
        f"account {event.caller_account}" if event.caller_account else "unknown caller"
    )


def delay_note(trail: TrailFacts, attempts: Iterable[AssumeAttempt]) -> str | None:
    """A warning when a live hop happened so close to the window's end that it may be missing."""
    try:
        until = _time(trail.until)
    except ValueError:
        return None
    for attempt in attempts:
        if not attempt.attempted_at:
            continue
        try:
            at = _time(attempt.attempted_at)
        except ValueError:
            continue
        if until - at < DELAY_MARGIN:
            return (
                f"the live hop at {_short(attempt.attempted_at)} and anything since may not be "
                f"in the trail yet (CloudTrail delivers in about "
                f"{int(DELIVERY_DELAY.total_seconds() // 60)} min, no guarantee): rerun in a few "
                "minutes for a clean result that covers them"
            )
    return None


def _partial(lookup: TrailLookup) -> list[str]:
    notes = list(lookup.notes)
    if lookup.malformed:
        notes.append(f"{lookup.malformed} malformed record(s) skipped")
    return notes


def _scope(lookup: TrailLookup, trail: TrailFacts, account_label: str) -> str:
    regions = ", ".join(lookup.regions) or "no Regions"
    return f"{account_label}'s trail, {window_label(trail)}, {regions}"


def scope_evidence(scope: str) -> Evidence:
    """Which trail, window and Regions a verdict was read from."""
    return Evidence(kind="trail-scope", summary=f"read from the {scope}", data={"scope": scope})


def _notes_evidence(notes: Sequence[str]) -> tuple[Evidence, ...]:
    return tuple(ev.note(n) for n in notes)


def presented_summary(failures: Sequence[TrailEvent], configured: str | None) -> str | None:
    """Which External ID the failed calls presented, by fingerprint: the one-line cause."""
    fps = Counter(e.external_id_fingerprint for e in failures)
    recorded = {fp: n for fp, n in fps.items() if fp is not None}
    if not recorded:
        return None
    if len(fps) == 1:
        [fp] = recorded
        if configured is None:
            return f"all presented External ID fingerprint {fp} (none configured to compare)"
        if fp == configured:
            return (
                f"all presented the configured External ID (fingerprint {fp}): the caller "
                "uses it too"
            )
        return (
            "all presented a different External ID than the configured one "
            f"(fingerprint {fp}, configured {configured})"
        )
    parts = []
    for key, n in sorted(fps.items(), key=lambda item: (-item[1], item[0] or "")):
        if key is None:
            parts.append(f"not recorded ×{n}")
        else:
            mine = " (the configured one)" if key == configured else ""
            parts.append(f"fingerprint {key}{mine} ×{n}")
    return "External IDs presented: " + ", ".join(parts)


@dataclass(frozen=True, slots=True)
class _Verdict:
    """One stream of attempts judged: the outcome plus what a combined finding reuses."""

    outcome: Outcome
    failures: int
    cause: str
    """The short cause/timeline of a failing or flaky stream ("" when clean)."""


def _failure_verdict(
    *,
    events: Sequence[TrailEvent],
    what: str,
    window: str,
    scope: str,
    configured: str | None,
    group_key: Callable[[TrailEvent], tuple[str, ...]],
    group_fields: Sequence[str],
    notes: Sequence[str],
    caveats: Sequence[str] = (),
) -> _Verdict:
    """fail / warn / pass for one stream of attempts (one hop, or one destination).

    The detail keeps the cause (which External ID was presented, whether it changed) and
    the timeline; groups, example events and the trail's scope go to evidence. `notes`
    (partial reads, qsdoctor's own calls) and `caveats` (a live hop CloudTrail may not
    have delivered yet) are said in the detail only when they weaken a clean result.
    """
    ordered = _sorted(events)
    failures = [e for e in ordered if not e.succeeded]
    successes = [e for e in ordered if e.succeeded]
    read = scope_evidence(scope)
    if not failures:
        if successes:
            detail = (
                f"{len(successes)} successful, the latest at "
                f"{_short(successes[-1].event_time)} ({scope})"
            )
            clean = [event_evidence(successes[-1], "last success")]
        else:
            detail = f"none recorded ({scope})"
            clean = []
        outcome = Outcome.passed(
            detail + _tail([*notes, *caveats]),
            *clean,
            *_notes_evidence([*notes, *caveats]),
            title=f"No failed {what} in the {window}",
        )
        return _Verdict(outcome, 0, "")
    groups = group_failures(failures, group_key)
    context: list[Evidence] = [group_evidence(g, group_fields, configured) for g in groups]
    context.append(event_evidence(failures[0], "first failure"))
    context.append(event_evidence(failures[-1], "last failure"))
    last_success = successes[-1] if successes else None
    if last_success:
        context.append(event_evidence(last_success, "last success"))
    latest = ordered[-1]
    # Which External ID was presented explains denials, not a refused duration.
    denials = [e for e in failures if e.error_code == "AccessDenied"]
    cause = [c for c in (presented_summary(denials, configured),) if c]
    changed = id_change(last_success, latest)
    if changed:
        cause.append(changed)
        context.append(ev.note(changed))
    context.extend([read, *_notes_evidence(notes)])
    if not latest.succeeded:
        timeline = f"latest at {_short(latest.event_time)} ({_error(latest)}); " + (
            f"last success {_short(last_success.event_time)}"
            if last_success
            else "none succeeded in the window"
        )
        lines = ["; ".join(cause), timeline] if cause else [timeline]
        outcome = Outcome.failed(
            "\n".join(lines), *context, title=f"{len(failures)} failed {what} in the {window}"
        )
        return _Verdict(outcome, len(failures), "; ".join([*cause, timeline]))
    timeline = (
        f"failures {_short(failures[0].event_time)} to {_short(failures[-1].event_time)}; "
        f"latest success {_short(latest.event_time)} ({len(successes)} succeeded)"
    )
    lines = ["; ".join(cause), timeline] if cause else [timeline]
    outcome = Outcome.warned(
        "\n".join(lines),
        *context,
        title=f"{len(failures)} failed {what} before the latest success",
    )
    return _Verdict(outcome, len(failures), "; ".join([*cause, timeline]))


#: Failures whose cause is in the caller's request, not in IAM: the fix the trail implies.
_REQUEST_FIXES = {
    FailureKind.CHAINING_LIMIT: (
        "the platform asks for more than an hour on a chained hop: have it request at most "
        "3600 seconds (or omit DurationSeconds); AWS caps role chaining at one hour"
    ),
    FailureKind.MAX_SESSION_DURATION: (
        "the platform asks for longer than the role's MaxSessionDuration: request less, or "
        "raise MaxSessionDuration on the role"
    ),
    FailureKind.PACKED_POLICY_TOO_LARGE: (
        "the platform's session tags are too large: pass fewer or shorter tags (inherited "
        "transitive tags count too)"
    ),
}


def request_fix(latest_failures: Iterable[TrailEvent]) -> str | None:
    """The fix when a latest failure is about the request itself (duration, tag size)."""
    for event in latest_failures:
        kind = classify(event.error_code or "", event.error_message or "").kind
        if kind in _REQUEST_FIXES:
            return _REQUEST_FIXES[kind]
    return None


def _error(event: TrailEvent) -> str:
    """The error code, with STS's message when it says more than "not authorized"."""
    code = event.error_code or "?"
    message = (event.error_message or "").strip()
    if not message or code == "AccessDenied" or "not authorized" in message:
        return code
    return f"{code}: {message}"


def id_change(last_success: TrailEvent | None, latest: TrailEvent) -> str | None:
    """The clue when the External ID presented changed between the last success and now."""
    if last_success is None or latest.succeeded:
        return None
    before, after = last_success.external_id_fingerprint, latest.external_id_fingerprint
    if before is None or after is None or before == after:
        return None
    return f"it changed after the last success (fingerprint {before} then, {after} now)"


def _tail(notes: Sequence[str]) -> str:
    return ("; " + "; ".join(notes)) if notes else ""


def _own_note(own: Sequence[TrailEvent]) -> list[str]:
    if not own:
        return []
    failed = sum(1 for e in own if not e.succeeded)
    return [
        f"{len(own)} call(s) by qsdoctor itself (live hops and probes, {failed} refused) are "
        "left out of the verdict"
    ]


# --------------------------------------------------------------------------- QS401


def _sts_regions(facts: Facts, trail: TrailFacts) -> list[str]:
    regions = {STS_DEFAULT_REGION, facts.region}
    if isinstance(facts.hop1, Ok):
        regions.add(facts.hop1.value.region)
    for dest in facts.destinations:
        if isinstance(dest.hop, Ok):
            regions.add(dest.hop.value.region)
    for lookup in (trail.hop1, trail.hop2):
        if isinstance(lookup, Ok):
            regions.update(lookup.value.regions)
    return sorted(r for r in regions if r)


def _trail_evidence(info: TrailInfo) -> Evidence:
    kind = "organization trail" if info.is_organization_trail else "trail"
    reach = "all Regions" if info.is_multi_region else f"only {info.home_region}"
    logging = {True: "logging", False: "NOT logging", None: "logging status unknown"}[
        info.is_logging
    ]
    summary = f"{kind} {info.name} ({reach}, {logging})"
    if info.selector_summary:
        summary += f": {info.selector_summary}"
    return Evidence(
        kind="trail",
        summary=summary,
        data={
            "name": info.name,
            "arn": info.arn,
            "home_region": info.home_region,
            "organization": info.is_organization_trail,
            "multi_region": info.is_multi_region,
            "logging": info.is_logging,
            "records_management_events": info.records_management_events,
            "selectors": info.selector_summary,
            "s3_bucket": info.s3_bucket,
            "s3_prefix": info.s3_prefix,
        },
    )


@check(
    id="QS401",
    name="cloudtrail-logging",
    title="A trail logs sts:AssumeRole in the intermediate account",
    problem="No trail logs sts:AssumeRole in the intermediate account",
    needs=(
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
    ),
    remediation=(
        "create a multi-Region trail (or use the organization trail) that logs write "
        "management events, and start logging: `aws cloudtrail start-logging --name TRAIL`; "
        "without one, AssumeRole history is kept only 90 days in event history"
    ),
)
def cloudtrail_logging(facts: Facts) -> Outcome:
    """A trail must be recording the intermediate account's AssumeRole management events.

    The reference's step 7 says to check the intermediate account's CloudTrail for
    assumption attempts and errors; that only works when a trail delivers them. qsdoctor
    lists the trails the intermediate account can see (its own and organization trails,
    via DescribeTrails with shadow trails, in every Region STS is used from), asks
    GetTrailStatus whether each is logging, and reads GetEventSelectors: basic selectors
    must include management events that are not read-only (AssumeRole is recorded as a
    write), and advanced selectors must not exclude `sts.amazonaws.com`, `AssumeRole` or
    write management events.

    Passes when a logging trail records those events in the Regions the hops use (a
    multi-Region trail, or one whose home Region is one of them; the global STS endpoint
    records in us-east-1). Fails when no trail is logging management events; warns when
    the selectors would miss AssumeRole or only a single-Region trail elsewhere logs.
    Event history (LookupEvents) keeps 90 days of management events even without a
    trail, which is what QS402/QS403 read; a trail is what keeps them longer and lets
    `--trail-bucket` read organization log files. Needs read access in the intermediate
    account (`--intermediate-profile`).
    """
    trail = _trail(facts)
    trails = need(trail.trails)
    evidence = tuple(_trail_evidence(t) for t in trails)
    if not trails:
        return Outcome.failed(
            "no trail covers the intermediate account: AssumeRole history exists only in the "
            "90-day event history",
            *evidence,
        )
    logging = [t for t in trails if t.is_logging is not False]
    if not logging:
        return Outcome.failed(
            f"{len(trails)} trail(s) found, none is logging: " + ", ".join(t.name for t in trails),
            *evidence,
        )
    recording = [t for t in logging if t.records_management_events is True]
    if not recording:
        unknown = [t for t in logging if t.records_management_events is None]
        if unknown and len(unknown) == len(logging):
            return Outcome.warned(
                "trails are logging, but their event selectors could not be read: cannot "
                "tell whether AssumeRole is recorded",
                *evidence,
                title="Cannot tell whether a trail records sts:AssumeRole",
            )
        return Outcome.warned(
            "trails are logging, but their event selectors would miss AssumeRole "
            "(write management events from sts.amazonaws.com): "
            + "; ".join(f"{t.name}: {t.selector_summary or 'excluded'}" for t in logging),
            *evidence,
            title="Trails are logging but would miss sts:AssumeRole",
        )
    regions = _sts_regions(facts, trail)
    covering = [t for t in recording if t.is_multi_region or t.home_region in regions]
    if not covering:
        return Outcome.warned(
            "the only trails recording AssumeRole are single-Region trails outside the "
            f"Regions STS is used from ({', '.join(regions)}): "
            + ", ".join(f"{t.name} ({t.home_region})" for t in recording),
            *evidence,
            title="No trail records sts:AssumeRole in the Regions STS is used from",
        )
    best = covering[0]
    kind = "organization trail" if best.is_organization_trail else "trail"
    reach = "all Regions" if best.is_multi_region else best.home_region
    unknown_status = [t for t in covering if t.is_logging is None]
    detail = f"{kind} {best.name} is logging management events ({reach})"
    if len(covering) > 1:
        detail += f", and {len(covering) - 1} more trail(s)"
    if best.is_logging is None and len(unknown_status) == len(covering):
        return Outcome.warned(
            f"{kind} {best.name} records management events ({reach}), but its logging status "
            "could not be read (cloudtrail:GetTrailStatus)",
            *evidence,
            title="Trail may not be logging: its status could not be read",
        )
    return Outcome.passed(detail, *evidence)


# --------------------------------------------------------------------------- QS402


@check(
    id="QS402",
    name="cloudtrail-hop1-failures",
    title="No recent hop-1 failures in the trail",
    needs=("cloudtrail:LookupEvents",),
    remediation=(
        "find the cause with QS101-QS104 and QS301 (a denied hop 1 means the trust does not "
        "admit {vendor_account_id} or the External ID differs); then watch the "
        "platform's attempts: `qsdoctor trail --intermediate-arn {intermediate_arn}`"
    ),
)
def cloudtrail_hop1_failures(facts: Facts) -> Outcome:
    """Hop 1 (production account → intermediate role) must not have been failing lately.

    A live check shows the chain now; the trail shows what Quiverstone's platform has
    been getting — the difference between "works for me" and "has been broken since
    09:12". qsdoctor reads AssumeRole records in the look-back window (`--since`,
    default 24 h, at most 90 days) with LookupEvents, in every Region the hop can be
    recorded in (its own, plus us-east-1 for the global endpoint), and keeps the calls
    on the intermediate role.

    STS records a denied cross-account AssumeRole only in the **caller's** account, so
    failures are visible only from the production account (a support engineer's
    `--profile`). There it fails when the latest attempt failed, and warns when failures
    came before a success; failures are grouped by error, caller and the fingerprint of
    the External ID presented — "the caller presented a different External ID than the
    configured one" without revealing either. From the intermediate account only
    successes are visible (recorded with the production account as `AWSAccount`), so
    there it reports the last successful hop 1 and warns when none is in the window.
    qsdoctor's own live hops and probes are counted apart. CloudTrail delivers about 5
    minutes after a call: a hop made moments ago may not be there yet.
    """
    trail = _trail(facts)
    lookup = need(trail.hop1)
    role = facts.intermediate_arn
    on_role = [e for e in lookup.events if same_role(e.role_arn, role)]
    configured = facts.external_id.fingerprint if facts.external_id else None
    notes = _partial(lookup)
    live = [facts.hop1.value] if isinstance(facts.hop1, Ok) else []
    delay = delay_note(trail, live)
    if lookup.vantage == "intermediate":
        return _hop1_from_intermediate(
            facts, trail, lookup, on_role, notes + ([delay] if delay else [])
        )
    own = [e for e in on_role if by_qsdoctor(e)]
    others = [e for e in on_role if not by_qsdoctor(e)]
    verdict = _failure_verdict(
        events=others,
        what="AssumeRole on the intermediate role",
        window=window_label(trail),
        scope=_scope(lookup, trail, "production account"),
        configured=configured,
        group_key=lambda e: (e.error_code or "?", _caller(e), e.external_id_fingerprint or ""),
        group_fields=("error_code", "caller", "external_id_fingerprint"),
        notes=notes + _own_note(own),
        caveats=[delay] if delay else [],
    ).outcome
    if verdict.status is not Status.FAIL:
        return verdict
    latest = _sorted(others)[-1:]
    fix = request_fix(latest)
    if (
        fix is None
        and configured
        and all(e.external_id_fingerprint not in (None, configured) for e in latest)
    ):
        fix = (
            "the platform presents another External ID than the one qsdoctor was given: make "
            "the Intermediate Role External ID in the Quiverstone organization configuration "
            "the value the trust requires (QS104 says whether the one given here is), then "
            "watch the platform's attempts: `qsdoctor trail --intermediate-arn "
            "{intermediate_arn}`"
        )
    return replace(verdict, remediation=fix) if fix else verdict


def _hop1_from_intermediate(
    facts: Facts,
    trail: TrailFacts,
    lookup: TrailLookup,
    on_role: Sequence[TrailEvent],
    notes: list[str],
) -> Outcome:
    vendor = facts.vendor_account_id
    successes = _sorted(e for e in on_role if e.succeeded and e.caller_account == vendor)
    other_callers = Counter(
        e.caller_account or "?" for e in on_role if e.succeeded and e.caller_account != vendor
    )
    scope = _scope(lookup, trail, "intermediate account")
    blind = (
        f"failures are recorded only in the caller's account: rerun with --profile in {vendor} "
        "to see them"
    )
    evidence: list[Evidence] = []
    if other_callers:
        notes = [
            *notes,
            "successful AssumeRole by other accounts: "
            + ", ".join(f"{acct} ×{n}" for acct, n in sorted(other_callers.items())),
        ]
    if successes:
        last = successes[-1]
        evidence.append(event_evidence(last, "last success"))
        evidence.extend(_notes_evidence([blind, *notes]))
        return Outcome.passed(
            f"last successful hop 1 from {vendor} at {_short(last.event_time)} "
            f"({len(successes)} in the window; {scope})" + _tail(notes) + f"\n{blind}",
            *evidence,
            title=f"Hop 1 from {vendor} succeeded in the {window_label(trail)}",
        )
    used = _role_last_used(facts)
    if used:
        evidence.append(ev.note(used))
    evidence.extend(_notes_evidence([blind, *notes]))
    detail = f"no successful hop 1 from {vendor} in the {window_label(trail)} ({scope})"
    if used:
        detail += f"; {used}"
    return Outcome.warned(
        detail + _tail(notes) + f"\n{blind}",
        *evidence,
        title=f"No successful hop 1 from {vendor} in the {window_label(trail)}",
        remediation=(
            "if Quiverstone should have connected in this window, rerun with --profile in the "
            "production account to see its failed attempts, or widen --since"
        ),
    )


def _role_last_used(facts: Facts) -> str | None:
    if isinstance(facts.intermediate_role, Ok) and facts.intermediate_role.value is not None:
        role = facts.intermediate_role.value
        if role.last_used_date:
            return f"IAM last saw the role used at {_short(role.last_used_date)}"
        return "IAM has no record of the role being used in its 400-day window"
    return None


# --------------------------------------------------------------------------- QS403


@check(
    id="QS403",
    name="cloudtrail-hop2-failures",
    title="No recent hop-2 failures in the trail",
    needs=("cloudtrail:LookupEvents",),
    remediation=(
        "find the cause per destination with QS106 and QS201-QS204 (and QS302 live); then "
        "watch the platform's attempts: `qsdoctor trail --intermediate-arn {intermediate_arn}`"
    ),
)
def cloudtrail_hop2_failures(facts: Facts) -> Outcome:
    """Intermediate-role sessions must not have been failing to assume destination roles.

    Hop 2's caller is an intermediate-role session, so its denials are recorded in the
    intermediate account — the caller's account — and read from there (needs
    `--intermediate-profile` with cloudtrail:LookupEvents). qsdoctor keeps AssumeRole
    records whose caller is a session of the intermediate role and groups them by
    destination: it fails when the latest attempt on any destination failed and warns
    when failures came before a success, grouping failures by destination, error and
    External ID fingerprint (compared with the configured destination External ID, by
    fingerprint only). Destinations the platform used that were not given on the command
    line are reported too. qsdoctor's own live hop 2 is counted apart.
    """
    trail = _trail(facts)
    lookup = need(trail.hop2)
    role = facts.intermediate_arn
    from_sessions = [e for e in lookup.events if is_session_of(e.caller_arn, role)]
    own = [e for e in from_sessions if by_qsdoctor(e)]
    others = _sorted(e for e in from_sessions if not by_qsdoctor(e))
    notes = _partial(lookup) + _own_note(own)
    delay = delay_note(trail, [d.hop.value for d in facts.destinations if isinstance(d.hop, Ok)])
    caveats = [delay] if delay else []
    scope = _scope(lookup, trail, "intermediate account")
    window = window_label(trail)
    what = "AssumeRole on destination roles"
    configured_by_dest = {
        d.arn.lower(): (d.external_id.fingerprint if d.external_id else None)
        for d in facts.destinations
    }
    by_dest: dict[str, list[TrailEvent]] = {}
    for event in others:
        by_dest.setdefault((event.role_arn or "unknown role"), []).append(event)
    unseen = [
        d.arn for d in facts.destinations if d.arn.lower() not in {k.lower() for k in by_dest}
    ]
    if unseen:
        notes.append("no attempts recorded on " + ", ".join(unseen))
    if not others:
        return Outcome.passed(
            f"no AssumeRole from intermediate-role sessions recorded ({scope})"
            + _tail([*notes, *caveats]),
            *_notes_evidence([*notes, *caveats]),
            title=f"No failed {what} in the {window}",
        )
    broken: list[str] = []
    flaky: list[str] = []
    latest_failures: list[TrailEvent] = []
    evidence: list[Evidence] = []
    for dest, events in sorted(by_dest.items()):
        verdict = _failure_verdict(
            events=events,
            what=f"AssumeRole on {dest}",
            window=window,
            scope=scope,
            configured=configured_by_dest.get(dest.lower()),
            group_key=lambda e: (e.error_code or "?", e.external_id_fingerprint or ""),
            group_fields=("error_code", "external_id_fingerprint"),
            notes=(),
        )
        for item in verdict.outcome.evidence:
            if item.kind == "trail-scope":
                continue
            if item.kind in ("trail-group", "trail-event") and isinstance(item.data, dict):
                evidence.append(
                    Evidence(
                        kind=item.kind,
                        summary=f"{dest}: {item.summary}",
                        data={"destination": dest, **item.data},
                    )
                )
            else:
                evidence.append(item)
        if verdict.outcome.status is Status.FAIL:
            latest_failures.append(events[-1])
            broken.append(f"{dest}: {verdict.failures} failed; {verdict.cause}")
        elif verdict.outcome.status is Status.WARN:
            flaky.append(f"{dest}: {verdict.failures} failed; {verdict.cause}")
    evidence.append(scope_evidence(scope))
    evidence.extend(_notes_evidence(notes))
    failures = sum(1 for e in others if not e.succeeded)
    missing = notes[-1:] if unseen else []
    if broken:
        return Outcome.failed(
            "\n".join([*broken, *flaky, *missing]),
            *evidence,
            title=f"{failures} failed {what} in the {window}",
            remediation=request_fix(latest_failures),
        )
    if flaky:
        return Outcome.warned(
            "\n".join([*flaky, *missing]),
            *evidence,
            title=f"{failures} failed {what} before a later success",
        )
    return Outcome.passed(
        f"{len(others)} AssumeRole from intermediate-role sessions on {len(by_dest)} role(s), "
        f"none failed ({scope})" + _tail([*notes, *caveats]),
        *evidence,
        *_notes_evidence(caveats),
        title=f"No failed {what} in the {window}",
    )
