"""ARN parsing and validation for the ARNs qsdoctor works with (roles, sessions, trails)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qsdoctor.errors import UsageError

PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
ACCOUNT_ID_RE = re.compile(r"\d{12}")
#: IAM role names: 1-64 of alphanumerics and +=,.@_- (IAM UG reference_iam-quotas).
ROLE_NAME_RE = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)
#: IAM paths: a lone slash, or segments of printable ASCII each ending in a slash (≤ 512).
ROLE_PATH_RE = re.compile(r"/(?:[\x21-\x7e]+/)?")


@dataclass(frozen=True, slots=True, kw_only=True)
class Arn:
    """The six fields of an ARN; `resource` is everything after the account."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleArn:
    """An IAM role ARN: `arn:<partition>:iam::<account>:role<path><name>`."""

    partition: str
    account: str
    path: str
    name: str

    @property
    def arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:role{self.path}{self.name}"

    def __str__(self) -> str:
        return self.arn


def parse_arn(text: str) -> Arn:
    """Split an ARN into its fields, or raise UsageError naming what is wrong."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise UsageError(
            f"not an ARN: {text!r}",
            "an ARN looks like arn:aws:iam::111122223333:role/QuiverstoneTrustedIntermediate",
        )
    _, partition, service, region, account, resource = parts
    return Arn(
        partition=partition, service=service, region=region, account=account, resource=resource
    )


def parse_role_arn(text: str, *, what: str = "role ARN") -> RoleArn:
    """Parse and validate an IAM role ARN; every problem is a one-line UsageError."""
    text = text.strip()
    arn = parse_arn(text)
    example = "arn:aws:iam::111122223333:role/QuiverstoneTrustedIntermediate"
    if arn.partition not in PARTITIONS:
        raise UsageError(
            f"{what} {text!r} has an unknown partition {arn.partition!r}",
            f"use one of {', '.join(PARTITIONS)}, e.g. {example}",
        )
    if arn.service != "iam" or arn.region:
        raise UsageError(f"{what} {text!r} is not an IAM ARN", f"expected e.g. {example}")
    validate_account_id(arn.account, what=f"account in {what} {text!r}")
    if not arn.resource.startswith("role/"):
        raise UsageError(f"{what} {text!r} does not name a role", f"expected e.g. {example}")
    rest = arn.resource[len("role") :]
    path, _, name = rest.rpartition("/")
    path = path + "/"
    if not ROLE_PATH_RE.fullmatch(path) or len(path) > 512:
        raise UsageError(
            f"{what} {text!r} has an invalid path {path!r}",
            "paths start and end with '/', e.g. role/team/Name",
        )
    validate_role_name(name, what=f"role name in {what} {text!r}")
    return RoleArn(partition=arn.partition, account=arn.account, path=path, name=name)


def validate_account_id(value: str, *, what: str = "account ID") -> str:
    """A 12-digit AWS account ID, or a UsageError."""
    if not ACCOUNT_ID_RE.fullmatch(value):
        raise UsageError(
            f"{what} must be 12 digits, got {value!r}",
            "copy the account ID from the ARN or the console (e.g. 111122223333)",
        )
    return value


def validate_role_name(value: str, *, what: str = "role name") -> str:
    """An IAM role name: 1-64 of alphanumerics and +=,.@_- characters."""
    if not ROLE_NAME_RE.fullmatch(value):
        raise UsageError(
            f"{what} is not a valid IAM role name: {value!r}",
            "role names are 1-64 characters of letters, digits and +=,.@_-",
        )
    return value


def session_to_role_name(session_arn: str) -> tuple[str, str, str] | None:
    """`arn:aws:sts::ACCT:assumed-role/NAME/SESSION` -> (partition, account, NAME), else None.

    NOTE: session ARNs drop the role's path, so a session maps to a role by name only
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html).
    """
    try:
        arn = parse_arn(session_arn)
    except UsageError:
        return None
    if arn.service != "sts" or not arn.resource.startswith("assumed-role/"):
        return None
    pieces = arn.resource.split("/")
    if len(pieces) < 3:
        return None
    return arn.partition, arn.account, pieces[1]


def account_root_arn(account: str, partition: str = "aws") -> str:
    """The ARN that stands for a whole account in a Principal element."""
    return f"arn:{partition}:iam::{account}:root"
