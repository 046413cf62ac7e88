"""CloudTrail AssumeRole records → `TrailEvent`: pure, defensive parsing, no AWS calls.

The same records arrive two ways: as the `CloudTrailEvent` JSON *string* inside a
LookupEvents result, and as elements of the `Records` array of an S3 log file. Both
go through `parse_record`. Records are written by AWS, truncated at 1 KB per error
field, and on denials often carry `requestParameters: null`
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html),
so every field is optional here except the event's ID and time; a record without
those is *malformed*, counted and skipped by the caller, never a crash.

External IDs in `requestParameters.externalId` are turned into a fingerprint with the
run key (`qsdoctor.secrets.fingerprint`) at once, so they can be compared with the
configured External ID's fingerprint; the value itself is never kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from qsdoctor.facts import TrailEvent
from qsdoctor.secrets import fingerprint

STS_SOURCE = "sts.amazonaws.com"
ASSUME_ROLE = "AssumeRole"

#: NOTE: denied AssumeRole records may have null requestParameters; the role is then
#: only in the message: "... is not authorized to perform: sts:AssumeRole on resource: ARN"
#: (cartography-cncf/cartography#1740).
_ROLE_IN_MESSAGE = re.compile(r"on resource: (arn:[^\s]+)")
_CALLER_IN_MESSAGE = re.compile(r"^User: (arn:[^\s]+) is not authorized")
#: NOTE: STS's ValidationError echoes a malformed External ID ("Value '<v>' at
#: 'externalId' failed to satisfy constraint"), and CloudTrail keeps the message.
_ECHOED_EXTERNAL_ID = re.compile(r"Value '.*?' at 'externalId'", re.DOTALL)


class MalformedRecord(ValueError):
    """A record that is not a CloudTrail event we can use (no ID, no time, not an object)."""


def is_assume_role(record: Mapping[str, Any]) -> bool:
    """Whether a record is an STS AssumeRole call (the only records qsdoctor reads)."""
    return record.get("eventSource") == STS_SOURCE and record.get("eventName") == ASSUME_ROLE


def parse_time(value: object) -> datetime:
    """CloudTrail's `eventTime` ("2026-11-20T10:05:00Z") or a datetime, as an aware UTC time."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        raise MalformedRecord(f"eventTime is not a time: {type(value).__name__}")
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise MalformedRecord("eventTime is not ISO-8601") from None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso(moment: datetime) -> str:
    """UTC ISO-8601 with a Z and whole seconds, the form reports and facts use."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _mapping(value: object) -> Mapping[str, Any]:
    # dict first: decoded JSON is always a dict, and the ABC check is slow per record.
    if type(value) is dict or isinstance(value, Mapping):
        return value
    return {}


def redact_message(message: str, external_id: object) -> str:
    """An errorMessage with any External ID taken out (echoed by ValidationError, or verbatim)."""
    text = _ECHOED_EXTERNAL_ID.sub("Value '<redacted>' at 'externalId'", message)
    if isinstance(external_id, str) and len(external_id) >= 2:
        text = text.replace(external_id, "<redacted>")
    return text


def _role_from_resources(resources: object) -> str | None:
    if not isinstance(resources, list):
        return None
    for item in resources:
        res = _mapping(item)
        arn = _text(res.get("ARN"))
        if arn and (res.get("type") in (None, "AWS::IAM::Role")) and ":role/" in arn:
            return arn
    return None


def role_arn_of(record: Mapping[str, Any]) -> str | None:
    """The role the call tried to assume: parameters, then the error message, then resources."""
    params = _mapping(record.get("requestParameters"))
    arn = _text(params.get("roleArn"))
    if arn:
        return arn
    message = _text(record.get("errorMessage"))
    if message:
        match = _ROLE_IN_MESSAGE.search(message)
        if match:
            return match.group(1)
    return _role_from_resources(record.get("resources"))


def parse_record(record: object) -> TrailEvent:
    """One CloudTrail record (a decoded JSON object) as a TrailEvent.

    Raises MalformedRecord when the record has no usable event ID or time; callers
    count those. Call `is_assume_role` first: this function does not filter.
    """
    if type(record) is not dict and not isinstance(record, Mapping):
        raise MalformedRecord(f"record is a {type(record).__name__}, not an object")
    event_id = _text(record.get("eventID"))
    if event_id is None:
        raise MalformedRecord("record has no eventID")
    when = parse_time(record.get("eventTime"))
    identity = _mapping(record.get("userIdentity"))
    params = _mapping(record.get("requestParameters"))
    error_code = _text(record.get("errorCode"))
    message = _text(record.get("errorMessage"))
    caller_arn = _text(identity.get("arn"))
    if caller_arn is None and message:
        match = _CALLER_IN_MESSAGE.search(message)
        if match:
            caller_arn = match.group(1)
    caller_account = _text(identity.get("accountId"))
    if caller_account is None and caller_arn:
        parts = caller_arn.split(":")
        caller_account = parts[4] if len(parts) > 5 and parts[4] else None
    external_id = params.get("externalId")
    tls = _mapping(record.get("tlsDetails"))
    return TrailEvent(
        event_id=event_id,
        event_time=iso(when),
        region=_text(record.get("awsRegion")) or "unknown",
        succeeded=error_code is None,
        role_arn=role_arn_of(record),
        caller_arn=caller_arn,
        caller_account=caller_account,
        recipient_account=_text(record.get("recipientAccountId")),
        error_code=error_code,
        error_message=redact_message(message, external_id) if message else None,
        session_name=_text(params.get("roleSessionName")),
        external_id_fingerprint=(
            fingerprint(external_id) if isinstance(external_id, str) and external_id else None
        ),
        source_identity=_text(params.get("sourceIdentity")),
        user_agent=_text(record.get("userAgent")),
        caller_type=_text(identity.get("type")),
        endpoint=_text(tls.get("clientProvidedHostHeader")),
    )


def parse_lookup_event(item: Mapping[str, Any]) -> TrailEvent | None:
    """One LookupEvents result item: decode its `CloudTrailEvent` JSON string and parse it.

    Returns None for a well-formed record that is not an STS AssumeRole call (a
    lookup by EventName can still return other sources' AssumeRole-named events).
    Raises MalformedRecord when the string is missing or not a JSON object.
    """
    raw = item.get("CloudTrailEvent")
    if not isinstance(raw, str):
        raise MalformedRecord("LookupEvents item has no CloudTrailEvent string")
    try:
        record = json.loads(raw)
    except ValueError:
        raise MalformedRecord("CloudTrailEvent is not valid JSON") from None
    if type(record) is not dict and not isinstance(record, Mapping):
        raise MalformedRecord("CloudTrailEvent is not a JSON object")
    if not is_assume_role(record):
        return None
    return parse_record(record)
