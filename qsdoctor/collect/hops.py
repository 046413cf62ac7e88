"""Live hops: hop 1 onto the intermediate role, QS303's negative probes, hop 2 per destination.

Hop 1 runs from the caller's credentials (`--profile`) only when they belong to the
production account, exactly as Quiverstone does it: the intermediate role, its
External ID, the optional source identity and session tags, 900 seconds. The two
negative probes run alongside it. Hop 2 runs from the hop-1 session onto every
destination concurrently (a bounded pool of its own, per the CollectContext
concurrency rule), with each destination's External ID and at most 3600 seconds,
because hop 2 is role chaining and STS refuses more instead of shortening it.

Credentials of assumed sessions exist only in local variables and the hop-2
gateway's session; facts keep session ARNs and expiry times. External IDs are
redacted from every message before it is recorded. When hop 2 succeeds and the
destination role could not be read otherwise, the hop-2 session reads its own role
(an assumed role can often iam:GetRole itself); `collect()` keeps that read when
the destination collector had none.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from qsdoctor.arn import parse_role_arn
from qsdoctor.aws.gateway import AwsCallFailed, AwsGateway
from qsdoctor.collect.context import CollectContext, HopResult
from qsdoctor.collect.destinations import read_trust
from qsdoctor.errors import UsageError
from qsdoctor.facts import AssumeAttempt, CallerIdentity, Destination, NegativeProbes
from qsdoctor.models import Fetched, Ok, Skipped, Unavailable
from qsdoctor.secrets import ExternalId, fingerprint, sts_valid

__all__ = ["HOP1_DURATION", "HOP2_DURATION", "HopResult", "collect_hops"]

#: Hop 1 asks for the shortest session STS grants: qsdoctor only proves it works.
HOP1_DURATION = 900
#: Hop 2 is role chaining: AWS caps it at 3600 s and *fails* longer requests.
#: NOTE: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html
HOP2_DURATION = 900
ROLE_CHAINING_MAX = 3600
#: Hop 2 runs on at most this many threads (STS allows far more; IAM reads follow).
HOP2_WORKERS = 4

SESSION_PREFIX = "qsdoctor"
PROBE_NO_EXTERNAL_ID = "qsdoctor-probe-noextid"
PROBE_WRONG_EXTERNAL_ID = "qsdoctor-probe-wrongextid"

#: SourceIdentity as STS accepts it (botocore sts model): 2-256 of [\w+=,.@-], not "aws:".
_SOURCE_IDENTITY_RE = re.compile(r"[\w+=,.@-]{2,256}", re.ASCII)
_TAG_KEY_MAX, _TAG_VALUE_MAX, _TAGS_MAX = 128, 256, 50

HOP1_NOT_RUN = "hop 1 did not succeed (see QS301)"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _caller_identity(ctx: CollectContext) -> Fetched[CallerIdentity]:
    caller = next((c for c in ctx.callers if c.label == "caller"), None)
    if caller is None:
        return Skipped("no caller credentials were resolved")
    return caller.identity


def hop1_precondition(ctx: CollectContext) -> Skipped | None:
    """Why hop 1 (and the probes) cannot run, or None when they can."""
    config = ctx.config
    if not config.live:
        return Skipped("live hops are off (--no-live)")
    match _caller_identity(ctx):
        case Ok(ident) if ident.account != config.vendor_account_id:
            return Skipped(
                f"caller is in account {ident.account}, not the production account "
                f"{config.vendor_account_id}: run with a profile in the production account, "
                "or --no-live"
            )
        case Ok():
            pass
        case Unavailable(err):
            return Skipped(
                f"the caller's credentials did not resolve ({err.code}; see QS001): live hops "
                "need a principal in the production account"
            )
        case Skipped(reason):
            return Skipped(f"the caller's identity is unknown ({reason})")
    if ctx.caller is None:
        return Skipped("no session could be built for the caller's credentials (see QS001)")
    return None


def _parameter_problem(
    external_id: ExternalId | None,
    source_identity: str | None,
    tags: tuple[tuple[str, str], ...],
) -> str | None:
    """What STS would reject before evaluating any policy (checked before sending).

    NOTE: botocore rejects values under the minimum (ParamValidationError) and STS
    the rest (ValidationError, echoing the value): checking first keeps the secret
    off the wire and out of messages (aws-facts §2).
    """
    if external_id is not None and not sts_valid(external_id.value):
        return (
            f"Invalid value for parameter ExternalId ({len(external_id.value)} chars): STS "
            "accepts 2-1224 of letters, digits and _+=,.@:/- (checked before sending; not sent)"
        )
    if source_identity is not None and (
        not _SOURCE_IDENTITY_RE.fullmatch(source_identity)
        or source_identity.lower().startswith("aws:")
    ):
        return (
            "Invalid value for parameter SourceIdentity: STS accepts 2-256 of letters, digits "
            "and _+=,.@- not starting with 'aws:' (checked before sending; not sent)"
        )
    if len(tags) > _TAGS_MAX:
        return f"Invalid length for parameter Tags: {len(tags)} tags, STS accepts {_TAGS_MAX}"
    for key, value in tags:
        if not 1 <= len(key) <= _TAG_KEY_MAX or len(value) > _TAG_VALUE_MAX:
            return (
                f"Invalid value for parameter Tags: tag {key[:40]!r} has a key of {len(key)} "
                f"or a value of {len(value)} characters (STS accepts {_TAG_KEY_MAX}/"
                f"{_TAG_VALUE_MAX})"
            )
    return None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Call:
    """One AssumeRole to make; `external_id` is the value sent (None: none sent)."""

    role_arn: str
    session_name: str
    duration: int
    external_id: str | None = None
    external_id_fingerprint: str | None = None
    source_identity: str | None = None
    send_source_identity: bool = False
    tags: tuple[tuple[str, str], ...] = ()


def _assume(gateway: AwsGateway, call: _Call) -> tuple[AssumeAttempt, dict[str, Any] | None]:
    """Make the call; the attempt as facts plus, on success, the credentials (memory only)."""
    sts = gateway.client("sts")
    base = AssumeAttempt(
        role_arn=call.role_arn,
        succeeded=False,
        session_name=call.session_name,
        region=gateway.region,
        endpoint=str(getattr(sts.meta, "endpoint_url", "") or "") or None,
        duration_seconds=call.duration,
        external_id_sent=call.external_id is not None,
        external_id_fingerprint=call.external_id_fingerprint,
        source_identity=call.source_identity,
        attempted_at=_now(),
    )
    params: dict[str, Any] = {
        "RoleArn": call.role_arn,
        "RoleSessionName": call.session_name,
        "DurationSeconds": call.duration,
    }
    if call.external_id is not None:
        params["ExternalId"] = call.external_id
    if call.send_source_identity and call.source_identity:
        params["SourceIdentity"] = call.source_identity
    if call.tags:
        params["Tags"] = [{"Key": k, "Value": v} for k, v in call.tags]
        # Transitive, so the chained session carries them as Quiverstone's would.
        params["TransitiveTagKeys"] = [k for k, _ in call.tags]
    try:
        answer = gateway.call("sts", "assume_role", resource=call.role_arn, **params)
    except AwsCallFailed as e:
        # Imported here, off the path to the first request: only refusals need it.
        from qsdoctor.checks.classify import redact_echoed_values

        message = redact_echoed_values(e.error.message)
        if call.external_id:
            message = message.replace(call.external_id, "<redacted>")
        return dataclasses.replace(base, error_code=e.error.code, error_message=message), None
    creds = answer.get("Credentials") or {}
    user = answer.get("AssumedRoleUser") or {}
    attempt = dataclasses.replace(
        base,
        succeeded=True,
        session_arn=user.get("Arn"),
        expiration=_iso(creds.get("Expiration")),
        source_identity=answer.get("SourceIdentity") or call.source_identity,
    )
    return attempt, creds


def _refused(call: _Call, gateway: AwsGateway, code: str, message: str) -> AssumeAttempt:
    """An attempt qsdoctor did not send because STS would reject its parameters."""
    return AssumeAttempt(
        role_arn=call.role_arn,
        succeeded=False,
        session_name=call.session_name,
        region=gateway.region,
        duration_seconds=call.duration,
        external_id_sent=False,
        external_id_fingerprint=call.external_id_fingerprint,
        source_identity=call.source_identity,
        error_code=code,
        error_message=message,
        attempted_at=_now(),
    )


def _hop1(
    ctx: CollectContext, gateway: AwsGateway, token: str
) -> tuple[AssumeAttempt, dict[str, Any] | None]:
    config = ctx.config
    ext = config.external_id
    call = _Call(
        role_arn=config.intermediate.arn,
        session_name=f"{SESSION_PREFIX}-{token}",
        duration=HOP1_DURATION,
        external_id=ext.value if ext else None,
        external_id_fingerprint=ext.fingerprint if ext else None,
        source_identity=config.source_identity,
        send_source_identity=True,
        tags=config.session_tags,
    )
    problem = _parameter_problem(ext, config.source_identity, config.session_tags)
    if problem:
        return _refused(call, gateway, "ParamValidationError", problem), None
    return _assume(gateway, call)


def _probe(ctx: CollectContext, gateway: AwsGateway, token: str, *, wrong: bool) -> AssumeAttempt:
    """One negative probe; a successful probe's credentials are dropped at once."""
    value: str | None = None
    if wrong:
        # STS-valid, long, random, and certainly not the configured value.
        value = f"qsdoctor-probe-{secrets.token_hex(16)}"
        configured = ctx.config.external_id
        while configured is not None and value == configured.value:  # pragma: no cover
            value = f"qsdoctor-probe-{secrets.token_hex(16)}"
    name = PROBE_WRONG_EXTERNAL_ID if wrong else PROBE_NO_EXTERNAL_ID
    call = _Call(
        role_arn=ctx.config.intermediate.arn,
        session_name=f"{name}-{token}",
        duration=HOP1_DURATION,
        external_id=value,
        external_id_fingerprint=fingerprint(value) if value else None,
    )
    attempt, creds = _assume(gateway, call)
    del creds  # never used: a probe only proves whether STS said yes
    return attempt


def _hop2(
    ctx: CollectContext,
    session: AwsGateway,
    dest: Destination,
    *,
    token: str,
    source_identity: str | None,
    reread: bool,
) -> Destination:
    """Hop 2 onto one destination; reads the role with the new session if asked."""
    ext = dest.external_id
    call = _Call(
        role_arn=dest.arn,
        session_name=f"{SESSION_PREFIX}-{token}",
        duration=min(HOP2_DURATION, ROLE_CHAINING_MAX),
        external_id=ext.value if ext else None,
        external_id_fingerprint=ext.fingerprint if ext else None,
        # Carried from hop 1 by STS itself; sending it again could only conflict.
        source_identity=source_identity,
    )
    problem = _parameter_problem(ext, None, ())
    if problem:
        return dataclasses.replace(
            dest, hop=Ok(_refused(call, session, "ParamValidationError", problem))
        )
    attempt, creds = _assume(session, call)
    updated = dataclasses.replace(dest, hop=Ok(attempt))
    if creds and reread:
        updated = dataclasses.replace(updated, role=_read_with_session(ctx, creds, dest, attempt))
    return updated


def _read_with_session(
    ctx: CollectContext, creds: dict[str, Any], dest: Destination, attempt: AssumeAttempt
) -> Fetched[Any]:
    """The destination role read by its own hop-2 session (often allowed to GetRole itself)."""
    try:
        role_arn = parse_role_arn(dest.arn, what="destination role ARN")
    except UsageError as e:  # pragma: no cover  (the CLI validated it)
        return Skipped(e.message)
    gateway = ctx.assumed_gateway(creds, label=attempt.session_arn or dest.arn)
    read = read_trust(gateway, role_arn).role
    if isinstance(read, Unavailable):
        return Skipped(
            f"no credentials for account {role_arn.account}, and the hop-2 session may not "
            f"read its own role ({read.error.code}): pass --destination-profile with IAM read "
            f"access in {role_arn.account}"
        )
    return read


def _needs_reread(ctx: CollectContext, dest: Destination) -> bool:
    """Whether no profile can read this destination, so the hop-2 session should try."""
    try:
        account = parse_role_arn(dest.arn, what="destination role ARN").account
    except UsageError:  # pragma: no cover
        return False
    return isinstance(ctx.reader_for_account(account), Skipped)


def collect_hops(ctx: CollectContext, destinations: tuple[Destination, ...]) -> HopResult:
    """Run the live hops; returns `destinations` with each `hop` filled in.

    `destinations` come straight from the configuration (roles not read yet), so the
    hops can start before any IAM read finishes; `collect()` merges the hop outcomes
    into the destinations it read, by ARN (and keeps a role read by a hop-2 session
    when no profile could read it).
    """
    config = ctx.config
    blocked = hop1_precondition(ctx)
    if blocked is not None:
        ctx.announce_hop1(blocked)
        probes: Fetched[NegativeProbes] = (
            Skipped("negative probes are off (--no-negative-probes)")
            if config.live and not config.negative_probes
            else Skipped(f"needs hop 1 to be able to run: {blocked.reason}")
        )
        return HopResult(
            hop1=blocked,
            negative_probes=probes,
            destinations=tuple(
                dataclasses.replace(d, hop=Skipped(f"hop 1 could not run: {blocked.reason}"))
                for d in destinations
            ),
        )
    assert ctx.caller is not None  # hop1_precondition checked it
    caller = ctx.caller
    caller.precreate(("sts",))
    token = secrets.token_hex(4)
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="qsdoctor-hop1") as pool:
        hop1_f = pool.submit(_hop1, ctx, caller, token)
        if config.negative_probes:
            no_id_f = pool.submit(_probe, ctx, caller, token, wrong=False)
            wrong_f = pool.submit(_probe, ctx, caller, token, wrong=True)
        hop1, creds = hop1_f.result()
        # The CloudTrail reads need hop 1 only: let them start while the probes and
        # hop 2 are still running.
        ctx.announce_hop1(Ok(hop1))
        if config.negative_probes:
            probes = Ok(
                NegativeProbes(
                    without_external_id=no_id_f.result(), wrong_external_id=wrong_f.result()
                )
            )
        else:
            probes = Skipped("negative probes are off (--no-negative-probes)")

    if creds is None or not destinations:
        return HopResult(
            hop1=Ok(hop1),
            negative_probes=probes,
            destinations=tuple(
                dataclasses.replace(d, hop=Skipped(HOP1_NOT_RUN)) if creds is None else d
                for d in destinations
            ),
        )
    session = ctx.assumed_gateway(creds, label=hop1.session_arn or config.intermediate.arn)
    del creds
    session.precreate(("sts", "iam"))
    with ThreadPoolExecutor(max_workers=HOP2_WORKERS, thread_name_prefix="qsdoctor-hop2") as pool:
        futures = [
            pool.submit(
                _hop2,
                ctx,
                session,
                d,
                token=token,
                source_identity=hop1.source_identity,
                reread=_needs_reread(ctx, d),
            )
            for d in destinations
        ]
        hopped = tuple(f.result() for f in futures)
    return HopResult(hop1=Ok(hop1), negative_probes=probes, destinations=hopped)
