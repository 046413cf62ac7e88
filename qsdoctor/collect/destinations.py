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

from qsdoctor.arn import RoleArn, parse_role_arn
from qsdoctor.aws.gateway import AwsGateway
from qsdoctor.collect.context import CollectContext
from qsdoctor.collect.roles import RoleRead, get_role, role_facts
from qsdoctor.errors import UsageError
from qsdoctor.facts import Destination
from qsdoctor.models import Ok, Skipped, Unavailable

#: Destination reads run on at most this many threads (IAM's request rate is shared).
DESTINATION_READ_WORKERS = 4


def read_trust(gateway: AwsGateway, role_arn: RoleArn) -> RoleRead:
    """iam:GetRole only: the role and its trust, without its own permission policies.

    QS201-QS204 judge only the destination's existence and trust, so a destination
    reader needs nothing beyond iam:GetRole, and a run over hundreds of destinations
    makes one IAM call per destination instead of four or more.
    """
    role = get_role(gateway, role_arn)
    if isinstance(role, RoleRead):
        return role
    not_read = Skipped("not read: the destination checks need only the trust")
    return RoleRead(role=Ok(role_facts(role_arn, role, not_read)))


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
