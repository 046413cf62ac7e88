"""The console as a support engineer reads it, on real sandbox runs (ux.md).

Grouped by link, one line per check; a title that states the problem when a check
does not pass; cause and fix only under what does not pass, wrapped under their text;
evidence only with -v; the summary line last; plain text in a pipe.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from e2e_support import Run, run_qsdoctor, user_environment

from qsdoctor.checks.registry import load_all
from qsdoctor.sandbox.scenarios import by_name
from qsdoctor.sandbox.server import SandboxServer

pytestmark = pytest.mark.e2e

CHECK_LINE = re.compile(r"^  (?P<symbol>[✓!✗–?]) (?P<id>QS\d{3}) (?P<title>.*)$")


def _console(sandbox: SandboxServer, name: str, tmp_path: Path, *extra: str) -> Run:
    scenario = by_name(name)
    env = user_environment(sandbox.load(scenario, tmp_path / "aws"))
    env["COLUMNS"] = "100"
    args = [a for a in scenario.check_args() if a not in ("--output", "json")]
    return run_qsdoctor([*args, "--output", "console", *extra], env)


def test_a_broken_chain_reads_as_the_problem(sandbox: SandboxServer, tmp_path: Path) -> None:
    run = _console(sandbox, "external-id-mismatch", tmp_path)
    assert run.code == 1
    lines = run.stdout.splitlines()
    assert "\x1b[" not in run.stdout  # a pipe gets plain text
    assert re.fullmatch(r"\d+ failed · .* — exit 1", lines[-1])
    specs = load_all()
    checks = [(i, m) for i, line in enumerate(lines) if (m := CHECK_LINE.match(line))]
    for i, m in checks:
        title = m["title"].split("  arn:")[0]
        body = []
        for line in lines[i + 1 :]:
            if not line.startswith("        "):
                break
            body.append(line)
        if m["symbol"] == "✓":
            assert body == [], f"a passing check prints one line: {lines[i]}"
            continue
        if m["symbol"] == "✗":
            assert title != specs[m["id"]].title, f"failing title restates the pass: {lines[i]}"
        assert body, f"{m['id']} says why it does not pass"
        for line in body:  # wrapped, unless one word (an ARN) is longer than the line
            assert len(line) <= 100 or " " not in line.strip(), line
    by_id = {m["id"]: (i, m) for i, m in checks}
    i, qs402 = by_id["QS402"]
    assert re.fullmatch(
        r"\d+ failed AssumeRole on the intermediate role in the last 24 h", qs402["title"]
    )
    qs402_body = "\n".join(lines[i + 1 : by_id["QS403"][0]])
    assert "may not be in the trail yet" not in qs402_body  # the delivery note: passes only
    assert "×" not in qs402_body  # groups are evidence (-v)
    assert "fix: as for QS104 above" in "\n".join(lines[by_id["QS301"][0] :])


def test_verbose_adds_evidence_under_each_check(sandbox: SandboxServer, tmp_path: Path) -> None:
    quiet = _console(sandbox, "cloudtrail-stale-external-id", tmp_path)
    verbose = _console(sandbox, "cloudtrail-stale-external-id", tmp_path / "v", "-v")
    assert "· trail-group:" not in quiet.stdout
    assert "· trail-group:" in verbose.stdout
    assert "· trail-scope: read from the production account's trail" in verbose.stdout
