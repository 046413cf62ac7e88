"""Who is who: classifying Principal values and describing the caller of a request.

Rules (IAM UG reference_policies_elements_principal, reference_identifiers):
`arn:PARTITION:iam::ACCT:root` and `"ACCT"` both mean every principal of the account;
a role ARN carries its path while its session ARNs drop it; unique IDs (AROA…,
AIDA…) are what IAM shows after the named entity was deleted, and never match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

ACCOUNT_RE = re.compile(r"\d{12}")
UNIQUE_ID_RE = re.compile(r"(AROA|AIDA|AGPA|ANPA|ANVA|AIPA|ASIA|AKIA)[A-Z0-9]{4,}")


@dataclass(frozen=True, slots=True)
class PrincipalKind:
    """The classification of one Principal value."""

    kind: str
    account: str | None = None
    partition: str | None = None
    role_name: str | None = None
    role_path: str | None = None


def classify_principal(principal_type: str, value: str) -> PrincipalKind:
    """Classify a Principal value: wildcard, account, role, assumed-role, user,
    unique-id, service, federated, canonical or other."""
    if principal_type == "*" or (principal_type == "AWS" and value == "*"):
        return PrincipalKind("wildcard")
    if principal_type == "Service":
        return PrincipalKind("service")
    if principal_type == "Federated":
        return PrincipalKind("federated")
    if principal_type == "CanonicalUser":
        return PrincipalKind("canonical")
    if ACCOUNT_RE.fullmatch(value):
        return PrincipalKind("account", account=value, partition=None)
    if UNIQUE_ID_RE.fullmatch(value):
        return PrincipalKind("unique-id")
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not ACCOUNT_RE.fullmatch(parts[4]):
        return PrincipalKind("other")
    _, partition, service, _region, account, resource = parts
    if "*" in value or "?" in value:
        return PrincipalKind("other", account=account, partition=partition)
    if service == "iam" and resource == "root":
        return PrincipalKind("account", account=account, partition=partition)
    if service == "iam" and resource.startswith("role/"):
        path, _, name = resource[len("role") :].rpartition("/")
        return PrincipalKind(
            "role", account=account, partition=partition, role_name=name, role_path=path + "/"
        )
    if (service == "iam" and resource.startswith("user/")) or (
        service == "sts" and resource.startswith("federated-user/")
    ):
        return PrincipalKind("user", account=account, partition=partition)
    if service == "sts" and resource.startswith("assumed-role/"):
        pieces = resource.split("/")
        if len(pieces) >= 3:
            return PrincipalKind(
                "assumed-role", account=account, partition=partition, role_name=pieces[1]
            )
    return PrincipalKind("other", account=account, partition=partition)


@dataclass(frozen=True, slots=True)
class Caller:
    """The principal making a request, with what matching needs precomputed.

    kind: root, user, role, assumed-role, service, federated (a SAML or OIDC
    provider) or other. `role_arn` is
    the role behind a session (exact when the request gave `principal_role_arn`,
    else rebuilt from the name with path "/" and `role_arn_exact` False).
    """

    arn: str
    kind: str
    account: str | None
    partition: str | None
    role_name: str | None = None
    role_arn: str | None = None
    role_arn_exact: bool = False
    user_name: str | None = None


@lru_cache(maxsize=1024)
def parse_caller(principal: str, principal_role_arn: str | None = None) -> Caller:
    """Describe the caller; `"ACCT"` is taken as that account's root ARN."""
    if ACCOUNT_RE.fullmatch(principal):
        principal = f"arn:aws:iam::{principal}:root"
    parts = principal.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        kind = "service" if principal.endswith(".amazonaws.com") else "other"
        return Caller(arn=principal, kind=kind, account=None, partition=None)
    _, partition, service, _region, account, resource = parts
    acct = account if ACCOUNT_RE.fullmatch(account) else None
    if service == "iam" and resource == "root":
        return Caller(arn=principal, kind="root", account=acct, partition=partition)
    if service == "iam" and resource.startswith("user/"):
        return Caller(
            arn=principal,
            kind="user",
            account=acct,
            partition=partition,
            user_name=resource.rpartition("/")[2],
        )
    if service == "iam" and resource.startswith("role/"):
        return Caller(
            arn=principal,
            kind="role",
            account=acct,
            partition=partition,
            role_name=resource.rpartition("/")[2],
            role_arn=principal,
            role_arn_exact=True,
        )
    if service == "sts" and resource.startswith("assumed-role/"):
        pieces = resource.split("/")
        name = pieces[1] if len(pieces) >= 3 else None
        if principal_role_arn:
            role_arn, exact = principal_role_arn, True
        else:
            role_arn, exact = f"arn:{partition}:iam::{account}:role/{name}", False
        return Caller(
            arn=principal,
            kind="assumed-role",
            account=acct,
            partition=partition,
            role_name=name,
            role_arn=role_arn,
            role_arn_exact=exact,
        )
    if service == "iam" and resource.startswith(("saml-provider/", "oidc-provider/")):
        # an identity provider acting for a web or SAML identity (AssumeRoleWith*)
        return Caller(arn=principal, kind="federated", account=acct, partition=partition)
    return Caller(arn=principal, kind="other", account=acct, partition=partition)


def principal_matches(ptype: str, value: str, kind: PrincipalKind, caller: Caller) -> bool:
    """Whether one classified Principal value covers the caller."""
    match kind.kind:
        case "wildcard":
            return True
        case "account":
            return (
                caller.account is not None
                and caller.account == kind.account
                and (kind.partition is None or kind.partition == caller.partition)
            )
        case "role":
            if caller.kind == "role":
                return caller.arn == value
            if caller.kind == "assumed-role":
                if caller.role_arn_exact:
                    return caller.role_arn == value
                return caller.account == kind.account and caller.role_name == kind.role_name
            return False
        case "assumed-role" | "user":
            return caller.arn == value
        case "service" | "federated" | "canonical":
            return ptype != "AWS" and caller.arn == value
        case _:
            return False
