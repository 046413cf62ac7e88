"""Helpers for the end-to-end tests: run the installed script as a user's shell would."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from qsdoctor.sandbox.server import LoadedScenario


def _script() -> str:
    beside = Path(sys.executable).with_name("qsdoctor")
    found = str(beside) if beside.exists() else shutil.which("qsdoctor")
    if not found:
        pytest.fail("the qsdoctor console script is not installed (pip install -e '.[dev]')")
    return found


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Run:
    """A finished qsdoctor process."""

    code: int
    stdout: str
    stderr: str

    def report(self) -> dict[str, Any]:
        """stdout parsed as the one JSON object it must be."""
        try:
            data = json.loads(self.stdout)
        except json.JSONDecodeError:
            pytest.fail(f"stdout is not one JSON object:\n{self.stdout[:2000]}\n{self.stderr}")
        assert isinstance(data, dict)
        return data


def user_environment(loaded: LoadedScenario) -> dict[str, str]:
    """The scenario's shell environment, with real AWS made unreachable."""
    env = loaded.environ(dict(os.environ))
    proxy = f"http://127.0.0.1:{_closed_port()}"
    env.update(
        HTTPS_PROXY=proxy,
        HTTP_PROXY=proxy,
        https_proxy=proxy,
        http_proxy=proxy,
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        NO_COLOR="1",
        COLUMNS="200",
    )
    return env


def run_qsdoctor(args: list[str], env: dict[str, str], timeout: float = 120) -> Run:
    """Run the installed `qsdoctor` console script."""
    done = subprocess.run(
        [_script(), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    return Run(code=done.returncode, stdout=done.stdout, stderr=done.stderr)
