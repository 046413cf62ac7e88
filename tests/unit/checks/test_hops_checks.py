"""QS301-QS303 on hand-built Facts and prior findings: every status, and the causal links."""

from __future__ import annotations

import dataclasses

from qsdoctor.checks.classify import POSSIBLE_CAUSE_EVIDENCE_KIND
from qsdoctor.checks.hops import (
    external_id_enforced,
    hop_intermediate_to_destination,
    hop_vendor_to_intermediate,
)
from qsdoctor.checks.registry import _REGISTRY, Prior, _run_one, load_all
from qsdoctor.facts import AssumeAttempt, Destination, Facts, NegativeProbes
from qsdoctor.models import Evidence, Finding, Ok, Outcome, Skipped, Status
from qsdoctor.secrets import ExternalId

VENDOR = "684035162433"
INTERMEDIATE = "arn:aws:iam::111122223333:role/QuiverstoneTrustedIntermediate"
DEST = "arn:aws:iam::210987654321:role/QuiverstoneChainedAccess"
DEST2 = "arn:aws:iam::210987654322:role/QuiverstoneChainedAccess"
CALLER = f"arn:aws:sts::{VENDOR}:assumed-role/Support/jdoe"
HOP1_SESSION = "arn:aws:sts::111122223333:assumed-role/QuiverstoneTrustedIntermediate/qsdoctor-1"
CONFIGURED = ExternalId("configured-external-id-0123456789abcdef", source="test")


def attempt(
    role: str = INTERMEDIATE,
    *,
    ok: bool = True,
    code: str | None = None,
    message: str | None = None,
    session: str = "qsdoctor-1a2b3c4d",
) -> AssumeAttempt:
    return AssumeAttempt(
        role_arn=role,
        succeeded=ok,
        session_name=session,
        region="us-east-1",
        endpoint="https://sts.us-east-1.amazonaws.com",
        duration_seconds=900,
        external_id_sent=True,
        external_id_fingerprint=CONFIGURED.fingerprint,
        session_arn=HOP1_SESSION if ok else None,
        expiration="2026-12-04T16:15:00Z" if ok else None,
        error_code=code,
        error_message=message,
    )


def denied(caller: str, role: str, suffix: str = "") -> AssumeAttempt:
    return attempt(
        role,
        ok=False,
        code="AccessDenied",
        message=f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: "
        f"{role}{suffix}",
    )


def facts(**changes: object) -> Facts:
    base = Facts(
        collected_at="2026-12-04T16:00:00Z",
        vendor_account_id=VENDOR,
        intermediate_arn=INTERMEDIATE,
        region="us-east-1",
        external_id=CONFIGURED,
        destinations=(Destination(arn=DEST), Destination(arn=DEST2)),
        hop1=Ok(attempt()),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def finding(
    cid: str, status: Status, detail: str = "d", subject: str = INTERMEDIATE, *evidence: Evidence
) -> Finding:
    return Finding(
        id=cid,
        name=cid.lower(),
        status=status,
        subject=subject,
        title=f"{cid} title",
        detail=detail,
        remediation=f"remedy for {cid}",
        evidence=evidence,
    )


def prior(*found: Finding) -> Prior:
    out: dict[str, tuple[Finding, ...]] = {}
    for f in found:
        out[f.id] = (*out.get(f.id, ()), f)
    return out


def run(cid: str, f: Facts, args: tuple[object, ...] = (), p: Prior | None = None) -> Outcome:
    """Through the runner, so need()/NotApplicable turn into skip/error as in a real run."""
    load_all()
    return _run_one(_REGISTRY[cid], f, args, p or {})


# ------------------------------------------------------------------------------ QS301


def test_qs301_pass_reports_session_region_and_endpoint() -> None:
    out = hop_vendor_to_intermediate(facts(), {})
    assert out.status is Status.PASS
    assert HOP1_SESSION in out.detail
    assert "us-east-1" in out.detail
    data = out.evidence[0].data
    assert data["duration_seconds"] == 900
    assert "SecretAccessKey" not in str(data)


def test_qs301_skip_carries_the_collectors_reason() -> None:
    reason = (
        f"caller is in account 111122223333, not the production account {VENDOR}: run "
        "with a profile in the production account, or --no-live"
    )
    out = run("QS301", facts(hop1=Skipped(reason)))
    assert out.status is Status.SKIP
    assert out.detail == reason


def test_qs301_failure_names_most_likely_static_cause() -> None:
    p = prior(
        finding("QS101", Status.PASS),
        finding("QS102", Status.PASS),
        finding("QS104", Status.FAIL, "the External ID differs from the trust policy's"),
    )
    out = hop_vendor_to_intermediate(facts(hop1=Ok(denied(CALLER, INTERMEDIATE))), p)
    assert out.status is Status.FAIL
    assert out.title == "Hop 1 denied"
    assert "most likely cause: QS104 (QS104 title)" in out.detail
    assert out.remediation == "remedy for QS104"


def test_qs301_failure_without_static_cause_says_what_is_invisible() -> None:
    p = prior(*(finding(c, Status.PASS) for c in ("QS101", "QS102", "QS103", "QS104")))
    out = hop_vendor_to_intermediate(facts(hop1=Ok(denied(CALLER, INTERMEDIATE))), p)
    assert out.status is Status.FAIL
    assert "not visible" in out.detail
    assert "resource control policy" in out.detail
    assert "1-2 minutes" in out.detail


def test_qs301_success_against_failing_static_check_is_a_contradiction() -> None:
    p = prior(finding("QS104", Status.FAIL, "mismatch"), finding("QS105", Status.WARN))
    out = hop_vendor_to_intermediate(facts(), p)
    assert out.status is Status.WARN
    assert "contradiction" in out.detail
    assert "QS104" in out.detail
    assert "QS105" not in out.detail


def test_qs301_expired_caller_token_is_an_error_not_a_fail() -> None:
    expired = attempt(
        ok=False,
        code="ExpiredToken",
        message="The security token included in the request is expired",
    )
    out = hop_vendor_to_intermediate(facts(hop1=Ok(expired)), prior(finding("QS104", Status.FAIL)))
    assert out.status is Status.ERROR
    assert "refresh" in (out.remediation or "")


def test_qs301_region_disabled_fails_naming_the_account() -> None:
    region = attempt(
        ok=False,
        code="RegionDisabledException",
        message="STS is not activated in this region for account:111122223333. Your account "
        "administrator can activate STS in this region using the IAM Console.",
    )
    out = hop_vendor_to_intermediate(facts(hop1=Ok(region)), {})
    assert out.status is Status.FAIL
    assert "111122223333" in (out.remediation or "")


# ------------------------------------------------------------------------------ QS302


def test_qs302_skips_when_hop1_did_not_succeed() -> None:
    d = Destination(arn=DEST, hop=Skipped("hop 1 did not succeed (see QS301)"))
    out = run("QS302", facts(destinations=(d,)), (d,))
    assert out.status is Status.SKIP
    assert "QS301" in out.detail


def test_qs302_links_only_this_destinations_findings() -> None:
    session = HOP1_SESSION
    d = Destination(arn=DEST, hop=Ok(denied(session, DEST)))
    f = facts(destinations=(d, Destination(arn=DEST2)))
    p = prior(
        finding("QS202", Status.FAIL, "trusts another account", DEST2),
        finding("QS202", Status.PASS, "named", DEST),
        finding("QS203", Status.FAIL, "External ID mismatch", DEST),
    )
    out = hop_intermediate_to_destination(f, d, p)
    assert out.status is Status.FAIL
    assert "most likely cause: QS203 (QS203 title)" in out.detail
    assert "trusts another account" not in out.detail


def test_qs302_missing_external_id_warning_is_offered_as_cause() -> None:
    d = Destination(arn=DEST, hop=Ok(denied(HOP1_SESSION, DEST)))
    warn = finding(
        "QS203",
        Status.WARN,
        "the trust requires an External ID; none supplied",
        DEST,
        Evidence(kind=POSSIBLE_CAUSE_EVIDENCE_KIND, summary="none supplied"),
    )
    reuse = finding("QS105", Status.WARN, "reused")
    out = hop_intermediate_to_destination(facts(destinations=(d,)), d, prior(warn, reuse))
    assert "most likely cause: QS203" in out.detail


def test_qs302_chaining_limit_fails_with_its_fix() -> None:
    a = attempt(
        DEST,
        ok=False,
        code="ValidationError",
        message="The requested DurationSeconds exceeds the 1 hour session limit for "
        "roles assumed by role chaining.",
    )
    d = Destination(arn=DEST, hop=Ok(a))
    out = hop_intermediate_to_destination(facts(destinations=(d,)), d, {})
    assert out.status is Status.FAIL
    assert "3600" in (out.remediation or "")


def test_qs302_pass_and_contradiction() -> None:
    ok = Destination(arn=DEST, hop=Ok(attempt(DEST)))
    f = facts(destinations=(ok,))
    assert hop_intermediate_to_destination(f, ok, {}).status is Status.PASS
    p = prior(finding("QS106", Status.FAIL, "no allow", DEST))
    assert hop_intermediate_to_destination(f, ok, p).status is Status.WARN


# ------------------------------------------------------------------------------ QS303


def probes(no_id_ok: bool, wrong_ok: bool, code: str = "AccessDenied") -> NegativeProbes:
    def one(name: str, ok: bool) -> AssumeAttempt:
        if ok:
            return attempt(session=name)
        return dataclasses.replace(
            denied(CALLER, INTERMEDIATE),
            session_name=name,
            error_code=code,
            error_message=None
            if code != "AccessDenied"
            else denied(CALLER, INTERMEDIATE).error_message,
        )

    return NegativeProbes(
        without_external_id=one("qsdoctor-probe-noextid-1", no_id_ok),
        wrong_external_id=one("qsdoctor-probe-wrongextid-1", wrong_ok),
    )


def test_qs303_pass_when_both_refused_and_hop1_succeeded() -> None:
    out = external_id_enforced(facts(negative_probes=Ok(probes(False, False))))
    assert out.status is Status.PASS
    names = [e.data["session_name"] for e in out.evidence]
    assert names == ["qsdoctor-probe-noextid-1", "qsdoctor-probe-wrongextid-1"]


def test_qs303_warns_when_a_probe_is_accepted() -> None:
    out = external_id_enforced(facts(negative_probes=Ok(probes(True, False))))
    assert out.status is Status.WARN
    assert "without an External ID" in out.detail
    assert "wrong" not in out.detail


def test_qs303_skips_when_hop1_was_refused_too() -> None:
    f = facts(negative_probes=Ok(probes(False, False)), hop1=Ok(denied(CALLER, INTERMEDIATE)))
    out = external_id_enforced(f)
    assert out.status is Status.SKIP
    assert "prove nothing" in out.detail


def test_qs303_error_when_a_probe_got_no_answer() -> None:
    out = external_id_enforced(facts(negative_probes=Ok(probes(False, False, code="Throttling"))))
    assert out.status is Status.ERROR


def test_qs303_skipped_when_probes_are_off() -> None:
    out = run(
        "QS303", facts(negative_probes=Skipped("negative probes are off (--no-negative-probes)"))
    )
    assert out.status is Status.SKIP
    assert "--no-negative-probes" in out.detail
