"""Every sandbox scenario, diagnosed by the installed `qsdoctor check` as a user would run it.

Each scenario's expected (check ID, status) pairs and exit code were written by
hand from what AWS does in that world (qsdoctor/sandbox/scenarios.py); here the
real script must report them, print one schema-valid JSON object on stdout, and
never print an External ID.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from e2e_support import Run, run_qsdoctor, user_environment

from qsdoctor.sandbox.scenarios import SCENARIOS, Scenario, by_name
from qsdoctor.sandbox.server import SandboxServer

pytestmark = pytest.mark.e2e


def _registered() -> set[str]:
    from qsdoctor.checks.registry import load_all

    return set(load_all())


def _summary(report: dict[str, Any]) -> str:
    return "\n".join(
        f"  {f['id']} {f['status']}: {f['detail'][:160]}" for f in report.get("findings", [])
    )


def _assert_no_secrets(scenario: Scenario, *texts: str) -> None:
    for secret in scenario.secrets():
        for text in texts:
            assert secret not in text, f"an External ID ({len(secret)} chars) was printed"


def _diagnose(
    sandbox: SandboxServer, scenario: Scenario, tmp_path: Path, *extra: str
) -> tuple[Run, dict[str, str]]:
    loaded = sandbox.load(scenario, tmp_path / "aws")
    env = user_environment(loaded)
    return run_qsdoctor([*scenario.check_args(), *extra], env), env


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario_diagnosis(
    sandbox: SandboxServer, scenario: Scenario, tmp_path: Path, report_schema: dict[str, Any]
) -> None:
    run, _ = _diagnose(sandbox, scenario, tmp_path, "--output", "json")
    report = run.report()
    jsonschema.validate(report, report_schema)
    assert report["exit_code"] == run.code
    found: dict[str, list[str]] = defaultdict(list)
    for finding in report["findings"]:
        found[finding["id"]].append(finding["status"])
    registered = _registered()
    wanted = [cid for cid, _ in scenario.expected] + [cid for cid, _, _ in scenario.expected_for]
    missing = sorted({cid for cid in wanted if cid not in registered})
    for cid, status in scenario.expected:
        if cid in missing:
            continue
        assert set(found.get(cid, ["(no finding)"])) == {status.value}, (
            f"{scenario.name}: expected {cid} {status.value}, got {found.get(cid)}\n"
            f"{_summary(report)}\n{run.stderr[-2000:]}"
        )
    for cid, subject, status in scenario.expected_for:
        if cid in missing:
            continue
        got = [f["status"] for f in report["findings"] if (f["id"], f["subject"]) == (cid, subject)]
        assert got == [status.value], (
            f"{scenario.name}: expected {cid} {status.value} for {subject}, got {got}\n"
            f"{_summary(report)}"
        )
    for cid, text in scenario.expected_text:
        if cid in missing:
            continue
        said = " ".join(
            f"{f['detail']} {f['remediation']} {json.dumps(f['evidence'])}"
            for f in report["findings"]
            if f["id"] == cid
        )
        assert text in said, f"{cid} should mention {text!r}: {said[:500]}"
    _assert_no_secrets(scenario, run.stdout, run.stderr)
    if missing:
        pytest.xfail(f"checks not implemented yet: {', '.join(missing)}")
    assert run.code == scenario.expected_exit, f"{scenario.name}\n{_summary(report)}"


@pytest.mark.parametrize("name", ["external-id-mismatch", "cloudtrail-stale-external-id"])
def test_secrets_stay_out_of_every_output(
    sandbox: SandboxServer, name: str, tmp_path: Path
) -> None:
    scenario = by_name(name)
    bundle = tmp_path / "facts.json"
    console, env = _diagnose(sandbox, scenario, tmp_path, "-v", "--save-facts", str(bundle))
    assert console.code == scenario.expected_exit, console.stderr[-2000:]
    assert "QS104" in console.stdout  # the console checklist was printed
    markdown = run_qsdoctor([*scenario.check_args(), "--output", "markdown", "-v"], env)
    assert markdown.code == scenario.expected_exit
    _assert_no_secrets(
        scenario,
        console.stdout,
        console.stderr,
        markdown.stdout,
        markdown.stderr,
        bundle.read_text(),
    )


def test_bad_input_is_one_line_and_exit_2(sandbox: SandboxServer, tmp_path: Path) -> None:
    loaded = sandbox.load(by_name("healthy"), tmp_path / "aws")
    run = run_qsdoctor(
        ["check", "--intermediate-arn", "arn:aws:iam::1111:role/X", "--profile", "qs-support"],
        user_environment(loaded),
    )
    assert run.code == 2
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    assert "1111" in run.stderr


def test_trail_timeline_of_a_stale_external_id(sandbox: SandboxServer, tmp_path: Path) -> None:
    scenario = by_name("cloudtrail-stale-external-id")
    loaded = sandbox.load(scenario, tmp_path / "aws")
    env = user_environment(loaded)
    args = [
        "trail",
        "--intermediate-arn",
        scenario.intermediate_arn,
        "--since",
        "1d",
        "--profile",
        "qs-support",
        "--intermediate-profile",
        "acme-audit",
    ]
    run = run_qsdoctor([*args, "--output", "json"], env)
    assert run.code in (0, 1), run.stderr
    hop1 = [e for e in run.report()["events"] if e["hop"] == "hop1"]
    # The scenario's production trail: 3 successes, then 5 failures, all presenting the
    # External ID from before the rotation, i.e. not the configured one.
    assert sorted(e["succeeded"] for e in hop1) == [False] * 5 + [True] * 3
    assert {e["external_id_matches_configured"] for e in hop1} == {False}
    console = run_qsdoctor(args, env)
    _assert_no_secrets(scenario, run.stdout, run.stderr, console.stdout, console.stderr)
