"""Building boto3 sessions: standard credential chains, the read-only guard, botocore config.

Every session qsdoctor uses, assumed-role ones included, is built here so the
allowlist guard is installed before any client exists. Credentials never leave this
module's objects: facts keep ARNs and expiry times only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from qsdoctor import __version__
from qsdoctor.aws.allowlist import READ_ONLY
from qsdoctor.errors import ForbiddenOperation, UsageError

if TYPE_CHECKING:
    from botocore.model import OperationModel

#: tenacity is the only retry layer: botocore makes exactly one attempt per call.
BOTOCORE_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 1},
    connect_timeout=5,
    read_timeout=20,
    user_agent_appid=f"qsdoctor-{__version__}",
    max_pool_connections=20,
)


def install_guard(session: boto3.Session, allowed: frozenset[tuple[str, str]]) -> None:
    """Refuse every operation not on `allowed`, before the request is signed.

    NOTE: keyed on service_model.service_name, not endpoint_prefix (CloudWatch's is
    "monitoring"); registered before any client exists, since clients copy handlers.
    """

    def guard(model: OperationModel, **_: Any) -> None:
        key = (model.service_model.service_name, model.name)
        if key not in allowed:
            raise ForbiddenOperation(
                f"{key[0]}:{key[1]} is not on qsdoctor's read-only allowlist",
                "qsdoctor never changes an account; this is a bug if you see it",
            )

    session.events.register("before-call", guard)


def new_session(
    *,
    profile: str | None = None,
    region: str | None = None,
    credentials: Mapping[str, str] | None = None,
    allowed: frozenset[tuple[str, str]] = READ_ONLY,
) -> boto3.Session:
    """A guarded session from a profile, the default chain, or explicit (assumed) credentials.

    Region falls back to the profile's, then AWS_REGION/AWS_DEFAULT_REGION, then us-east-1.
    """
    from botocore.exceptions import ProfileNotFound

    try:
        if credentials is not None:
            session = boto3.Session(
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"],
                region_name=region,
            )
        else:
            session = boto3.Session(profile_name=profile, region_name=region)
    except ProfileNotFound:
        raise UsageError(
            f"AWS profile {profile!r} is not configured",
            "list profiles with `aws configure list-profiles`, or set up SSO with "
            "`aws configure sso`",
        ) from None
    if session.region_name is None:
        session = _with_region(session, profile, credentials, "us-east-1")
    install_guard(session, allowed)
    return session


def _with_region(
    session: boto3.Session, profile: str | None, credentials: Mapping[str, str] | None, region: str
) -> boto3.Session:
    if credentials is not None:
        return boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=region,
        )
    return boto3.Session(profile_name=profile, region_name=region)
