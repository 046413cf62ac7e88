"""QS401-QS403 on hand-built TrailFacts: every status, and what each vantage may conclude.

Events are TrailEvents as the parser makes them from records shaped like the shared
samples: denials from assumerole-denied-hop1-caller-copy.synthetic.json (caller copy,
null parameters), hop-1 successes seen from the intermediate account from
assumerole-success-cross-account-role-owner-copy.awsdoc.json (`AWSAccount`, no ARN).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from qsdoctor.checks.registry import run_checks
from qsdoctor.facts import (
    AssumeAttempt,
    Destination,
    Facts,
    RoleFacts,
    TrailEvent,
    TrailFacts,
    TrailInfo,
    TrailLookup,
)
from qsdoctor.models import AwsCallError, Finding, Ok, Skipped, Status, Unavailable
from qsdoctor.secrets import ExternalId

VENDOR = "684035162433"
INTERMEDIATE = "arn:aws:iam::111122223333:role/QuiverstoneTrustedIntermediate"
DEST = "arn:aws:iam::210987654321:role/QuiverstoneChainedAccess"
DEST2 = "arn:aws:iam::210987654322:role/QuiverstoneInventory"
PLATFORM = f"arn:aws:sts::{VENDOR}:assumed-role/Platform/connector"
HOP1_SESSION = "arn:aws:sts::111122223333:assumed-role/QuiverstoneTrustedIntermediate/s1"
CONFIGURED = ExternalId("configured-external-id-0123456789abcdef", source="test")
STALE = "stale-external-id-0123456789abcdef-old"

_counter = iter(range(10_000))


def event(
    at: str,
    *,
    ok: bool,
    role: str = INTERMEDIATE,
    caller: str | None = PLATFORM,
    account: str | None = VENDOR,
    fp: str | None = None,
    agent: str = "Boto3/1.35",
    caller_type: str = "AssumedRole",
    code: str = "AccessDenied",
    session: str | None = None,
) -> TrailEvent:
    return TrailEvent(
        event_id=f"evt-{next(_counter):04d}",
        event_time=f"2026-12-04T{at}:00Z",
        region="us-east-1",
        succeeded=ok,
        role_arn=role,
        caller_arn=caller,
        caller_account=account,
        recipient_account=account,
        error_code=None if ok else code,
        error_message=None if ok else f"User: {caller} is not authorized",
        external_id_fingerprint=fp,
        user_agent=agent,
        caller_type=caller_type,
        session_name=session,
    )


def lookup(*events: TrailEvent, vantage: str = "production", **kw: Any) -> TrailLookup:
    return TrailLookup(
        vantage=vantage,
        regions=("us-east-1",),
        events=events,  # type: ignore[arg-type]
        sources=("LookupEvents",),
        **kw,
    )


def facts(trail: TrailFacts | None, **kw: Any) -> Facts:
    base: dict[str, Any] = {
        "collected_at": "2026-12-04T16:00:00Z",
        "vendor_account_id": VENDOR,
        "intermediate_arn": INTERMEDIATE,
        "region": "us-east-1",
        "external_id": CONFIGURED,
        "trail": trail,
    }
    base.update(kw)
    return Facts(**base)


def window(**kw: Any) -> TrailFacts:
    return TrailFacts(since="2026-12-03T16:00:00Z", until="2026-12-04T16:00:00Z", **kw)


def only(check_id: str, f: Facts) -> Finding:
    [finding] = run_checks(f, select={check_id}, raise_errors=True)
    return finding


def trail_info(**kw: Any) -> TrailInfo:
    base: dict[str, Any] = {
        "name": "org-trail",
        "arn": "arn:aws:cloudtrail:us-east-1:999999999999:trail/org-trail",
        "home_region": "us-east-1",
        "is_organization_trail": True,
        "is_multi_region": True,
        "is_logging": True,
        "records_management_events": True,
        "selector_summary": "management events: all",
    }
    base.update(kw)
    return TrailInfo(**base)


# --------------------------------------------------------------------------- QS401


def test_qs401_passes_with_a_logging_organization_trail() -> None:
    finding = only("QS401", facts(window(trails=Ok((trail_info(),)))))
    assert finding.status is Status.PASS
    assert "org-trail" in finding.detail
    assert finding.evidence[0].kind == "trail"


def test_qs401_fails_without_trails() -> None:
    assert only("QS401", facts(window(trails=Ok(())))).status is Status.FAIL


def test_qs401_fails_when_no_trail_is_logging() -> None:
    f = facts(window(trails=Ok((trail_info(is_logging=False),))))
    finding = only("QS401", f)
    assert finding.status is Status.FAIL
    assert "none is logging" in finding.detail


def test_qs401_warns_when_selectors_miss_assume_role() -> None:
    info = trail_info(
        records_management_events=False, selector_summary="read-only management events only"
    )
    finding = only("QS401", facts(window(trails=Ok((info,)))))
    assert finding.status is Status.WARN
    assert "read-only management events only" in finding.detail


def test_qs401_warns_for_a_single_region_trail_outside_sts_regions() -> None:
    info = trail_info(is_multi_region=False, home_region="eu-west-1", is_organization_trail=False)
    finding = only("QS401", facts(window(trails=Ok((info,)))))
    assert finding.status is Status.WARN
    assert "eu-west-1" in finding.detail


def test_qs401_single_region_trail_in_the_hop_region_passes() -> None:
    info = trail_info(is_multi_region=False, home_region="eu-west-1")
    hop = AssumeAttempt(role_arn=INTERMEDIATE, succeeded=True, session_name="s", region="eu-west-1")
    assert only("QS401", facts(window(trails=Ok((info,))), hop1=Ok(hop))).status is Status.PASS


def test_qs401_skip_and_error_come_from_the_runner() -> None:
    skipped = facts(window(trails=Skipped("no credentials: pass --intermediate-profile")))
    finding = only("QS401", skipped)
    assert finding.status is Status.SKIP
    assert "--intermediate-profile" in finding.detail
    denied = AwsCallError(
        operation="cloudtrail:DescribeTrails",
        code="AccessDenied",
        message="no",
        profile="acme-audit",
    )
    finding = only("QS401", facts(window(trails=Unavailable(denied))))
    assert finding.status is Status.ERROR
    assert "cloudtrail:DescribeTrails" in finding.remediation


@pytest.mark.parametrize("check_id", ["QS401", "QS402", "QS403"])
def test_no_trail_facts_means_skip(check_id: str) -> None:
    finding = only(check_id, facts(None))
    assert finding.status is Status.SKIP
    assert "--no-trail" in finding.detail


# --------------------------------------------------------------------------- QS402


def test_qs402_fails_when_the_latest_attempt_failed_and_names_a_different_external_id() -> None:
    from qsdoctor.secrets import fingerprint

    stale_fp = fingerprint(STALE)
    events = (
        event("08:00", ok=True, fp=CONFIGURED.fingerprint),
        event("09:12", ok=False, fp=stale_fp),
        event("10:00", ok=False, fp=stale_fp),
        event("11:00", ok=False, fp=stale_fp),
    )
    finding = only("QS402", facts(window(hop1=Ok(lookup(*events)))))
    assert finding.status is Status.FAIL
    assert finding.title == "3 failed AssumeRole on the intermediate role in the last 24 h"
    cause, timeline = finding.detail.splitlines()
    assert cause.startswith("all presented a different External ID than the configured one")
    assert "latest at 2026-12-04 11:00 UTC (AccessDenied)" in timeline
    assert "last success 2026-12-04 08:00 UTC" in timeline
    # Groups and the window's scope are evidence, not detail.
    assert "×" not in finding.detail
    assert "production account's trail" not in finding.detail
    [scope] = [e for e in finding.evidence if e.kind == "trail-scope"]
    assert "production account's trail, last 24 h" in scope.summary
    assert (
        f"it changed after the last success (fingerprint {CONFIGURED.fingerprint} then, "
        f"{stale_fp} now)" in cause
    )
    # The platform presents another External ID: the fix is in Quiverstone's configuration.
    assert "Quiverstone organization configuration" in finding.remediation
    assert STALE not in str(finding.to_dict())
    assert CONFIGURED.value not in str(finding.to_dict())
    [group] = [e for e in finding.evidence if e.kind == "trail-group"]
    assert group.data["count"] == 3
    assert group.data["first"] == "2026-12-04T09:12:00Z"
    assert group.data["last"] == "2026-12-04T11:00:00Z"
    assert group.data["matches_configured_external_id"] is False
    labels = [
        e.summary.split(" ")[0] + " " + e.summary.split(" ")[1]
        for e in finding.evidence
        if e.kind == "trail-event"
    ]
    assert labels == ["first failure", "last failure", "last success"]


def test_qs402_groups_by_error_and_caller() -> None:
    other = f"arn:aws:sts::{VENDOR}:assumed-role/Other/x"
    events = (
        event("09:00", ok=False),
        event("09:30", ok=False, caller=other, code="ValidationError"),
        event("10:00", ok=False),
    )
    finding = only("QS402", facts(window(hop1=Ok(lookup(*events)))))
    groups = [e for e in finding.evidence if e.kind == "trail-group"]
    assert [(g.data["error_code"], g.data["caller"], g.data["count"]) for g in groups] == [
        ("AccessDenied", PLATFORM, 2),
        ("ValidationError", other, 1),
    ]
    assert "External ID not recorded" in groups[0].summary


def test_qs402_same_fingerprint_says_the_configured_one_is_used() -> None:
    events = (
        event("08:00", ok=True, fp=CONFIGURED.fingerprint),
        event("09:00", ok=False, fp=CONFIGURED.fingerprint),
    )
    finding = only("QS402", facts(window(hop1=Ok(lookup(*events)))))
    assert finding.status is Status.FAIL
    assert "presented the configured External ID" in finding.detail
    assert "changed after the last success" not in finding.detail
    assert "find the cause with QS101-QS104" in finding.remediation


def test_qs402_warns_when_failures_precede_a_success() -> None:
    events = (event("09:00", ok=False), event("09:05", ok=False), event("10:00", ok=True))
    finding = only("QS402", facts(window(hop1=Ok(lookup(*events)))))
    assert finding.status is Status.WARN
    assert finding.title == "2 failed AssumeRole on the intermediate role before the latest success"
    assert "latest success 2026-12-04 10:00 UTC" in finding.detail


def test_qs402_passes_on_successes_only_and_ignores_other_roles() -> None:
    other_role = "arn:aws:iam::111122223333:role/SomethingElse"
    events = (event("09:00", ok=True), event("10:00", ok=False, role=other_role))
    finding = only("QS402", facts(window(hop1=Ok(lookup(*events)))))
    assert finding.status is Status.PASS
    assert "1 successful" in finding.detail


def test_qs402_role_names_compare_case_insensitively() -> None:
    shouting = INTERMEDIATE.replace(
        "QuiverstoneTrustedIntermediate", "QUIVERSTONETRUSTEDINTERMEDIATE"
    )
    events = (event("10:00", ok=False, role=shouting),)
    assert only("QS402", facts(window(hop1=Ok(lookup(*events))))).status is Status.FAIL


def test_qs402_leaves_qsdoctors_own_probes_out_of_the_verdict() -> None:
    events = (
        event("09:00", ok=True),
        event("15:00", ok=False, agent="Boto3/1.35 app/qsdoctor-0.1.0"),
        event("15:01", ok=False, session="qsdoctor-probe-no-external-id"),
    )
    finding = only("QS402", facts(window(hop1=Ok(lookup(*events)))))
    assert finding.status is Status.PASS
    assert "2 call(s) by qsdoctor itself" in finding.detail


def test_qs402_passes_with_no_attempts_and_reports_partial_reads() -> None:
    partial = lookup(malformed=2, notes=("eu-west-1 not read: AccessDenied",))
    finding = only("QS402", facts(window(hop1=Ok(partial))))
    assert finding.status is Status.PASS
    assert "2 malformed record(s) skipped" in finding.detail
    assert "eu-west-1 not read" in finding.detail


def test_qs402_warns_that_a_fresh_live_hop_may_not_be_delivered_yet() -> None:
    hop = AssumeAttempt(
        role_arn=INTERMEDIATE,
        succeeded=False,
        session_name="qsdoctor-x",
        region="us-east-1",
        attempted_at="2026-12-04T15:59:00Z",
    )
    finding = only("QS402", facts(window(hop1=Ok(lookup())), hop1=Ok(hop)))
    assert "may not be in the trail yet" in finding.detail
    # On a failure the delay changes nothing: it is not said.
    failing = facts(window(hop1=Ok(lookup(event("15:00", ok=False)))), hop1=Ok(hop))
    assert only("QS402", failing).status is Status.FAIL
    assert "may not be in the trail yet" not in only("QS402", failing).detail
    old = AssumeAttempt(
        role_arn=INTERMEDIATE,
        succeeded=False,
        session_name="qsdoctor-x",
        region="us-east-1",
        attempted_at="2026-12-04T12:00:00Z",
    )
    finding = only("QS402", facts(window(hop1=Ok(lookup())), hop1=Ok(old)))
    assert "may not be in the trail yet" not in finding.detail


def _owner_copy(at: str, account: str = VENDOR) -> TrailEvent:
    return event(at, ok=True, caller=None, account=account, caller_type="AWSAccount")


def test_qs402_from_the_intermediate_account_reports_the_last_success() -> None:
    events = (_owner_copy("09:00"), _owner_copy("12:00"), _owner_copy("13:00", "999988887777"))
    finding = only("QS402", facts(window(hop1=Ok(lookup(*events, vantage="intermediate")))))
    assert finding.status is Status.PASS
    assert "last successful hop 1 from 684035162433 at 2026-12-04 12:00 UTC" in finding.detail
    assert "--profile" in finding.detail
    assert "999988887777" in finding.detail


def test_qs402_from_the_intermediate_account_warns_without_a_success_in_the_window() -> None:
    role = RoleFacts(
        arn=INTERMEDIATE,
        name="QuiverstoneTrustedIntermediate",
        path="/",
        role_id="AROAEXAMPLE",
        account_id="111122223333",
        trust_policy={},
        last_used_date="2026-10-01T08:00:00Z",
    )
    f = facts(window(hop1=Ok(lookup(vantage="intermediate"))), intermediate_role=Ok(role))
    finding = only("QS402", f)
    assert finding.status is Status.WARN
    assert "IAM last saw the role used at 2026-10-01 08:00 UTC" in finding.detail


# --------------------------------------------------------------------------- QS403


def _hop2(at: str, *, ok: bool, dest: str = DEST, **kw: Any) -> TrailEvent:
    return event(at, ok=ok, role=dest, caller=HOP1_SESSION, account="111122223333", **kw)


def test_qs403_fails_per_destination_when_its_latest_attempt_failed() -> None:
    events = (
        _hop2("09:00", ok=True),
        _hop2("10:00", ok=False),
        _hop2("10:30", ok=True, dest=DEST2),
        event("11:00", ok=False, role=DEST),  # not an intermediate-role session: ignored
    )
    f = facts(
        window(hop2=Ok(lookup(*events, vantage="intermediate"))),
        destinations=(Destination(arn=DEST), Destination(arn=DEST2)),
    )
    finding = only("QS403", f)
    assert finding.status is Status.FAIL
    assert finding.title == ("1 failed AssumeRole on destination roles in the last 24 h")
    assert finding.detail.startswith(f"{DEST}: 1 failed; latest at 2026-12-04 10:00 UTC")
    assert DEST2 not in finding.detail
    groups = [e for e in finding.evidence if e.kind == "trail-group"]
    assert [g.data["destination"] for g in groups] == [DEST]


def test_qs403_warns_on_failures_before_success_and_notes_unseen_destinations() -> None:
    events = (_hop2("09:00", ok=False), _hop2("09:10", ok=True))
    f = facts(
        window(hop2=Ok(lookup(*events, vantage="intermediate"))),
        destinations=(Destination(arn=DEST), Destination(arn=DEST2)),
    )
    finding = only("QS403", f)
    assert finding.status is Status.WARN
    assert f"no attempts recorded on {DEST2}" in finding.detail


def test_qs403_compares_the_destination_external_id_by_fingerprint() -> None:
    dest_id = ExternalId("destination-external-id-0123456789", source="test")
    events = (_hop2("09:00", ok=False, fp=dest_id.fingerprint),)
    f = facts(
        window(hop2=Ok(lookup(*events, vantage="intermediate"))),
        destinations=(Destination(arn=DEST, external_id=dest_id),),
    )
    finding = only("QS403", f)
    assert finding.status is Status.FAIL
    assert "presented the configured External ID" in finding.detail


def test_qs403_passes_and_skips() -> None:
    ok = facts(window(hop2=Ok(lookup(_hop2("09:00", ok=True), vantage="intermediate"))))
    assert only("QS403", ok).status is Status.PASS
    empty = facts(window(hop2=Ok(lookup(vantage="intermediate"))))
    assert only("QS403", empty).status is Status.PASS
    skipped = facts(window(hop2=Skipped("no credentials: pass --intermediate-profile")))
    assert only("QS403", skipped).status is Status.SKIP


@pytest.mark.parametrize("check_id", ["QS402", "QS403"])
def test_unreadable_lookups_are_errors_naming_lookup_events(check_id: str) -> None:
    denied = AwsCallError(
        operation="cloudtrail:LookupEvents", code="AccessDenied", message="no", profile="acme-audit"
    )
    finding = only(check_id, facts(window(hop1=Unavailable(denied), hop2=Unavailable(denied))))
    assert finding.status is Status.ERROR
    assert "cloudtrail:LookupEvents" in finding.remediation


def test_qs402_says_stss_message_when_it_is_more_than_not_authorized() -> None:
    chaining = "The requested DurationSeconds exceeds the 1 hour session limit"
    validation = dataclasses.replace(
        event("10:00", ok=False, code="ValidationError"), error_message=chaining
    )
    failing = only("QS402", facts(window(hop1=Ok(lookup(validation)))))
    assert f"(ValidationError: {chaining})" in failing.detail
    denied = only("QS402", facts(window(hop1=Ok(lookup(event("10:00", ok=False))))))
    assert "(AccessDenied)" in denied.detail
    assert "not authorized" not in denied.detail


def test_qs403_names_the_request_fix_for_the_role_chaining_limit() -> None:
    chaining = (
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
        "role chaining."
    )
    events = tuple(
        dataclasses.replace(
            _hop2(at, ok=False, code="ValidationError", fp=CONFIGURED.fingerprint),
            error_message=chaining,
        )
        for at in ("09:00", "10:00")
    )
    f = facts(
        window(hop2=Ok(lookup(*events, vantage="intermediate"))),
        destinations=(Destination(arn=DEST),),
    )
    finding = only("QS403", f)
    assert finding.status is Status.FAIL
    assert "at most 3600 seconds" in finding.remediation
    assert chaining in finding.detail
    # The External ID presented does not explain a refused duration: not said.
    assert "External ID" not in finding.detail
    denied = facts(
        window(hop2=Ok(lookup(_hop2("09:00", ok=False), vantage="intermediate"))),
        destinations=(Destination(arn=DEST),),
    )
    assert "3600" not in only("QS403", denied).remediation
