"""Reading an External ID from AWS Secrets Manager (`--external-id-secret ARN`).

The value goes straight back to the caller (which wraps it in `ExternalId`); it is
never logged, and error messages name the secret's ARN, never its content.
"""

from __future__ import annotations

import json

from qsdoctor.arn import parse_arn
from qsdoctor.aws.gateway import AwsCallFailed, AwsGateway, RetryingFactory, default_retrying
from qsdoctor.aws.sessions import new_session
from qsdoctor.errors import UsageError

#: JSON keys tried, in order, when the secret is a JSON object.
EXTERNAL_ID_KEYS = ("external_id", "ExternalId", "externalId")


def read_secret_external_id(
    secret_arn: str,
    profile: str | None,
    region: str | None,
    *,
    retrying: RetryingFactory = default_retrying,
) -> str:
    """The External ID stored in a secret: its SecretString, or one key of its JSON.

    A JSON object secret yields its "external_id"/"ExternalId"/"externalId" key, or
    its only value. The region comes from the secret's ARN when it has one (a secret
    lives in exactly one region), else `region`. Every failure is a UsageError whose
    hint says what to fix.
    """
    try:
        arn_region = parse_arn(secret_arn).region if secret_arn.startswith("arn:") else ""
    except UsageError:
        arn_region = ""
    session = new_session(profile=profile, region=arn_region or region)
    gateway = AwsGateway(session, profile=profile, retrying=retrying)
    try:
        answer = gateway.call(
            "secretsmanager", "get_secret_value", resource=secret_arn, SecretId=secret_arn
        )
    except AwsCallFailed as e:
        err = e.error
        hint = {
            "ResourceNotFoundException": "check the secret's ARN and region",
            "AccessDeniedException": (
                f"grant {err.operation} on {secret_arn} (and kms:Decrypt on its key) to "
                f"{gateway.label}"
            ),
            "NoCredentials": "pass --profile, or configure AWS credentials",
        }.get(err.code, f"{err.needs()} with {gateway.label}")
        raise UsageError(
            f"could not read the External ID secret {secret_arn}: {err.code}: {err.message}",
            hint,
        ) from None
    text = answer.get("SecretString")
    if not isinstance(text, str):
        raise UsageError(
            f"the External ID secret {secret_arn} has no SecretString (binary secret?)",
            'store the External ID as a plain-text secret, or as JSON {"external_id": "..."}',
        )
    return _external_id_from(text, secret_arn)


def _external_id_from(text: str, secret_arn: str) -> str:
    """The secret string itself, or the External ID inside it when it is a JSON object.

    A plain value is returned exactly as stored, stray whitespace included: STS
    would receive it that way too, and input validation reports it (safely).
    """
    if not text.strip().startswith("{"):
        return text
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return text
    if not isinstance(data, dict):
        return text
    for key in EXTERNAL_ID_KEYS:
        if isinstance(data.get(key), str):
            return str(data[key])
    if len(data) == 1 and isinstance(next(iter(data.values())), str):
        return str(next(iter(data.values())))
    raise UsageError(
        f"the External ID secret {secret_arn} is JSON without an External ID key",
        f"use one of the keys {', '.join(EXTERNAL_ID_KEYS)}, or store only the External ID "
        f"(keys present: {', '.join(sorted(map(str, data)))})",
    )
