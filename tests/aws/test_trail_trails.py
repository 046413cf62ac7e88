"""QS401's facts: which trails the intermediate account sees, and whether they record AssumeRole."""

from __future__ import annotations

from typing import Any

import pytest

from qsdoctor.aws.gateway import AwsGateway, RetryingFactory
from qsdoctor.aws.sessions import new_session
from qsdoctor.collect.trail import describe_trails, judge_selectors
from qsdoctor.models import Ok, Unavailable
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


def test_unreadable_status_leaves_logging_unknown(fast_retrying: RetryingFactory) -> None:
    gw = _gateway(fast_retrying)
    from botocore.stub import Stubber

    stubber = Stubber(gw.client("cloudtrail", "us-east-1"))
    arn = "arn:aws:cloudtrail:us-east-1:999999999999:trail/org"
    stubber.add_response(
        "describe_trails",
        {
            "trailList": [
                {
                    "Name": "org",
                    "TrailARN": arn,
                    "HomeRegion": "us-east-1",
                    "IsOrganizationTrail": True,
                    "IsMultiRegionTrail": True,
                }
            ]
        },
        {"includeShadowTrails": True},
    )
    stubber.add_client_error(
        "get_trail_status", service_error_code="AccessDeniedException", http_status_code=400
    )
    stubber.add_response("get_event_selectors", BASIC_ALL, {"TrailName": arn})
    stubber.activate()
    found = describe_trails(gw, ("us-east-1",))
    assert isinstance(found, Ok)
    [info] = found.value
    assert info.is_organization_trail
    assert info.is_logging is None
    assert info.records_management_events is True
    stubber.assert_no_pending_responses()
