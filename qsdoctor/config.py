"""What a `check` run was asked to do, validated: the input of collection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from qsdoctor import QUIVERSTONE_PRODUCTION_ACCOUNT
from qsdoctor.arn import RoleArn
from qsdoctor.secrets import ExternalId


@dataclass(frozen=True, slots=True, kw_only=True)
class DestinationSpec:
    """One destination role, with the External ID its trust expects (if any)."""

    role: RoleArn
    external_id: ExternalId | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckConfig:
    """A validated `qsdoctor check` request. Built by the CLI; read by collection."""

    intermediate: RoleArn
    destinations: tuple[DestinationSpec, ...] = ()
    vendor_account_id: str = QUIVERSTONE_PRODUCTION_ACCOUNT
    profile: str | None = None
    """Caller credentials (live hops; a principal in the production account)."""
    intermediate_profile: str | None = None
    """Read access to IAM and CloudTrail in the intermediate account."""
    destination_profile: str | None = None
    """Read access to IAM in the destination accounts."""
    region: str | None = None
    external_id: ExternalId | None = None
    source_identity: str | None = None
    session_tags: tuple[tuple[str, str], ...] = ()
    since: timedelta = timedelta(hours=24)
    live: bool = True
    trail: bool = True
    negative_probes: bool = True
    trail_bucket: str | None = None
    """s3://bucket/prefix of an organization trail's log files."""
    trail_bucket_profile: str | None = None
