"""Collection: the only code that reads AWS. `collect(config)` returns the run's Facts.

The critical path is kept short by starting everything that does not depend on
anything else at once: after the identities resolve (every later step needs to
know which credentials are in which account), the live hops, the intermediate
role read, the destination reads and DescribeTrails run side by side; the
CloudTrail lookups start as soon as hop 1's outcome is known
(`CollectContext.announce_hop1`), without waiting for hop 2. botocore's data for
STS and IAM is loaded once, not by every thread at the same time (`warm_up`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime
from typing import Any

from qsdoctor.aws.gateway import AwsCallFailed, AwsGateway, RetryingFactory, default_retrying
from qsdoctor.aws.sessions import ProfileNotConfigured, new_session, resolve_region, warm_up

# Modules, not functions: the collectors are looked up at call time (tests replace them).
from qsdoctor.collect import destinations as destinations_collector
from qsdoctor.collect import hops as hops_collector
from qsdoctor.collect import trail as trail_collector
from qsdoctor.collect.context import MAX_WORKERS, CollectContext, Credentialed, HopResult
from qsdoctor.collect.roles import list_role_arns, read_role
from qsdoctor.config import CheckConfig
from qsdoctor.facts import NOT_READ, CallerFacts, CallerIdentity, Destination, Facts, RoleFacts
from qsdoctor.models import AwsCallError, Fetched, Ok, Skipped, Unavailable

__all__ = ["CollectContext", "collect"]


def collect(
    config: CheckConfig,
    *,
    progress: Callable[[str], None] | None = None,
    retrying: RetryingFactory = default_retrying,
    while_waiting: Callable[[], object] | None = None,
) -> Facts:
    """Read everything the checks need about the chain in `config`.

    Never raises for AWS trouble: missing or expired credentials become QS001's
    facts, denied or failed reads become `Unavailable`, and reads qsdoctor has no
    credentials for become `Skipped` naming the profile option that would enable
    them. `progress` receives one short line per phase (for a spinner on stderr).
    `while_waiting` runs on the calling thread once the AWS reads are under way, which
    otherwise only waits for them (the engine imports the checks there).
    """
    say = progress or (lambda _line: None)
    collected_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    partition = config.intermediate.partition
    region = resolve_region(config.region, config.profile, partition)
    secrets = tuple(
        e.value
        for e in (config.external_id, *(d.external_id for d in config.destinations))
        if e is not None
    )
    notes: list[str] = []
    if config.region is None:
        notes.append(f"region {region} (partition {partition})")

    with ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="qsdoctor") as pool:
        say("resolving credentials")
        credentialed = _resolve_identities(config, region, retrying, secrets, pool)
        ctx = CollectContext(
            config=config,
            caller=credentialed[0].gateway,
            intermediate_reader=_intermediate_reader(config, credentialed),
            executor=pool,
            retrying=retrying,
            callers=tuple(c.facts for c in credentialed),
            region=region,
            credentialed=credentialed,
            secrets=secrets,
        )
        configured = tuple(
            Destination(arn=d.role.arn, external_id=d.external_id) for d in config.destinations
        )
        say("running live hops, reading roles")
        hops_f: Future[HopResult] = pool.submit(hops_collector.collect_hops, ctx, configured)
        role_f = pool.submit(_read_intermediate, ctx)
        dests_f = pool.submit(destinations_collector.collect_destinations, ctx)
        # The CloudTrail reads that do not need hop 1 start now, not after it.
        trail_collector.start_early_reads(ctx)
        if while_waiting is not None:
            while_waiting()
        pending: list[Future[Any]] = [ctx.hop1_outcome, hops_f]
        wait(pending, return_when=FIRST_COMPLETED)
        hop1 = ctx.hop1_outcome.result() if ctx.hop1_outcome.done() else hops_f.result().hop1
        say("reading CloudTrail")
        trail_f = pool.submit(trail_collector.collect_trail, ctx, hop1)
        hops = hops_f.result()
        intermediate_role, candidates = role_f.result()
        destinations = _merge_hops(dests_f.result(), hops.destinations)
        trail = trail_f.result()

    match ctx.intermediate_reader:
        case Ok(gw):
            notes.append(f"intermediate account read with {gw.label}")
    return Facts(
        collected_at=collected_at,
        vendor_account_id=config.vendor_account_id,
        intermediate_arn=config.intermediate.arn,
        region=region,
        partition=partition,
        callers=ctx.callers,
        external_id=config.external_id,
        source_identity=config.source_identity,
        session_tag_keys=tuple(k for k, _ in config.session_tags),
        intermediate_role=intermediate_role,
        role_candidates=candidates,
        destinations=destinations,
        hop1=hops.hop1,
        negative_probes=hops.negative_probes,
        trail=trail,
        notes=tuple(notes),
    )


def _resolve_identities(
    config: CheckConfig,
    region: str,
    retrying: RetryingFactory,
    secrets: tuple[str, ...],
    pool: ThreadPoolExecutor,
) -> tuple[Credentialed, ...]:
    """One gateway and GetCallerIdentity per distinct profile, resolved concurrently.

    The caller (--profile or the default chain) always comes first; a profile given
    for two roles is used (and reported) once, under its first label.
    """
    wanted: list[tuple[str, str | None]] = [("caller", config.profile)]
    for label, profile in (
        ("intermediate", config.intermediate_profile),
        ("destination", config.destination_profile),
    ):
        if profile is not None and profile not in {p for _, p in wanted}:
            wanted.append((label, profile))
    # Every thread below makes an STS client: read botocore's data for it once.
    warm_up(("sts",), region)
    gateways: list[AwsGateway | Unavailable] = []
    futures: list[Future[Fetched[CallerIdentity]] | None] = []
    for _label, profile in wanted:
        try:
            session = new_session(profile=profile, region=region)
        except ProfileNotConfigured as e:
            futures.append(None)
            gateways.append(
                Unavailable(
                    AwsCallError(
                        operation="sts:GetCallerIdentity",
                        code="ProfileNotFound",
                        message=f"{e.message}; {e.hint}",
                        profile=profile,
                    )
                )
            )
            continue
        gw = AwsGateway(session, profile=profile, retrying=retrying, secrets=secrets)
        gateways.append(gw)
        # Each identity call starts as soon as its gateway exists.
        futures.append(pool.submit(_whoami, gw))
    # IAM's data is read, then its clients made, while the identity calls are in
    # flight, so the reads that follow wait for neither.
    warm_up(("iam",), region)
    for built in gateways:
        if isinstance(built, AwsGateway):
            pool.submit(built.precreate, ("iam",))
    resolved: list[Credentialed] = []
    for (label, profile), built, fut in zip(wanted, gateways, futures, strict=True):
        identity: Fetched[CallerIdentity] = (
            built
            if isinstance(built, Unavailable)
            else (fut.result() if fut else Skipped("not resolved"))
        )
        resolved.append(
            Credentialed(
                gateway=built if isinstance(built, AwsGateway) else None,
                facts=CallerFacts(label=label, profile=profile, identity=identity),  # type: ignore[arg-type]
            )
        )
    return tuple(resolved)


def _whoami(gateway: AwsGateway) -> Fetched[CallerIdentity]:
    try:
        answer = gateway.call("sts", "get_caller_identity")
    except AwsCallFailed as e:
        return Unavailable(e.error)
    return Ok(
        CallerIdentity(
            account=str(answer["Account"]), arn=str(answer["Arn"]), user_id=str(answer["UserId"])
        )
    )


def _intermediate_reader(
    config: CheckConfig, credentialed: tuple[Credentialed, ...]
) -> Fetched[AwsGateway]:
    """The gateway for IAM/CloudTrail reads in the intermediate account, or why none."""
    account = config.intermediate.account
    chosen = config.intermediate_profile
    if chosen is not None:
        cred = next(c for c in credentialed if c.facts.profile == chosen)
        match cred.facts.identity:
            case Ok(ident) if ident.account == account and cred.gateway is not None:
                return Ok(cred.gateway)
            case Ok(ident):
                return Skipped(
                    f"--intermediate-profile {chosen} is in account {ident.account}, not the "
                    f"intermediate account {account}: pass a profile with IAM and CloudTrail "
                    f"read access in {account}"
                )
            case Unavailable() as missing:
                return missing
    for cred in credentialed:
        match cred.facts.identity:
            case Ok(ident) if ident.account == account and cred.gateway is not None:
                return Ok(cred.gateway)
    if isinstance(credentialed[0].facts.identity, Unavailable):
        return Skipped(
            f"the caller's credentials did not resolve (see QS001), and no "
            f"--intermediate-profile was given for account {account}"
        )
    return Skipped(
        f"no credentials for account {account}: pass --intermediate-profile with IAM and "
        f"CloudTrail read access in {account}"
    )


def _read_intermediate(
    ctx: CollectContext,
) -> tuple[Fetched[RoleFacts | None], Fetched[tuple[str, ...]]]:
    """The intermediate role, plus the account's role ARNs when it is missing (QS101).

    A role with the requested name under another path is reported as missing
    (Ok(None): STS would refuse the requested ARN), with its real ARN first in the
    candidates, even when iam:ListRoles is denied.
    """
    match ctx.intermediate_reader:
        case Ok(gateway):
            pass
        case other:
            return other, Skipped("the intermediate account was not read")
    read = read_role(gateway, ctx.config.intermediate)
    if not (isinstance(read.role, Ok) and read.role.value is None):
        return read.role, Skipped("the intermediate role exists, or could not be read")
    listed = list_role_arns(gateway)
    if read.other_arn is None:
        return read.role, listed
    others = listed.value if isinstance(listed, Ok) else ()
    return read.role, Ok((read.other_arn, *(a for a in others if a != read.other_arn)))


def _merge_hops(
    read: tuple[Destination, ...], hopped: tuple[Destination, ...]
) -> tuple[Destination, ...]:
    """The destinations as read, each with its hop-2 outcome from the hop collector.

    A role no profile could read keeps what the hop-2 session learned reading itself.
    """
    by_arn = {d.arn: d for d in hopped}
    merged: list[Destination] = []
    for d in read:
        h = by_arn.get(d.arn)
        if h is None:
            merged.append(d)
            continue
        if isinstance(d.role, Skipped) and h.role is not NOT_READ:
            merged.append(dataclasses.replace(d, role=h.role, other_arn=h.other_arn, hop=h.hop))
        else:
            merged.append(dataclasses.replace(d, hop=h.hop))
    return tuple(merged)
