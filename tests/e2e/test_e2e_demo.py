"""`qsdoctor demo` as a user runs it: the list, a scenario end to end, and without the extra."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_support import run_qsdoctor

from qsdoctor.sandbox.scenarios import SCENARIOS, by_name

pytestmark = pytest.mark.e2e


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(NO_COLOR="1", COLUMNS="200")
    return env


def test_list_names_every_scenario_with_its_expectations() -> None:
    run = run_qsdoctor(["demo", "--list"], _env())
    assert run.code == 0
    lines = run.stdout.splitlines()
    for scenario in SCENARIOS:
        (line,) = [i for i, text in enumerate(lines) if text.startswith(f"{scenario.name} ")]
        assert scenario.summary in lines[line]
        assert f"exit {scenario.expected_exit}" in lines[line + 1]


def test_demo_runs_check_on_the_scenario() -> None:
    scenario = by_name("destination-trust-all")
    args = ["demo", "--scenario", scenario.name, "--output", "json", "-v"]
    run = run_qsdoctor(args, _env())
    assert run.code == 0, run.stderr
    report = json.loads(run.stdout)  # the report alone is on stdout
    statuses = {f["id"]: f["status"] for f in report["findings"]}
    assert statuses["QS202"] == "warn"
    assert statuses["QS302"] == "pass"
    assert "destination-trust-all" in run.stderr  # the banner says what is broken
    assert "AssumeRole as AWS would answer it here" in run.stderr  # -v: the gate table
    for secret in scenario.secrets():
        assert secret not in run.stdout
        assert secret not in run.stderr


def test_demo_exit_code_is_checks() -> None:
    run = run_qsdoctor(["demo", "-s", "untrusted-vendor"], _env())
    assert run.code == 1
    assert "QS102" in run.stdout


def test_unknown_scenario_is_exit_2() -> None:
    run = run_qsdoctor(["demo", "--scenario", "no-such-thing"], _env())
    assert run.code == 2
    assert "healthy" in run.stderr
    assert run.stdout == ""


def _without_moto(*args: str) -> subprocess.CompletedProcess[str]:
    """qsdoctor with moto unimportable, as without `pip install 'qsdoctor[demo]'`."""
    code = (
        f"import sys; sys.modules['moto'] = None; sys.argv = ['qsdoctor', *{list(args)!r}];"
        "from qsdoctor.cli import main; main()"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=_env(), capture_output=True, text=True, check=False
    )


def test_without_the_demo_extra_it_says_how_to_install() -> None:
    done = _without_moto("demo")
    assert done.returncode == 2
    assert "pip install 'qsdoctor[demo]'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_list_works_without_the_demo_extra() -> None:
    done = _without_moto("demo", "--list")
    assert done.returncode == 0
    assert "healthy" in done.stdout


def test_standing_sandbox_for_manual_runs() -> None:
    scenario = by_name("destination-trust-all")
    server = subprocess.Popen(
        [sys.executable, "-m", "qsdoctor.sandbox", scenario.name],
        env=_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        lines = []
        for line in server.stdout:
            lines.append(line)
            if line.startswith("Ctrl-C"):
                break
        (source,) = [x.split(None, 1)[1].strip() for x in lines if x.strip().startswith(". ")]
        env_file = Path(shlex.split(source)[0])
        exports = dict(
            shlex.split(line.removeprefix("export "))[0].split("=", 1)
            for line in env_file.read_text().splitlines()
        )
        assert "QSDOCTOR_EXTERNAL_ID" in exports
        assert not any(s in "".join(lines) for s in scenario.secrets())  # not printed
        env = {k: v for k, v in _env().items() if not k.startswith("AWS_")}
        run = run_qsdoctor([*scenario.check_args(), "-o", "json"], {**env, **exports})
        assert {f["id"]: f["status"] for f in run.report()["findings"]}["QS202"] == "warn"
    finally:
        server.terminate()
        assert server.wait(timeout=30) == 0
    assert not env_file.exists()  # the profiles and keys are gone with the server
