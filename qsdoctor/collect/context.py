"""CollectContext: the gateways, thread pool and retry policy every collector shares.

Collectors (roles, destinations, hops, trail) get one `CollectContext` and ask it
for the credentials they need: `intermediate_reader` for IAM/CloudTrail in the
intermediate account, `reader_for_account()` for a destination account, `caller`
for the live hops, and `assumed_gateway()` to turn STS credentials into a guarded
gateway. Credentials themselves stay inside the gateways' sessions.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from concurrent.futures import Future, InvalidStateError, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from qsdoctor.aws.gateway import AwsGateway, RetryingFactory, default_retrying
from qsdoctor.aws.sessions import new_session
from qsdoctor.config import CheckConfig
from qsdoctor.facts import AssumeAttempt, CallerFacts, Destination, NegativeProbes, TrailInfo
from qsdoctor.models import Fetched, Ok, Skipped, Unavailable

#: Shared pool size: enough to overlap the independent reads of a typical chain
#: without tripping IAM's request-rate limits.
MAX_WORKERS = 8

NOT_ATTEMPTED = Skipped("not attempted")


@dataclass(frozen=True, slots=True, kw_only=True)
class Credentialed:
    """A gateway together with the identity its credentials resolved to."""

    gateway: AwsGateway | None
    """None when the session could not even be built (e.g. unknown profile)."""
    facts: CallerFacts


@dataclass(frozen=True, slots=True, kw_only=True)
class HopResult:
    """What the live-hop collector learned: hop 1, QS303's probes, and hop 2 per destination."""

    hop1: Fetched[AssumeAttempt] = NOT_ATTEMPTED
    negative_probes: Fetched[NegativeProbes] = NOT_ATTEMPTED
    destinations: tuple[Destination, ...] = ()
    """The destinations passed in, with `hop` filled in."""


@dataclass(kw_only=True)
class CollectContext:
    """Everything a collector needs to reach AWS, built once per run by `collect()`.

    Concurrency rule: `collect()` runs the collectors themselves on `executor`, at
    most four at a time, fewer than its `MAX_WORKERS`; a collector may submit leaf
    tasks to `executor` and wait for them, but a leaf task must never wait for other
    tasks of `executor` (a bounded pool deadlocks that way). `read_role` fans its
    policy reads out on a short-lived pool of its own, so it is safe anywhere.
    """

    config: CheckConfig
    caller: AwsGateway | None
    """--profile (or the default chain): runs the live hops. None if it could not be built."""
    intermediate_reader: Fetched[AwsGateway]
    """Reads IAM and CloudTrail in the intermediate account, or why there is none."""
    executor: ThreadPoolExecutor
    """Shared, bounded pool for independent work (see the concurrency rule above)."""
    retrying: RetryingFactory = default_retrying
    callers: tuple[CallerFacts, ...] = ()
    """Resolved identities, one per distinct profile used (QS001's facts)."""
    region: str = "us-east-1"
    """Region for every call unless a collector needs another (e.g. trail regions)."""
    credentialed: tuple[Credentialed, ...] = ()
    """Each distinct gateway with its identity, in the order caller, intermediate,
    destination; `reader_for_account` searches it."""
    secrets: tuple[str, ...] = field(default=(), repr=False)
    """External ID values to redact from AWS error messages."""
    early_trails: tuple[tuple[str, ...], Future[Fetched[tuple[TrailInfo, ...]]]] | None = field(
        default=None, repr=False
    )
    """DescribeTrails started before hop 1 ended, and the Regions it reads (set by
    `trail.start_early_reads` on the thread that runs `collect()`)."""
    hop1_outcome: Future[Fetched[AssumeAttempt]] = field(default_factory=Future, repr=False)
    """Resolved by `announce_hop1` (or, failing that, when the hop collector returns)."""

    def announce_hop1(self, hop1: Fetched[AssumeAttempt]) -> None:
        """Tell `collect()` hop 1's outcome as soon as it is known.

        The CloudTrail reads need hop 1 but not hop 2; a hop collector that calls
        this right after hop 1 lets them start while hop 2 is still running. Later
        calls are ignored.
        """
        with contextlib.suppress(InvalidStateError):
            self.hop1_outcome.set_result(hop1)

    def reader_for_account(self, account: str) -> Fetched[AwsGateway]:
        """A gateway that reads IAM in `account` (a destination account), or why not.

        Preference: --destination-profile when its identity is in that account, then
        any other profile qsdoctor was given whose identity is there (intermediate,
        caller). Otherwise `Skipped` naming the option that would enable the reads;
        `Unavailable` when --destination-profile was given but its credentials did
        not resolve (QS001 reports the same error).
        """
        dest_profile = self.config.destination_profile
        for cred in sorted(self.credentialed, key=lambda c: c.facts.label != "destination"):
            ident = cred.facts.identity
            if isinstance(ident, Ok) and ident.value.account == account and cred.gateway:
                return Ok(cred.gateway)
        for cred in self.credentialed:
            if cred.facts.label == "destination" and isinstance(cred.facts.identity, Unavailable):
                return cred.facts.identity
        if dest_profile is not None:
            return Skipped(
                f"no credentials for account {account}: --destination-profile {dest_profile} "
                f"is in another account; pass a profile with IAM read access in {account}"
            )
        return Skipped(
            f"no credentials for account {account}: pass --destination-profile with IAM read "
            f"access in {account}"
        )

    def assumed_gateway(
        self, credentials: Mapping[str, Any], *, label: str, region: str | None = None
    ) -> AwsGateway:
        """A guarded gateway from sts:AssumeRole's `Credentials` (hop 2, reading with a session).

        The session keeps the caller profile's configuration (endpoint URL, CA bundle)
        but uses only the given credentials; `label` names it in errors (e.g. the
        assumed role's ARN), never the keys.
        """
        session = new_session(
            credentials=credentials,
            region=region or self.region,
            base_profile=self.config.profile,
        )
        return AwsGateway(session, label=label, retrying=self.retrying, secrets=self.secrets)


def skipped_for_missing(profile_option: str, account: str, what: str) -> Skipped:
    """The standard "no credentials" reason, so every skip names its fix the same way."""
    return Skipped(f"no credentials for account {account}: pass {profile_option} with {what}")
