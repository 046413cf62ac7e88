"""Hand-written CloudTrail records, and LookupEvents answered from them.

moto has no LookupEvents. Scenarios name record templates (JSON files in
`sandbox/trail/`, written by hand in the format CloudTrail writes; see
aws-facts.md §6) and how many minutes ago each event happened, so the events
always fall inside the look-back window. A template holds every copy of one
call: the caller's copy and, for cross-account successes only, the role
owner's copy (STS does not log denied requests in the target account).

`lookup_events` implements the parts of LookupEvents qsdoctor relies on: one
region and one account per call, a single lookup attribute, StartTime/EndTime,
newest first, MaxResults <= 50 and a NextToken valid only for the same parameters.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")
_NAMESPACE = uuid.UUID("6f1c8f8e-2b1c-4c55-9d7e-5a8d1e3c0b42")
MAX_RESULTS = 50
LOOKUP_KEYS = frozenset(
    {
        "EventId",
        "EventName",
        "ReadOnly",
        "Username",
        "ResourceType",
        "ResourceName",
        "EventSource",
        "AccessKeyId",
    }
)


class LookupRefused(Exception):
    """A LookupEvents request AWS would refuse: the error code and message it sends."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True, kw_only=True)
class TrailSpec:
    """A scenario's use of one template: when the calls happened and what filled the blanks."""

    template: str
    """File name without `.json` under `sandbox/trail/`."""
    minutes_ago: tuple[int, ...]
    """One call per value, that many minutes before the scenario was loaded."""
    values: Mapping[str, str] = field(default_factory=dict)
    """Template variables beyond the world's (e.g. PRESENTED_EXTERNAL_ID)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredEvent:
    """One record as LookupEvents would return it from one account and region."""

    account: str
    region: str
    time: datetime
    record: Mapping[str, Any]


def load_template(name: str) -> list[dict[str, Any]]:
    """A template: a list of {"account": ..., "record": {...}} copies of one call."""
    text = resources.files("qsdoctor.sandbox").joinpath("trail", f"{name}.json").read_text()
    data = json.loads(text)
    if not isinstance(data, list):
        raise ValueError(f"trail template {name} must be a JSON list of copies")
    return data


def _fill(node: Any, values: Mapping[str, str | None]) -> Any:
    if isinstance(node, str):
        whole = _VAR.fullmatch(node)
        if whole:
            return values[whole.group(1)]
        return _VAR.sub(lambda m: str(values[m.group(1)]), node)
    if isinstance(node, list):
        return [_fill(item, values) for item in node]
    if isinstance(node, dict):
        return {key: _fill(item, values) for key, item in node.items()}
    return node


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def render(
    specs: Sequence[TrailSpec], world_values: Mapping[str, str], now: datetime
) -> tuple[StoredEvent, ...]:
    """Every copy of every call of every spec, with times relative to `now`."""
    events: list[StoredEvent] = []
    for spec_index, spec in enumerate(specs):
        copies = load_template(spec.template)
        for minutes in spec.minutes_ago:
            moment = (now - timedelta(minutes=minutes)).replace(microsecond=0)
            call = f"{spec.template}/{spec_index}/{minutes}"
            values: dict[str, str | None] = {**world_values, **spec.values}
            values["EVENT_TIME"] = _iso(moment)
            values["CREATION_TIME"] = _iso(moment - timedelta(minutes=1))
            values["EXPIRATION"] = _iso(moment + timedelta(hours=1))
            values["REQUEST_ID"] = str(uuid.uuid5(_NAMESPACE, f"request/{call}"))
            values["SHARED_EVENT_ID"] = str(uuid.uuid5(_NAMESPACE, f"shared/{call}"))
            for copy_index, copy in enumerate(copies):
                values["EVENT_ID"] = str(uuid.uuid5(_NAMESPACE, f"event/{call}/{copy_index}"))
                record = _fill(copy["record"], values)
                events.append(
                    StoredEvent(
                        account=str(_fill(copy["account"], values)),
                        region=str(record["awsRegion"]),
                        time=moment,
                        record=record,
                    )
                )
    events.sort(key=lambda e: e.time, reverse=True)
    return tuple(events)


def _username(record: Mapping[str, Any]) -> str | None:
    identity = record.get("userIdentity") or {}
    if identity.get("userName"):
        return str(identity["userName"])
    arn = identity.get("arn")
    if identity.get("type") == "AssumedRole" and arn:
        return str(arn).rsplit("/", 1)[-1]
    return None


def _resources(record: Mapping[str, Any]) -> list[dict[str, str]]:
    return [
        {"ResourceType": str(r.get("type", "")), "ResourceName": str(r.get("ARN", ""))}
        for r in record.get("resources") or []
    ]


def _attribute_matches(event: StoredEvent, key: str, value: str) -> bool:
    record = event.record
    match key:
        case "EventId":
            return record.get("eventID") == value
        case "EventName":
            return record.get("eventName") == value
        case "EventSource":
            return record.get("eventSource") == value
        case "ReadOnly":
            return str(record.get("readOnly", "false")).lower() == value
        case "Username":
            return _username(record) == value
        case "AccessKeyId":
            return (record.get("userIdentity") or {}).get("accessKeyId") == value
        case "ResourceType":
            return any(r["ResourceType"] == value for r in _resources(record))
        case "ResourceName":
            return any(r["ResourceName"] == value for r in _resources(record))
    return False


def _as_time(raw: Any) -> datetime | None:
    if raw is None:
        return None
    if isinstance(raw, int | float):
        return datetime.fromtimestamp(raw, UTC)
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))


def _token(offset: int, params_hash: str) -> str:
    raw = json.dumps({"o": offset, "h": params_hash}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def lookup_events(
    events: Sequence[StoredEvent], *, account: str, region: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    """The LookupEvents response body for one account and region."""
    attributes = body.get("LookupAttributes") or []
    if len(attributes) > 1:
        raise LookupRefused(
            "InvalidLookupAttributesException", "You cannot specify more than one lookup attribute."
        )
    for attribute in attributes:
        if attribute.get("AttributeKey") not in LOOKUP_KEYS:
            raise LookupRefused(
                "InvalidLookupAttributesException",
                f"Invalid attribute key: {attribute.get('AttributeKey')}",
            )
    max_results = int(body.get("MaxResults") or MAX_RESULTS)
    if not 1 <= max_results <= MAX_RESULTS:
        raise LookupRefused("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
    start, end = _as_time(body.get("StartTime")), _as_time(body.get("EndTime"))
    if start and end and start > end:
        raise LookupRefused(
            "InvalidTimeRangeException", "Start time must be earlier than end time."
        )
    params = {k: v for k, v in body.items() if k not in {"NextToken", "MaxResults"}}
    params_hash = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    offset = 0
    if body.get("NextToken"):
        try:
            decoded = json.loads(base64.urlsafe_b64decode(str(body["NextToken"])))
            offset, token_hash = int(decoded["o"]), str(decoded["h"])
        except (ValueError, KeyError, TypeError) as e:
            raise LookupRefused("InvalidNextTokenException", "Invalid NextToken.") from e
        if token_hash != params_hash:
            raise LookupRefused(
                "InvalidNextTokenException",
                "NextToken must be reused with the same parameters that produced it.",
            )
    selected = [
        e
        for e in events
        if e.account == account
        and e.region == region
        and (start is None or e.time >= start)
        and (end is None or e.time <= end)
        and all(_attribute_matches(e, a["AttributeKey"], a["AttributeValue"]) for a in attributes)
    ]
    page = selected[offset : offset + max_results]
    out: dict[str, Any] = {"Events": [_to_lookup_event(e) for e in page]}
    if offset + max_results < len(selected):
        out["NextToken"] = _token(offset + max_results, params_hash)
    return out


def _to_lookup_event(event: StoredEvent) -> dict[str, Any]:
    record = event.record
    item: dict[str, Any] = {
        "EventId": record.get("eventID"),
        "EventName": record.get("eventName"),
        "ReadOnly": str(record.get("readOnly", "false")).lower(),
        "EventTime": event.time.timestamp(),
        "EventSource": record.get("eventSource"),
        "Resources": _resources(record),
        "CloudTrailEvent": json.dumps(record),
    }
    key = (record.get("userIdentity") or {}).get("accessKeyId")
    if key:
        item["AccessKeyId"] = key
    username = _username(record)
    if username:
        item["Username"] = username
    return item
