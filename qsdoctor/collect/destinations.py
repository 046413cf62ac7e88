"""Destination roles: reading each destination role (QS201-QS204's facts).

Each role is read with credentials in its own account: `--destination-profile`
when it is there, or the intermediate/caller credentials when they are (see
`CollectContext.reader_for_account`). A destination no profile can read stays
`Skipped` naming `--destination-profile`; the live-hop collector then tries the
hop-2 session itself, which can often iam:GetRole its own role. Reads run
concurrently on a small pool of their own (the shared executor must never wait on
itself).
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from qsdoctor.arn import RoleArn, parse_role_arn
from qsdoctor.aws.gateway import AwsCallFailed, AwsGateway
from qsdoctor.collect.context import CollectContext
from qsdoctor.collect.roles import RoleRead, decode_policy
from qsdoctor.errors import UsageError
from qsdoctor.facts import Destination, RoleFacts
from qsdoctor.models import Ok, Skipped, Unavailable

#: Destination reads run on at most this many threads (IAM's request rate is shared).
DESTINATION_READ_WORKERS = 4


def read_trust(gateway: AwsGateway, role_arn: RoleArn) -> RoleRead:
    """iam:GetRole only: the role and its trust, without its own permission policies.

    QS201-QS204 judge only the destination's existence and trust, so a destination
    reader needs nothing beyond iam:GetRole, and a run over hundreds of destinations
    makes one IAM call per destination instead of four or more.
    """
    try:
        answer = gateway.call("iam", "get_role", resource=role_arn.arn, RoleName=role_arn.name)
    except AwsCallFailed as e:
        if e.error.code == "NoSuchEntity":
            return RoleRead(role=Ok(None))
        return RoleRead(role=Unavailable(e.error))
    role = answer["Role"]
    if role["Arn"] != role_arn.arn:
        # NOTE: GetRole takes only the name (unique per account): this is the same-named
        # role under another path, and STS needs the exact ARN.
        return RoleRead(role=Ok(None), other_arn=str(role["Arn"]))
    last_used = role.get("RoleLastUsed") or {}
    return RoleRead(
        role=Ok(
            RoleFacts(
                arn=role_arn.arn,
                name=role["RoleName"],
                path=role.get("Path", "/"),
                role_id=role["RoleId"],
                account_id=role_arn.account,
                trust_policy=decode_policy(role.get("AssumeRolePolicyDocument") or {}),
                max_session_duration=int(role.get("MaxSessionDuration", 3600)),
                create_date=_iso(role.get("CreateDate")),
                last_used_date=_iso(last_used.get("LastUsedDate")),
                last_used_region=last_used.get("Region"),
                tags=tuple((t["Key"], t["Value"]) for t in role.get("Tags") or ()),
                permissions=Skipped("not read: the destination checks need only the trust"),
            )
        )
    )


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def read_destination(ctx: CollectContext, dest: Destination) -> Destination:
    """One destination with `role` read where some credentials reach its account."""
    try:
        role_arn = parse_role_arn(dest.arn, what="destination role ARN")
    except UsageError as e:  # pragma: no cover  (the CLI validated every ARN)
        return dataclasses.replace(dest, role=Skipped(e.message))
    match ctx.reader_for_account(role_arn.account):
        case Ok(gateway):
            read = read_trust(gateway, role_arn)
            return dataclasses.replace(dest, role=read.role, other_arn=read.other_arn)
        case Unavailable() | Skipped() as why:
            return dataclasses.replace(dest, role=why)
    raise AssertionError("unreachable")  # pragma: no cover


def collect_destinations(ctx: CollectContext) -> tuple[Destination, ...]:
    """One Destination per configured destination, with `role` read where credentials allow."""
    configured = tuple(
        Destination(arn=spec.role.arn, external_id=spec.external_id)
        for spec in ctx.config.destinations
    )
    if not configured:
        return ()
    workers = min(DESTINATION_READ_WORKERS, len(configured))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="qsdoctor-dest") as pool:
        return tuple(pool.map(lambda d: read_destination(ctx, d), configured))
