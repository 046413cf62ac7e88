"""AWS error codes that more than one layer must agree on. Pure data, no imports.

`aws/retry.py` retries these codes and `checks/classify.py` names a call that still
failed with one of them "throttled": one list, so the two can never disagree.
"""

from __future__ import annotations

#: Throttling error codes, as botocore's standard retry mode knows them.
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
