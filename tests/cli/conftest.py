"""Shared fixtures of the CLI tests."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def aws_profiles() -> Callable[..., None]:
    """Configure AWS profiles in the test's own config/credentials files.

    The root conftest points AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE at empty
    files in tmp_path; `aws_profiles("a", "b")` adds `[profile a]`, `[profile b]` to the
    config file, `aws_profiles("c", credentials=True)` adds `[c]` to the credentials file.
    """

    def add(*names: str, credentials: bool = False) -> None:
        var = "AWS_SHARED_CREDENTIALS_FILE" if credentials else "AWS_CONFIG_FILE"
        path = Path(os.environ[var])
        with path.open("a", encoding="utf-8") as f:
            for name in names:
                section = name if credentials or name == "default" else f"profile {name}"
                if credentials:
                    body = "aws_access_key_id = testing\naws_secret_access_key = testing\n"
                else:
                    body = "region = us-east-1\n"
                f.write(f"[{section}]\n{body}")

    return add
