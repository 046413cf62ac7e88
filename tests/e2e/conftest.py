"""End-to-end fixtures: one sandbox server per module, and the installed script run as a user would.

The script gets the environment of a user's shell set up for the scenario (AWS
config and credentials files with three accounts' profiles, AWS_ENDPOINT_URL on
loopback, External IDs in QSDOCTOR_* variables) plus HTTPS_PROXY/HTTP_PROXY on a
closed loopback port with NO_PROXY for loopback only: anything trying to reach
real AWS fails instead of leaving the machine.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest

from qsdoctor.sandbox.server import SandboxServer


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture(scope="session")
def report_schema() -> dict[str, Any]:
    text = resources.files("qsdoctor").joinpath("render", "report.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema
