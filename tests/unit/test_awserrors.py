"""One list of throttling codes: what the retry layer retries, classify calls throttled."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from qsdoctor import awserrors
from qsdoctor.aws import retry
from qsdoctor.checks import classify
from qsdoctor.checks.classify import FailureKind


def test_retry_and_classify_share_the_one_definition() -> None:
    assert retry.THROTTLING_CODES is awserrors.THROTTLING_CODES
    assert classify.THROTTLING_CODES is awserrors.THROTTLING_CODES


@pytest.mark.parametrize("code", sorted(awserrors.THROTTLING_CODES))
def test_every_throttling_code_is_retried_and_then_called_throttled(code: str) -> None:
    # STS answers throttling with HTTP 400 (not 5xx), so only the code makes it retryable.
    error = ClientError(
        {
            "Error": {"Code": code, "Message": "Rate exceeded"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        },
        "AssumeRole",
    )
    assert retry.is_retryable(error)
    assert classify.classify(code, "Rate exceeded").kind is FailureKind.THROTTLED


def test_access_denied_is_neither() -> None:
    error = ClientError(
        {
            "Error": {"Code": "AccessDenied", "Message": "no"},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        },
        "AssumeRole",
    )
    assert not retry.is_retryable(error)
    assert classify.classify("AccessDenied", "no").kind is not FailureKind.THROTTLED
