"""`qsdoctor trail` in-process: the timeline table, JSON, exit codes, and no secrets.

AWS is never reached: `qsdoctor.collect.collect` is replaced by a function returning
hand-built facts whose trail events follow the shared cloudtrail-samples (denials as
in assumerole-denied-hop1-caller-copy.synthetic.json, the intermediate account's copy
of a success as in assumerole-success-cross-account-role-owner-copy.awsdoc.json).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from typer.testing import CliRunner

from qsdoctor.cli import app
from qsdoctor.config import CheckConfig
from qsdoctor.facts import Facts, TrailEvent, TrailFacts, TrailInfo, TrailLookup
from qsdoctor.models import AwsCallError, Ok, Skipped, Unavailable
from qsdoctor.secrets import fingerprint

VENDOR = "684035162433"
ROLE = "arn:aws:iam::111122223333:role/QuiverstoneTrustedIntermediate"
DEST = "arn:aws:iam::210987654321:role/QuiverstoneChainedAccess"
PLATFORM = f"arn:aws:sts::{VENDOR}:assumed-role/Platform/connector"
SECRET = "Qs-7f3a9c1e5b2d4f6a8c0e1b3d5f7a9c2e4"
STALE = "Qs-0000000000000000000000000000000000"

runner = CliRunner()


def ev(
    event_id: str,
    at: str,
    *,
    ok: bool,
    fp: str | None = None,
    role: str = ROLE,
    caller: str = PLATFORM,
    agent: str = "Boto3/1.35",
) -> TrailEvent:
    return TrailEvent(
        event_id=event_id,
        event_time=f"2026-12-04T{at}:00Z",
        region="us-east-1",
        succeeded=ok,
        role_arn=role,
        caller_arn=caller,
        caller_account=caller.split(":")[4],
        recipient_account=caller.split(":")[4],
        error_code=None if ok else "AccessDenied",
        external_id_fingerprint=fp,
        user_agent=agent,
    )


def trail_facts(hop1: Any, hop2: Any = None, trails: Any = None) -> TrailFacts:
    return TrailFacts(
        since="2026-12-03T16:00:00Z",
        until="2026-12-04T16:00:00Z",
        trails=trails if trails is not None else Skipped("pass --intermediate-profile"),
        hop1=hop1,
        hop2=hop2 if hop2 is not None else Skipped("pass --intermediate-profile"),
    )


@pytest.fixture
def collected(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Replace collection; record the config the command built."""
    seen: dict[str, Any] = {}

    def fake_collect(config: CheckConfig, **_: Any) -> Facts:
        seen["config"] = config
        return Facts(
            collected_at="2026-12-04T16:00:00Z",
            vendor_account_id=VENDOR,
            intermediate_arn=ROLE,
            region="us-east-1",
            external_id=config.external_id,
            trail=seen["trail"],
        )

    monkeypatch.setattr("qsdoctor.collect.collect", fake_collect)
    return seen


def failing_hop1() -> TrailFacts:
    lookup = TrailLookup(
        vantage="production",
        regions=("us-east-1",),
        sources=("LookupEvents",),
        events=(
            ev("e1", "08:00", ok=True, fp=fingerprint(SECRET)),
            ev("e2", "09:12", ok=False, fp=fingerprint(STALE)),
            ev("e3", "10:00", ok=False, fp=fingerprint(STALE)),
            ev("e4", "10:30", ok=False, agent="Boto3 app/qsdoctor-0.1.0"),
        ),
        pages=1,
    )
    return trail_facts(Ok(lookup))


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(
        app, ["trail", "--intermediate-arn", ROLE, *args], env={"COLUMNS": "200", **(env or {})}
    )


def test_console_timeline_shows_every_attempt_and_fails(collected: dict[str, Any]) -> None:
    collected["trail"] = failing_hop1()
    result = invoke("--since", "7d", env={"QSDOCTOR_EXTERNAL_ID": SECRET})
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert collected["config"].since.days == 7
    assert collected["config"].live is False
    # The event ID is each table row's last cell; a bare substring search could match
    # inside a (random) fingerprint, so compare whole cells, row by row.
    ids = {"e1", "e2", "e3", "e4"}
    rows = [cells[-1] for cells in map(str.split, out.splitlines()) if cells and cells[-1] in ids]
    assert rows == ["e1", "e2", "e3", "e4"]
    assert f"configured ({fingerprint(SECRET)})" in out
    assert f"different ({fingerprint(STALE)})" in out
    assert "(qsdoctor)" in out
    assert "QS402" in out
    assert "hop 2: not read" in out
    assert SECRET not in result.output
    assert STALE not in result.output


def test_json_is_the_only_stdout_and_carries_events_and_findings(
    collected: dict[str, Any],
) -> None:
    collected["trail"] = failing_hop1()
    result = invoke("--output", "json", env={"QSDOCTOR_EXTERNAL_ID": SECRET})
    doc = json.loads(result.stdout)
    assert result.exit_code == doc["exit_code"] == 1
    assert [e["event_id"] for e in doc["events"]] == ["e1", "e2", "e3", "e4"]
    assert [e["external_id_matches_configured"] for e in doc["events"]] == [
        True,
        False,
        False,
        None,
    ]
    assert doc["events"][3]["by_qsdoctor"] is True
    assert doc["window"] == {"since": "2026-12-03T16:00:00Z", "until": "2026-12-04T16:00:00Z"}
    assert doc["lookups"]["hop1"]["vantage"] == "production"
    assert doc["lookups"]["hop2"]["status"] == "skipped"
    assert {f["id"]: f["status"] for f in doc["findings"]} == {
        "QS401": "skip",
        "QS402": "fail",
        "QS403": "skip",
    }
    assert SECRET not in result.stdout


def test_all_passing_exits_zero(collected: dict[str, Any]) -> None:
    org = TrailInfo(
        name="org",
        arn="arn:aws:cloudtrail:us-east-1:999999999999:trail/org",
        home_region="us-east-1",
        is_organization_trail=True,
        is_multi_region=True,
        is_logging=True,
        records_management_events=True,
    )
    hop1 = TrailLookup(
        vantage="production", regions=("us-east-1",), events=(ev("ok1", "09:00", ok=True),)
    )
    hop2 = TrailLookup(vantage="intermediate", regions=("us-east-1",), events=())
    collected["trail"] = trail_facts(Ok(hop1), Ok(hop2), Ok((org,)))
    result = invoke()
    assert result.exit_code == 0, result.output
    assert "ok1" in result.stdout


def test_unreadable_trail_exits_three(collected: dict[str, Any]) -> None:
    denied = AwsCallError(
        operation="cloudtrail:LookupEvents", code="AccessDenied", message="no", profile="qs-support"
    )
    collected["trail"] = trail_facts(Unavailable(denied))
    result = invoke("-o", "json")
    doc = json.loads(result.stdout)
    assert result.exit_code == 3
    assert doc["lookups"]["hop1"] == {
        "status": "unavailable",
        "operation": "cloudtrail:LookupEvents",
        "code": "AccessDenied",
        "message": "no",
    }
    assert doc["events"] == []


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["--since", "120d"], "90-day"),
        (["--since", "soon"], "not a duration"),
        (["--trail-bucket", "https://bucket"], "s3://"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_two(
    collected: dict[str, Any], args: list[str], phrase: str
) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert phrase in result.stderr


@pytest.mark.parametrize("option", ["--profile", "--intermediate-profile"])
def test_an_unconfigured_profile_exits_two_before_reading_cloudtrail(
    collected: dict[str, Any], aws_profiles: Callable[..., None], option: str
) -> None:
    aws_profiles("qs-support", "acme-audit")
    result = invoke(option, "acme-audti")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"AWS profile 'acme-audti' ({option}) is not configured" in result.stderr
    assert "config" not in collected  # collection never started


def test_bad_arn_exits_two(collected: dict[str, Any]) -> None:
    result = runner.invoke(app, ["trail", "--intermediate-arn", "not-an-arn"])
    assert result.exit_code == 2
    assert "not an ARN" in result.stderr


def test_trail_bucket_reaches_the_config(
    collected: dict[str, Any], aws_profiles: Callable[..., None]
) -> None:
    aws_profiles("arch")
    collected["trail"] = trail_facts(Skipped("x"))
    result = invoke("--trail-bucket", "s3://org-logs/trail/", "--trail-bucket-profile", "arch")
    assert result.exit_code == 0, result.output
    assert collected["config"].trail_bucket == "s3://org-logs/trail"
    assert collected["config"].trail_bucket_profile == "arch"
    assert "no AssumeRole recorded" in result.stdout


def test_a_crash_in_collection_still_gives_valid_json_and_exit_three(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(config: CheckConfig, **_: Any) -> Facts:
        raise RuntimeError(f"boom near {SECRET}")

    monkeypatch.setattr("qsdoctor.collect.collect", broken)
    result = invoke("-o", "json", env={"QSDOCTOR_EXTERNAL_ID": SECRET})
    doc = json.loads(result.stdout)
    assert result.exit_code == doc["exit_code"] == 3
    assert [f["id"] for f in doc["findings"]] == ["QS000"]
    assert SECRET not in result.stdout
    assert doc["window"] is None
