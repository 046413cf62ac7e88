"""Destination roles: reading each destination role (QS201-QS204's facts).

Placeholder: returns the configured destinations unread; its owner fills it in.
"""

from __future__ import annotations

from qsdoctor.collect.context import CollectContext
from qsdoctor.facts import Destination
from qsdoctor.models import Skipped


def collect_destinations(ctx: CollectContext) -> tuple[Destination, ...]:
    """One Destination per configured destination, with `role` read where credentials allow."""
    return tuple(
        Destination(
            arn=spec.role.arn,
            external_id=spec.external_id,
            role=Skipped("destination reads are not implemented yet"),
        )
        for spec in ctx.config.destinations
    )
