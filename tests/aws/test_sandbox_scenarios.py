"""The sandbox's data: gate tables decide as written, templates fill, scenarios are coherent.

The gate's tables and the scenarios' expectations are hand-written; these tests
catch slips in the writing (a rule that never matches, a placeholder left in a
record, an expected check ID that is not in the catalog, a doc out of date).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from qsdoctor.checks.registry import load_all
from qsdoctor.sandbox import world as w
from qsdoctor.sandbox.gate import (
    ALLOW,
    CHAINING_LIMIT,
    DENY_BARE,
    DENY_SET_SOURCE_IDENTITY,
    AssumeRequest,
    IdMatch,
    Rule,
    decide,
    sts_error_xml,
)
from qsdoctor.sandbox.scenarios import (
    HEALTHY_GATE,
    HOP1_SESSION,
    SCENARIOS,
    Scenario,
    by_name,
)
from qsdoctor.sandbox.trail import render

SUPPORT = f"arn:aws:iam::{w.PRODUCTION}:user/quiverstone-support"
SESSION = HOP1_SESSION.replace("*", "qsdoctor-hop1")


def hop1(**changes: object) -> AssumeRequest:
    base = {"caller": SUPPORT, "role": w.INTERMEDIATE_ROLE, "external_id": w.EXTERNAL_ID}
    return AssumeRequest(**{**base, **changes})  # type: ignore[arg-type]


def hop2(**changes: object) -> AssumeRequest:
    base = {"caller": SESSION, "role": w.DESTINATION_ROLE, "external_id": w.DESTINATION_EXTERNAL_ID}
    return AssumeRequest(**{**base, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("request_", "decision"),
    [
        (hop1(), ALLOW),
        (hop1(external_id=None), DENY_BARE),
        (hop1(external_id=w.EXTERNAL_ID.upper()), DENY_BARE),  # StringEquals is exact
        (hop1(caller=f"arn:aws:iam::{w.STRANGER}:user/x"), DENY_BARE),
        (hop1(role=w.DESTINATION_ROLE), DENY_BARE),
        (hop1(source_identity=True), DENY_SET_SOURCE_IDENTITY),
        (hop2(), ALLOW),
        (hop2(duration=3600), ALLOW),
        (hop2(duration=3601), CHAINING_LIMIT),
        (hop2(caller=f"arn:aws:iam::{w.INTERMEDIATE}:user/acme-auditor"), DENY_BARE),
        (hop2(external_id=w.EXTERNAL_ID), DENY_BARE),
    ],
)
def test_healthy_gate(request_: AssumeRequest, decision: object) -> None:
    assert decide(HEALTHY_GATE, request_) == decision


def test_id_matchers() -> None:
    rule = Rule(caller="*", role="*", external_id=IdMatch.OTHER, value="abc", decision=ALLOW)
    table = (rule,)
    assert decide(table, hop1(external_id="abd")) == ALLOW
    assert decide(table, hop1(external_id="abc")) == DENY_BARE
    assert decide(table, hop1(external_id=None)) == DENY_BARE
    none = (Rule(caller="*", role="*", external_id=IdMatch.NONE, decision=ALLOW),)
    assert decide(none, hop1(external_id=None)) == ALLOW
    assert decide(none, hop1()) == DENY_BARE


def test_first_matching_rule_wins() -> None:
    table = (
        Rule(caller="*", role="*", decision=DENY_SET_SOURCE_IDENTITY, source_identity=True),
        Rule(caller="*", role="*", decision=ALLOW),
    )
    assert decide(table, hop1(source_identity=True)) == DENY_SET_SOURCE_IDENTITY
    assert decide(table, hop1()) == ALLOW


def test_error_xml_is_what_botocore_parses() -> None:
    from botocore.parsers import QueryParser

    body = sts_error_xml("AccessDenied", "User: a & b is not authorized", "req-1")
    parsed = QueryParser().parse(
        {"body": body, "headers": {}, "status_code": 403},
        None,  # type: ignore[arg-type]
    )
    assert parsed["Error"] == {
        "Type": "Sender",
        "Code": "AccessDenied",
        "Message": "User: a & b is not authorized",
    }


def test_scenario_names_are_unique_and_listed() -> None:
    names = [s.name for s in SCENARIOS]
    assert len(names) == len(set(names))
    assert by_name("healthy").expected_exit == 0
    with pytest.raises(KeyError, match="healthy"):
        by_name("nope")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario_is_coherent(scenario: Scenario) -> None:
    catalog = set(load_all())
    ids = [cid for cid, _ in scenario.expected]
    assert ids, "a scenario must say what it expects"
    assert len(ids) == len(set(ids))
    assert set(ids) | {cid for cid, _, _ in scenario.expected_for} <= catalog
    for _, subject, _ in scenario.expected_for:
        assert subject in scenario.destination_arns
    statuses = {status.value for _, status in scenario.expected}
    statuses |= {status.value for _, _, status in scenario.expected_for}
    # Exit code per design.md: 1 when something fails, else 0 (warnings allowed).
    assert scenario.expected_exit == (1 if "fail" in statuses else 0)
    assert scenario.gate[0].duration_over == 3600, "AWS's chaining limit applies everywhere"
    for rule in scenario.gate:
        assert rule.note, "every row says why AWS decides so"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_trail_records_are_filled_in(scenario: Scenario) -> None:
    events = render(scenario.trail, scenario.trail_values(), datetime.now(UTC))
    for event in events:
        text = json.dumps(event.record)
        assert "${" not in text
        assert event.record["recipientAccountId"] == event.account
        assert event.record["eventSource"] == "sts.amazonaws.com"
        if event.record.get("errorCode"):
            assert event.record.get("responseElements") is None
        # Every place a record names the role agrees (a copy-paste slip shows up here).
        named = {r["ARN"] for r in event.record.get("resources") or []}
        if event.record.get("requestParameters"):
            named.add(event.record["requestParameters"]["roleArn"])
        message = event.record.get("errorMessage", "")
        if "on resource: " in message:
            named.add(message.rsplit("on resource: ", 1)[1])
        assert len(named) == 1, named
    copies_by_account = {e.account for e in events}
    assert copies_by_account <= {w.PRODUCTION, w.INTERMEDIATE, w.DESTINATION}


def test_docs_list_every_scenario() -> None:
    doc = Path(__file__).parents[2] / "docs" / "sandbox.md"
    listed = set(re.findall(r"^\| `([a-z0-9-]+)` \|", doc.read_text(), re.MULTILINE))
    assert listed == {s.name for s in SCENARIOS}
