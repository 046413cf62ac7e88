"""The installed script's entry point, `qsdoctor.cli:run`: main(), flushed output, the
command's exit code, and no interpreter teardown (os._exit)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _run(*args: str, after: str = "") -> subprocess.CompletedProcess[str]:
    code = (
        "import atexit, sys\n"
        # An atexit handler that would print: os._exit skips it, a normal exit does not.
        "atexit.register(lambda: print('TORN DOWN', file=sys.stderr))\n"
        f"sys.argv = ['qsdoctor', *{list(args)!r}]\n"
        "from qsdoctor.cli import run\n"
        "run()\n"
        f"{after}"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_output_is_flushed_and_exit_code_is_zero() -> None:
    done = _run("explain", "QS104")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("QS104 intermediate-external-id-match")
    assert "TORN DOWN" not in done.stderr  # exited at once, without the teardown


def test_the_commands_exit_code_is_kept() -> None:
    done = _run("explain", "QS999")
    assert done.returncode == 2
    assert done.stderr.startswith("qsdoctor: error: unknown check 'QS999'")
    assert "TORN DOWN" not in done.stderr


def test_nothing_runs_after_it() -> None:
    done = _run("explain", "QS104", after="print('AFTER RUN')\n")
    assert "AFTER RUN" not in done.stdout


@pytest.mark.parametrize("args", [["--help"], []])
def test_help_exits_as_before(args: list[str]) -> None:
    done = _run(*args)
    assert "Usage" in done.stdout + done.stderr
    assert done.returncode in (0, 2)  # bare `qsdoctor` is click's no_args_is_help


@pytest.mark.parametrize(("args", "enabled"), [(["check", "--help"], False), (["explain"], True)])
def test_only_check_runs_without_the_cyclic_collector(args: list[str], enabled: bool) -> None:
    code = (
        "import gc, sys\n"
        f"sys.argv = ['qsdoctor', *{args!r}]\n"
        "import qsdoctor.cli as cli\n"
        "real = cli.main\n"
        "def main():\n"
        "    print('GC', gc.isenabled(), file=sys.stderr)\n"
        "    real()\n"
        "cli.main = main\n"
        "cli.run()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert f"GC {enabled}" in done.stderr
