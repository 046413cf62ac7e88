"""Live hops: hop 1 onto the intermediate role, QS303's negative probes, hop 2 per destination.

Placeholder: attempts nothing; its owner fills it in.
"""

from __future__ import annotations

from qsdoctor.collect.context import CollectContext, HopResult
from qsdoctor.facts import Destination
from qsdoctor.models import Skipped

__all__ = ["HopResult", "collect_hops"]


def collect_hops(ctx: CollectContext, destinations: tuple[Destination, ...]) -> HopResult:
    """Run the live hops; returns `destinations` with each `hop` filled in.

    `destinations` come straight from the configuration (roles not read yet), so the
    hops can start before any IAM read finishes; `collect()` merges the hop outcomes
    into the destinations it read, by ARN.
    """
    return HopResult(
        hop1=Skipped("live hops are not implemented yet"),
        negative_probes=Skipped("live hops are not implemented yet"),
        destinations=destinations,
    )
