"""CloudTrail: trails in the intermediate account and AssumeRole records (QS401-QS403's facts).

Placeholder: reads nothing; its owner fills it in.
"""

from __future__ import annotations

from qsdoctor.collect.context import CollectContext
from qsdoctor.facts import AssumeAttempt, TrailFacts
from qsdoctor.models import Fetched


def collect_trail(ctx: CollectContext, hop1: Fetched[AssumeAttempt]) -> TrailFacts | None:
    """What CloudTrail says about the chain; None when --no-trail was given."""
    del ctx, hop1
    return None
