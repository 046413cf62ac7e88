"""Deciding a request across policy layers the way AWS documents it.

Layers: identity policies, permissions boundary, session policies and SCPs on the
caller's side; the trust (resource) policy and RCPs on the resource's side.
Explicit deny anywhere wins; cross-account both sides must allow; in the same
account a trust that names the principal is enough on its own.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from qsdoctor.policy.conditions import (
    Context,
    Unresolved,
    condition_holds,
    normalize_context,
    substitute,
)
from qsdoctor.policy.document import Policy, Statement
from qsdoctor.policy.identities import ACCOUNT_RE, Caller, parse_caller, principal_matches
from qsdoctor.policy.matching import arn_matches
from qsdoctor.policy.model import (
    Decision,
    EvaluationResult,
    LayerVerdict,
    Request,
    StatementRef,
)
from qsdoctor.policy.principals import (
    action_applies,
    names_caller_directly,
    names_session_or_user,
    remember,
    statement_admits,
)

LAYER_WORDS = {
    "identity": "identity policies",
    "permissions_boundary": "permissions boundary",
    "session": "session policies",
    "scp": "service control policies",
    "trust": "trust policy",
    "rcp": "resource control policies",
}


@dataclass(frozen=True, slots=True)
class _Scan:
    """The statements of one layer that apply to the request."""

    allows: tuple[Statement, ...]
    denies: tuple[Statement, ...]
    near: tuple[tuple[Statement, tuple[str, ...]], ...]  # Allow failing only on conditions

    @property
    def decision(self) -> Decision:
        if self.denies:
            return Decision.EXPLICIT_DENY
        return Decision.ALLOWED if self.allows else Decision.IMPLICIT_DENY


def _resource_applies(stmt: Statement, resource: str, ctx: Context, variables: bool) -> bool:
    if stmt.resources is None:
        return True
    if not (variables and stmt.has_resource_variables):
        key = ("resource", resource)
        known = stmt.memo.get(key)
        if known is None:
            known = _resource_match(stmt, resource, ctx, variables)
            remember(stmt.memo, key, known)
        return known
    return _resource_match(stmt, resource, ctx, variables)


def _resource_match(stmt: Statement, resource: str, ctx: Context, variables: bool) -> bool:
    assert stmt.resources is not None
    hit = False
    for written in stmt.resources:
        pattern = written
        if variables and stmt.has_resource_variables and "${" in written:
            try:
                pattern = substitute(written, ctx)
            except Unresolved:
                continue
        if arn_matches(pattern, resource):
            hit = True
            break
    return not hit if stmt.not_resource else hit


def _scan(
    policies: Sequence[Policy],
    request: Request,
    caller: Caller,
    ctx: Context,
    *,
    principal_check: str,
) -> _Scan:
    """principal_check: "required" (trust), "if-present" (RCP) or "ignore" (caller side)."""
    allows: list[Statement] = []
    denies: list[Statement] = []
    near: list[tuple[Statement, tuple[str, ...]]] = []
    for policy in policies:
        variables = policy.variables_enabled
        for stmt in policy.statements:
            if not action_applies(stmt, request.action):
                continue
            if not _resource_applies(stmt, request.resource, ctx, variables):
                continue
            check_principal = principal_check == "required" or (
                principal_check == "if-present" and stmt.principals is not None
            )
            if check_principal and not statement_admits(stmt, caller):
                continue
            failing = (
                tuple(
                    f"{c.operator} on {c.key}"
                    for c in stmt.conditions
                    if not condition_holds(c, ctx, variables=variables)
                )
                if stmt.conditions
                else ()
            )
            if failing:
                if stmt.allow:
                    near.append((stmt, failing))
                continue
            (allows if stmt.allow else denies).append(stmt)
    return _Scan(tuple(allows), tuple(denies), tuple(near))


def _request_context(request: Request, caller: Caller, resource_account: str | None) -> Context:
    """The request's context plus the keys AWS always sets, unless given explicitly."""
    ctx = normalize_context(request.context)
    derived: dict[str, str | None] = {
        "aws:principalarn": caller.role_arn if caller.kind == "assumed-role" else caller.arn,
        "aws:principalaccount": caller.account,
        "aws:resourceaccount": resource_account,
        "aws:principaltype": {
            "root": "Account",
            "user": "User",
            "assumed-role": "AssumedRole",
            "role": "AssumedRole",
        }.get(caller.kind),
        "aws:username": caller.user_name,
    }
    for key, value in derived.items():
        if value is not None and key not in ctx:
            ctx[key] = (value,)
    return ctx


@lru_cache(maxsize=1024)
def _resource_account(resource: str) -> str | None:
    parts = resource.split(":", 5)
    if len(parts) == 6 and ACCOUNT_RE.fullmatch(parts[4]):
        return parts[4]
    return None


def _refs(stmts: Sequence[Statement]) -> tuple[StatementRef, ...]:
    return tuple(s.ref for s in stmts)


def evaluate(
    request: Request,
    *,
    identity_policies: Sequence[Policy] = (),
    trust_policy: Policy | None = None,
    permission_boundary: Policy | None = None,
    session_policies: Sequence[Policy] = (),
    scps: Sequence[Policy] | None = None,
    rcps: Sequence[Policy] = (),
) -> EvaluationResult:
    """Decide a request: allowed, implicit_deny or explicit_deny, with each layer's say.

    `scps=None` means no SCP layer applies (e.g. the management account); an empty
    list means SCPs apply and none allows, which denies. Without `trust_policy` only
    the caller's side is decided (e.g. "may this role call AssumeRole on X at all").
    RCPs only deny: AWS attaches RCPFullAWSAccess everywhere.
    """
    caller = parse_caller(request.principal, request.principal_role_arn)
    resource_account = _resource_account(request.resource)
    ctx = _request_context(request, caller, resource_account)
    action, resource = request.action, request.resource
    scans: dict[str, _Scan] = {}
    scans["identity"] = _scan(identity_policies, request, caller, ctx, principal_check="ignore")
    if permission_boundary is not None:
        scans["permissions_boundary"] = _scan(
            (permission_boundary,), request, caller, ctx, principal_check="ignore"
        )
    if session_policies:
        scans["session"] = _scan(session_policies, request, caller, ctx, principal_check="ignore")
    if scps is not None:
        scans["scp"] = _scan(scps, request, caller, ctx, principal_check="ignore")
    if trust_policy is not None:
        scans["trust"] = _scan((trust_policy,), request, caller, ctx, principal_check="required")
    if rcps:
        scans["rcp"] = _scan(rcps, request, caller, ctx, principal_check="if-present")

    same_account = caller.account is not None and caller.account == resource_account
    trust = scans.get("trust")
    # a service or federated principal has no identity policies: the trust alone decides
    service_caller = (
        caller.kind in ("service", "federated") and trust is not None and bool(trust.allows)
    )
    direct = (
        trust is not None
        and same_account
        and any(names_caller_directly(s, caller) for s in trust.allows)
    )
    exact_grant = (
        direct and trust is not None and any(names_session_or_user(s, caller) for s in trust.allows)
    )

    layers: list[LayerVerdict] = []
    reasons: list[str] = []
    denied_by: list[Statement] = []
    blocking: list[str] = []
    for name, scan in scans.items():
        words = LAYER_WORDS[name]
        decision = scan.decision
        note = ""
        if scan.denies:
            denied_by.extend(scan.denies)
            note = "explicit Deny by " + "; ".join(s.ref.label for s in scan.denies)
        elif name == "rcp":
            decision = Decision.ALLOWED
            note = "no RCP denies it (RCPFullAWSAccess allows everything else)"
        elif name == "identity" and not scan.allows and caller.kind == "root":
            decision = Decision.ALLOWED
            note = "the account's root user needs no identity policy"
            if request.action.lower().startswith("sts:assumerole"):
                note += " (but AWS refuses AssumeRole with root user credentials)"
        elif name == "identity" and not scan.allows and (service_caller or direct):
            note = "no identity policy allows it, but none is needed: " + (
                "a service principal has none"
                if service_caller
                else "the same-account trust policy names the principal"
            )
        elif name in ("permissions_boundary", "session") and not scan.allows and exact_grant:
            note = (
                f"the {words} do not allow it, but the trust policy names this exact "
                "session/user ARN, which they do not limit"
            )
        elif scan.allows:
            note = "allowed by " + "; ".join(s.ref.label for s in scan.allows)
        else:
            hints: list[str] = []
            if name == "identity" and same_account and trust is not None and trust.allows:
                hints.append(
                    "the trust policy admits the caller only through its account, which "
                    "needs an identity Allow too"
                )
            if name == "trust" and trust_policy is not None:
                hints.extend(_trust_hints(trust_policy, caller, action))
            note = _implicit_note(name, scan, request, caller, hints)
            blocking.append(name)
        layers.append(
            LayerVerdict(
                layer=name,
                decision=decision,
                statements=_refs(scan.denies) if scan.denies else _refs(scan.allows),
                note=note,
            )
        )

    if denied_by:
        for stmt in denied_by:
            reasons.append(f"{stmt.ref.label} explicitly denies {action} on {resource}")
        return EvaluationResult(
            decision=Decision.EXPLICIT_DENY,
            layers=tuple(layers),
            reasons=tuple(reasons),
            deciding_statements=_refs(denied_by),
        )

    if service_caller and "identity" in blocking:
        blocking.remove("identity")
    if direct and "identity" in blocking:
        blocking.remove("identity")
    if blocking:
        for name in blocking:
            reasons.append(next(lv.note for lv in layers if lv.layer == name))
        if (
            "trust" not in blocking
            and trust is not None
            and not same_account
            and "identity" in blocking
        ):
            reasons.append(
                "cross-account access needs an Allow on both sides: the trust "
                "policy admits the caller, but the caller's own policies must "
                "also allow the call"
            )
        return EvaluationResult(
            decision=Decision.IMPLICIT_DENY, layers=tuple(layers), reasons=tuple(reasons)
        )

    deciding: list[Statement] = []
    for name in ("identity", "trust"):
        if name in scans:
            deciding.extend(scans[name].allows)
    for lv in layers:
        reasons.append(f"{LAYER_WORDS[lv.layer]}: {lv.note}")
    return EvaluationResult(
        decision=Decision.ALLOWED,
        layers=tuple(layers),
        reasons=tuple(reasons),
        deciding_statements=_refs(deciding),
    )


def _trust_hints(policy: Policy, caller: Caller, action: str) -> list[str]:
    """Near misses worth naming when a trust policy does not admit the caller: stale
    unique IDs, and the caller's role named with another path or letter case."""
    hints: list[str] = []
    for stmt in policy.statements:
        if not stmt.allow or stmt.not_principal or not action_applies(stmt, action):
            continue
        for (ptype, value), kind in zip(stmt.principals or (), stmt.principal_kinds, strict=True):
            if kind.kind == "unique-id":
                hints.append(
                    f"{stmt.ref.label} names {value}, a unique ID that IAM shows once the "
                    "principal it named was deleted; re-enter the role's ARN"
                )
            elif (
                kind.kind == "role"
                and kind.role_name is not None
                and caller.role_name is not None
                and kind.account == caller.account
                and not principal_matches(ptype, value, kind, caller)
            ):
                if kind.role_name == caller.role_name:
                    hints.append(
                        f"{stmt.ref.label} names {value}, whose path differs from the "
                        f"caller's role {caller.role_arn}"
                    )
                elif kind.role_name.lower() == caller.role_name.lower():
                    hints.append(
                        f"{stmt.ref.label} names {value}, but role names are case-sensitive "
                        f"and the caller's role is {caller.role_name}"
                    )
    return hints


def _implicit_note(
    name: str, scan: _Scan, request: Request, caller: Caller, hints: Sequence[str]
) -> str:
    what = f"{request.action} on {request.resource}"
    if name == "trust":
        base = f"the trust policy does not admit {caller.arn} for {request.action}"
    elif name == "identity":
        base = f"no identity policy of {caller.arn} allows {what}"
    elif name == "scp":
        base = f"no service control policy allows {what}"
    else:
        base = f"the {LAYER_WORDS[name]} do not allow {what}"
    if scan.near:
        misses = "; ".join(
            f"{s.ref.label} matches except for its conditions ({', '.join(f)})"
            for s, f in scan.near
        )
        base += f": {misses}"
    if hints:
        base += " (" + "; ".join(hints) + ")"
    return base
