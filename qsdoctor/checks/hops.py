"""QS301-QS303: the live hops, and the negative probes that prove the External ID is enforced.

Live results are the strongest evidence qsdoctor has, and the least explained: STS
mostly answers "no" with a bare AccessDenied. These checks therefore classify every
failure (`classify.py`) and join it to the static findings on the same link of the
chain, so a failed hop names its most likely cause by check ID; a hop that succeeds
while a static check on its link failed is reported as a contradiction.
"""

from __future__ import annotations

from qsdoctor.checks.classify import (
    FailureKind,
    Hop,
    LinkContext,
    classify,
    contradiction_detail,
    contradictions,
    diagnose,
)
from qsdoctor.checks.registry import Prior, check, destination_check, need
from qsdoctor.facts import AssumeAttempt, Destination, Facts
from qsdoctor.models import Evidence, Ok, Outcome

#: Failures that mean the hop could not be tested at all (caller credentials, faults):
#: the check reports `error`, since nothing about the chain was learned.
_UNTESTED = frozenset(
    {
        FailureKind.THROTTLED,
        FailureKind.SERVICE_FAULT,
        FailureKind.NO_CREDENTIALS,
        FailureKind.INVALID_TOKEN,
        FailureKind.EXPIRED_TOKEN,
        FailureKind.ROOT_CALLER,
    }
)


def attempt_evidence(attempt: AssumeAttempt, label: str) -> Evidence:
    """One AssumeRole attempt as evidence: parameters and outcome, never credentials."""
    outcome = (
        f"succeeded as {attempt.session_arn}"
        if attempt.succeeded
        else f"failed: {attempt.error_code}"
    )
    return Evidence(
        kind="assume-attempt",
        summary=f"{label}: sts:AssumeRole on {attempt.role_arn} ({attempt.session_name}, "
        f"{attempt.duration_seconds} s, {attempt.region}) {outcome}",
        data={
            "role_arn": attempt.role_arn,
            "session_name": attempt.session_name,
            "region": attempt.region,
            "endpoint": attempt.endpoint,
            "duration_seconds": attempt.duration_seconds,
            "external_id_sent": attempt.external_id_sent,
            "external_id_fingerprint": attempt.external_id_fingerprint,
            "source_identity": attempt.source_identity,
            "succeeded": attempt.succeeded,
            "session_arn": attempt.session_arn,
            "expiration": attempt.expiration,
            "error_code": attempt.error_code,
            "error_message": attempt.error_message,
            "attempted_at": attempt.attempted_at,
        },
    )


def _account_of(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 and parts[4] else None


def _created(fetched: object) -> str | None:
    if isinstance(fetched, Ok) and fetched.value is not None:
        created = getattr(fetched.value, "create_date", None)
        return str(created) if created else None
    return None


def _judge(attempt: AssumeAttempt, prior: Prior, ctx: LinkContext, *, name: str) -> Outcome:
    """Pass, contradiction warning, classified failure or error for one attempt."""
    ev = attempt_evidence(attempt, name)
    if attempt.succeeded:
        found = contradictions(
            prior, ctx.hop, subject=ctx.subject, other_subjects=ctx.other_subjects
        )
        where = f" in {attempt.region}" + (f" via {attempt.endpoint}" if attempt.endpoint else "")
        detail = f"assumed {attempt.role_arn} as {attempt.session_arn}{where}" + (
            f", session expires {attempt.expiration}" if attempt.expiration else ""
        )
        if found:
            return Outcome.warned(
                f"{contradiction_detail(found)} ({detail})",
                ev,
                *(
                    Evidence(
                        kind="cause",
                        summary=f"{f.id} {f.status}: {f.detail}",
                        data={"id": f.id, "subject": f.subject},
                    )
                    for f in found
                ),
                title=f"{name.capitalize()} succeeded, contradicting "
                + ", ".join(f.id for f in found),
                remediation=(
                    "re-run qsdoctor in a minute; if the contradiction stays, compare the "
                    "policies with the evidence (-v) and report it"
                ),
            )
        return Outcome.passed(detail, ev, title=f"{name.capitalize()} succeeded")
    failure = classify(attempt.error_code or "Unknown", attempt.error_message or "")
    diag = diagnose(failure, prior, ctx)
    if failure.kind in _UNTESTED:
        return Outcome.errored(
            f"{name} could not be tested: {diag.detail}",
            ev,
            *diag.evidence,
            title=f"{name.capitalize()} not verified",
            remediation=diag.remediation,
        )
    verb = "denied" if failure.kind.is_denial else "failed"
    return Outcome.failed(
        diag.detail,
        ev,
        *diag.evidence,
        title=f"{name.capitalize()} {verb}",
        remediation=diag.remediation,
    )


@check(
    id="QS301",
    name="hop-vendor-to-intermediate",
    title="Hop 1: production account assumes the intermediate role",
    needs=("sts:AssumeRole",),
    remediation=(
        "fix the cause named above; then confirm with "
        "`aws sts assume-role --role-arn {intermediate_arn} --role-session-name test "
        "--external-id ...` from a principal in {vendor_account_id}"
    ),
)
def hop_vendor_to_intermediate(facts: Facts, prior: Prior) -> Outcome:
    """A live sts:AssumeRole on the intermediate role, exactly as Quiverstone makes it.

    The reference's Validation Step 6 ("Test role assumption"), automated. qsdoctor
    calls sts:AssumeRole on `--intermediate-arn` from the `--profile` credentials
    with the configured External ID, the `--source-identity` and session tags if
    given, a session name starting `qsdoctor-` and the shortest duration (900 s).
    The session's credentials stay in memory for hop 2 and are never written out.

    It runs only when the caller is in the production account (684035162433):
    from anywhere else the trust rightly refuses it, which would prove nothing.
    Otherwise it is skipped, saying so (support engineers run it; customers get
    the same answer from the static checks QS101-QS109).

    How it decides:
    - pass: STS returned a session; evidence shows the session ARN, expiry, Region
      and endpoint (CloudTrail records the call in that Region).
    - warn: the hop succeeded although a static check on this link (QS101-QS105,
      QS109) failed: the static reading may be stale (IAM is eventually
      consistent) or incomplete; it is a contradiction worth investigating.
    - fail: STS refused. The error is classified (bare or enriched AccessDenied,
      sts:TagSession / sts:SetSourceIdentity denials, validation errors, a
      disabled STS Region) and joined to the failing static checks on this link,
      most likely first ("most likely cause: QS104 (Configured External ID does not
      match the trust)"). When none fails, it
      says the cause is not visible from the accounts qsdoctor could read, and
      where it could be: an RCP in the customer's organization, or the caller's
      own permissions or SCPs on the Quiverstone side. Right after a fix, IAM may
      need 1-2 minutes to propagate: retry before digging further.
    - error: the hop could not be tested (expired or invalid caller credentials,
      root-user keys, throttling after retries, no network).
    - skip: `--no-live`, or the caller is not in the production account.
    """
    attempt = need(facts.hop1)
    ctx = LinkContext(
        hop=Hop.VENDOR_TO_INTERMEDIATE,
        caller_account=facts.vendor_account_id,
        role_account=_account_of(facts.intermediate_arn),
        role_created_at=_created(facts.intermediate_role),
        collected_at=facts.collected_at,
    )
    return _judge(attempt, prior, ctx, name="hop 1")


@destination_check(
    id="QS302",
    name="hop-intermediate-to-destination",
    title="Hop 2: intermediate role assumes the destination role",
    needs=("sts:AssumeRole",),
    remediation="fix the cause named above, then run qsdoctor again",
)
def hop_intermediate_to_destination(facts: Facts, dest: Destination, prior: Prior) -> Outcome:
    """A live sts:AssumeRole from the hop-1 session onto each destination role.

    The second half of Validation Step 6. From the intermediate role's session
    (hop 1), qsdoctor assumes every destination concurrently, with that
    destination's External ID (`QSDOCTOR_DESTINATION_EXTERNAL_ID` or the one
    named in the destinations file) and at most 3600 seconds: hop 2 is role
    chaining, and AWS refuses longer requests ("exceeds the 1 hour session limit
    for roles assumed by role chaining") rather than shortening them. The source
    identity set on hop 1 is carried by STS itself.

    How it decides:
    - pass: STS returned a session for this destination.
    - warn: it succeeded although a static check on this link (QS106, QS201-QS204
      for this destination) failed — a contradiction worth investigating.
    - fail: STS refused; the cause is classified and linked to the failing static
      checks (e.g. QS106 "the intermediate role may not assume it", QS202 "the
      trust does not admit the intermediate role", QS203 "External ID mismatch"),
      or, when none fails, named as invisible to qsdoctor (an SCP in the
      intermediate account's organization, an RCP in the destination's), with
      the access that would reveal it.
    - error: the hop could not be tested (hop-1 session expired, throttling).
    - skip: hop 1 did not succeed or could not run (see QS301), or `--no-live`.
    """
    attempt = need(dest.hop)
    ctx = LinkContext(
        hop=Hop.INTERMEDIATE_TO_DESTINATION,
        subject=dest.arn,
        other_subjects=tuple(d.arn for d in facts.destinations),
        caller_account=_account_of(facts.intermediate_arn),
        role_account=_account_of(dest.arn),
        role_created_at=_created(dest.role),
        collected_at=facts.collected_at,
    )
    return _judge(attempt, prior, ctx, name="hop 2")


@check(
    id="QS303",
    name="external-id-enforced",
    title="External ID is enforced: probes without it are refused",
    needs=("sts:AssumeRole",),
    remediation=(
        "require the External ID in the trust of {intermediate_arn}: a Condition "
        '{{"StringEquals": {{"sts:ExternalId": "<your External ID>"}}}} on the statement '
        "that admits {vendor_account_id} (not ...IfExists, not a negated operator)"
    ),
)
def external_id_enforced(facts: Facts) -> Outcome:
    """Two live negative probes prove that the External ID actually protects the role.

    A trust without an effective sts:ExternalId condition ignores whatever External
    ID is sent, so a successful hop 1 alone proves nothing about enforcement. From
    the production account qsdoctor calls sts:AssumeRole on the intermediate role
    twice more: once with no External ID and once with a random wrong one. Both
    must be refused. Their session names (`qsdoctor-probe-noextid-…`,
    `qsdoctor-probe-wrongextid-…`) say they are qsdoctor probes, and a refused
    cross-account call is recorded only in the caller's own CloudTrail, so the
    customer's trail stays clean. A probe that is accepted has its credentials
    dropped at once.

    How it decides:
    - pass: both probes were refused while hop 1, with the configured External ID,
      succeeded.
    - warn: either probe was accepted: anyone in the production account who knows
      the role ARN can assume it, the confused-deputy exposure the External ID is
      meant to close (see QS103 for the condition that lets it through).
    - skip: both were refused but so was hop 1, so the refusals prove nothing yet;
      or the probes could not run (caller not in the production account,
      `--no-live`, `--no-negative-probes`).
    - error: a probe failed for another reason (throttling, expired credentials).
    """
    probes = need(facts.negative_probes)
    pairs = (
        ("without an External ID", probes.without_external_id),
        ("with a wrong External ID", probes.wrong_external_id),
    )
    ev = tuple(attempt_evidence(a, f"probe {how}") for how, a in pairs)
    accepted = [how for how, a in pairs if a.succeeded]
    if accepted:
        return Outcome.warned(
            f"STS let the intermediate role be assumed {' and '.join(accepted)}: the trust "
            "does not enforce the External ID (see QS103)",
            *ev,
            title="External ID not enforced: a probe was accepted",
        )
    odd = [
        (how, a)
        for how, a in pairs
        if not classify(a.error_code or "Unknown", a.error_message or "").kind.is_denial
    ]
    if odd:
        return Outcome.errored(
            "; ".join(f"probe {how} did not get an answer: {a.error_code}" for how, a in odd),
            *ev,
            remediation="run qsdoctor again; the probes need a working caller session",
        )
    hop1 = facts.hop1
    if isinstance(hop1, Ok) and hop1.value.succeeded:
        return Outcome.passed(
            "STS refused the intermediate role without an External ID and with a wrong one, "
            "and granted it with the configured one",
            *ev,
        )
    return Outcome.skipped(
        "hop 1 was refused even with the configured External ID (see QS301), so the probes' "
        "refusals prove nothing yet",
        *ev,
    )
