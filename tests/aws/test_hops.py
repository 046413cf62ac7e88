"""Live hops against moto, with AWS's AssumeRole decisions stated by hand (the gate).

moto's AssumeRole accepts any caller, role and External ID, so an `AssumeGate`
answers sts:AssumeRole on every session qsdoctor builds (it wraps
`qsdoctor.aws.sessions.install_guard`, which every session passes through) from a
hand-written table: (caller, role, External ID) -> allow, or AWS's exact error
(texts from aws-facts.md §1-2). Nothing here asks qsdoctor's policy engine.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

import qsdoctor.aws.sessions as sessions_module
import qsdoctor.collect.hops as hops_module
from qsdoctor.arn import parse_role_arn
from qsdoctor.aws.gateway import RetryingFactory
from qsdoctor.collect import collect
from qsdoctor.collect.hops import PROBE_NO_EXTERNAL_ID, PROBE_WRONG_EXTERNAL_ID
from qsdoctor.config import CheckConfig, DestinationSpec
from qsdoctor.facts import Facts
from qsdoctor.models import Ok, Skipped
from qsdoctor.secrets import ExternalId
from tests.aws.conftest import DESTINATION, INTERMEDIATE, PRODUCTION, account_session

INTERMEDIATE_ARN = f"arn:aws:iam::{INTERMEDIATE}:role/QuiverstoneTrustedIntermediate"
DEST_ARN = f"arn:aws:iam::{DESTINATION}:role/QuiverstoneChainedAccess"
HOP1_CALLER = f"arn:aws:sts::{INTERMEDIATE}:assumed-role/QuiverstoneTrustedIntermediate/"
EXT = "acme-intermediate-7f3e9a2b4c6d8e0f1a3b5c7d9e1f3a5b"
DEST_EXT = "acme-destination-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
ANY = object()
BARE = "User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role}"


@dataclass(frozen=True)
class Rule:
    """AWS's decision for calls by `caller` (ARN prefix) on `role` with `external_id`.

    `external_id`: the exact value required, None for "none sent", ANY for any.
    `answer`: "allow", or (code, message) with {caller}/{role} filled in.
    """

    caller: str
    role: str
    external_id: object
    answer: str | tuple[str, str]


@dataclass
class AssumeGate:
    """Answers sts:AssumeRole from `rules` (first match); unmatched calls get a bare denial."""

    rules: list[Rule] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    issued_secrets: list[str] = field(default_factory=list)

    def decide(self, caller: str, params: dict[str, Any]) -> str | tuple[str, str]:
        for rule in self.rules:
            if not caller.startswith(rule.caller) or params["RoleArn"] != rule.role:
                continue
            sent = params.get("ExternalId")
            if rule.external_id is ANY or rule.external_id == sent:
                return rule.answer
        return ("AccessDenied", BARE)


def _caller_arn(creds: Any) -> str:
    frozen = creds.get_frozen_credentials()
    sts = boto3.client(
        "sts",
        region_name="us-east-1",
        aws_access_key_id=frozen.access_key,
        aws_secret_access_key=frozen.secret_key,
        aws_session_token=frozen.token,
    )
    return str(sts.get_caller_identity()["Arn"])


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> AssumeGate:
    """Install the AssumeRole gate on every session qsdoctor builds."""
    from botocore.awsrequest import AWSResponse

    state = AssumeGate()
    original = sessions_module.install_guard

    def install(session: boto3.Session, allowed: frozenset[tuple[str, str]]) -> None:
        original(session, allowed)
        creds = session.get_credentials()

        def before(params: dict[str, Any], **_: Any) -> Any:
            body = dict(params.get("body") or {})
            caller = _caller_arn(creds)
            call = {"caller": caller, **body}
            if "DurationSeconds" in call:
                call["DurationSeconds"] = int(call["DurationSeconds"])
            state.calls.append(call)
            answer = state.decide(caller, call)
            if answer == "allow":
                return None
            code, message = answer  # type: ignore[misc]
            parsed = {
                "Error": {
                    "Code": code,
                    "Message": message.format(caller=caller, role=call["RoleArn"]),
                },
                "ResponseMetadata": {"HTTPStatusCode": 403 if code == "AccessDenied" else 400},
            }
            status = parsed["ResponseMetadata"]["HTTPStatusCode"]
            return AWSResponse("https://sts.invalid/", status, {}, None), parsed  # type: ignore[arg-type]

        def after(parsed: dict[str, Any], **_: Any) -> None:
            got = parsed.get("Credentials") or {}
            for key in ("SecretAccessKey", "SessionToken", "AccessKeyId"):
                if got.get(key):
                    state.issued_secrets.append(str(got[key]))

        session.events.register("before-call.sts.AssumeRole", before)
        session.events.register("after-call.sts.AssumeRole", after)

    monkeypatch.setattr(sessions_module, "install_guard", install)
    return state


def _create_role(account: str, arn: str, trust: dict[str, Any] | None = None) -> None:
    role = parse_role_arn(arn)
    account_session(account).client("iam").create_role(
        RoleName=role.name,
        Path=role.path,
        AssumeRolePolicyDocument=json.dumps(
            trust
            or {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": INTERMEDIATE},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )


def config(**changes: Any) -> CheckConfig:
    base = CheckConfig(
        intermediate=parse_role_arn(INTERMEDIATE_ARN),
        destinations=(
            DestinationSpec(
                role=parse_role_arn(DEST_ARN), external_id=ExternalId(DEST_EXT, source="test")
            ),
        ),
        profile="qs-support",
        external_id=ExternalId(EXT, source="test"),
        trail=False,
    )
    return dataclasses.replace(base, **changes)


HAPPY = [
    Rule(f"arn:aws:iam::{PRODUCTION}:user/", INTERMEDIATE_ARN, EXT, "allow"),
    Rule(HOP1_CALLER, DEST_ARN, DEST_EXT, "allow"),
]


@pytest.fixture
def production(account_profile: Callable[..., str]) -> str:
    return account_profile(PRODUCTION, "qs-support")


def run(cfg: CheckConfig, retrying: RetryingFactory) -> Facts:
    return collect(cfg, retrying=retrying)


def _dump(facts: Facts) -> str:
    return repr(facts) + json.dumps(dataclasses.asdict(facts), default=str)


def test_full_chain_hops_with_the_documented_parameters(
    gate: AssumeGate, production: str, fast_retrying: RetryingFactory
) -> None:
    gate.rules = list(HAPPY)
    facts = run(config(source_identity="jdoe"), fast_retrying)

    assert isinstance(facts.hop1, Ok)
    hop1 = facts.hop1.value
    assert hop1.succeeded
    assert hop1.session_arn is not None
    assert hop1.session_arn.startswith(HOP1_CALLER + "qsdoctor-")
    assert hop1.external_id_sent
    assert hop1.region == "us-east-1"
    assert hop1.endpoint

    dest_hop = facts.destinations[0].hop
    assert isinstance(dest_hop, Ok)
    assert dest_hop.value.succeeded

    hop1_call = next(
        c
        for c in gate.calls
        if c["RoleSessionName"].startswith("qsdoctor-")
        and "probe" not in c["RoleSessionName"]
        and c["RoleArn"] == INTERMEDIATE_ARN
    )
    hop2_call = next(c for c in gate.calls if c["RoleArn"] == DEST_ARN)
    assert hop1_call["DurationSeconds"] == 900
    assert hop1_call["ExternalId"] == EXT
    assert hop1_call["SourceIdentity"] == "jdoe"
    assert hop2_call["DurationSeconds"] <= 3600
    assert hop2_call["ExternalId"] == DEST_EXT
    assert hop2_call["caller"].startswith(HOP1_CALLER)
    assert "SourceIdentity" not in hop2_call  # carried by STS, not re-sent
    assert re.fullmatch(r"qsdoctor-[0-9a-f]{8}", hop1_call["RoleSessionName"])


def test_probes_are_named_as_probes_and_refused(
    gate: AssumeGate, production: str, fast_retrying: RetryingFactory
) -> None:
    gate.rules = list(HAPPY)
    facts = run(config(), fast_retrying)
    assert isinstance(facts.negative_probes, Ok)
    probes = facts.negative_probes.value
    assert probes.without_external_id.session_name.startswith(PROBE_NO_EXTERNAL_ID + "-")
    assert probes.wrong_external_id.session_name.startswith(PROBE_WRONG_EXTERNAL_ID + "-")
    assert not probes.without_external_id.succeeded
    assert not probes.wrong_external_id.succeeded
    assert probes.without_external_id.error_code == "AccessDenied"

    probe_calls = [c for c in gate.calls if "probe" in c["RoleSessionName"]]
    assert len(probe_calls) == 2
    no_id = next(c for c in probe_calls if c["RoleSessionName"].startswith(PROBE_NO_EXTERNAL_ID))
    wrong = next(c for c in probe_calls if c["RoleSessionName"].startswith(PROBE_WRONG_EXTERNAL_ID))
    assert "ExternalId" not in no_id
    assert wrong["ExternalId"] != EXT
    assert re.fullmatch(r"[\w+=,.@:/-]{2,1224}", wrong["ExternalId"], re.ASCII)
    assert wrong["ExternalId"] not in _dump(facts)


def test_accepted_probe_is_recorded_and_its_credentials_dropped(
    gate: AssumeGate, production: str, fast_retrying: RetryingFactory
) -> None:
    # A trust with no External ID condition: AWS ignores whatever ID is (not) sent.
    gate.rules = [
        Rule(f"arn:aws:iam::{PRODUCTION}:user/", INTERMEDIATE_ARN, ANY, "allow"),
        Rule(HOP1_CALLER, DEST_ARN, ANY, "allow"),
    ]
    facts = run(config(), fast_retrying)
    assert isinstance(facts.negative_probes, Ok)
    assert facts.negative_probes.value.without_external_id.succeeded
    assert facts.negative_probes.value.wrong_external_id.succeeded
    assert gate.issued_secrets, "the gate saw the credentials STS issued"
    dumped = _dump(facts)
    for secret in gate.issued_secrets:
        assert secret not in dumped


def test_no_credentials_or_external_ids_anywhere_in_facts(
    gate: AssumeGate, production: str, fast_retrying: RetryingFactory
) -> None:
    gate.rules = list(HAPPY)
    facts = run(config(), fast_retrying)
    assert len(gate.issued_secrets) >= 6  # hop 1 and hop 2 each issued a key set
    dumped = repr(facts) + json.dumps(dataclasses.asdict(facts), default=str)
    for secret in gate.issued_secrets:
        assert secret not in dumped
    hops_only = repr((facts.hop1, facts.negative_probes, [d.hop for d in facts.destinations]))
    assert EXT not in hops_only
    assert DEST_EXT not in hops_only
    assert EXT not in repr(facts)


def test_hop1_skipped_when_caller_is_not_in_the_production_account(
    gate: AssumeGate, account_profile: Callable[..., str], fast_retrying: RetryingFactory
) -> None:
    account_profile(INTERMEDIATE, "acme-admin")
    facts = run(config(profile="acme-admin"), fast_retrying)
    assert isinstance(facts.hop1, Skipped)
    assert facts.hop1.reason == (
        f"caller is in account {INTERMEDIATE}, not the production account {PRODUCTION}: run "
        "with a profile in the production account, or --no-live"
    )
    assert isinstance(facts.negative_probes, Skipped)
    assert isinstance(facts.destinations[0].hop, Skipped)
    assert gate.calls == []


def test_hop2_skipped_when_hop1_denied_and_message_classifiable(
    gate: AssumeGate, production: str, fast_retrying: RetryingFactory
) -> None:
    gate.rules = []  # AWS refuses everything with a bare AccessDenied
    facts = run(config(), fast_retrying)
    assert isinstance(facts.hop1, Ok)
    hop1 = facts.hop1.value
    assert not hop1.succeeded
    assert hop1.error_code == "AccessDenied"
    assert hop1.error_message is not None
    assert f"on resource: {INTERMEDIATE_ARN}" in hop1.error_message
    dest_hop = facts.destinations[0].hop
    assert isinstance(dest_hop, Skipped)
    assert "hop 1 did not succeed" in dest_hop.reason
    assert all(c["RoleArn"] == INTERMEDIATE_ARN for c in gate.calls)


def test_invalid_external_id_is_never_sent(
    gate: AssumeGate, production: str, fast_retrying: RetryingFactory
) -> None:
    bad = "acme external id with spaces 0123456789"
    facts = run(config(external_id=ExternalId(bad, source="test")), fast_retrying)
    assert isinstance(facts.hop1, Ok)
    assert facts.hop1.value.error_code == "ParamValidationError"
    assert not facts.hop1.value.external_id_sent
    assert all(c.get("ExternalId") != bad for c in gate.calls)
    assert bad not in repr(facts.hop1)


def test_echoed_external_id_is_redacted_from_sts_messages(
    gate: AssumeGate, production: str, fast_retrying: RetryingFactory
) -> None:
    # aws-facts §2: STS's ValidationError echoes the offending value.
    echoed = (
        "1 validation error detected: Value '" + EXT + "' at 'externalId' failed to satisfy "
        r"constraint: Member must satisfy regular expression pattern: [\w+=,.@:\/-]*"
    )
    gate.rules = [
        Rule(f"arn:aws:iam::{PRODUCTION}:user/", INTERMEDIATE_ARN, EXT, ("ValidationError", echoed))
    ]
    facts = run(config(), fast_retrying)
    assert isinstance(facts.hop1, Ok)
    message = facts.hop1.value.error_message or ""
    assert "at 'externalId'" in message
    assert EXT not in message


def test_chaining_limit_error_recorded_for_hop2(
    gate: AssumeGate, production: str, fast_retrying: RetryingFactory
) -> None:
    text = (
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed "
        "by role chaining."
    )
    gate.rules = [HAPPY[0], Rule(HOP1_CALLER, DEST_ARN, ANY, ("ValidationError", text))]
    facts = run(config(), fast_retrying)
    dest_hop = facts.destinations[0].hop
    assert isinstance(dest_hop, Ok)
    assert dest_hop.value.error_code == "ValidationError"
    assert dest_hop.value.error_message == text


def test_no_live_makes_no_assume_role_call(
    gate: AssumeGate, production: str, fast_retrying: RetryingFactory
) -> None:
    facts = run(config(live=False), fast_retrying)
    assert isinstance(facts.hop1, Skipped)
    assert "--no-live" in facts.hop1.reason
    assert isinstance(facts.negative_probes, Skipped)
    assert gate.calls == []


def test_negative_probes_off(
    gate: AssumeGate, production: str, fast_retrying: RetryingFactory
) -> None:
    gate.rules = list(HAPPY)
    facts = run(config(negative_probes=False), fast_retrying)
    assert isinstance(facts.negative_probes, Skipped)
    assert "--no-negative-probes" in facts.negative_probes.reason
    assert not any("probe" in c["RoleSessionName"] for c in gate.calls)
    assert isinstance(facts.hop1, Ok)
    assert facts.hop1.value.succeeded


def test_destination_read_by_the_hop2_session_when_no_profile_can(
    gate: AssumeGate, production: str, fast_retrying: RetryingFactory
) -> None:
    _create_role(DESTINATION, DEST_ARN)
    gate.rules = list(HAPPY)
    facts = run(config(), fast_retrying)
    role = facts.destinations[0].role
    assert isinstance(role, Ok)
    assert role.value is not None
    assert role.value.arn == DEST_ARN


def test_destination_unread_names_destination_profile_when_hop2_fails(
    gate: AssumeGate, production: str, fast_retrying: RetryingFactory
) -> None:
    _create_role(DESTINATION, DEST_ARN)
    gate.rules = [HAPPY[0]]
    facts = run(config(), fast_retrying)
    role = facts.destinations[0].role
    assert isinstance(role, Skipped)
    assert "--destination-profile" in role.reason


def test_denied_hop1_is_linked_to_the_external_id_mismatch_end_to_end(
    gate: AssumeGate,
    production: str,
    account_profile: Callable[..., str],
    fast_retrying: RetryingFactory,
) -> None:
    from qsdoctor.checks.registry import run_checks

    trust_value = EXT + "0"  # what the trust holds: one character longer
    _create_role(
        INTERMEDIATE,
        INTERMEDIATE_ARN,
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{PRODUCTION}:root"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": trust_value}},
                }
            ],
        },
    )
    account_profile(INTERMEDIATE, "acme-audit")
    # AWS's answer to the configured (shorter) External ID: a bare AccessDenied.
    gate.rules = [Rule(f"arn:aws:iam::{PRODUCTION}:user/", INTERMEDIATE_ARN, trust_value, "allow")]
    facts = run(config(intermediate_profile="acme-audit"), fast_retrying)
    findings = {f.id: f for f in run_checks(facts) if f.subject == INTERMEDIATE_ARN}

    assert findings["QS104"].status.value == "fail"
    hop1 = findings["QS301"]
    assert hop1.status.value == "fail"
    assert "most likely cause: QS104" in hop1.detail
    assert hop1.remediation == findings["QS104"].remediation
    assert findings["QS303"].status.value == "skip"
    dumped = json.dumps([f.to_dict() for f in findings.values()])
    assert EXT not in dumped
    assert trust_value not in dumped


def test_trail_reads_start_before_hop2_ends(
    gate: AssumeGate,
    production: str,
    fast_retrying: RetryingFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Hop 2 waits until the CloudTrail collector has started: it must not need hop 2."""
    gate.rules = list(HAPPY)
    trail_started = threading.Event()
    waited: list[bool] = []
    seen: list[Any] = []
    real_hop2 = hops_module._hop2

    def hop2(*args: Any, **kwargs: Any) -> Any:
        waited.append(trail_started.wait(5))
        return real_hop2(*args, **kwargs)

    def trail(ctx: Any, hop1: Any) -> None:
        seen.append(hop1)
        trail_started.set()

    monkeypatch.setattr(hops_module, "_hop2", hop2)
    monkeypatch.setattr("qsdoctor.collect.trail.collect_trail", trail)
    facts = run(config(trail=True), fast_retrying)
    assert waited == [True], "the trail reads waited for hop 2"
    assert seen == [facts.hop1]
    assert isinstance(facts.hop1, Ok)
    assert facts.hop1.value.succeeded


@pytest.mark.parametrize("changes", [{"live": False}, {"profile": "acme-admin"}])
def test_hop1_outcome_is_announced_when_hop1_cannot_run(
    gate: AssumeGate,
    account_profile: Callable[..., str],
    fast_retrying: RetryingFactory,
    monkeypatch: pytest.MonkeyPatch,
    changes: dict[str, Any],
) -> None:
    account_profile(INTERMEDIATE, "acme-admin")
    account_profile(PRODUCTION, "qs-support")
    announced: list[Any] = []
    real = hops_module.collect_hops

    def hops(ctx: Any, dests: Any) -> Any:
        result = real(ctx, dests)
        announced.append(ctx.hop1_outcome.result(timeout=0) if ctx.hop1_outcome.done() else None)
        return result

    monkeypatch.setattr(hops_module, "collect_hops", hops)
    facts = run(config(**changes), fast_retrying)
    assert isinstance(facts.hop1, Skipped)
    assert announced == [facts.hop1]
    assert gate.calls == []
