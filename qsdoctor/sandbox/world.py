"""The three-account world: what it contains (data), how it is built, and its AWS profiles.

The world is built with plain boto3 clients against the sandbox server, each
request steered to its account by moto's `x-moto-account-id` header; it never
goes through qsdoctor's AWS layer, whose allowlist forbids every write. Each
principal gets an IAM access key in its own account, so moto (and the gate)
know who is calling from the key alone, as AWS does; the keys are written to
an AWS config and credentials file pair as a user's machine would have them.
"""

from __future__ import annotations

import configparser
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PRODUCTION = "684035162433"
INTERMEDIATE = "111122223333"
DESTINATION = "210987654321"
#: An account that is none of the three: a wrong vendor, a typo in an account ID.
STRANGER = "444455556666"
REGION = "us-east-1"

INTERMEDIATE_ROLE_NAME = "QuiverstoneTrustedIntermediate"
DESTINATION_ROLE_NAME = "QuiverstoneChainedAccess"
INTERMEDIATE_ROLE = f"arn:aws:iam::{INTERMEDIATE}:role/{INTERMEDIATE_ROLE_NAME}"
DESTINATION_ROLE = f"arn:aws:iam::{DESTINATION}:role/{DESTINATION_ROLE_NAME}"

#: The External IDs of the healthy deployment. They are sandbox values, but the
#: end-to-end tests still prove they never appear in qsdoctor's output.
EXTERNAL_ID = "qs-acme-9fK2vQ7xLm4RtY8wPz3NcB6hJd5Ge1Ua"
DESTINATION_EXTERNAL_ID = "qs-acme-dest-Hs4Wn8Kq2Zp6Vt9Xc3Bm7Lr5Fy"

SUPPORT_PROFILE = "qs-support"
INTERMEDIATE_PROFILE = "acme-audit"
DESTINATION_PROFILE = "acme-dest-audit"

#: What an auditor needs to read roles and trails (moto does not enforce it; it is
#: here so the world looks like the one documented in docs/permissions.md).
AUDIT_POLICY: Mapping[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ReadRolesAndTrails",
            "Effect": "Allow",
            "Action": [
                "iam:Get*",
                "iam:List*",
                "cloudtrail:DescribeTrails",
                "cloudtrail:GetTrailStatus",
                "cloudtrail:GetEventSelectors",
                "cloudtrail:LookupEvents",
            ],
            "Resource": "*",
        }
    ],
}
SUPPORT_POLICY: Mapping[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "RunHopsAndReadOwnTrail",
            "Effect": "Allow",
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "cloudtrail:LookupEvents"],
            "Resource": "*",
        }
    ],
}


def vendor_trust(
    external_id: str | None = EXTERNAL_ID,
    principal: Any = f"arn:aws:iam::{PRODUCTION}:root",
    actions: Any = "sts:AssumeRole",
) -> dict[str, Any]:
    """The intermediate role's trust as the reference's template writes it."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": principal if principal == "*" else {"AWS": principal},
        "Action": actions,
    }
    if external_id is not None:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def scope_policy(
    resource: str = f"arn:aws:iam::*:role/{DESTINATION_ROLE_NAME}", actions: Any = "sts:AssumeRole"
) -> dict[str, Any]:
    """The reference's `specific-role-any-account` scope policy (Scenario 3)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AssumeChainedAccess",
                "Effect": "Allow",
                "Action": actions,
                "Resource": resource,
            }
        ],
    }


def destination_trust(
    principal: str = INTERMEDIATE_ROLE,
    external_id: str | None = DESTINATION_EXTERNAL_ID,
    actions: Any = "sts:AssumeRole",
) -> dict[str, Any]:
    """A chained access role trusting the intermediate role ("Named" trust)."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": principal},
        "Action": actions,
    }
    if external_id is not None:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return {"Version": "2012-10-17", "Statement": [statement]}


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleSpec:
    """A role to create: trust policy and inline policies as documents."""

    account: str
    name: str
    trust: Mapping[str, Any]
    inline: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    path: str = "/"
    max_session: int = 3600

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role{self.path}{self.name}"


@dataclass(frozen=True, slots=True, kw_only=True)
class UserSpec:
    """An IAM user with an access key, written to the credentials file as `profile`."""

    account: str
    name: str
    profile: str
    policy: Mapping[str, Any]

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account}:user/{self.name}"


@dataclass(frozen=True, slots=True, kw_only=True)
class TrailSetup:
    """A CloudTrail trail (and its bucket) logging management events."""

    account: str
    name: str
    multi_region: bool = True
    logging: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class WorldSpec:
    """Everything a scenario's world holds."""

    roles: tuple[RoleSpec, ...]
    users: tuple[UserSpec, ...]
    trails: tuple[TrailSetup, ...]


def healthy_roles() -> tuple[RoleSpec, RoleSpec]:
    """The reference's Scenario 3: specific-role-any-account, Named destination trust."""
    return (
        RoleSpec(
            account=INTERMEDIATE,
            name=INTERMEDIATE_ROLE_NAME,
            trust=vendor_trust(),
            inline={"AssumeRoleScope": scope_policy()},
        ),
        RoleSpec(
            account=DESTINATION,
            name=DESTINATION_ROLE_NAME,
            trust=destination_trust(),
            inline={
                "ReadOnlyInventory": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": ["ec2:Describe*"], "Resource": "*"}
                    ],
                }
            },
        ),
    )


def default_users() -> tuple[UserSpec, ...]:
    """A support engineer in production and a read-only auditor in each customer account."""
    return (
        UserSpec(
            account=PRODUCTION,
            name="quiverstone-support",
            profile=SUPPORT_PROFILE,
            policy=SUPPORT_POLICY,
        ),
        UserSpec(
            account=INTERMEDIATE,
            name="acme-auditor",
            profile=INTERMEDIATE_PROFILE,
            policy=AUDIT_POLICY,
        ),
        UserSpec(
            account=DESTINATION,
            name="acme-dest-auditor",
            profile=DESTINATION_PROFILE,
            policy=AUDIT_POLICY,
        ),
    )


def healthy_world() -> WorldSpec:
    """The recommended deployment, with a logging trail in the intermediate account."""
    return WorldSpec(
        roles=healthy_roles(),
        users=default_users(),
        trails=(TrailSetup(account=INTERMEDIATE, name="acme-management-events"),),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    """A built principal: its access key pair and ARN (sandbox-only credentials)."""

    profile: str
    account: str
    arn: str
    access_key_id: str
    secret_access_key: str = field(repr=False)


class _Clients:
    """Plain boto3 clients steered to one account each; one session, so models load once."""

    def __init__(self, endpoint: str) -> None:
        import boto3

        self._endpoint = endpoint
        self._session = boto3.session.Session(
            aws_access_key_id="sandbox-builder",
            aws_secret_access_key="sandbox-builder",
            region_name=REGION,
        )
        self._made: dict[tuple[str, str], Any] = {}

    def __call__(self, service: str, account: str) -> Any:
        key = (service, account)
        if key not in self._made:
            client: Any = self._session.client(  # type: ignore[call-overload]
                service, endpoint_url=self._endpoint
            )

            def to_account(request: Any, **_: Any) -> None:
                request.headers["x-moto-account-id"] = account

            client.meta.events.register("before-sign", to_account)
            self._made[key] = client
        return self._made[key]


def build(endpoint: str, spec: WorldSpec) -> tuple[Identity, ...]:
    """Create the world on a (freshly reset) sandbox server; return the users' keys."""
    _client = _Clients(endpoint)
    for role in spec.roles:
        iam = _client("iam", role.account)
        iam.create_role(
            RoleName=role.name,
            Path=role.path,
            AssumeRolePolicyDocument=json.dumps(role.trust),
            MaxSessionDuration=role.max_session,
        )
        for policy_name, document in role.inline.items():
            iam.put_role_policy(
                RoleName=role.name, PolicyName=policy_name, PolicyDocument=json.dumps(document)
            )
    identities = []
    for user in spec.users:
        iam = _client("iam", user.account)
        iam.create_user(UserName=user.name)
        iam.put_user_policy(
            UserName=user.name, PolicyName="Access", PolicyDocument=json.dumps(user.policy)
        )
        key = iam.create_access_key(UserName=user.name)["AccessKey"]
        identities.append(
            Identity(
                profile=user.profile,
                account=user.account,
                arn=user.arn,
                access_key_id=key["AccessKeyId"],
                secret_access_key=key["SecretAccessKey"],
            )
        )
    for trail in spec.trails:
        bucket = f"{trail.name}-{trail.account}"
        _client("s3", trail.account).create_bucket(Bucket=bucket)
        cloudtrail = _client("cloudtrail", trail.account)
        cloudtrail.create_trail(
            Name=trail.name, S3BucketName=bucket, IsMultiRegionTrail=trail.multi_region
        )
        # NOTE: a trail made in the console or by CloudFormation records all management
        # events by default; moto leaves the selectors empty unless they are set.
        cloudtrail.put_event_selectors(
            TrailName=trail.name,
            EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}],
        )
        if trail.logging:
            cloudtrail.start_logging(Name=trail.name)
    return tuple(identities)


def write_profiles(
    directory: Path, endpoint: str, identities: tuple[Identity, ...]
) -> tuple[Path, Path]:
    """Write `config` and `credentials` files as `aws configure` would; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    config = configparser.ConfigParser()
    credentials = configparser.ConfigParser()
    for identity in identities:
        config[f"profile {identity.profile}"] = {
            "region": REGION,
            "output": "json",
            "endpoint_url": endpoint,
        }
        credentials[identity.profile] = {
            "aws_access_key_id": identity.access_key_id,
            "aws_secret_access_key": identity.secret_access_key,
        }
    config_path, credentials_path = directory / "config", directory / "credentials"
    with config_path.open("w") as f:
        config.write(f)
    with credentials_path.open("w") as f:
        credentials.write(f)
    credentials_path.chmod(0o600)
    return config_path, credentials_path
