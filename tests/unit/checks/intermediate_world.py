"""Hand-built Facts for the QS1xx check tests: the reference's deployment and its breakages.

Trust and identity policies are the reference's documents verbatim (with the External
ID placeholder replaced by a generated value); each test changes one thing.
"""

from __future__ import annotations

import copy
import secrets
from dataclasses import replace
from typing import Any

from qsdoctor.checks.registry import load_all, run_checks
from qsdoctor.facts import (
    CallerFacts,
    CallerIdentity,
    Destination,
    Facts,
    NamedPolicy,
    RoleFacts,
    RolePermissions,
)
from qsdoctor.models import AwsCallError, Finding, Ok, Skipped, Unavailable
from qsdoctor.secrets import ExternalId

VENDOR = "684035162433"
INTERMEDIATE_ACCOUNT = "111122223333"
DEST_ACCOUNT = "210987654321"
ROLE_NAME = "QuiverstoneTrustedIntermediate"
ROLE_ARN = f"arn:aws:iam::{INTERMEDIATE_ACCOUNT}:role/{ROLE_NAME}"
DEST_ARN = f"arn:aws:iam::{DEST_ACCOUNT}:role/QuiverstoneChainedAccess"
#: A strong External ID made fresh for each test run (never a fixed secret in the repo).
EXTERNAL_ID = secrets.token_urlsafe(32)

#: The reference's "Trust Policy Structure", verbatim apart from the External ID.
REFERENCE_TRUST: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::684035162433:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}},
        }
    ],
}


def scope_policy(resource: str) -> dict[str, Any]:
    """The reference's identity policy for one pAssumeRoleScope (its Resource)."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": resource}],
    }


ANY_ROLE_ANY_ACCOUNT = "arn:aws:iam::*:role/*"
SPECIFIC_ROLE_ANY_ACCOUNT = "arn:aws:iam::*:role/QuiverstoneChainedAccess"
SPECIFIC_ACCOUNT_AND_ROLE = f"arn:aws:iam::{DEST_ACCOUNT}:role/QuiverstoneChainedAccess"


def trust_with(**statement_changes: Any) -> dict[str, Any]:
    """The reference trust with its one statement changed (a key set to None removes it)."""
    doc = copy.deepcopy(REFERENCE_TRUST)
    stmt = doc["Statement"][0]
    for key, value in statement_changes.items():
        if value is None:
            stmt.pop(key, None)
        else:
            stmt[key] = value
    return doc


def permissions(
    *documents: dict[str, Any],
    boundary: dict[str, Any] | None = None,
    managed: tuple[tuple[str, dict[str, Any]], ...] = (),
) -> RolePermissions:
    inline = tuple(
        NamedPolicy(name=f"AssumeRolePolicy{i or ''}", kind="inline", document=d)
        for i, d in enumerate(documents)
    )
    attached = tuple(
        NamedPolicy(
            name=arn.rsplit("/", 1)[-1], kind="managed", document=d, arn=arn, version_id="v1"
        )
        for arn, d in managed
    )
    return RolePermissions(
        inline=inline,
        attached=attached,
        boundary=NamedPolicy(
            name="Boundary",
            kind="boundary",
            document=boundary,
            arn=f"arn:aws:iam::{INTERMEDIATE_ACCOUNT}:policy/Boundary",
        )
        if boundary is not None
        else None,
    )


def role(
    *, trust: dict[str, Any] | None = None, perms: Any = None, arn: str = ROLE_ARN, path: str = "/"
) -> RoleFacts:
    name = arn.rsplit("/", 1)[-1]
    return RoleFacts(
        arn=arn,
        name=name,
        path=path,
        role_id="AROAEXAMPLEINTERMED1",
        account_id=INTERMEDIATE_ACCOUNT,
        trust_policy=REFERENCE_TRUST if trust is None else trust,
        create_date="2026-01-05T10:00:00Z",
        last_used_date="2026-12-03T08:00:00Z",
        last_used_region="us-east-1",
        permissions=Ok(permissions(scope_policy(SPECIFIC_ROLE_ANY_ACCOUNT)))
        if perms is None
        else perms,
    )


def vendor_caller(arn: str = f"arn:aws:sts::{VENDOR}:assumed-role/Support/jdoe") -> CallerFacts:
    return CallerFacts(
        label="caller",
        profile="qs-support",
        identity=Ok(CallerIdentity(account=VENDOR, arn=arn, user_id="AROAX:jdoe")),
    )


def facts(**changes: Any) -> Facts:
    """The healthy reference deployment, with `changes` applied to the Facts."""
    base = Facts(
        collected_at="2026-12-04T16:00:00Z",
        vendor_account_id=VENDOR,
        intermediate_arn=ROLE_ARN,
        region="us-east-1",
        callers=(vendor_caller(),),
        external_id=ExternalId(EXTERNAL_ID, source="QSDOCTOR_EXTERNAL_ID"),
        intermediate_role=Ok(role()),
        destinations=(Destination(arn=DEST_ARN),),
    )
    return replace(base, **changes)


def with_role(**role_changes: Any) -> Facts:
    """Healthy facts whose intermediate role is built with `role(**role_changes)`."""
    return facts(intermediate_role=Ok(role(**role_changes)))


def denied(operation: str, resource: str = ROLE_ARN) -> Unavailable:
    return Unavailable(
        AwsCallError(
            operation=operation,
            code="AccessDenied",
            message="User is not authorized",
            resource=resource,
            profile="acme-audit",
        )
    )


NOT_READ = Skipped("no credentials for account 111122223333: pass --intermediate-profile")


def run(check_id: str, f: Facts) -> tuple[Finding, ...]:
    """Run one check through the real runner (so skip/error handling is the runner's)."""
    assert check_id in load_all()
    return run_checks(f, select={check_id}, raise_errors=True)


def one(check_id: str, f: Facts) -> Finding:
    findings = run(check_id, f)
    assert len(findings) == 1, findings
    return findings[0]


def text_of(finding: Finding) -> str:
    """Everything a finding would print or serialise, for "no secret" assertions."""
    import json

    return json.dumps(finding.to_dict())
