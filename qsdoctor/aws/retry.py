"""The retry policy: tenacity is the only retry layer (botocore makes one attempt).

Throttling, 5xx and connection faults are retried with jittered exponential backoff;
everything else, AccessDenied above all, is an answer and is never retried. A call
that cannot reach its endpoint at all (no network, DNS failure, connect timeout)
gets a small budget of its own, 2 quick retries, so a broken network is reported
in seconds rather than after half a minute of backoff. Callers take a *factory* so
each call gets fresh attempt state and tests can inject `wait_none()`.
"""

from __future__ import annotations

from collections.abc import Callable

from botocore.exceptions import ClientError, HTTPClientError, SSLError
from botocore.exceptions import ConnectionError as BotoConnectionError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from qsdoctor.awserrors import THROTTLING_CODES

TRANSIENT_CODES = frozenset(
    {
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
        "RequestTimeout",
        "RequestTimeoutException",
        "IDPCommunicationError",
    }
)


def is_retryable(exc: BaseException) -> bool:
    """Throttling, 5xx and connection faults are retried; everything else is an answer."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return code in THROTTLING_CODES or code in TRANSIENT_CODES or status >= 500
    if isinstance(exc, SSLError):
        return False  # a certificate or proxy problem: retrying only delays the answer
    return isinstance(exc, (BotoConnectionError, HTTPClientError))


def is_connection_failure(exc: BaseException | None) -> bool:
    """The endpoint could not be reached at all: DNS failure, refused or timed-out connect.

    A connection that was made and then dropped (ConnectionClosedError, a read
    timeout) is a fault on a reachable endpoint and keeps the full budget.
    """
    return isinstance(exc, BotoConnectionError) and not isinstance(exc, SSLError)


#: Attempts per call (or per page) before a throttled or faulting call is reported.
MAX_ATTEMPTS = 6
#: Attempts per call when the endpoint cannot be reached: the first and 2 retries.
CONNECT_ATTEMPTS = 3


def _last_exception(state: RetryCallState) -> BaseException | None:
    outcome = state.outcome
    return outcome.exception() if outcome is not None and outcome.failed else None


class StopOnBudget(stop_base):
    """Stop after `attempts`, or after `connect_attempts` when the endpoint is unreachable."""

    def __init__(self, attempts: int, connect_attempts: int) -> None:
        self.attempts = attempts
        self.connect_attempts = connect_attempts

    def __call__(self, retry_state: RetryCallState) -> bool:
        if retry_state.attempt_number >= self.attempts:
            return True
        return (
            is_connection_failure(_last_exception(retry_state))
            and retry_state.attempt_number >= self.connect_attempts
        )


class WaitByFailure(wait_base):
    """`connect` after an unreachable endpoint, `default` after anything else."""

    def __init__(self, default: wait_base, connect: wait_base) -> None:
        self.default = default
        self.connect = connect

    def __call__(self, retry_state: RetryCallState) -> float:
        if is_connection_failure(_last_exception(retry_state)):
            return self.connect(retry_state)
        return self.default(retry_state)


def _default_wait() -> wait_base:
    """Throttling and faults: 0.5 s doubling to 8 s; an unreachable endpoint: 0.25 s, 0.5 s."""
    return WaitByFailure(
        wait_exponential_jitter(multiplier=0.5, max=8),
        wait_exponential_jitter(multiplier=0.25, max=1, jitter=0.25),
    )


def default_retrying() -> Retrying:
    """Up to 6 attempts (3 when the endpoint is unreachable), backoff with jitter."""
    return retrying_factory()()


RetryingFactory = Callable[[], Retrying]


def retrying_factory(
    *,
    wait: wait_base | None = None,
    attempts: int = MAX_ATTEMPTS,
    connect_attempts: int = CONNECT_ATTEMPTS,
) -> RetryingFactory:
    """The default retry policy with another wait (tests pass `wait_none()`) or attempt caps.

    A factory, not a Retrying object, because each call needs its own attempt state.
    """

    def make() -> Retrying:
        return Retrying(
            retry=retry_if_exception(is_retryable),
            wait=wait if wait is not None else _default_wait(),
            stop=StopOnBudget(attempts, min(connect_attempts, attempts)),
            reraise=True,
        )

    return make
