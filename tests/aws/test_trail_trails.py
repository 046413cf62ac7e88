"""QS401's facts: which trails the intermediate account sees, and whether they record AssumeRole."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from qsdoctor.aws.gateway import AwsCallFailed, AwsGateway, RetryingFactory
from qsdoctor.aws.sessions import new_session
from qsdoctor.collect.trail import describe_trails, judge_selectors
from qsdoctor.models import AwsCallError, Ok, Unavailable
from tests.aws.conftest import INTERMEDIATE, account_session, answer_with_error

BASIC_ALL = {"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]}


@pytest.mark.parametrize(
    ("answer", "records", "phrase"),
    [
        (BASIC_ALL, True, "management events: all"),
        ({"EventSelectors": [{"ReadWriteType": "WriteOnly"}]}, True, "write-only"),
        (
            {"EventSelectors": [{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}]},
            False,
            "read-only management events only",
        ),
        (
            {"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": False}]},
            False,
            "management events are off",
        ),
        (
            {
                "EventSelectors": [
                    {"ReadWriteType": "All", "ExcludeManagementEventSources": ["sts.amazonaws.com"]}
                ]
            },
            False,
            "sts.amazonaws.com is excluded",
        ),
        ({"EventSelectors": []}, False, "no event selectors"),
        (
            {
                "AdvancedEventSelectors": [
                    {
                        "Name": "mgmt",
                        "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}],
                    }
                ]
            },
            True,
            "mgmt",
        ),
        (
            {
                "AdvancedEventSelectors": [
                    {
                        "Name": "reads",
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Management"]},
                            {"Field": "readOnly", "Equals": ["true"]},
                        ],
                    }
                ]
            },
            False,
            "exclude",
        ),
        (
            {
                "AdvancedEventSelectors": [
                    {
                        "Name": "no-sts",
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Management"]},
                            {"Field": "eventSource", "NotEquals": ["sts.amazonaws.com"]},
                        ],
                    }
                ]
            },
            False,
            "exclude",
        ),
        (
            {
                "AdvancedEventSelectors": [
                    {
                        "Name": "data",
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Data"]},
                            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                        ],
                    },
                    {
                        "Name": "writes",
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Management"]},
                            {"Field": "readOnly", "Equals": ["false"]},
                        ],
                    },
                ]
            },
            True,
            "writes",
        ),
    ],
)
def test_selectors_are_judged_for_sts_assume_role(
    answer: dict[str, Any], records: bool, phrase: str
) -> None:
    got, summary = judge_selectors(answer)
    assert got is records
    assert phrase in summary


def _gateway(retrying: RetryingFactory) -> AwsGateway:
    return AwsGateway(new_session(region="us-east-1"), profile="acme-audit", retrying=retrying)


def test_describe_trails_reads_status_and_selectors_in_the_home_region(
    fast_retrying: RetryingFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto holds a real trail in the intermediate account; qsdoctor reads it with its keys."""
    setup = account_session(INTERMEDIATE)
    s3 = setup.client("s3", region_name="eu-west-1")
    s3.create_bucket(
        Bucket="acme-trail", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    ct = setup.client("cloudtrail", region_name="eu-west-1")
    ct.create_trail(Name="acme", S3BucketName="acme-trail", IsMultiRegionTrail=True)
    ct.start_logging(Name="acme")
    ct.put_event_selectors(
        TrailName="acme",
        EventSelectors=[{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}],
    )
    creds = setup.get_credentials().get_frozen_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds.token or "")

    found = describe_trails(_gateway(fast_retrying), ("us-east-1", "eu-west-1"))

    assert isinstance(found, Ok)
    [info] = found.value
    assert info.name == "acme"
    assert info.home_region == "eu-west-1"
    assert info.is_multi_region
    assert info.is_logging is True
    assert info.records_management_events is False
    assert "read-only" in info.selector_summary
    assert info.s3_bucket == "acme-trail"


def test_describe_trails_denied_everywhere_is_unavailable(
    fast_retrying: RetryingFactory,
) -> None:
    gw = _gateway(fast_retrying)
    for region in ("us-east-1", "eu-west-1"):
        answer_with_error(
            gw.client("cloudtrail", region).meta.events,
            "cloudtrail",
            "DescribeTrails",
            "AccessDeniedException",
        )
    found = describe_trails(gw, ("us-east-1", "eu-west-1"))
    assert isinstance(found, Unavailable)
    assert found.error.operation == "cloudtrail:DescribeTrails"


ORG_ARN = "arn:aws:cloudtrail:us-east-1:999999999999:trail/org"
ORG_TRAIL = {
    "Name": "org",
    "TrailARN": ORG_ARN,
    "HomeRegion": "us-east-1",
    "IsOrganizationTrail": True,
    "IsMultiRegionTrail": True,
}


class _AnsweringGateway:
    """Answers each CloudTrail operation by name (in any order, from any thread).

    An answer is a dict, an AWS error code to fail with, or a callable run first
    (to observe concurrency) that returns one of those.
    """

    label = "acme-audit"

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, str | None]] = []
        self._lock = threading.Lock()

    def call(self, service: str, method: str, *, region: str | None = None, **_: Any) -> Any:
        with self._lock:
            self.calls.append((method, region))
        answer = self.answers[method]
        if callable(answer):
            answer = answer()
        if isinstance(answer, str):
            raise AwsCallFailed(
                AwsCallError(operation=f"{service}:{method}", code=answer, message="denied")
            )
        return answer


def test_unreadable_status_leaves_logging_unknown() -> None:
    gw = _AnsweringGateway(
        {
            "describe_trails": {"trailList": [ORG_TRAIL]},
            "get_trail_status": "AccessDeniedException",
            "get_event_selectors": BASIC_ALL,
        }
    )
    found = describe_trails(gw, ("us-east-1",))  # type: ignore[arg-type]
    assert isinstance(found, Ok)
    [info] = found.value
    assert info.is_organization_trail
    assert info.is_logging is None
    assert info.records_management_events is True
    assert sorted(gw.calls) == [
        ("describe_trails", "us-east-1"),
        ("get_event_selectors", "us-east-1"),
        ("get_trail_status", "us-east-1"),
    ]


def test_unreadable_selectors_leave_recording_unknown() -> None:
    gw = _AnsweringGateway(
        {
            "describe_trails": {"trailList": [ORG_TRAIL]},
            "get_trail_status": {"IsLogging": True},
            "get_event_selectors": "AccessDeniedException",
        }
    )
    found = describe_trails(gw, ("us-east-1",))  # type: ignore[arg-type]
    assert isinstance(found, Ok)
    [info] = found.value
    assert info.is_logging is True
    assert info.records_management_events is None
    assert info.selector_summary == "selectors not readable (AccessDeniedException)"


def test_status_and_selectors_are_read_at_the_same_time() -> None:
    """Each read waits for the other to start: read one after the other, both time out."""
    both = threading.Barrier(2, timeout=5)

    def meet(answer: dict[str, Any]) -> Any:
        def wait() -> dict[str, Any]:
            both.wait()
            return answer

        return wait

    gw = _AnsweringGateway(
        {
            "describe_trails": {"trailList": [ORG_TRAIL]},
            "get_trail_status": meet({"IsLogging": False}),
            "get_event_selectors": meet(BASIC_ALL),
        }
    )
    found = describe_trails(gw, ("us-east-1",))  # type: ignore[arg-type]
    assert isinstance(found, Ok)
    [info] = found.value
    assert info.is_logging is False
    assert info.records_management_events is True


def test_trails_seen_from_several_regions_are_listed_once() -> None:
    gw = _AnsweringGateway(
        {
            "describe_trails": {"trailList": [ORG_TRAIL]},
            "get_trail_status": {"IsLogging": True},
            "get_event_selectors": BASIC_ALL,
        }
    )
    found = describe_trails(gw, ("eu-west-1", "us-east-1"))  # type: ignore[arg-type]
    assert isinstance(found, Ok)
    assert [t.arn for t in found.value] == [ORG_ARN]
    assert sorted(r for m, r in gw.calls if m == "describe_trails") == ["eu-west-1", "us-east-1"]
    assert [r for m, r in gw.calls if m == "get_trail_status"] == ["us-east-1"]
