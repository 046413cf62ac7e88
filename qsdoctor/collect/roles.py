"""Reading one IAM role as RoleFacts: the role, its trust, inline/attached/boundary policies.

GetRole comes first (it decides whether there is a role at all); the policy reads
then run concurrently on a small pool of their own, so a caller may run
`read_role` inside the shared collection executor without risking a deadlock.
A denied policy read makes only `permissions` Unavailable, naming the exact
permission and ARN; the trust policy (from GetRole) is still reported.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import unquote

from qsdoctor.arn import RoleArn
from qsdoctor.aws.gateway import AwsCallFailed, AwsGateway
from qsdoctor.facts import NamedPolicy, PolicyDocument, RoleFacts, RolePermissions
from qsdoctor.models import Fetched, Ok, Unavailable

T = TypeVar("T")

#: Policy reads for one role run on at most this many threads.
POLICY_READ_WORKERS = 4


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleRead:
    """The answer to "is this exact role there?", with a near miss when there is one.

    `other_arn` is set when GetRole found a role with the requested name but a
    different ARN (another path, or another letter case): the requested ARN is wrong,
    so `role` is Ok(None), and `other_arn` is what the ARN probably should be.
    """

    role: Fetched[RoleFacts | None]
    other_arn: str | None = None


def decode_policy(document: Any) -> PolicyDocument:
    """A policy document as a dict, whatever form it arrives in.

    botocore decodes IAM's URL-encoded JSON into a dict; raw HTTP answers, other
    SDKs and CloudTrail records hold the URL-encoded string, and some tools give
    plain JSON. Anything else raises ValueError.
    """
    if isinstance(document, dict):
        return document
    if isinstance(document, str):
        text = document.strip()
        if not text.startswith("{"):
            text = unquote(text).strip()
        try:
            decoded = json.loads(text)
        except json.JSONDecodeError:
            decoded = json.loads(unquote(text))
        if isinstance(decoded, dict):
            return decoded
    raise ValueError(f"not a policy document: {type(document).__name__}")


def _iso(value: Any) -> str | None:
    """A botocore timestamp as UTC ISO-8601 (`2026-12-04T15:49:26Z`)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def get_role(gateway: AwsGateway, role_arn: RoleArn) -> RoleRead | dict[str, Any]:
    """iam:GetRole on exactly `role_arn`: the role's description, or why there is none.

    Returns a RoleRead when there is no role with exactly this ARN (NoSuchEntity, or a
    same-named role under another path) or the read failed; otherwise GetRole's `Role`.
    """
    try:
        answer = gateway.call("iam", "get_role", resource=role_arn.arn, RoleName=role_arn.name)
    except AwsCallFailed as e:
        if e.error.code == "NoSuchEntity":
            return RoleRead(role=Ok(None))
        return RoleRead(role=Unavailable(e.error))
    role: dict[str, Any] = answer["Role"]
    if role["Arn"] != role_arn.arn:
        # NOTE: GetRole takes only the name (unique per account), so this is the
        # same-named role under another path; STS would refuse the requested ARN
        # (RoleArn must carry the exact path).
        return RoleRead(role=Ok(None), other_arn=str(role["Arn"]))
    return role


def role_facts(
    role_arn: RoleArn, role: dict[str, Any], permissions: Fetched[RolePermissions]
) -> RoleFacts:
    """RoleFacts from GetRole's `Role` and the permissions read (or not) beside it."""
    last_used = role.get("RoleLastUsed") or {}
    return RoleFacts(
        arn=role_arn.arn,
        name=role["RoleName"],
        path=role.get("Path", "/"),
        role_id=role["RoleId"],
        account_id=role_arn.account,
        trust_policy=decode_policy(role.get("AssumeRolePolicyDocument") or {}),
        max_session_duration=int(role.get("MaxSessionDuration", 3600)),
        create_date=_iso(role.get("CreateDate")),
        last_used_date=_iso(last_used.get("LastUsedDate")),
        last_used_region=last_used.get("Region"),
        tags=tuple((t["Key"], t["Value"]) for t in role.get("Tags") or ()),
        permissions=permissions,
    )


def read_role(gateway: AwsGateway, role_arn: RoleArn) -> RoleRead:
    """GetRole on `role_arn`, then (if it exists under that exact ARN) its policies.

    The inline and attached policy listings start alongside GetRole rather than
    after it: they need only the role's name, and this takes one round trip off the
    longest chain of dependent calls. Their answers are dropped when the role turns
    out to be missing or under another path.
    """
    arn = role_arn.arn
    with ThreadPoolExecutor(max_workers=POLICY_READ_WORKERS) as pool:
        listings = _Listings(
            inline=pool.submit(_inline_policies, gateway, arn, role_arn.name, pool),
            attached=pool.submit(_attached_policies, gateway, arn, role_arn.name, pool),
        )
        role = get_role(gateway, role_arn)
        if isinstance(role, RoleRead):
            return role
        permissions = _gather(gateway, pool, listings, role.get("PermissionsBoundary"))
    return RoleRead(role=Ok(role_facts(role_arn, role, permissions)))


def fetch_role(gateway: AwsGateway, role_arn: RoleArn) -> Fetched[RoleFacts | None]:
    """The role as RoleFacts; Ok(None) when no role has exactly this ARN."""
    return read_role(gateway, role_arn).role


def list_role_arns(gateway: AwsGateway) -> Fetched[tuple[str, ...]]:
    """ARNs of every role in the gateway's account (for near-match suggestions)."""
    arns: list[str] = []
    try:
        for page in gateway.pages("iam", "list_roles", token_in="Marker", token_out="Marker"):
            arns.extend(str(r["Arn"]) for r in page.get("Roles", ()))
    except AwsCallFailed as e:
        return Unavailable(e.error)
    return Ok(tuple(arns))


def read_permissions(
    gateway: AwsGateway, role_arn: RoleArn, boundary: dict[str, Any] | None
) -> Fetched[RolePermissions]:
    """Inline, attached and boundary policies of a role known to exist, read concurrently.

    Any failed read (AccessDenied above all) makes the whole result Unavailable with
    that call's error, e.g. "iam:ListRolePolicies on arn:aws:iam::...:role/X": checks
    must not evaluate a partial set of policies as if it were complete.
    """
    arn, name = role_arn.arn, role_arn.name
    with ThreadPoolExecutor(max_workers=POLICY_READ_WORKERS) as pool:
        listings = _Listings(
            inline=pool.submit(_inline_policies, gateway, arn, name, pool),
            attached=pool.submit(_attached_policies, gateway, arn, name, pool),
        )
        return _gather(gateway, pool, listings, boundary)


@dataclass(frozen=True, slots=True)
class _Listings:
    """The two listing tasks; each resolves to futures of the individual policy reads."""

    inline: Future[list[Future[NamedPolicy]]]
    attached: Future[list[Future[NamedPolicy | None]]]


def _gather(
    gateway: AwsGateway,
    pool: ThreadPoolExecutor,
    listings: _Listings,
    boundary: dict[str, Any] | None,
) -> Fetched[RolePermissions]:
    """Wait for every policy read (starting the boundary's) and assemble the result."""
    boundary_f: Future[NamedPolicy | None] | None = None
    boundary_arn = (boundary or {}).get("PermissionsBoundaryArn")
    if boundary_arn:
        boundary_f = pool.submit(_managed_policy, gateway, boundary_arn, "boundary")
    try:
        inline = tuple(p.result() for p in listings.inline.result())
        attached = tuple(p for p in (f.result() for f in listings.attached.result()) if p)
        boundary_policy = boundary_f.result() if boundary_f else None
    except AwsCallFailed as e:
        return Unavailable(e.error)
    return Ok(RolePermissions(inline=inline, attached=attached, boundary=boundary_policy))


def _inline_policies(
    gateway: AwsGateway, arn: str, name: str, pool: ThreadPoolExecutor
) -> list[Future[NamedPolicy]]:
    names: list[str] = []
    for page in gateway.pages(
        "iam",
        "list_role_policies",
        resource=arn,
        token_in="Marker",
        token_out="Marker",
        RoleName=name,
    ):
        names.extend(page.get("PolicyNames", ()))

    def get(policy_name: str) -> NamedPolicy:
        answer = gateway.call(
            "iam", "get_role_policy", resource=arn, RoleName=name, PolicyName=policy_name
        )
        return NamedPolicy(
            name=policy_name, kind="inline", document=decode_policy(answer["PolicyDocument"])
        )

    return [_submit(pool, get, n) for n in names]


def _attached_policies(
    gateway: AwsGateway, arn: str, name: str, pool: ThreadPoolExecutor
) -> list[Future[NamedPolicy | None]]:
    policy_arns: list[str] = []
    for page in gateway.pages(
        "iam",
        "list_attached_role_policies",
        resource=arn,
        token_in="Marker",
        token_out="Marker",
        RoleName=name,
    ):
        policy_arns.extend(p["PolicyArn"] for p in page.get("AttachedPolicies", ()))
    return [_submit(pool, _managed_policy, gateway, a, "managed") for a in policy_arns]


def _submit(pool: ThreadPoolExecutor, fn: Callable[..., T], *args: Any) -> Future[T]:
    # NOTE: the listing tasks submit per-policy reads to the same pool and return
    # without waiting for them, so this never deadlocks: only the caller waits.
    return pool.submit(fn, *args)


def _managed_policy(gateway: AwsGateway, policy_arn: str, kind: str) -> NamedPolicy | None:
    """GetPolicy (for the default version) then GetPolicyVersion; None if it vanished."""
    try:
        policy = gateway.call("iam", "get_policy", resource=policy_arn, PolicyArn=policy_arn)[
            "Policy"
        ]
        version_id = policy["DefaultVersionId"]
        version = gateway.call(
            "iam",
            "get_policy_version",
            resource=policy_arn,
            PolicyArn=policy_arn,
            VersionId=version_id,
        )["PolicyVersion"]
    except AwsCallFailed as e:
        if e.error.code == "NoSuchEntity":
            return None
        raise
    return NamedPolicy(
        name=str(policy["PolicyName"]),
        kind="boundary" if kind == "boundary" else "managed",
        document=decode_policy(version["Document"]),
        arn=policy_arn,
        version_id=version_id,
    )
