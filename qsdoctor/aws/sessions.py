"""Building boto3 sessions: standard credential chains, the read-only guard, botocore config.

Every session qsdoctor uses, assumed-role ones included, is built here so the
allowlist guard is installed before any client exists. Credentials never leave this
module's objects: facts keep ARNs and expiry times only.

Profiles, environment variables, SSO, `credential_process` and `AWS_ENDPOINT_URL`
are resolved by boto3 itself; this module only adds the guard, the botocore config
and a region that matches the partition of the ARNs being diagnosed.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ProfileNotFound
from botocore.hooks import HierarchicalEmitter
from botocore.model import ServiceModel

from qsdoctor import __version__
from qsdoctor.aws.allowlist import READ_ONLY
from qsdoctor.errors import ForbiddenOperation, UsageError

if TYPE_CHECKING:
    from botocore.loaders import Loader
    from botocore.model import OperationModel

#: tenacity is the only retry layer: botocore makes exactly one attempt per call.
BOTOCORE_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 1},
    connect_timeout=5,
    read_timeout=20,
    user_agent_appid=f"qsdoctor-{__version__}",  # type: ignore[call-arg]
    max_pool_connections=20,
)

#: Where STS and IAM calls go when nothing else names a region, per partition.
#: NOTE: cross-partition calls are impossible, so a region of the wrong partition
#: (e.g. AWS_REGION=us-east-1 for an aws-cn role) could never reach the role.
PARTITION_DEFAULT_REGION: Mapping[str, str] = {
    "aws": "us-east-1",
    "aws-cn": "cn-north-1",
    "aws-us-gov": "us-gov-west-1",
}


class ProfileNotConfigured(UsageError):
    """A named profile is absent from the AWS config and credentials files."""


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


_LOADER_LOCK = threading.Lock()

#: botocore session variable for "no profile", whatever AWS_PROFILE says: for the
#: sessions that only load data, so a profile that does not exist is reported where
#: it is used, not there.
_NO_PROFILE: tuple[None, None, None, None] = (None, None, None, None)


@functools.cache
def _shared_loader() -> Loader:
    """One botocore data loader for every session, so service models load once per run.

    Each boto3 Session otherwise parses the same JSON models again (about 0.2 s per
    session for STS and IAM); a run makes a session per profile, per assumed role
    and per trail reader.
    """
    loader: Loader = _core_session(profile=_NO_PROFILE).get_component("data_loader")
    return loader


@functools.cache
def service_model(service: str) -> ServiceModel:
    """botocore's model of a service, from the shared loader (no client, no credentials)."""
    with _LOADER_LOCK:
        data = _shared_loader().load_service_model(service, "service-2")
    return ServiceModel(data, service_name=service)


@functools.cache
def _builtin_handlers() -> HierarchicalEmitter:
    """botocore's built-in event handlers, registered once, for every session to copy.

    Registering them checks each handler's signature and aliases each event name:
    about 5 ms per botocore Session, against 0.5 ms for a copy. This emitter is never
    used itself, so nothing qsdoctor registers (the guard) reaches it.
    """
    emitter = HierarchicalEmitter()
    botocore.session.Session(event_hooks=emitter)  # registers the built-ins into `emitter`
    return emitter


def _core_session(**session_vars: tuple[Any, Any, Any, Any]) -> botocore.session.Session:
    """A fresh botocore session with the built-in handlers, copied instead of registered."""
    # Copying only reads the template, which nothing changes after it is built.
    events = copy.copy(_builtin_handlers())
    return botocore.session.Session(
        session_vars=session_vars or None, event_hooks=events, include_builtin_handlers=False
    )


def _boto3_session(**kwargs: Any) -> boto3.Session:
    """A boto3 Session on a fresh botocore session that shares the model loader."""
    core = _core_session()
    loader = _shared_loader()
    core.register_component("data_loader", loader)
    with _LOADER_LOCK:
        session = boto3.Session(botocore_session=core, **kwargs)
        # boto3 appends its resource-model path to the loader on every Session.
        loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))
    # NOTE: with a pre-built loader nothing reads the profile (named here or by
    # AWS_PROFILE) up front, so check it as botocore would: "default" may be absent.
    profile = core.profile
    if profile not in (None, "default") and profile not in session.available_profiles:
        raise ProfileNotFound(profile=profile)
    return session


def warm_up(services: Sequence[str], region: str) -> None:
    """Load botocore's data for `services` into the shared loader, on this thread.

    The first client of a service reads its model, its endpoint rules and the
    endpoints table (tens of milliseconds of JSON); clients first made on several
    threads at once each read them again, side by side. A throwaway client with
    placeholder keys reads them once, before the work fans out. It is guarded
    against every operation and never sends a request.
    """
    core = _core_session(profile=_NO_PROFILE)
    core.register_component("data_loader", _shared_loader())
    core.register("before-call", _refuse_all)
    for service in services:
        # A client that cannot be made (a malformed Region from the environment) is
        # reported by the first real call with it, as data; here it only means no warm-up.
        with contextlib.suppress(BotoCoreError):
            core.create_client(
                service,
                region_name=region,
                aws_access_key_id="qsdoctor-warm-up",
                aws_secret_access_key="qsdoctor-warm-up",
                config=BOTOCORE_CONFIG,
            )


def _refuse_all(**kwargs: Any) -> None:
    model: OperationModel = kwargs["model"]
    raise ForbiddenOperation(
        f"{model.service_model.service_name}:{model.name} on the warm-up client",
        "qsdoctor never sends requests with its warm-up client; this is a bug if you see it",
    )


def configured_profiles() -> list[str]:
    """The profile names of the AWS config and credentials files, as botocore reads them
    (honouring AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE). Reads no credentials."""
    return list(_core_session().available_profiles)


def partition_of_region(region: str) -> str:
    """The partition a region belongs to ("aws", "aws-cn", "aws-us-gov"), per botocore."""
    return _boto3_session(region_name=region).get_partition_for_region(region)


def resolve_region(explicit: str | None, profile: str | None, partition: str = "aws") -> str:
    """The region to use: --region, else the profile's/environment's if it is in the
    right partition, else the partition's default (us-east-1, cn-north-1, us-gov-west-1).

    An explicit region always wins: the user asked for it.
    """
    if explicit:
        return explicit
    default = PARTITION_DEFAULT_REGION.get(partition, "us-east-1")
    try:
        configured = _boto3_session(profile_name=profile).region_name
    except ProfileNotFound:
        configured = None
    if configured and partition_of_region(configured) == partition:
        return configured
    return default


def new_session(
    *,
    profile: str | None = None,
    region: str | None = None,
    credentials: Mapping[str, Any] | None = None,
    base_profile: str | None = None,
    allowed: frozenset[tuple[str, str]] = READ_ONLY,
) -> boto3.Session:
    """A guarded session from a profile, the default chain, or explicit (assumed) credentials.

    With `credentials` (sts:AssumeRole's `Credentials`), `base_profile` lends its
    configuration (endpoint URL, CA bundle, region) but never its credentials.
    Region falls back to the profile's, then AWS_REGION/AWS_DEFAULT_REGION, then
    us-east-1. An unknown profile raises `ProfileNotConfigured` (a UsageError).
    """
    try:
        if credentials is not None:
            session = _boto3_session(
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"],
                region_name=region,
                profile_name=base_profile,
            )
        else:
            session = _boto3_session(profile_name=profile, region_name=region)
        if session.region_name is None:
            session = new_session(
                profile=profile,
                region="us-east-1",
                credentials=credentials,
                base_profile=base_profile,
                allowed=allowed,
            )
            return session
    except ProfileNotFound as e:
        missing = e.kwargs.get("profile") or (base_profile if credentials is not None else profile)
        source = "" if missing in (profile, base_profile) else " (named by AWS_PROFILE)"
        raise ProfileNotConfigured(
            f"AWS profile {missing!r}{source} is not configured",
            "list profiles with `aws configure list-profiles`, or set up SSO with "
            "`aws configure sso`",
        ) from None
    install_guard(session, allowed)
    return session
