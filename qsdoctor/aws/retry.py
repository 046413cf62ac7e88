"""The retry policy: tenacity is the only retry layer (botocore makes one attempt).

Throttling, 5xx and connection faults are retried with jittered exponential backoff;
everything else, AccessDenied above all, is an answer and is never retried. Callers
take a *factory* so each call gets fresh attempt state and tests can inject
`wait_none()`.
"""

from __future__ import annotations

from collections.abc import Callable

from botocore.exceptions import ClientError, HTTPClientError, SSLError
from botocore.exceptions import ConnectionError as BotoConnectionError
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter
from tenacity.wait import wait_base

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
        "PriorRequestNotComplete",
        "RequestThrottled",
        "LimitExceededException",
    }
)
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


#: Attempts per call (or per page) before a throttled or faulting call is reported.
MAX_ATTEMPTS = 6


def default_retrying() -> Retrying:
    """Up to 6 attempts, exponential backoff with jitter, capped at 8 s per wait."""
    return Retrying(
        retry=retry_if_exception(is_retryable),
        wait=wait_exponential_jitter(multiplier=0.5, max=8),
        stop=stop_after_attempt(MAX_ATTEMPTS),
        reraise=True,
    )


RetryingFactory = Callable[[], Retrying]


def retrying_factory(
    *, wait: wait_base | None = None, attempts: int = MAX_ATTEMPTS
) -> RetryingFactory:
    """The default retry policy with another wait (tests pass `wait_none()`) or attempt cap.

    A factory, not a Retrying object, because each call needs its own attempt state.
    """

    def make() -> Retrying:
        return Retrying(
            retry=retry_if_exception(is_retryable),
            wait=wait if wait is not None else wait_exponential_jitter(multiplier=0.5, max=8),
            stop=stop_after_attempt(attempts),
            reraise=True,
        )

    return make
