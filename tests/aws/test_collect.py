"""collect(): identities per profile, which credentials read which account, the
intermediate role and its near matches, and collectors running side by side."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import boto3
import pytest

import qsdoctor.collect as collect_module
from qsdoctor.arn import parse_role_arn
from qsdoctor.aws.gateway import RetryingFactory
from qsdoctor.aws.sessions import new_session
from qsdoctor.collect import collect
from qsdoctor.collect.context import CollectContext, HopResult
from qsdoctor.config import CheckConfig, DestinationSpec
from qsdoctor.facts import AssumeAttempt, Destination
from qsdoctor.models import Ok, Skipped, Unavailable
from qsdoctor.secrets import ExternalId
from tests.aws.conftest import (
    DESTINATION,
    INTERMEDIATE,
    PRODUCTION,
    account_session,
    answer_with_error,
)

ROLE = f"arn:aws:iam::{INTERMEDIATE}:role/QuiverstoneTrustedIntermediate"
DEST = f"arn:aws:iam::{DESTINATION}:role/QuiverstoneChainedAccess"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{PRODUCTION}:root"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def _create_role(account: str, name: str, path: str = "/") -> str:
    iam = account_session(account).client("iam")
    role = iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=json.dumps(TRUST))
    return str(role["Role"]["Arn"])


def _config(**kwargs: Any) -> CheckConfig:
    """No live hops and no CloudTrail (moto has no LookupEvents): their collectors have
    their own tests; these tests are about credentials and the intermediate role."""
    kwargs.setdefault("live", False)
    kwargs.setdefault("trail", False)
    return CheckConfig(intermediate=parse_role_arn(kwargs.pop("arn", ROLE)), **kwargs)


@pytest.fixture
def world(account_profile: Callable[..., str]) -> None:
    """Profiles vendor (production), customer (intermediate), dest (destination)."""
    account_profile(PRODUCTION, "vendor")
    account_profile(INTERMEDIATE, "customer")
    account_profile(DESTINATION, "dest")
    _create_role(INTERMEDIATE, "QuiverstoneTrustedIntermediate")


def test_each_profile_resolves_once_with_its_label(
    world: None, fast_retrying: RetryingFactory
) -> None:
    facts = collect(
        _config(profile="vendor", intermediate_profile="customer", destination_profile="dest"),
        retrying=fast_retrying,
    )
    got = [
        (c.label, c.profile, c.identity.value.account)  # type: ignore[union-attr]
        for c in facts.callers
    ]
    assert got == [
        ("caller", "vendor", PRODUCTION),
        ("intermediate", "customer", INTERMEDIATE),
        ("destination", "dest", DESTINATION),
    ]
    role = facts.intermediate_role
    assert isinstance(role, Ok)
    assert role.value is not None
    assert role.value.arn == ROLE
    assert role.value.trust_policy == TRUST
    assert isinstance(role.value.permissions, Ok)


def test_a_profile_used_twice_is_reported_once(world: None, fast_retrying: RetryingFactory) -> None:
    facts = collect(
        _config(profile="customer", intermediate_profile="customer"), retrying=fast_retrying
    )
    assert [(c.label, c.profile) for c in facts.callers] == [("caller", "customer")]
    assert isinstance(facts.intermediate_role, Ok)


def test_caller_in_the_intermediate_account_reads_it(
    world: None, fast_retrying: RetryingFactory
) -> None:
    facts = collect(_config(profile="customer"), retrying=fast_retrying)
    assert isinstance(facts.intermediate_role, Ok)
    assert "intermediate account read with customer" in facts.notes


def test_no_credentials_for_the_intermediate_account_is_a_skip_naming_the_option(
    world: None, fast_retrying: RetryingFactory
) -> None:
    facts = collect(_config(profile="vendor"), retrying=fast_retrying)
    role = facts.intermediate_role
    assert isinstance(role, Skipped)
    assert f"no credentials for account {INTERMEDIATE}" in role.reason
    assert "--intermediate-profile" in role.reason
    assert isinstance(facts.role_candidates, Skipped)


def test_intermediate_profile_in_the_wrong_account(
    world: None, fast_retrying: RetryingFactory
) -> None:
    facts = collect(_config(profile="vendor", intermediate_profile="dest"), retrying=fast_retrying)
    role = facts.intermediate_role
    assert isinstance(role, Skipped)
    assert f"--intermediate-profile dest is in account {DESTINATION}" in role.reason


def test_missing_role_lists_candidates(world: None, fast_retrying: RetryingFactory) -> None:
    other = _create_role(INTERMEDIATE, "QuiverstoneTrustedIntermediat")
    facts = collect(
        _config(profile="customer", arn=f"arn:aws:iam::{INTERMEDIATE}:role/Quiverstone"),
        retrying=fast_retrying,
    )
    assert facts.intermediate_role == Ok(None)
    assert isinstance(facts.role_candidates, Ok)
    assert set(facts.role_candidates.value) == {ROLE, other}


def test_wrong_path_puts_the_real_arn_first(world: None, fast_retrying: RetryingFactory) -> None:
    real = _create_role(INTERMEDIATE, "PathedRole", path="/quiverstone/")
    facts = collect(
        _config(profile="customer", arn=f"arn:aws:iam::{INTERMEDIATE}:role/PathedRole"),
        retrying=fast_retrying,
    )
    assert facts.intermediate_role == Ok(None)
    assert isinstance(facts.role_candidates, Ok)
    assert facts.role_candidates.value[0] == real
    assert ROLE in facts.role_candidates.value


def _with_answer(
    monkeypatch: pytest.MonkeyPatch, service: str, operation: str, code: str, message: str = ""
) -> None:
    """Every session collect() builds answers `operation` with `code` (as AWS would)."""

    def build(**kwargs: Any) -> boto3.Session:
        session = new_session(**kwargs)
        answer_with_error(session.events, service, operation, code, message, status=400)
        return session

    monkeypatch.setattr(collect_module, "new_session", build)


def test_access_denied_on_get_role_is_unavailable_naming_the_call(
    world: None, fast_retrying: RetryingFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_answer(monkeypatch, "iam", "GetRole", "AccessDenied")
    facts = collect(_config(profile="customer"), retrying=fast_retrying)
    role = facts.intermediate_role
    assert isinstance(role, Unavailable)
    assert role.error.needs() == f"needs iam:GetRole on {ROLE}"
    assert role.error.profile == "customer"


def test_expired_token_is_a_caller_fact_not_a_crash(
    world: None, fast_retrying: RetryingFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_answer(
        monkeypatch,
        "sts",
        "GetCallerIdentity",
        "ExpiredToken",
        "The security token included in the request is expired",
    )
    facts = collect(_config(profile="customer"), retrying=fast_retrying)
    identity = facts.callers[0].identity
    assert isinstance(identity, Unavailable)
    assert identity.error.code == "ExpiredToken"
    assert isinstance(facts.intermediate_role, Skipped)
    assert "did not resolve" in facts.intermediate_role.reason


def test_unknown_profile_is_a_caller_fact(fast_retrying: RetryingFactory) -> None:
    facts = collect(_config(profile="nope", intermediate_profile="nope2"), retrying=fast_retrying)
    codes = [(c.profile, c.identity.error.code) for c in facts.callers]  # type: ignore[union-attr]
    assert codes == [("nope", "ProfileNotFound"), ("nope2", "ProfileNotFound")]
    assert isinstance(facts.intermediate_role, Unavailable)
    assert "nope2" in facts.intermediate_role.error.message


def test_no_credentials_at_all(
    monkeypatch: pytest.MonkeyPatch, fast_retrying: RetryingFactory
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    facts = collect(_config(), retrying=fast_retrying)
    identity = facts.callers[0].identity
    assert isinstance(identity, Unavailable)
    assert (identity.error.code, identity.error.operation) == (
        "NoCredentials",
        "sts:GetCallerIdentity",
    )


def test_reader_for_account_and_hop_merge(
    world: None, fast_retrying: RetryingFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}
    third = "999988887777"

    def destinations(ctx: CollectContext) -> tuple[Destination, ...]:
        seen["dest"] = ctx.reader_for_account(DESTINATION)
        seen["intermediate"] = ctx.reader_for_account(INTERMEDIATE)
        seen["third"] = ctx.reader_for_account(third)
        return tuple(
            Destination(arn=d.role.arn, external_id=d.external_id, role=Ok(None))
            for d in ctx.config.destinations
        )

    attempt = AssumeAttempt(role_arn=DEST, succeeded=True, session_name="s", region="us-east-1")

    def hops(ctx: CollectContext, dests: tuple[Destination, ...]) -> HopResult:
        assert [d.role for d in dests] == [Skipped("not read")]
        return HopResult(
            hop1=Ok(attempt),
            destinations=tuple(Destination(arn=d.arn, hop=Ok(attempt)) for d in dests),
        )

    monkeypatch.setattr("qsdoctor.collect.destinations.collect_destinations", destinations)
    monkeypatch.setattr("qsdoctor.collect.hops.collect_hops", hops)
    ext = ExternalId("x" * 40, source="test")
    facts = collect(
        _config(
            profile="vendor",
            intermediate_profile="customer",
            destination_profile="dest",
            destinations=(DestinationSpec(role=parse_role_arn(DEST), external_id=ext),),
        ),
        retrying=fast_retrying,
    )
    assert seen["dest"].value.label == "dest"
    assert seen["intermediate"].value.label == "customer"
    assert isinstance(seen["third"], Skipped)
    assert "--destination-profile dest is in another account" in seen["third"].reason
    assert facts.destinations == (
        Destination(arn=DEST, external_id=ext, role=Ok(None), hop=Ok(attempt)),
    )
    assert facts.hop1 == Ok(attempt)


def test_reader_for_account_without_destination_profile(
    world: None, fast_retrying: RetryingFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Any] = []

    def destinations(ctx: CollectContext) -> tuple[Destination, ...]:
        seen.append(ctx.reader_for_account(DESTINATION))
        return ()

    monkeypatch.setattr("qsdoctor.collect.destinations.collect_destinations", destinations)
    collect(_config(profile="vendor"), retrying=fast_retrying)
    assert isinstance(seen[0], Skipped)
    assert "pass --destination-profile" in seen[0].reason


def test_hops_and_reads_run_side_by_side(
    world: None, fast_retrying: RetryingFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The destination reads wait for the hops to start: sequential code would time out."""
    hops_started = threading.Event()
    reads_started = threading.Event()

    def destinations(ctx: CollectContext) -> tuple[Destination, ...]:
        reads_started.set()
        assert hops_started.wait(5), "destination reads waited for the hops to finish"
        return ()

    def hops(ctx: CollectContext, dests: tuple[Destination, ...]) -> HopResult:
        hops_started.set()
        assert reads_started.wait(5), "hops waited for the destination reads to finish"
        return HopResult()

    monkeypatch.setattr("qsdoctor.collect.destinations.collect_destinations", destinations)
    monkeypatch.setattr("qsdoctor.collect.hops.collect_hops", hops)
    facts = collect(_config(profile="customer"), retrying=fast_retrying)
    assert isinstance(facts.intermediate_role, Ok)


def test_assumed_gateway_uses_only_the_given_credentials(
    world: None, fast_retrying: RetryingFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    captured: list[CollectContext] = []

    def destinations(ctx: CollectContext) -> tuple[Destination, ...]:
        captured.append(ctx)
        return ()

    monkeypatch.setattr("qsdoctor.collect.destinations.collect_destinations", destinations)
    collect(_config(profile="vendor"), retrying=fast_retrying)
    creds = boto3.client("sts").assume_role(RoleArn=DEST, RoleSessionName="qsdoctor-hop2")[
        "Credentials"
    ]
    gateway = captured[0].assumed_gateway(creds, label=f"session of {DEST}")
    who = gateway.call("sts", "get_caller_identity")
    assert who["Account"] == DESTINATION
    assert gateway.label == f"session of {DEST}"
    assert gateway.region == "us-east-1"


def test_progress_lines(world: None, fast_retrying: RetryingFactory) -> None:
    lines: list[str] = []
    collect(_config(profile="customer"), progress=lines.append, retrying=fast_retrying)
    assert lines[0] == "resolving credentials"
    assert len(lines) >= 2


def test_external_ids_are_redacted_from_aws_messages(
    world: None, fast_retrying: RetryingFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "qs-1b2c3d4e5f60718293a4b5c6d7e8f901"
    _with_answer(monkeypatch, "iam", "GetRole", "ValidationError", f"bad value '{secret}' here")
    facts = collect(
        _config(profile="customer", external_id=ExternalId(secret, source="test")),
        retrying=fast_retrying,
    )
    role = facts.intermediate_role
    assert isinstance(role, Unavailable)
    assert role.error.message == "bad value '<redacted>' here"
    assert secret not in repr(facts)


def test_reader_for_account_when_the_destination_profile_is_broken(
    world: None, fast_retrying: RetryingFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Any] = []

    def destinations(ctx: CollectContext) -> tuple[Destination, ...]:
        seen.append(ctx.reader_for_account(DESTINATION))
        seen.append(ctx.reader_for_account(INTERMEDIATE))
        return ()

    monkeypatch.setattr("qsdoctor.collect.destinations.collect_destinations", destinations)
    facts = collect(_config(profile="customer", destination_profile="gone"), retrying=fast_retrying)
    assert [(c.label, c.profile) for c in facts.callers] == [
        ("caller", "customer"),
        ("destination", "gone"),
    ]
    broken, intermediate = seen
    assert isinstance(broken, Unavailable)
    assert broken.error.code == "ProfileNotFound"
    assert isinstance(intermediate, Ok)
    assert intermediate.value.label == "customer"


def test_trail_starts_once_hop1_is_announced(
    world: None, fast_retrying: RetryingFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hop 2 waits for the trail reads to start: waiting for all hops would time out."""
    trail_started = threading.Event()
    attempt = AssumeAttempt(role_arn=ROLE, succeeded=True, session_name="s", region="eu-west-1")
    seen: list[Any] = []

    def hops(ctx: CollectContext, dests: tuple[Destination, ...]) -> HopResult:
        ctx.announce_hop1(Ok(attempt))
        ctx.announce_hop1(Skipped("ignored: hop 1 was already announced"))
        assert trail_started.wait(5), "the trail reads waited for hop 2"
        return HopResult(hop1=Ok(attempt))

    def trail(ctx: CollectContext, hop1: Any) -> None:
        seen.append(hop1)
        trail_started.set()

    monkeypatch.setattr("qsdoctor.collect.hops.collect_hops", hops)
    monkeypatch.setattr("qsdoctor.collect.trail.collect_trail", trail)
    facts = collect(_config(profile="customer"), retrying=fast_retrying)
    assert seen == [Ok(attempt)]
    assert facts.hop1 == Ok(attempt)


def test_trail_gets_hop1_from_the_result_when_not_announced(
    world: None, fast_retrying: RetryingFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempt = AssumeAttempt(role_arn=ROLE, succeeded=False, session_name="s", region="us-east-1")
    seen: list[Any] = []
    monkeypatch.setattr(
        "qsdoctor.collect.hops.collect_hops", lambda ctx, dests: HopResult(hop1=Ok(attempt))
    )
    monkeypatch.setattr("qsdoctor.collect.trail.collect_trail", lambda ctx, hop1: seen.append(hop1))
    collect(_config(profile="customer"), retrying=fast_retrying)
    assert seen == [Ok(attempt)]


def test_wrong_path_is_suggested_even_when_list_roles_is_denied(
    world: None, fast_retrying: RetryingFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = _create_role(INTERMEDIATE, "PathedRole", path="/quiverstone/")
    _with_answer(monkeypatch, "iam", "ListRoles", "AccessDenied")
    facts = collect(
        _config(profile="customer", arn=f"arn:aws:iam::{INTERMEDIATE}:role/PathedRole"),
        retrying=fast_retrying,
    )
    assert facts.intermediate_role == Ok(None)
    assert facts.role_candidates == Ok((real,))


def test_missing_role_with_list_roles_denied(
    world: None, fast_retrying: RetryingFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_answer(monkeypatch, "iam", "ListRoles", "AccessDenied")
    facts = collect(
        _config(profile="customer", arn=f"arn:aws:iam::{INTERMEDIATE}:role/Absent"),
        retrying=fast_retrying,
    )
    assert facts.intermediate_role == Ok(None)
    candidates = facts.role_candidates
    assert isinstance(candidates, Unavailable)
    assert candidates.error.operation == "iam:ListRoles"


def test_while_waiting_runs_while_the_reads_are_in_flight(
    world: None, fast_retrying: RetryingFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hop collector waits for the hook: a hook run after the reads would time out."""
    ran = threading.Event()
    waited: list[bool] = []
    attempt = AssumeAttempt(role_arn=ROLE, succeeded=False, session_name="s", region="us-east-1")

    def hops(ctx: CollectContext, dests: tuple[Destination, ...]) -> HopResult:
        waited.append(ran.wait(5))
        return HopResult(hop1=Ok(attempt))

    monkeypatch.setattr("qsdoctor.collect.hops.collect_hops", hops)
    facts = collect(_config(profile="customer"), retrying=fast_retrying, while_waiting=ran.set)
    assert waited == [True]
    assert facts.hop1 == Ok(attempt)


def test_cloudtrail_clients_are_made_before_hop1_is_known(
    world: None, fast_retrying: RetryingFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hop 1 waits until both readers have CloudTrail clients for the lookups' Regions."""
    made: dict[str, set[str]] = {}
    lock = threading.Lock()
    all_made = threading.Event()
    original = collect_module.AwsGateway.precreate

    def precreate(self: Any, services: Any, region: str | None = None) -> None:
        original(self, services, region)
        if "cloudtrail" in services:
            with lock:
                made.setdefault(self.label, set()).add(region or self.region)
                if made == {
                    "vendor": {"eu-west-1", "us-east-1"},
                    "customer": {"eu-west-1", "us-east-1"},
                }:
                    all_made.set()

    waited: list[bool] = []
    attempt = AssumeAttempt(role_arn=ROLE, succeeded=False, session_name="s", region="eu-west-1")

    def hops(ctx: CollectContext, dests: tuple[Destination, ...]) -> HopResult:
        waited.append(all_made.wait(5))
        return HopResult(hop1=Ok(attempt))

    monkeypatch.setattr(collect_module.AwsGateway, "precreate", precreate)
    monkeypatch.setattr("qsdoctor.collect.hops.collect_hops", hops)
    monkeypatch.setattr("qsdoctor.collect.trail.collect_trail", lambda ctx, hop1: None)
    collect(
        _config(profile="vendor", intermediate_profile="customer", trail=True, region="eu-west-1"),
        retrying=fast_retrying,
    )
    assert waited == [True], made


def test_trails_are_described_before_hop1_ends_and_only_once(
    world: None, fast_retrying: RetryingFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hop 1 waits for DescribeTrails to start: it does not need hop 1's outcome."""
    import qsdoctor.collect.trail as trail_module
    from qsdoctor.facts import TrailInfo

    described = threading.Event()
    calls: list[tuple[str, ...]] = []
    info = TrailInfo(
        name="acme",
        arn=f"arn:aws:cloudtrail:us-east-1:{INTERMEDIATE}:trail/acme",
        home_region="us-east-1",
        is_organization_trail=False,
        is_multi_region=True,
        is_logging=True,
        records_management_events=True,
    )

    def describe(gateway: Any, regions: Any) -> Any:
        calls.append(tuple(regions))
        described.set()
        return Ok((info,))

    waited: list[bool] = []
    attempt = AssumeAttempt(role_arn=ROLE, succeeded=False, session_name="s", region="us-east-1")

    def hops(ctx: CollectContext, dests: tuple[Destination, ...]) -> HopResult:
        waited.append(described.wait(5))
        ctx.announce_hop1(Ok(attempt))
        return HopResult(hop1=Ok(attempt))

    monkeypatch.setattr(trail_module, "describe_trails", describe)
    monkeypatch.setattr(
        trail_module,
        "lookup_assume_role",
        lambda gateway, *, region, **_: trail_module.RegionRead(region=region),
    )
    monkeypatch.setattr("qsdoctor.collect.hops.collect_hops", hops)
    facts = collect(
        _config(profile="vendor", intermediate_profile="customer", trail=True, region="us-east-1"),
        retrying=fast_retrying,
    )
    assert waited == [True]
    assert calls == [("us-east-1",)]
    assert facts.trail is not None
    assert facts.trail.trails == Ok((info,))
