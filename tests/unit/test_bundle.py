"""Facts bundles round-trip every field, redact External IDs, and replay to the same verdicts."""

from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from qsdoctor.bundle import (
    REDACTED_PREFIX,
    facts_from_dict,
    facts_to_dict,
    load_facts,
    save_facts,
)
from qsdoctor.errors import UsageError
from qsdoctor.facts import (
    AssumeAttempt,
    CallerFacts,
    CallerIdentity,
    Destination,
    Facts,
    NamedPolicy,
    NegativeProbes,
    RoleFacts,
    RolePermissions,
    TrailEvent,
    TrailFacts,
    TrailInfo,
    TrailLookup,
)
from qsdoctor.models import AwsCallError, Ok, Skipped, Status, Unavailable
from qsdoctor.secrets import ExternalId

VENDOR = "684035162433"
INTERMEDIATE = "arn:aws:iam::111122223333:role/QuiverstoneTrustedIntermediate"
DEST = "arn:aws:iam::210987654321:role/QuiverstoneChainedAccess"
SECRET = "Qs-7f3a9c1e5b2d4f6a8c0e1b3d5f7a9c2e4"
DEST_SECRET = "Dst-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
STRANGER = "someone-elses-external-id-0000000"


def trust(*external_ids: str, key: str = "sts:ExternalId") -> dict[str, Any]:
    value: Any = list(external_ids) if len(external_ids) > 1 else external_ids[0]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "QuiverstoneProduction",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"},
                "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
                "Condition": {"StringEquals": {key: value, "aws:PrincipalAccount": VENDOR}},
            }
        ],
    }


def role(arn: str, account: str, trust_policy: dict[str, Any]) -> RoleFacts:
    name = arn.rsplit("/", 1)[1]
    return RoleFacts(
        arn=arn,
        name=name,
        path="/",
        role_id="AROAEXAMPLE" + name.upper()[:8],
        account_id=account,
        trust_policy=trust_policy,
        max_session_duration=7200,
        create_date="2026-01-02T03:04:05Z",
        last_used_date="2026-12-01T00:00:00Z",
        last_used_region="us-east-1",
        tags=(("owner", "platform"), ("cost-center", "42")),
        permissions=Ok(
            RolePermissions(
                inline=(
                    NamedPolicy(
                        name="AssumeChained",
                        kind="inline",
                        document={
                            "Version": "2012-10-17",
                            "Statement": [
                                {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": DEST}
                            ],
                        },
                    ),
                ),
                attached=(
                    NamedPolicy(
                        name="ReadOnly",
                        kind="managed",
                        arn="arn:aws:iam::aws:policy/ReadOnlyAccess",
                        version_id="v7",
                        document={"Version": "2012-10-17", "Statement": []},
                    ),
                ),
                boundary=NamedPolicy(
                    name="Boundary",
                    kind="boundary",
                    arn=f"arn:aws:iam::{account}:policy/Boundary",
                    version_id="v1",
                    document={"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
                ),
            )
        ),
    )


def attempt(arn: str, *, ok: bool, fp: str | None = None) -> AssumeAttempt:
    return AssumeAttempt(
        role_arn=arn,
        succeeded=ok,
        session_name="qsdoctor-check",
        region="us-east-1",
        endpoint="https://sts.us-east-1.amazonaws.com",
        duration_seconds=900,
        external_id_sent=fp is not None,
        external_id_fingerprint=fp,
        source_identity="jdoe",
        session_arn="arn:aws:sts::111122223333:assumed-role/X/qsdoctor-check" if ok else None,
        expiration="2026-12-04T17:00:00Z" if ok else None,
        error_code=None if ok else "AccessDenied",
        error_message=None if ok else "not authorized to perform sts:AssumeRole",
        attempted_at="2026-12-04T16:00:00Z",
    )


def full_facts(
    *, configured: str = SECRET, in_trust: str = SECRET, dest_secret: str = DEST_SECRET
) -> Facts:
    """Facts with every field set to something other than its default, and every Fetched
    variant somewhere."""
    eid = ExternalId(configured, source="$QSDOCTOR_EXTERNAL_ID")
    denied = AwsCallError(
        operation="iam:GetRole",
        code="AccessDenied",
        message="User is not authorized",
        resource=DEST,
        profile="acme-audit",
    )
    event = TrailEvent(
        event_id="e-1",
        event_time="2026-12-04T09:12:00Z",
        region="us-east-1",
        succeeded=False,
        role_arn=INTERMEDIATE,
        caller_arn=f"arn:aws:sts::{VENDOR}:assumed-role/Platform/s",
        caller_account=VENDOR,
        recipient_account=VENDOR,
        error_code="AccessDenied",
        error_message="not authorized",
        session_name="platform",
        external_id_fingerprint=eid.fingerprint,
        source_identity="svc",
        user_agent="aws-sdk-go",
        caller_type="AssumedRole",
        endpoint="sts.amazonaws.com",
    )
    return Facts(
        collected_at="2026-12-04T16:00:00Z",
        vendor_account_id=VENDOR,
        intermediate_arn=INTERMEDIATE,
        region="eu-west-1",
        partition="aws",
        callers=(
            CallerFacts(
                label="caller",
                profile="qs-support",
                identity=Ok(
                    CallerIdentity(
                        account=VENDOR,
                        arn=f"arn:aws:sts::{VENDOR}:assumed-role/Support/jdoe",
                        user_id="AROAX:jdoe",
                    )
                ),
            ),
            CallerFacts(label="intermediate", profile="acme-audit", identity=Unavailable(denied)),
            CallerFacts(label="destination", profile=None, identity=Skipped("not resolved")),
        ),
        external_id=eid,
        source_identity="jdoe",
        session_tag_keys=("Team", "Ticket"),
        intermediate_role=Ok(role(INTERMEDIATE, "111122223333", trust(in_trust, STRANGER))),
        role_candidates=Ok((INTERMEDIATE, "arn:aws:iam::111122223333:role/Other")),
        destinations=(
            Destination(
                arn=DEST,
                role=Ok(
                    role(
                        DEST,
                        "210987654321",
                        trust(dest_secret, key="STS:EXTERNALID"),
                    )
                ),
                external_id=ExternalId(dest_secret, source="$QSDOCTOR_DESTINATION_EXTERNAL_ID"),
                hop=Ok(attempt(DEST, ok=True)),
            ),
            Destination(
                arn="arn:aws:iam::210987654322:role/Missing",
                role=Ok(None),
                other_arn="arn:aws:iam::210987654322:role/team/Missing",
            ),
            Destination(arn="arn:aws:iam::210987654323:role/Denied", role=Unavailable(denied)),
        ),
        hop1=Ok(attempt(INTERMEDIATE, ok=False, fp=eid.fingerprint)),
        negative_probes=Ok(
            NegativeProbes(
                without_external_id=attempt(INTERMEDIATE, ok=False),
                wrong_external_id=attempt(INTERMEDIATE, ok=False, fp="000000"),
            )
        ),
        trail=TrailFacts(
            since="2026-12-03T16:00:00Z",
            until="2026-12-04T16:00:00Z",
            trails=Ok(
                (
                    TrailInfo(
                        name="org",
                        arn="arn:aws:cloudtrail:us-east-1:111122223333:trail/org",
                        home_region="us-east-1",
                        is_organization_trail=True,
                        is_multi_region=True,
                        is_logging=None,
                        records_management_events=True,
                        selector_summary="all management events",
                        s3_bucket="org-logs",
                        s3_prefix="AWSLogs",
                    ),
                )
            ),
            hop1=Ok(
                TrailLookup(
                    vantage="production",
                    regions=("us-east-1", "eu-west-1"),
                    events=(event,),
                    malformed=1,
                    pages=2,
                    sources=("LookupEvents",),
                    notes=("eu-west-1: page cap reached",),
                )
            ),
            hop2=Unavailable(
                AwsCallError(
                    operation="cloudtrail:LookupEvents", code="ThrottlingException", message="slow"
                )
            ),
        ),
        notes=("intermediate account read with profile acme-audit",),
    )


def roundtrip(facts: Facts, **kw: Any) -> tuple[str, Facts]:
    text = json.dumps(facts_to_dict(facts, **kw))
    return text, facts_from_dict(json.loads(text)).facts


def _dataclass_types(tp: Any, seen: set[type]) -> None:
    for arg in typing.get_args(tp):
        _dataclass_types(arg, seen)
    origin = typing.get_origin(tp)
    if origin is not None and dataclasses.is_dataclass(origin):
        _dataclass_types(origin, seen)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp) and tp not in seen:
        seen.add(tp)
        for hint in typing.get_type_hints(tp).values():
            _dataclass_types(hint, seen)


def _instances(value: Any, found: set[type]) -> None:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        found.add(type(value))
        for f in dataclasses.fields(value):
            _instances(getattr(value, f.name), found)
    elif isinstance(value, (tuple, list)):
        for v in value:
            _instances(v, found)


def test_sample_covers_every_type_a_bundle_can_hold() -> None:
    reachable: set[type] = set()
    _dataclass_types(Facts, reachable)
    present: set[type] = set()
    _instances(full_facts(), present)
    assert reachable - present == set()
    assert {Ok, Unavailable, Skipped} <= present


def test_unredacted_round_trip_is_exact() -> None:
    facts = full_facts()
    text, back = roundtrip(facts, show_secrets=True)
    assert back == facts
    assert SECRET in text


def test_redacted_bundle_holds_no_external_id() -> None:
    text, back = roundtrip(full_facts())
    for secret in (SECRET, DEST_SECRET, STRANGER):
        assert secret not in text
    assert back.external_id is not None
    assert back.external_id.value.startswith(REDACTED_PREFIX)
    assert "redacted" in back.external_id.source


def test_tokens_preserve_equality_and_only_equality() -> None:
    _, back = roundtrip(full_facts())
    assert back.external_id is not None
    inter = back.intermediate_role
    assert isinstance(inter, Ok)
    assert inter.value is not None
    values = inter.value.trust_policy["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"]
    assert values[0] == back.external_id.value  # equal secrets, equal tokens
    assert values[1] != back.external_id.value  # the stranger's differs
    assert values[1].startswith(REDACTED_PREFIX)
    # Other conditions are untouched; so is a differently cased key (IAM keys ignore case).
    assert (
        inter.value.trust_policy["Statement"][0]["Condition"]["StringEquals"][
            "aws:PrincipalAccount"
        ]
        == VENDOR
    )
    dest = back.destinations[0]
    assert isinstance(dest.role, Ok)
    assert dest.role.value is not None
    cond = dest.role.value.trust_policy["Statement"][0]["Condition"]["StringEquals"]
    assert dest.external_id is not None
    assert cond["STS:EXTERNALID"] == dest.external_id.value


def test_every_bundle_has_its_own_key() -> None:
    first, _ = roundtrip(full_facts())
    second, _ = roundtrip(full_facts())
    token = lambda text: json.loads(text)["facts"]["external_id"]["value"]  # noqa: E731
    assert token(first) != token(second)
    assert json.loads(first)["redaction"]["key"] != json.loads(second)["redaction"]["key"]


def test_recorded_fingerprints_still_point_at_the_configured_id() -> None:
    _, back = roundtrip(full_facts())
    assert back.external_id is not None
    assert back.trail is not None
    assert isinstance(back.trail.hop1, Ok)
    assert back.trail.hop1.value.events[0].external_id_fingerprint == back.external_id.fingerprint
    assert isinstance(back.hop1, Ok)
    assert back.hop1.value.external_id_fingerprint == back.external_id.fingerprint
    assert isinstance(back.negative_probes, Ok)
    assert back.negative_probes.value.wrong_external_id.external_id_fingerprint == "000000"


@pytest.mark.parametrize("in_trust", [SECRET, SECRET + "x", SECRET.lower()])
def test_replay_reaches_the_same_verdicts(in_trust: str) -> None:
    from qsdoctor.checks.registry import run_checks

    facts = full_facts(in_trust=in_trust)
    _, back = roundtrip(facts)
    live = {(f.id, f.subject): f.status for f in run_checks(facts)}
    replay = {(f.id, f.subject): f.status for f in run_checks(back)}
    # The verdict that matters here does differ between the cases.
    expected = Status.PASS if in_trust == SECRET else Status.FAIL
    assert live[("QS104", INTERMEDIATE)] == expected
    # Strength (QS105) looks at the value itself, which a replay no longer has.
    live.pop(("QS105", INTERMEDIATE), None)
    replay.pop(("QS105", INTERMEDIATE), None)
    assert replay == live


def test_save_and_load_files(tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    save_facts(full_facts(), path)
    assert SECRET not in path.read_text()
    loaded = load_facts(path)
    assert loaded.redacted
    assert loaded.saved_by.startswith("qsdoctor ")
    assert loaded.facts.intermediate_arn == INTERMEDIATE


def test_unwritable_save_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot be written"):
        save_facts(full_facts(), tmp_path / "missing-dir" / "facts.json")


def _mutated(path: list[str | int], value: Any) -> dict[str, Any]:
    data = facts_to_dict(full_facts())
    node: Any = data
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ([], "not a qsdoctor facts bundle"),
        ({"format": "other"}, "not a qsdoctor facts bundle"),
        (_mutated(["version"], 99), "version 99"),
        (_mutated(["facts", "intermediate_arn"], KeyError), "facts: expected a complete Facts"),
        (_mutated(["facts", "hop1"], {"maybe": 1}), "facts.hop1"),
        (_mutated(["facts", "hop1"], {"ok": 1, "skipped": "x"}), "facts.hop1"),
        (_mutated(["facts", "callers", 0, "label"], "boss"), "facts.callers[0].label"),
        (_mutated(["facts", "region"], 5), "facts.region: expected str"),
        (_mutated(["facts", "destinations"], {}), "facts.destinations: expected a list"),
        (_mutated(["facts", "external_id"], "plain"), "facts.external_id"),
        (_mutated(["facts", "intermediate_arn"], "QuiverstoneTrustedIntermediate"), "not an ARN"),
        (
            _mutated(["facts", "destinations", 0, "arn"], "arn:aws:iam::1:role/X"),
            "destinations[0].arn",
        ),
    ],
)
def test_malformed_bundles_are_usage_errors(data: Any, fragment: str) -> None:
    with pytest.raises(UsageError) as info:
        facts_from_dict(data)
    assert fragment in info.value.message


@pytest.mark.parametrize(
    ("content", "fragment"), [("{", "not valid JSON"), ("\xff", "cannot be read")]
)
def test_unreadable_bundle_files(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "facts.json"
    path.write_bytes(content.encode("latin-1"))
    with pytest.raises(UsageError, match=fragment):
        load_facts(path)
    with pytest.raises(UsageError, match="no such file"):
        load_facts(tmp_path / "none.json")


_BASELINE = json.dumps(facts_to_dict(full_facts()))
_STS_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@:/-"


@settings(max_examples=60, deadline=None)
@given(
    configured=st.text(_STS_ALPHABET, min_size=16, max_size=64),
    other=st.text(_STS_ALPHABET, min_size=16, max_size=64),
    same=st.booleans(),
)
def test_redaction_hides_values_and_keeps_equality(configured: str, other: str, same: bool) -> None:
    in_trust = configured if same else other
    # Values that occur in the bundle anyway (ARNs, keys, dates) prove nothing here.
    assume(configured not in _BASELINE and in_trust not in _BASELINE)
    text, back = roundtrip(full_facts(configured=configured, in_trust=in_trust))
    assert configured not in text
    assert in_trust not in text
    inter = back.intermediate_role
    assert isinstance(inter, Ok)
    assert inter.value is not None
    assert back.external_id is not None
    condition = inter.value.trust_policy["Statement"][0]["Condition"]["StringEquals"]
    token = condition["sts:ExternalId"][0]
    assert (token == back.external_id.value) == (configured == in_trust)
