"""AwsGateway: one session's calls, retried on throttling and faults, failures as data.

Collectors call `gateway.call("iam", "get_role", RoleName=...)`. The gateway creates
and caches clients (thread-safe; boto3 sessions are not, so clients are made under a
lock), retries throttling, 5xx and connection faults with jittered exponential backoff
(`qsdoctor.aws.retry`; botocore's own retries are off), never retries AccessDenied (a
finding), and raises only `AwsCallFailed`, carrying an `AwsCallError`.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import boto3
from botocore import xform_name
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    ParamValidationError,
)
from tenacity import Retrying

from qsdoctor.aws.allowlist import permission
from qsdoctor.aws.retry import (
    MAX_ATTEMPTS,
    RetryingFactory,
    default_retrying,
    is_retryable,
    retrying_factory,
)
from qsdoctor.aws.sessions import BOTOCORE_CONFIG, service_model
from qsdoctor.models import AwsCallError

__all__ = [
    "MAX_ATTEMPTS",
    "AwsCallFailed",
    "AwsGateway",
    "RetryingFactory",
    "default_retrying",
    "is_retryable",
    "operation_permission",
    "retrying_factory",
]


class AwsCallFailed(Exception):
    """A call that gave no answer; `error` says which call and why."""

    def __init__(self, error: AwsCallError) -> None:
        super().__init__(f"{error.operation}: {error.code}: {error.message}")
        self.error = error


@functools.cache
def operation_permission(service: str, method: str) -> str:
    """The IAM action for a client method, e.g. ("iam", "get_role") -> "iam:GetRole".

    Read from botocore's service model, so no client (and no credentials) is needed.
    """
    model = service_model(service)
    by_method = {xform_name(op): op for op in model.operation_names}
    return permission(model.service_name, by_method.get(method, method))


def _redact(text: str, secrets: Sequence[str]) -> str:
    for s in secrets:
        if s:
            text = text.replace(s, "<redacted>")
    return text


class AwsGateway:
    """Calls made with one set of credentials (one profile, or one assumed role)."""

    def __init__(
        self,
        session: boto3.Session,
        *,
        profile: str | None = None,
        retrying: RetryingFactory = default_retrying,
        secrets: Sequence[str] = (),
        on_call: Callable[[str, str], None] | None = None,
        label: str | None = None,
    ) -> None:
        self._session = session
        self.profile = profile
        self._label = label
        self.region: str = session.region_name or "us-east-1"
        self._retrying = retrying
        self._secrets = tuple(secrets)
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._on_call = on_call

    @property
    def label(self) -> str:
        """Whose credentials these are, for messages: the label, profile or default chain."""
        return self._label or self.profile or "default credential chain"

    def endpoint_url(self, service: str, region: str | None = None) -> str:
        """The endpoint a service's calls go to (e.g. STS's, which decides where
        CloudTrail records an AssumeRole); honours AWS_ENDPOINT_URL like every call."""
        return str(self.client(service, region).meta.endpoint_url)

    def client(self, service: str, region: str | None = None) -> Any:
        """A cached client; made under a lock because sessions are not thread-safe."""
        key = (service, region or self.region)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._session.client(
                    service,
                    region_name=key[1],
                    config=BOTOCORE_CONFIG,  # type: ignore[call-overload]
                )
            return self._clients[key]

    def precreate(self, services: Sequence[str], region: str | None = None) -> None:
        """Create clients up front, before work fans out to threads.

        A client that cannot be made yet (credentials failing to resolve) is left for
        `call`, which reports why as an AwsCallFailed.
        """
        for s in services:
            with contextlib.suppress(BotoCoreError):
                self.client(s, region)

    def permission(self, service: str, method: str, region: str | None = None) -> str:
        """ "iam:GetRole" for ("iam", "get_role"): the IAM action, not the signing name
        (CloudWatch signs as "monitoring" but its actions are "cloudwatch:...")."""
        del region  # the action is the same in every region
        return operation_permission(service, method)

    def call(
        self,
        service: str,
        method: str,
        *,
        resource: str | None = None,
        region: str | None = None,
        retrying: Retrying | None = None,
        **params: Any,
    ) -> dict[str, Any]:
        """One API call, retried on throttling/faults; raises AwsCallFailed otherwise.

        Credentials are resolved when the client is made (credential_process, SSO), so
        that happens inside the error handling too: a failing login is data, not a crash.
        """
        operation = self.permission(service, method, region)
        if self._on_call:
            self._on_call(service, method)
        try:
            fn = getattr(self.client(service, region), method)
            for attempt in retrying or self._retrying():
                with attempt:
                    result: dict[str, Any] = fn(**params)
            return result
        except ClientError as e:
            err = e.response.get("Error", {})
            raise AwsCallFailed(
                AwsCallError(
                    operation=operation,
                    code=str(err.get("Code", "ClientError")),
                    message=_redact(str(err.get("Message", str(e))), self._secrets),
                    resource=resource,
                    profile=self.label,
                )
            ) from None
        except NoCredentialsError:
            raise AwsCallFailed(
                AwsCallError(
                    operation=operation,
                    code="NoCredentials",
                    message="no AWS credentials found"
                    + (f" for profile {self.profile}" if self.profile else ""),
                    resource=resource,
                    profile=self.label,
                )
            ) from None
        except ParamValidationError as e:
            raise AwsCallFailed(
                AwsCallError(
                    operation=operation,
                    code="ParamValidationError",
                    message=_redact(str(e), self._secrets),
                    resource=resource,
                    profile=self.label,
                )
            ) from None
        except BotoCoreError as e:
            raise AwsCallFailed(
                AwsCallError(
                    operation=operation,
                    code=type(e).__name__,
                    message=_redact(str(e), self._secrets),
                    resource=resource,
                    profile=self.label,
                )
            ) from None

    def pages(
        self,
        service: str,
        method: str,
        *,
        resource: str | None = None,
        region: str | None = None,
        token_in: str = "NextToken",
        token_out: str = "NextToken",
        max_pages: int | None = None,
        min_interval: float = 0.0,
        **params: Any,
    ) -> Iterator[dict[str, Any]]:
        """Page through an operation, each page retried on its own.

        `min_interval` spaces requests (LookupEvents allows 2 per second per account and
        Region: pass 0.5) so limits are respected instead of provoked.
        """
        token: str | None = None
        count = 0
        last = 0.0
        while True:
            if min_interval:
                wait = last + min_interval - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                last = time.monotonic()
            page_params = dict(params)
            if token:
                page_params[token_in] = token
            page = self.call(service, method, resource=resource, region=region, **page_params)
            count += 1
            yield page
            token = page.get(token_out)
            if not token or (max_pages is not None and count >= max_pages):
                return
