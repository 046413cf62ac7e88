"""Suite-wide isolation: fake credentials, private AWS config, and no real AWS, ever."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from botocore.httpsession import URLLib3Session


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _aws_isolation(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No profile, no session token, fake keys, config files under tmp_path."""
    for var in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "QSDOCTOR_EXTERNAL_ID",
        "QSDOCTOR_DESTINATION_EXTERNAL_ID",
        "AWS_CA_BUNDLE",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    config = tmp_path / "aws-config"
    creds = tmp_path / "aws-credentials"
    config.write_text("")
    creds.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail any request that reaches the network for a non-loopback host.

    moto answers before URLLib3Session.send, so a request getting here is a leak.
    """
    leaked: list[str] = []
    original = URLLib3Session.send

    def guarded_send(self: URLLib3Session, request: object) -> object:
        url = str(getattr(request, "url", request))
        if not _is_loopback(url):
            leaked.append(url)
            raise RuntimeError(f"test tried to reach real AWS: {url}")
        return original(self, request)  # type: ignore[arg-type]

    monkeypatch.setattr(URLLib3Session, "send", guarded_send)
    yield
    if leaked:
        pytest.fail(f"test leaked {len(leaked)} real AWS request(s): {leaked[:3]}")
