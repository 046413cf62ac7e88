"""QS101: does the intermediate role exist where Quiverstone is told to find it?

Also holds the helpers the other QS1xx modules share (the role, or "not applicable").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from qsdoctor.arn import RoleArn, account_root_arn, parse_role_arn
from qsdoctor.checks import evidence
from qsdoctor.checks.registry import NotApplicable, check, need
from qsdoctor.errors import PolicyError, UsageError
from qsdoctor.facts import Facts, NamedPolicy, RoleFacts
from qsdoctor.models import Evidence, Ok, Outcome, Skipped, Unavailable

if TYPE_CHECKING:
    from qsdoctor.policy import Policy

#: How far a role name may be from the configured one to be suggested (edits).
MAX_TYPO_DISTANCE = 2

REMEDIATION_DEPLOY = (
    "deploy trusted-intermediate-role.yaml in the intermediate account (pIntermediateRoleName "
    "sets the name), or set the Intermediate Role ARN in the Quiverstone organization "
    "configuration (and --intermediate-arn) to the stack's IntermediateRoleArn output"
)


def intermediate_role(facts: Facts) -> RoleFacts:
    """The intermediate role, or skip the calling check when it does not exist (QS101 fails)."""
    role = need(facts.intermediate_role)
    if role is None:
        raise NotApplicable("the intermediate role does not exist (see QS101)")
    return role


def parse(document: dict[str, object], name: str) -> Policy:
    """Parse a policy with the engine; an unparseable one makes the check skip, saying why."""
    from qsdoctor.policy import parse_policy

    try:
        return parse_policy(document, name=name)
    except PolicyError as e:
        raise NotApplicable(f"cannot evaluate {name}: {e.message}") from None


def assumed_grant(resource: str, *, sid: str, name: str) -> Policy:
    """An identity policy assumed to allow the hop on `resource`, so the trust alone decides.

    The caller side of a hop is judged elsewhere (QS106 for the intermediate role; QS301
    live for the production account, whose policies qsdoctor cannot read). Stating the
    assumption as a policy keeps every decision inside the engine.
    """
    return parse(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": sid,
                    "Effect": "Allow",
                    "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                    "Resource": resource,
                }
            ],
        },
        name,
    )


def trust_of(role: RoleFacts) -> Policy:
    """The role's trust policy, parsed and named for evidence."""
    return parse(role.trust_policy, f"trust policy of {role.name}")


def policy_name(policy: NamedPolicy) -> str:
    """How an identity policy or boundary is named in findings."""
    if policy.kind == "inline":
        return f'inline policy "{policy.name}"'
    if policy.kind == "boundary":
        return f"permissions boundary {policy.arn or policy.name}"
    return f"managed policy {policy.arn or policy.name}"


def permission_policies(role: RoleFacts) -> tuple[tuple[Policy, ...], Policy | None]:
    """(identity policies, boundary) of the role, parsed; needs the permission reads."""
    perms = need(role.permissions)
    identity = tuple(parse(p.document, policy_name(p)) for p in perms.identity_policies)
    boundary = (
        parse(perms.boundary.document, policy_name(perms.boundary)) if perms.boundary else None
    )
    return identity, boundary


def hop1_principal(facts: Facts) -> str:
    """Who performs hop 1: the caller when it is in the production account, else the account.

    A trust naming the whole account admits every principal of it; one naming a specific
    role admits only that role's sessions, so the caller's ARN is the better question
    when qsdoctor knows it.
    """
    for caller in facts.callers:
        match caller.identity:
            case Ok(ident) if caller.label == "caller" and ident.account == facts.vendor_account_id:
                return ident.arn
    return account_root_arn(facts.vendor_account_id, facts.partition)


def session_arn(role: RoleFacts, partition: str = "aws") -> str:
    """An assumed-role session ARN of the role (session ARNs drop the role's path)."""
    return f"arn:{partition}:sts::{role.account_id}:assumed-role/{role.name}/qsdoctor"


def configured_arn(facts: Facts) -> RoleArn | None:
    """The configured intermediate ARN, parsed (None when it is not a role ARN)."""
    try:
        return parse_role_arn(facts.intermediate_arn, what="intermediate role ARN")
    except UsageError:
        return None


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions) between two short strings."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


@dataclass(frozen=True, slots=True)
class NearMatch:
    """A role that may be the one meant, and why it was suggested."""

    arn: str
    why: str


def near_matches(wanted: RoleArn, candidates: tuple[str, ...]) -> tuple[NearMatch, ...]:
    """Roles whose name differs only in case, path or a typo (at most 2 edits), best first."""
    ranked: list[tuple[int, str, NearMatch]] = []
    for arn in candidates:
        try:
            cand = parse_role_arn(arn, what="candidate role ARN")
        except UsageError:
            continue
        if cand.arn == wanted.arn:
            continue
        if cand.name == wanted.name:
            ranked.append((0, arn, NearMatch(arn, f"same name under path {cand.path}")))
        elif cand.name.lower() == wanted.name.lower():
            ranked.append((1, arn, NearMatch(arn, "same name in different upper/lower case")))
        else:
            distance = levenshtein(cand.name.lower(), wanted.name.lower())
            if distance <= MAX_TYPO_DISTANCE:
                plural = "s" if distance > 1 else ""
                ranked.append(
                    (1 + distance, arn, NearMatch(arn, f"name {distance} edit{plural} away"))
                )
    return tuple(m for _, _, m in sorted(ranked, key=lambda r: (r[0], r[1])))


@check(
    id="QS101",
    name="intermediate-role-exists",
    title="Intermediate role exists",
    problem="Intermediate role not found",
    needs=("iam:GetRole", "iam:ListRoles"),
    remediation=REMEDIATION_DEPLOY,
)
def intermediate_role_exists(facts: Facts) -> Outcome:
    """The role named by `--intermediate-arn` must exist, under exactly that path and name.

    Validation Step 1 and the first two items of the reference's Debug Checklist
    ("Intermediate role deployed in correct account", "Intermediate role name matches
    configuration"). STS answers a missing role with the same bare AccessDenied as a
    trust or External ID problem, so the live hop cannot tell them apart; iam:GetRole
    in the intermediate account can.

    How it decides:
    - pass: iam:GetRole finds the role and its ARN (path and name, which are
      case-sensitive in a RoleArn) equals the configured one; evidence shows the
      role's unique ID, creation date and last use.
    - fail: IAM says there is no such role. When qsdoctor may list the account's
      roles (iam:ListRoles) it suggests near matches: the same name under another
      path, the same name in other letter case, or a name at most two edits away.
    - fail: a role with that name exists but under a different path or letter case
      (role names are unique per account, so IAM returns it): STS needs the exact ARN.
    - error: iam:GetRole was denied; skip: no credentials for the intermediate
      account (pass --intermediate-profile).
    """
    role = need(facts.intermediate_role)
    wanted = configured_arn(facts)
    if role is None:
        return _missing(facts, wanted)
    found = evidence.role_summary(role)
    if role.arn != facts.intermediate_arn:
        return Outcome.failed(
            f"the configured ARN {facts.intermediate_arn} does not match the role IAM has: "
            f"{role.arn}",
            found,
            remediation=(
                f"use the exact role ARN {role.arn} (path and letter case included) as the "
                "Intermediate Role ARN in the Quiverstone organization configuration and "
                "in --intermediate-arn"
            ),
        )
    return Outcome.passed(f"{role.arn} exists (ID {role.role_id})", found)


def _missing(facts: Facts, wanted: RoleArn | None) -> Outcome:
    detail = f"{facts.intermediate_arn} does not exist"
    match facts.role_candidates:
        case Ok(candidates):
            matches = near_matches(wanted, candidates) if wanted else ()
        case Unavailable(err):
            return Outcome.failed(
                f"{detail} (could not look for similar names: {err.needs()})",
                Evidence(
                    kind="api-error",
                    summary=f"{err.operation}: {err.code}",
                    data={"operation": err.operation, "code": err.code, "resource": err.resource},
                ),
                title="Intermediate role not found",
            )
        case Skipped():
            matches = ()
    if not matches:
        return Outcome.failed(
            f"{detail}; no role in the account has a similar name",
            title="Intermediate role not found",
        )
    shown = "; ".join(f"{m.arn} ({m.why})" for m in matches[:3])
    return Outcome.failed(
        f"{detail}; did you mean {shown}?",
        *(
            evidence.note(f"near match: {m.arn} ({m.why})", {"arn": m.arn, "why": m.why})
            for m in matches
        ),
        remediation=(
            f"if {matches[0].arn} is the intermediate role, set it as the Intermediate Role "
            "ARN in the Quiverstone organization configuration and in --intermediate-arn; "
            "otherwise deploy trusted-intermediate-role.yaml in the intermediate account "
            "(pIntermediateRoleName sets the name)"
        ),
        title="Intermediate role not found",
    )


def carried_actions(facts: Facts, hop: Literal[1, 2]) -> list[tuple[str, str]]:
    """The actions beyond sts:AssumeRole a hop's trust must allow, each with why.

    A source identity needs sts:SetSourceIdentity and session tags sts:TagSession in
    every trust down the chain: hop 1 sets them, hop 2 carries them (IAM UG
    id_credentials_temp_control-access_monitor, id_session-tags).
    """
    tags = ", ".join(facts.session_tag_keys)
    actions: list[tuple[str, str]] = []
    if facts.source_identity:
        why = "sets a source identity" if hop == 1 else "the source identity set on hop 1"
        actions.append(("sts:SetSourceIdentity", why))
    if facts.session_tag_keys:
        why = f"passes session tags ({tags})" if hop == 1 else f"transitive session tags ({tags})"
        actions.append(("sts:TagSession", why))
    return actions
