"""Parsing CloudTrail AssumeRole records: every shape CloudTrail writes, and garbage.

Records are written here by hand in the real format; each builder names the sample in
the shared cloudtrail-samples collection whose shape it follows.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qsdoctor.collect.trail_records import (
    MalformedRecord,
    is_assume_role,
    parse_lookup_event,
    parse_record,
    parse_time,
    role_arn_of,
)
from qsdoctor.secrets import fingerprint

INTERMEDIATE = "arn:aws:iam::222222222222:role/IntermediateRole"
VENDOR_SESSION = "arn:aws:sts::111111111111:assumed-role/VendorProdRole/vendor-prod-session"


def denied_hop1() -> dict[str, Any]:
    """Shape of assumerole-denied-hop1-caller-copy.synthetic.json (null parameters)."""
    return {
        "eventVersion": "1.11",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLEVENDOR0001:vendor-prod-session",
            "arn": VENDOR_SESSION,
            "accountId": "111111111111",
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111111111111:role/V"}
            },
        },
        "eventTime": "2026-11-20T10:05:00Z",
        "eventSource": "sts.amazonaws.com",
        "eventName": "AssumeRole",
        "awsRegion": "us-east-1",
        "userAgent": "Boto3/1.x md/Botocore#1.44.8",
        "errorCode": "AccessDenied",
        "errorMessage": (
            f"User: {VENDOR_SESSION} is not authorized to perform: sts:AssumeRole on "
            f"resource: {INTERMEDIATE}"
        ),
        "requestParameters": None,
        "responseElements": None,
        "eventID": "00000000-0000-0000-0000-000000000002",
        "recipientAccountId": "111111111111",
        "tlsDetails": {"clientProvidedHostHeader": "sts.us-east-1.amazonaws.com"},
    }


def success_role_owner_copy() -> dict[str, Any]:
    """Shape of assumerole-success-cross-account-role-owner-copy.awsdoc.json (no ARN)."""
    return {
        "eventVersion": "1.05",
        "userIdentity": {
            "type": "AWSAccount",
            "principalId": "AIDAQRSTUVWXYZEXAMPLE",
            "accountId": "777788889999",
        },
        "eventTime": "2014-07-18T15:07:39Z",
        "eventSource": "sts.amazonaws.com",
        "eventName": "AssumeRole",
        "awsRegion": "us-east-2",
        "requestParameters": {
            "roleArn": "arn:aws:iam::111122223333:role/EC2-dev",
            "roleSessionName": "JohnDoe-EC2-dev",
            "sourceIdentity": "JohnDoe",
            "externalId": "an-external-id-value-of-some-length",
        },
        "responseElements": {
            "assumedRoleUser": {
                "arn": "arn:aws:sts::111122223333:assumed-role/EC2-dev/JohnDoe-EC2-dev"
            }
        },
        "sharedEventID": "bEXAMPLE-efea-4a70-b951-19a88EXAMPLE",
        "eventID": "dEXAMPLE-ac7f-466c-a608-4ac8dEXAMPLE",
    }


def test_denied_record_with_null_parameters_takes_role_from_message() -> None:
    event = parse_record(denied_hop1())
    assert not event.succeeded
    assert event.error_code == "AccessDenied"
    assert event.role_arn == INTERMEDIATE
    assert event.caller_arn == VENDOR_SESSION
    assert event.caller_account == "111111111111"
    assert event.recipient_account == "111111111111"
    assert event.session_name is None
    assert event.external_id_fingerprint is None
    assert event.endpoint == "sts.us-east-1.amazonaws.com"
    assert event.event_time == "2026-11-20T10:05:00Z"


def test_role_owner_copy_has_account_but_no_caller_arn() -> None:
    event = parse_record(success_role_owner_copy())
    assert event.succeeded
    assert event.caller_type == "AWSAccount"
    assert event.caller_arn is None
    assert event.caller_account == "777788889999"
    assert event.role_arn == "arn:aws:iam::111122223333:role/EC2-dev"
    assert event.session_name == "JohnDoe-EC2-dev"
    assert event.source_identity == "JohnDoe"


def test_external_id_is_fingerprinted_never_kept() -> None:
    record = success_role_owner_copy()
    secret = record["requestParameters"]["externalId"]
    event = parse_record(record)
    assert event.external_id_fingerprint == fingerprint(secret)
    assert secret not in repr(event)


def test_echoed_external_id_is_redacted_from_the_message() -> None:
    """STS's ValidationError quotes a malformed External ID; CloudTrail keeps the text."""
    record = denied_hop1()
    record["errorCode"] = "ValidationError"
    record["errorMessage"] = (
        "1 validation error detected: Value 'bad id with spaces' at 'externalId' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:/-]*"
    )
    event = parse_record(record)
    assert event.error_message is not None
    assert "bad id with spaces" not in event.error_message
    assert "<redacted>" in event.error_message


def test_verbatim_external_id_in_message_is_redacted() -> None:
    record = denied_hop1()
    record["requestParameters"] = {"roleArn": INTERMEDIATE, "externalId": "S3cr3t-value-123"}
    record["errorMessage"] = "something mentioning S3cr3t-value-123 verbatim"
    event = parse_record(record)
    assert event.error_message == "something mentioning <redacted> verbatim"


def test_role_falls_back_to_resources_when_message_has_none() -> None:
    record = denied_hop1()
    record["errorMessage"] = "Access denied"
    record["resources"] = [
        {"ARN": INTERMEDIATE, "accountId": "222222222222", "type": "AWS::IAM::Role"}
    ]
    assert role_arn_of(record) == INTERMEDIATE
    record["resources"] = []
    assert role_arn_of(record) is None


def test_caller_comes_from_message_when_identity_has_no_arn() -> None:
    record = denied_hop1()
    record["userIdentity"] = {"type": "AssumedRole"}
    event = parse_record(record)
    assert event.caller_arn == VENDOR_SESSION
    assert event.caller_account == "111111111111"


def test_lookup_event_decodes_the_json_string() -> None:
    item = {"EventId": "x", "EventName": "AssumeRole", "CloudTrailEvent": json.dumps(denied_hop1())}
    event = parse_lookup_event(item)
    assert event is not None
    assert event.role_arn == INTERMEDIATE


def test_lookup_event_of_another_source_is_ignored_not_malformed() -> None:
    record = denied_hop1()
    record["eventSource"] = "iam.amazonaws.com"
    assert parse_lookup_event({"CloudTrailEvent": json.dumps(record)}) is None
    assert not is_assume_role(record)


@pytest.mark.parametrize(
    "item",
    [
        {},
        {"CloudTrailEvent": None},
        {"CloudTrailEvent": "{not json"},
        {"CloudTrailEvent": "[1, 2]"},
        {"CloudTrailEvent": json.dumps({**denied_hop1(), "eventID": None})},
        {"CloudTrailEvent": json.dumps({**denied_hop1(), "eventTime": "yesterday"})},
        {"CloudTrailEvent": json.dumps({**denied_hop1(), "eventTime": 12})},
    ],
)
def test_malformed_items_raise_malformed_record(item: dict[str, Any]) -> None:
    with pytest.raises(MalformedRecord):
        parse_lookup_event(item)


def test_parse_time_accepts_z_offsets_and_datetimes() -> None:
    assert parse_time("2026-11-20T10:05:00Z") == datetime(2026, 11, 20, 10, 5, tzinfo=UTC)
    assert parse_time(datetime(2026, 1, 1)) == datetime(2026, 1, 1, tzinfo=UTC)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(field=st.sampled_from(sorted(denied_hop1())), value=_json)
def test_any_field_replaced_by_junk_parses_or_is_malformed(field: str, value: object) -> None:
    """Defensive parsing: junk in any field gives an event or MalformedRecord, never a crash."""
    record = copy.deepcopy(denied_hop1())
    record[field] = value
    try:
        event = parse_record(record)
    except MalformedRecord:
        return
    assert event.event_id
