"""The retry budget: an unreachable endpoint is given up on after 3 quick attempts,
throttling and server faults keep 6. Counted stubs and `wait_none()`, never timing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ProxyConnectionError,
    ReadTimeoutError,
)
from tenacity import RetryCallState, Retrying, wait_none

from qsdoctor.aws.gateway import AwsCallFailed, AwsGateway
from qsdoctor.aws.retry import (
    CONNECT_ATTEMPTS,
    MAX_ATTEMPTS,
    default_retrying,
    is_connection_failure,
    retrying_factory,
)
from qsdoctor.aws.sessions import new_session

URL = "https://sts.amazonaws.com/"


def _throttled() -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "Throttling", "Message": "Rate exceeded"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        },
        "GetCallerIdentity",
    )


def _server_fault() -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "InternalFailure", "Message": "oops"},
            "ResponseMetadata": {"HTTPStatusCode": 500},
        },
        "GetCallerIdentity",
    )


UNREACHABLE: list[Callable[[], Exception]] = [
    lambda: EndpointConnectionError(endpoint_url=URL),
    lambda: ConnectTimeoutError(endpoint_url=URL),
    lambda: ProxyConnectionError(proxy_url="http://127.0.0.1:9"),
]
REACHABLE_FAULTS: list[Callable[[], Exception]] = [
    _throttled,
    _server_fault,
    lambda: ConnectionClosedError(endpoint_url=URL),
    lambda: ReadTimeoutError(endpoint_url=URL),
]


def _count(retrying: Retrying, make: Callable[[], Exception]) -> tuple[int, Exception]:
    """Run an always-failing call under `retrying`; (attempts made, exception raised)."""
    calls: list[int] = []

    def failing() -> None:
        calls.append(1)
        raise make()

    expected = type(make())
    with pytest.raises(expected) as caught:
        retrying(failing)
    return len(calls), caught.value


def _no_wait(retrying: Retrying) -> Retrying:
    """The same policy (stop and retry rules) without sleeping."""
    return retrying.copy(wait=wait_none())


@pytest.mark.parametrize("make", UNREACHABLE)
def test_unreachable_endpoint_gets_two_retries(make: Callable[[], Exception]) -> None:
    attempts, raised = _count(_no_wait(default_retrying()), make)
    assert attempts == CONNECT_ATTEMPTS == 3
    assert is_connection_failure(raised)


@pytest.mark.parametrize("make", REACHABLE_FAULTS)
def test_throttling_and_faults_keep_the_full_budget(make: Callable[[], Exception]) -> None:
    attempts, _ = _count(_no_wait(default_retrying()), make)
    assert attempts == MAX_ATTEMPTS == 6


def test_factory_with_injected_wait_has_the_same_budgets() -> None:
    retrying = retrying_factory(wait=wait_none())
    assert _count(retrying(), lambda: EndpointConnectionError(endpoint_url=URL))[0] == 3
    assert _count(retrying(), _throttled)[0] == 6
    assert _count(retrying_factory(wait=wait_none(), attempts=2)(), _throttled)[0] == 2
    unreachable = retrying_factory(wait=wait_none(), attempts=2)()
    assert _count(unreachable, lambda: EndpointConnectionError(endpoint_url=URL))[0] == 2


def test_throttling_then_unreachable_stops_at_the_connect_budget() -> None:
    """Attempts count from the call's start: a run that ends unreachable stops at 3."""
    failures: list[Callable[[], Exception]] = [
        _throttled,
        _throttled,
        lambda: EndpointConnectionError(endpoint_url=URL),
        _throttled,
    ]
    calls: list[int] = []

    def failing() -> None:
        calls.append(1)
        raise failures[len(calls) - 1]()

    with pytest.raises(EndpointConnectionError):
        _no_wait(default_retrying())(failing)
    assert len(calls) == 3


def test_recovered_connection_is_not_cut_short() -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < CONNECT_ATTEMPTS:
            raise EndpointConnectionError(endpoint_url=URL)
        return "answer"

    assert _no_wait(default_retrying())(flaky) == "answer"
    assert len(calls) == CONNECT_ATTEMPTS


def _state_after(exc: Exception, attempt: int) -> RetryCallState:
    state = RetryCallState(retry_object=default_retrying(), fn=None, args=(), kwargs={})
    state.attempt_number = attempt
    state.set_exception((type(exc), exc, None))
    return state


def test_waits_after_an_unreachable_endpoint_are_short() -> None:
    """The waits the default policy would sleep, read off without sleeping."""
    wait = default_retrying().wait
    unreachable = [wait(_state_after(EndpointConnectionError(endpoint_url=URL), n)) for n in (1, 2)]
    assert all(0 < w <= 1.0 for w in unreachable)
    assert sum(unreachable) <= 1.5
    throttled = [wait(_state_after(_throttled(), n)) for n in range(1, MAX_ATTEMPTS)]
    assert max(throttled) > 1.0  # throttling keeps its long backoff


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (EndpointConnectionError(endpoint_url=URL), True),
        (ConnectTimeoutError(endpoint_url=URL), True),
        (ReadTimeoutError(endpoint_url=URL), False),
        (ConnectionClosedError(endpoint_url=URL), False),
        (None, False),
    ],
)
def test_what_counts_as_unreachable(exc: Exception | None, expected: bool) -> None:
    assert is_connection_failure(exc) is expected


def test_gateway_reports_an_unreachable_endpoint_after_three_sends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The whole path: client, retry loop, AwsCallFailed; a counted stub fails every send."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE01")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
    gateway = AwsGateway(
        new_session(region="us-east-1"), retrying=retrying_factory(wait=wait_none())
    )
    sent: list[int] = []

    def unreachable(**_: Any) -> None:
        sent.append(1)
        raise EndpointConnectionError(endpoint_url=URL)

    gateway.client("sts").meta.events.register_first(
        "before-send.sts.GetCallerIdentity", unreachable
    )
    with pytest.raises(AwsCallFailed) as caught:
        gateway.call("sts", "get_caller_identity")
    assert caught.value.error.code == "EndpointConnectionError"
    assert caught.value.error.operation == "sts:GetCallerIdentity"
    assert len(sent) == 3
