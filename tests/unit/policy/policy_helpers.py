"""Small builders for policy tests (no decisions here: expected results live in the tables)."""

from __future__ import annotations

from typing import Any

from qsdoctor.policy import Policy, parse_policy

PRODUCTION = "684035162433"
INTERMEDIATE = "111122223333"
DESTINATION = "210987654321"
INTERMEDIATE_ROLE = f"arn:aws:iam::{INTERMEDIATE}:role/QuiverstoneTrustedIntermediate"
DESTINATION_ROLE = f"arn:aws:iam::{DESTINATION}:role/QuiverstoneChainedAccess"
SUPPORT_SESSION = f"arn:aws:sts::{PRODUCTION}:assumed-role/SupportEngineer/alice"
INTERMEDIATE_SESSION = (
    f"arn:aws:sts::{INTERMEDIATE}:assumed-role/QuiverstoneTrustedIntermediate/qsdoctor"
)


def doc(*statements: dict[str, Any], version: str = "2012-10-17") -> dict[str, Any]:
    return {"Version": version, "Statement": list(statements)}


def pol(
    *statements: dict[str, Any], name: str = "test policy", version: str = "2012-10-17"
) -> Policy:
    return parse_policy(doc(*statements, version=version), name=name)


def allow(
    action: str | list[str] = "sts:AssumeRole", resource: str | list[str] = "*", **extra: Any
) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(
    action: str | list[str] = "sts:AssumeRole", resource: str | list[str] = "*", **extra: Any
) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def trust(
    principal: Any, action: str | list[str] = "sts:AssumeRole", effect: str = "Allow", **extra: Any
) -> dict[str, Any]:
    return {"Effect": effect, "Principal": principal, "Action": action, **extra}
