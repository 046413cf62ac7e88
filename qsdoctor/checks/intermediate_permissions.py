"""QS106-QS108: what the intermediate role's own policies let its sessions do.

Hop 2 is the intermediate role's session calling sts:AssumeRole on each destination:
its identity policies must allow that, and the reference wants them to allow nothing
else. All decisions come from `qsdoctor.policy`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qsdoctor.arn import parse_role_arn
from qsdoctor.checks import evidence
from qsdoctor.checks.intermediate import (
    intermediate_role,
    permission_policies,
    session_arn,
    trust_of,
)
from qsdoctor.checks.registry import check, destination_check, need
from qsdoctor.errors import UsageError
from qsdoctor.facts import Destination, Facts, RoleFacts
from qsdoctor.models import Evidence, Ok, Outcome

if TYPE_CHECKING:
    from qsdoctor.policy import EvaluationResult, LayerVerdict, ScopeClassification, StatementRef

#: The permission reads behind the role's identity policies and boundary.
PERMISSION_READS = (
    "iam:ListRolePolicies",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
)
FIX_SCOPE = (
    "redeploy trusted-intermediate-role.yaml with a pAssumeRoleScope that includes the "
    "destination: specific-role-any-account with pDestinationRoleName set to the destination "
    "role's name (recommended), or specific-account-and-role with pDestinationAccountId and "
    "pDestinationRoleName"
)
SCOPE_WORDS = {
    "any-role-any-account": "any role in any account (the least restrictive option)",
    "specific-role-any-account": "roles of one name in any account (the recommended option)",
    "specific-account-and-role": "one named role in one account (the most restrictive option)",
    "custom": "a scope that matches none of the template's three options",
    "none": "no sts:AssumeRole at all",
}


def _blocking(result: EvaluationResult) -> LayerVerdict | None:
    return next((lv for lv in result.layers if lv.decision != "allowed"), None)


@destination_check(
    id="QS106",
    name="intermediate-assume-permission",
    title="Intermediate role may assume the destination",
    problem="Intermediate role may not assume the destination",
    needs=("iam:GetRole", *PERMISSION_READS),
    remediation=(
        "allow sts:AssumeRole on {subject} in the policies of {intermediate_arn}: " + FIX_SCOPE
    ),
)
def intermediate_assume_permission(facts: Facts, dest: Destination) -> Outcome:
    """The intermediate role's own policies must allow sts:AssumeRole on each destination.

    Validation Step 4 and the Common Issue "Permission denied: Intermediate role lacks
    sts:AssumeRole permission for destination roles". Hop 2 crosses accounts, so STS
    needs an Allow on both sides: the destination's trust (QS202) and the intermediate
    role's identity policies, limited by its permissions boundary. qsdoctor evaluates
    the role's inline and attached policies and its boundary for a session of the role
    calling sts:AssumeRole on the destination ARN.

    How it decides:
    - pass: allowed; the finding names the statement that allows it. Also when the
      destination is in the intermediate account itself and its trust names the role:
      within one account that trust is enough without an identity-policy Allow (unless
      the permissions boundary does not allow it).
    - fail: no statement allows it (usually pAssumeRoleScope or pDestinationRoleName
      does not cover this destination), an explicit Deny matches it, or the permissions
      boundary does not allow it; the finding names the deciding statement or layer.
    - error: the role's policies could not be read (names the iam:List*/Get* call);
      skip: the intermediate role does not exist (QS101).

    What it cannot see: SCPs of the customer's organization and session policies passed
    at hop 1; the live hop (QS302) covers those.
    """
    role = intermediate_role(facts)
    identity, boundary = permission_policies(role)
    from qsdoctor.policy import Decision, Request, evaluate

    result = evaluate(
        Request(
            principal=session_arn(role, facts.partition),
            action="sts:AssumeRole",
            resource=dest.arn,
            principal_role_arn=role.arn,
        ),
        identity_policies=identity,
        permission_boundary=boundary,
    )
    if result.allowed:
        allow = result.deciding
        where = allow[0].label if allow else "its policies"
        return Outcome.passed(
            f"{role.name} may assume {dest.arn} ({where})", *evidence.statement_refs(allow)
        )
    direct = _same_account_grant(facts, dest, result)
    if direct:
        return Outcome.passed(
            f"{role.name} may assume {dest.arn}: both are in account {role.account_id} and "
            f"the destination's trust names the role ({direct[0].label}), so no identity "
            "policy Allow is needed",
            *evidence.statement_refs(direct),
        )
    if result.decision is Decision.EXPLICIT_DENY:
        deny = result.deciding
        return Outcome.failed(
            f"{deny[0].label} explicitly denies sts:AssumeRole on {dest.arn}",
            *evidence.statement_refs(deny),
            remediation="remove or narrow the Deny statement (see the evidence) so it no "
            "longer matches {subject}",
        )
    perms = need(role.permissions)
    layer = _blocking(result)
    if layer is not None and layer.layer == "permissions_boundary" and perms.boundary:
        identity_layer = result.layer("identity")
        return Outcome.failed(
            f"the permissions boundary of {role.name} does not allow sts:AssumeRole on "
            f"{dest.arn}, although its policies do",
            *evidence.statement_refs(identity_layer.statements if identity_layer else ()),
            evidence.named_policy(perms.boundary),
            remediation="add sts:AssumeRole on {subject} to the permissions boundary of "
            "{intermediate_arn}, or remove the boundary",
        )
    note = layer.note if layer is not None else "; ".join(result.reasons)
    detail = f"no statement in the policies of {role.name} allows sts:AssumeRole on {dest.arn}"
    if "except for its conditions" in note:
        detail += ": " + note.split(": ", 1)[-1]
    return Outcome.failed(
        detail,
        evidence.note(note),
        *(evidence.named_policy(p) for p in perms.identity_policies),
    )


def _same_account_grant(
    facts: Facts, dest: Destination, result: EvaluationResult
) -> tuple[StatementRef, ...]:
    """The destination trust statements that name the intermediate role, when the
    destination is in the intermediate account and only the missing identity Allow
    denies: within one account such a trust is enough on its own (its conditions are
    QS202/QS203's). Empty otherwise.

    NOTE: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
    """
    from qsdoctor.policy import Decision, naming_statements

    role = intermediate_role(facts)
    if result.decision is not Decision.IMPLICIT_DENY:
        return ()
    if any(lv.decision is not Decision.ALLOWED for lv in result.layers if lv.layer != "identity"):
        return ()  # e.g. the permissions boundary also limits a grant to the role ARN
    match dest.role:
        case Ok(RoleFacts() as target) if target.account_id == role.account_id:
            return naming_statements(
                trust_of(target),
                session_arn(role, facts.partition),
                principal_role_arn=role.arn,
            )
    return ()


def _fits(role: RoleFacts, partition: str, dest_arn: str) -> bool:
    """Whether the role's policies (and boundary) allow sts:AssumeRole on the destination,
    as the engine decides it: NotResource and Deny statements included."""
    from qsdoctor.policy import Request, evaluate

    identity, boundary = permission_policies(role)
    return evaluate(
        Request(
            principal=session_arn(role, partition),
            action="sts:AssumeRole",
            resource=dest_arn,
            principal_role_arn=role.arn,
        ),
        identity_policies=identity,
        permission_boundary=boundary,
    ).allowed


def _role_name(arn: str) -> str:
    try:
        return parse_role_arn(arn).name
    except UsageError:
        return arn


def _scope_evidence(scope: ScopeClassification) -> tuple[Evidence, ...]:
    summary = f"scope {scope.kind}: {SCOPE_WORDS.get(scope.kind, scope.kind)}"
    if scope.explanation:
        summary += f" ({scope.explanation})"
    data = {
        "kind": scope.kind,
        "resources": list(scope.resources),
        "role_names": list(scope.role_names),
        "accounts": list(scope.accounts),
    }
    return (evidence.note(summary, data), *evidence.statement_refs(scope.statements))


@check(
    id="QS107",
    name="intermediate-scope",
    title="Assume-role scope fits the destinations",
    problem="Assume-role scope does not fit the destinations",
    needs=("iam:GetRole", *PERMISSION_READS),
    remediation=FIX_SCOPE,
)
def intermediate_scope(facts: Facts) -> Outcome:
    """Names which of the reference's three pAssumeRoleScope options the role amounts to.

    Validation Step 8 ("Verify assume role scope matches destination role names/accounts")
    and the Debug Checklist items "Assume role scope configured correctly" and
    "Destination role names match scope configuration". The template turns
    pAssumeRoleScope into the Resource of one sts:AssumeRole statement:
    `arn:aws:iam::*:role/*` (any-role-any-account), `arn:aws:iam::*:role/<pDestinationRoleName>`
    (specific-role-any-account, the recommended one) or
    `arn:aws:iam::<pDestinationAccountId>:role/<pDestinationRoleName>`
    (specific-account-and-role). qsdoctor classifies the effective scope of the role's
    identity policies and boundary; anything else is `custom`.

    How it decides:
    - pass: specific-role-any-account or specific-account-and-role, and every configured
      destination fits it; or a custom scope that every destination fits (explained).
    - warn: any-role-any-account (the least restrictive option: the role may assume any
      role in any account, relying entirely on destination trusts).
    - warn: a configured destination does not fit the scope's role name or account
      (the Common Issue "Cannot assume destination roles"); QS106 fails for it.
    - pass, pointing at QS106: every destination fits the scope but a Deny statement or
      the permissions boundary blocks it; the scope needs no change and QS106 fails.
    - fail: the policies allow sts:AssumeRole on nothing, so no destination is reachable.
    """
    role = intermediate_role(facts)
    identity, boundary = permission_policies(role)
    from qsdoctor.policy import classify_assume_scope

    scope = classify_assume_scope(identity, boundary=boundary)
    ev = _scope_evidence(scope)
    title = f"Assume-role scope: {scope.kind}"
    names = sorted({_role_name(d.arn) for d in facts.destinations})
    if scope.kind == "none":
        return Outcome.failed(
            f"the policies of {role.name} allow sts:AssumeRole on nothing: no destination "
            "can be reached",
            *ev,
            title=title,
        )
    if scope.kind == "any-role-any-account":
        suggestion = (
            f" with pDestinationRoleName={names[0]}"
            if len(names) == 1
            else " with pDestinationRoleName set to your destination roles' common name"
        )
        return Outcome.warned(
            f"{role.name} may assume {SCOPE_WORDS[scope.kind]}",
            *ev,
            title=f"{title}: the least restrictive option",
            remediation=(
                "narrow the scope: redeploy trusted-intermediate-role.yaml with "
                f"pAssumeRoleScope=specific-role-any-account{suggestion}"
            ),
        )
    misfits = [d.arn for d in facts.destinations if not _fits(role, facts.partition, d.arn)]
    allowed = ", ".join(scope.resources) or scope.explanation or "nothing"
    from qsdoctor.policy import arn_matches

    blocked = [a for a in misfits if any(arn_matches(r, a) for r in scope.resources)]
    if blocked and len(blocked) == len(misfits):
        # The scope is right; a Deny or the boundary is the cause, and QS106 fails for it.
        # A second non-pass here would count one problem twice.
        return Outcome.passed(
            f"scope {scope.kind} allows {allowed}, which covers {', '.join(blocked)}; "
            "another statement or the permissions boundary blocks sts:AssumeRole on it "
            "(QS106 names it)",
            *ev,
            title=f"{title} fits the destinations (QS106 reports what blocks them)",
        )
    if misfits:
        wanted = sorted({_role_name(arn) for arn in misfits})
        return Outcome.warned(
            f"scope {scope.kind} allows {allowed}, which does not include {', '.join(misfits)}",
            *ev,
            title=f"{title} leaves out {len(misfits)} destination(s)",
            remediation=(
                "make scope and destinations agree: redeploy trusted-intermediate-role.yaml with "
                f"pDestinationRoleName={wanted[0]} (and pDestinationAccountId for "
                "specific-account-and-role), or deploy the destination roles under the name the "
                "scope allows" + (f" ({', '.join(scope.role_names)})" if scope.role_names else "")
            ),
        )
    fit = f"; all {len(facts.destinations)} destination(s) fit" if facts.destinations else ""
    return Outcome.passed(
        f"{role.name} may assume {SCOPE_WORDS.get(scope.kind, scope.kind)}: {allowed}{fit}",
        *ev,
        title=title,
    )


@check(
    id="QS108",
    name="intermediate-least-privilege",
    title="Intermediate role grants only sts:AssumeRole",
    problem="Intermediate role grants more than sts:AssumeRole",
    needs=("iam:GetRole", *PERMISSION_READS),
    remediation=(
        "remove the extra statements or actions (see the evidence) from the policies of "
        "{intermediate_arn}: the reference limits the intermediate role to sts:AssumeRole "
        '("No additional permissions granted to intermediate role")'
    ),
)
def intermediate_least_privilege(facts: Facts) -> Outcome:
    """The intermediate role should be able to do nothing but assume destination roles.

    The reference's "Principle of Least Privilege": "Limit intermediate role permissions
    to sts:AssumeRole only; no additional permissions granted to intermediate role".
    Anyone who obtains an intermediate session (Quiverstone, or whoever can assume the
    role) gets every extra permission too, in the account you use as your audit point.
    sts:TagSession and sts:SetSourceIdentity are accepted as well, since chained
    sessions may need them on the destination side.

    How it decides:
    - pass: every Allow in the role's inline and attached policies grants only those
      actions.
    - warn: some statement grants more (e.g. an attached ReadOnlyAccess, or `sts:*`);
      the finding lists each statement and the extra actions.
    """
    role = intermediate_role(facts)
    identity, _ = permission_policies(role)
    from qsdoctor.policy import extra_permissions

    extras = extra_permissions(identity)
    if not extras:
        return Outcome.passed(
            f"the policies of {role.name} grant only sts:AssumeRole (and session tagging or "
            "source identity)"
        )
    parts = [f"{ref.label} grants {', '.join(actions)}" for ref, actions in extras]
    return Outcome.warned(
        f"{role.name} can do more than assume roles: {'; '.join(parts)}",
        *(
            evidence.statement_ref(ref, note="extra: " + ", ".join(actions))
            for ref, actions in extras
        ),
        title="Intermediate role grants more than sts:AssumeRole",
    )
