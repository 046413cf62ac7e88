"""The end-to-end environment cannot reach real AWS: without the sandbox endpoint, nothing leaves.

This is the proof behind every other end-to-end test: in the environment they
give the script, a request for a real AWS endpoint meets the closed loopback
proxy and fails, while requests for the sandbox on 127.0.0.1 go through.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from e2e_support import user_environment

from qsdoctor.sandbox import world as w
from qsdoctor.sandbox.scenarios import by_name
from qsdoctor.sandbox.server import SandboxServer

pytestmark = pytest.mark.e2e

_CALLER = """
import sys, boto3
try:
    print(boto3.Session(profile_name=sys.argv[1]).client("sts").get_caller_identity()["Arn"])
except Exception as e:
    print(type(e).__name__)
"""


def _caller(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _CALLER, w.SUPPORT_PROFILE],
        env={**env, "AWS_MAX_ATTEMPTS": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def test_only_the_sandbox_is_reachable(sandbox: SandboxServer, tmp_path: Path) -> None:
    loaded = sandbox.load(by_name("healthy"), tmp_path / "aws")
    env = user_environment(loaded)
    sandbox.middleware.timeline.clear()
    assert _caller(env) == f"arn:aws:iam::{w.PRODUCTION}:user/quiverstone-support"
    assert len(sandbox.middleware.timeline) == 1

    # The same profile without the endpoint would go to sts.us-east-1.amazonaws.com.
    del env["AWS_ENDPOINT_URL"]
    unpointed = tmp_path / "config-without-endpoint"
    unpointed.write_text(
        "\n".join(
            line
            for line in loaded.config_file.read_text().splitlines()
            if not line.startswith("endpoint_url")
        )
    )
    env["AWS_CONFIG_FILE"] = str(unpointed)
    assert _caller(env) == "ProxyConnectionError"
    assert len(sandbox.middleware.timeline) == 1
