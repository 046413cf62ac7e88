"""Sessions: profiles, credential_process, SSO, AWS_ENDPOINT_URL, regions and partitions."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.httpsession import URLLib3Session

from qsdoctor.arn import parse_role_arn
from qsdoctor.aws.gateway import AwsCallFailed, AwsGateway, RetryingFactory
from qsdoctor.aws.sessions import (
    ProfileNotConfigured,
    _shared_loader,
    new_session,
    resolve_region,
    warm_up,
)
from qsdoctor.collect import collect
from qsdoctor.collect.context import CollectContext
from qsdoctor.config import CheckConfig
from qsdoctor.errors import ForbiddenOperation
from qsdoctor.models import Ok, Unavailable
from tests.aws.conftest import INTERMEDIATE, PRODUCTION, account_session, write_profile

ROLE = f"arn:aws:iam::{INTERMEDIATE}:role/QuiverstoneTrustedIntermediate"


def _config(**kwargs: object) -> CheckConfig:
    return CheckConfig(
        intermediate=parse_role_arn(str(kwargs.pop("arn", ROLE))),
        live=False,
        trail=False,
        **kwargs,  # type: ignore[arg-type]
    )


def test_profile_keys_and_region_come_from_the_config_files(
    account_profile: Callable[..., str],
    fast_retrying: RetryingFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # NOTE: AWS_REGION / AWS_DEFAULT_REGION beat a profile's region in botocore.
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    account_profile(PRODUCTION, "vendor", region="eu-west-1")
    session = new_session(profile="vendor")
    assert session.region_name == "eu-west-1"
    gateway = AwsGateway(session, profile="vendor", retrying=fast_retrying)
    # The env keys (moto's default account) lose to the explicitly named profile.
    assert gateway.call("sts", "get_caller_identity")["Account"] == PRODUCTION


def test_explicit_region_beats_the_profile(account_profile: Callable[..., str]) -> None:
    account_profile(PRODUCTION, "vendor", region="eu-west-1")
    assert new_session(profile="vendor", region="ap-south-1").region_name == "ap-south-1"


def test_unknown_profile_is_a_usage_error_with_a_fix() -> None:
    with pytest.raises(ProfileNotConfigured) as caught:
        new_session(profile="missing")
    assert caught.value.exit_code == 2
    assert "'missing'" in caught.value.message
    assert "aws configure" in (caught.value.hint or "")


@pytest.mark.parametrize(
    ("explicit", "partition", "expected"),
    [
        (None, "aws", "us-east-1"),
        (None, "aws-cn", "cn-north-1"),
        (None, "aws-us-gov", "us-gov-west-1"),
        ("cn-northwest-1", "aws-cn", "cn-northwest-1"),
        ("eu-central-1", "aws", "eu-central-1"),
    ],
)
def test_region_follows_the_partition_unless_given(
    explicit: str | None, partition: str, expected: str
) -> None:
    # The suite's environment says AWS_REGION=us-east-1: right for aws, wrong elsewhere.
    assert resolve_region(explicit, None, partition) == expected


def test_configured_region_kept_when_in_the_partition(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-2")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    assert resolve_region(None, None, "aws") == "eu-west-2"
    assert resolve_region(None, None, "aws-us-gov") == "us-gov-west-1"


def test_china_role_is_read_through_china_endpoints(fast_retrying: RetryingFactory) -> None:
    facts = collect(
        _config(arn="arn:aws-cn:iam::111122223333:role/QuiverstoneTrustedIntermediate"),
        retrying=fast_retrying,
    )
    assert (facts.region, facts.partition) == ("cn-north-1", "aws-cn")
    gateway = AwsGateway(new_session(region=facts.region))
    assert gateway.endpoint_url("sts").endswith(".amazonaws.com.cn")
    assert gateway.endpoint_url("iam").endswith(".amazonaws.com.cn")
    assert AwsGateway(new_session(region="us-gov-west-1")).endpoint_url("iam") == (
        "https://iam.us-gov.amazonaws.com"
    )


def _key_for(account: str) -> dict[str, str]:
    iam = account_session(account).client("iam")
    iam.create_user(UserName="proc")
    key = iam.create_access_key(UserName="proc")["AccessKey"]
    return {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}


def test_credential_process_profile(tmp_path: Path, fast_retrying: RetryingFactory) -> None:
    key = _key_for(INTERMEDIATE)
    script = tmp_path / "creds.py"
    script.write_text(f"import json\nprint(json.dumps({json.dumps({'Version': 1, **key})}))\n")
    write_profile("proc", {"credential_process": f'"{sys.executable}" "{script}"'}, None)
    facts = collect(_config(profile="proc"), retrying=fast_retrying)
    identity = facts.callers[0].identity
    assert isinstance(identity, Ok)
    assert identity.value.account == INTERMEDIATE


def test_failing_credential_process_is_a_caller_fact(
    tmp_path: Path, fast_retrying: RetryingFactory
) -> None:
    script = tmp_path / "fail.py"
    script.write_text("import sys\nsys.exit('token expired, run the login command')\n")
    write_profile("broken", {"credential_process": f'"{sys.executable}" "{script}"'}, None)
    facts = collect(_config(profile="broken"), retrying=fast_retrying)
    identity = facts.callers[0].identity
    assert isinstance(identity, Unavailable)
    assert identity.error.code == "CredentialRetrievalError"
    assert identity.error.profile == "broken"


def test_sso_profile_without_a_login_is_a_caller_fact(fast_retrying: RetryingFactory) -> None:
    write_profile(
        "sso",
        {
            "sso_start_url": "https://example.awsapps.com/start",
            "sso_region": "us-east-1",
            "sso_account_id": INTERMEDIATE,
            "sso_role_name": "ReadOnly",
        },
        None,
    )
    facts = collect(_config(profile="sso"), retrying=fast_retrying)
    identity = facts.callers[0].identity
    assert isinstance(identity, Unavailable)
    assert identity.error.code in {
        "SSOTokenLoadError",
        "UnauthorizedSSOTokenError",
        "TokenRetrievalError",
    }, identity.error


@pytest.fixture
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """URLs of the requests that really went over the wire."""
    urls: list[str] = []
    inner = URLLib3Session.send

    def record(self: URLLib3Session, request: object) -> object:
        urls.append(str(getattr(request, "url", "")))
        return inner(self, request)  # type: ignore[arg-type]

    monkeypatch.setattr(URLLib3Session, "send", record)
    return urls


def test_aws_endpoint_url_is_honoured(
    moto_server: str,
    sent: list[str],
    monkeypatch: pytest.MonkeyPatch,
    fast_retrying: RetryingFactory,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    facts = collect(_config(), retrying=fast_retrying)
    assert isinstance(facts.callers[0].identity, Ok)
    assert sent
    assert all(url.startswith(moto_server) for url in sent)


def test_assumed_sessions_keep_the_profiles_endpoint(
    moto_server: str, sent: list[str], fast_retrying: RetryingFactory
) -> None:
    """Hop-2 sessions must reach the same endpoint as the caller (the sandbox, in tests)."""
    write_profile(
        "local",
        {"endpoint_url": moto_server, "region": "eu-west-1"},
        {"aws_access_key_id": "AKIAEXAMPLE000000001", "aws_secret_access_key": "x"},
    )
    creds = boto3.client("sts").assume_role(RoleArn=ROLE, RoleSessionName="qsdoctor-test")[
        "Credentials"
    ]
    with ThreadPoolExecutor(max_workers=1) as pool:
        ctx = CollectContext(
            config=_config(profile="local"),
            caller=None,
            intermediate_reader=Ok(AwsGateway(new_session())),
            executor=pool,
            retrying=fast_retrying,
            region="eu-west-1",
        )
    gateway = ctx.assumed_gateway(creds, label="hop 1 session")
    assert gateway.endpoint_url("sts") == moto_server
    with pytest.raises(AwsCallFailed):
        # The moto server does not know keys minted by the in-process mock: the
        # point is that the request went to the profile's endpoint.
        gateway.call("iam", "get_role", RoleName="QuiverstoneTrustedIntermediate")
    assert sent
    assert all(url.startswith(moto_server) for url in sent)


def test_missing_aws_profile_from_the_environment_is_named(
    monkeypatch: pytest.MonkeyPatch, fast_retrying: RetryingFactory
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "ghost")
    facts = collect(_config(), retrying=fast_retrying)
    identity = facts.callers[0].identity
    assert isinstance(identity, Unavailable)
    assert identity.error.code == "ProfileNotFound"
    assert "'ghost' (named by AWS_PROFILE)" in identity.error.message


class _Sent(Exception):
    """Stops a request at the wire, carrying what would have been sent."""

    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__("stopped before sending")
        self.headers = headers


def _stop_at_send(session: boto3.Session, service: str) -> object:
    client = session.client(service, region_name="us-east-1")

    def stop(request: object, **_: object) -> None:
        headers = getattr(request, "headers", {}).items()
        raise _Sent({k.lower(): v.decode() if isinstance(v, bytes) else str(v) for k, v in headers})

    client.meta.events.register_first(f"before-send.{service}", stop)
    return client


def test_sessions_carry_botocores_built_in_handlers() -> None:
    """A built-in handler sends AssumeRoleWithWebIdentity unsigned; GetCallerIdentity is signed."""
    allowed = frozenset({("sts", "AssumeRoleWithWebIdentity"), ("sts", "GetCallerIdentity")})
    for _ in range(2):  # the first session and a later one
        sts: Any = _stop_at_send(new_session(region="us-east-1", allowed=allowed), "sts")
        with pytest.raises(_Sent) as unsigned:
            sts.assume_role_with_web_identity(
                RoleArn=ROLE, RoleSessionName="qsdoctor", WebIdentityToken="x" * 8
            )
        assert "authorization" not in unsigned.value.headers
        with pytest.raises(_Sent) as signed:
            sts.get_caller_identity()
        assert signed.value.headers["authorization"].startswith("AWS4-HMAC-SHA256")


def test_a_sessions_guard_stays_with_that_session() -> None:
    """Handlers registered on one session (the guard) reach no other session."""
    closed: Any = new_session(region="us-east-1", allowed=frozenset()).client("sts")
    with pytest.raises(ForbiddenOperation):
        closed.get_caller_identity()
    opened: Any = _stop_at_send(new_session(region="us-east-1"), "sts")
    with pytest.raises(_Sent):
        opened.get_caller_identity()
    later: Any = _stop_at_send(new_session(region="us-east-1"), "sts")
    with pytest.raises(_Sent):
        later.get_caller_identity()
    with pytest.raises(ForbiddenOperation):
        later.get_session_token()  # the default read-only guard is there too


def test_clients_made_after_warm_up_read_no_botocore_data(
    account_profile: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """warm_up reads the files once; it sends nothing (every send here would fail)."""
    from botocore.endpoint import Endpoint
    from botocore.loaders import JSONFileLoader

    def no_request(*_: object, **__: object) -> None:
        raise AssertionError("warm_up sent a request")

    account_profile(PRODUCTION, "vendor")
    monkeypatch.setenv("AWS_PROFILE", "ghost")  # absent: the warm-up does not need it
    _shared_loader.cache_clear()  # a fresh loader: other tests may have loaded services
    monkeypatch.setattr(Endpoint, "make_request", no_request)
    warm_up(("sts", "iam"), "ap-southeast-2")
    read: list[str] = []
    original = JSONFileLoader.load_file

    def counting(self: JSONFileLoader, file_path: str) -> Any:
        read.append(file_path)
        return original(self, file_path)

    monkeypatch.setattr(JSONFileLoader, "load_file", counting)
    session = new_session(profile="vendor", region="ap-southeast-2")
    for service in ("sts", "iam"):
        AwsGateway(session, profile="vendor").client(service)
    assert read == []
    AwsGateway(session, profile="vendor").client("cloudtrail")
    assert read, "a service that was not warmed up is read on first use"


def test_a_malformed_region_is_left_to_the_calls_that_use_it(
    account_profile: Callable[..., str], fast_retrying: RetryingFactory
) -> None:
    """warm_up cannot make a client for it, and says nothing; the identity call reports it."""
    warm_up(("sts", "iam"), "us_east!1")
    account_profile(PRODUCTION, "vendor")
    facts = collect(_config(profile="vendor", region="us_east!1"), retrying=fast_retrying)
    identity = facts.callers[0].identity
    assert isinstance(identity, Unavailable)
    assert identity.error.code == "InvalidRegionError"
