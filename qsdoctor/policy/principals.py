"""Principal elements: listing a policy's principals and which statements admit a caller."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qsdoctor.policy.document import Policy, Statement
from qsdoctor.policy.identities import Caller, PrincipalKind, parse_caller, principal_matches
from qsdoctor.policy.matching import action_matches
from qsdoctor.policy.model import PrincipalEntry, StatementRef

#: Per-statement memo size: enough for every action/resource of a scan, bounded for batches.
MEMO_LIMIT = 1024


def principal_entries(policy: Policy) -> tuple[PrincipalEntry, ...]:
    """Every Principal/NotPrincipal value of the policy, classified.

    Checks use `kind` to spot wildcards ("wildcard"), stale unique IDs ("unique-id"),
    and whether a destination trusts a whole account ("account") or a named role.
    """
    out: list[PrincipalEntry] = []
    for stmt in policy.statements:
        for (ptype, value), kind in zip(stmt.principals or (), stmt.principal_kinds, strict=True):
            out.append(
                PrincipalEntry(
                    statement=stmt.ref,
                    principal_type=ptype,
                    value=value,
                    negated=stmt.not_principal,
                    kind=kind.kind,
                    account=kind.account,
                    role_name=kind.role_name,
                    role_path=kind.role_path,
                )
            )
    return tuple(out)


def action_applies(stmt: Statement, action: str) -> bool:
    """Action / NotAction against one action name."""
    key = ("action", action)
    known = stmt.memo.get(key)
    if known is not None:
        return known
    hit = any(action_matches(p, action) for p in stmt.actions)
    applies = not hit if stmt.not_action else hit
    remember(stmt.memo, key, applies)
    return applies


def remember(memo: dict[Any, bool], key: Any, value: bool) -> None:
    """Store a memoised answer, keeping the memo small."""
    if len(memo) >= MEMO_LIMIT:
        memo.clear()
    memo[key] = value


def statement_admits(stmt: Statement, caller: Caller) -> bool:
    """Principal / NotPrincipal against the caller. A statement with neither admits
    nobody (a trust policy must name its principals)."""
    if stmt.principals is None:
        return False
    pairs = tuple(zip(stmt.principals, stmt.principal_kinds, strict=True))
    if stmt.not_principal:
        return not _exempt(pairs, caller)
    return any(principal_matches(t, v, k, caller) for (t, v), k in pairs)


def _exempt(pairs: tuple[tuple[tuple[str, str], PrincipalKind], ...], caller: Caller) -> bool:
    """NotPrincipal exempts a caller only when every identity it acts as is listed: a
    session needs its session ARN, its role ARN and its account; a user its ARN and
    account.

    NOTE: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
    """
    if any(k.kind == "wildcard" for _, k in pairs):
        return True
    levels: list[Callable[[str, str, PrincipalKind], bool]] = []
    if caller.account is not None:
        levels.append(lambda _t, _v, k: k.kind == "account" and k.account == caller.account)
    if caller.kind == "assumed-role":
        levels.append(lambda _t, v, k: k.kind == "assumed-role" and v == caller.arn)
        levels.append(lambda t, v, k: k.kind == "role" and principal_matches(t, v, k, caller))
    elif caller.kind in ("user", "role"):
        levels.append(lambda _t, v, k: k.kind == caller.kind and v == caller.arn)
    elif caller.kind in ("service", "federated", "other"):
        levels.append(lambda t, v, k: principal_matches(t, v, k, caller))
    return all(any(level(t, v, k) for (t, v), k in pairs) for level in levels)


def names_caller_directly(stmt: Statement, caller: Caller) -> bool:
    """Whether the statement admits the caller by naming it (a role, session, user,
    service or `*`) rather than only through its whole account.

    NOTE: in the same account, a trust naming the principal is enough without an
    identity Allow; an account principal still needs one.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
    """
    if stmt.principals is None:
        return False
    if stmt.not_principal:
        return statement_admits(stmt, caller)
    return any(
        k.kind != "account" and principal_matches(t, v, k, caller)
        for (t, v), k in zip(stmt.principals, stmt.principal_kinds, strict=True)
    )


def names_session_or_user(stmt: Statement, caller: Caller) -> bool:
    """Whether the statement names the caller's exact session or user ARN: such grants
    are not limited by an implicit deny in a permissions boundary or session policy."""
    if stmt.principals is None or stmt.not_principal:
        return False
    return any(
        k.kind in ("assumed-role", "user") and principal_matches(t, v, k, caller)
        for (t, v), k in zip(stmt.principals, stmt.principal_kinds, strict=True)
    )


def admitting_statements(
    trust: Policy,
    principal: str,
    *,
    principal_role_arn: str | None = None,
    action: str = "sts:AssumeRole",
) -> tuple[StatementRef, ...]:
    """Allow statements whose Principal and Action admit the principal, ignoring
    conditions.

    `principal` may be a whole account (`arn:aws:iam::ACCT:root` or `ACCT`): then only
    statements admitting the account as such count (account principals and `*`), not
    ones naming a single role of it.
    """
    caller = parse_caller(principal, principal_role_arn)
    return tuple(
        stmt.ref
        for stmt in trust.statements
        if stmt.allow and action_applies(stmt, action) and statement_admits(stmt, caller)
    )


def naming_statements(
    trust: Policy,
    principal: str,
    *,
    principal_role_arn: str | None = None,
    action: str = "sts:AssumeRole",
) -> tuple[StatementRef, ...]:
    """Allow statements that admit the principal by naming it (not only through its
    account), conditions aside.

    NOTE: in the caller's own account such a trust needs no identity Allow; an
    account principal does.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
    """
    caller = parse_caller(principal, principal_role_arn)
    return tuple(
        stmt.ref
        for stmt in trust.statements
        if stmt.allow and action_applies(stmt, action) and names_caller_directly(stmt, caller)
    )


def unconditional_denies(
    trust: Policy,
    principal: str,
    *,
    principal_role_arn: str | None = None,
    action: str = "sts:AssumeRole",
) -> tuple[StatementRef, ...]:
    """Deny statements without conditions whose Principal and Action cover the request:
    the trust refuses it whatever its Allow statements say (explicit deny wins).

    NOTE: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
    """
    caller = parse_caller(principal, principal_role_arn)
    return tuple(
        stmt.ref
        for stmt in trust.statements
        if not stmt.allow
        and not stmt.conditions
        and action_applies(stmt, action)
        and statement_admits(stmt, caller)
    )
