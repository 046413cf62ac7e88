"""The sts:AssumeRole scope of a role's identity policies, and permissions beyond it."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from qsdoctor.policy.document import Policy, Statement
from qsdoctor.policy.matching import action_matches, arn_matches, has_wildcard
from qsdoctor.policy.model import ScopeClassification, StatementRef
from qsdoctor.policy.principals import action_applies

ASSUME_ROLE = "sts:AssumeRole"
_ANY_RE = re.compile(r"arn:[\w-]+:iam::\*:role/\*")
_ROLE_ANY_ACCOUNT_RE = re.compile(r"arn:[\w-]+:iam::\*:role/([\w+=,.@-]+)", re.ASCII)
_ROLE_IN_ACCOUNT_RE = re.compile(r"arn:[\w-]+:iam::(\d{12}):role/([\w+=,.@-]+)", re.ASCII)


def _pattern_kind(pattern: str) -> tuple[str, str | None, str | None]:
    if pattern == "*" or _ANY_RE.fullmatch(pattern):
        return "any-role-any-account", None, None
    m = _ROLE_ANY_ACCOUNT_RE.fullmatch(pattern)
    if m:
        return "specific-role-any-account", None, m.group(1)
    m = _ROLE_IN_ACCOUNT_RE.fullmatch(pattern)
    if m:
        return "specific-account-and-role", m.group(1), m.group(2)
    return "custom", None, None


def _assume_allows(policies: Sequence[Policy]) -> list[Statement]:
    return [s for p in policies for s in p.statements if s.allow and action_applies(s, ASSUME_ROLE)]


def _patterns(stmts: Sequence[Statement]) -> tuple[list[str], bool]:
    """Resource patterns, and whether any statement used NotResource."""
    out: list[str] = []
    not_resource = False
    for s in stmts:
        if s.not_resource:
            not_resource = True
            continue
        for r in s.resources if s.resources is not None else ("*",):
            if r not in out:
                out.append(r)
    return out, not_resource


def classify_assume_scope(
    identity_policies: Sequence[Policy], *, boundary: Policy | None = None
) -> ScopeClassification:
    """The effective sts:AssumeRole resource scope, as the reference's three scopes
    (any-role-any-account, specific-role-any-account, specific-account-and-role),
    custom, or none.

    A pattern allowing any role anywhere dominates (the scope is then any role in any
    account whatever else is listed); otherwise several patterns are custom. A
    boundary narrows the identity patterns to what it also allows.
    """
    allows = _assume_allows(identity_policies)
    patterns, not_resource = _patterns(allows)
    refs = tuple(s.ref for s in allows)
    notes: list[str] = []
    if boundary is not None:
        b_allows = _assume_allows((boundary,))
        b_patterns, b_not = _patterns(b_allows)
        if not b_allows:
            return ScopeClassification(
                kind="none",
                statements=refs,
                explanation=f"the permissions boundary {boundary.name} allows no sts:AssumeRole",
            )
        if not b_not:
            narrowed: list[str] = []
            for p in patterns:
                if any(arn_matches(b, p) for b in b_patterns):
                    narrowed.append(p)
                    continue
                narrowed.extend(b for b in b_patterns if arn_matches(p, b) and b not in narrowed)
            if narrowed != patterns:
                notes.append(f"narrowed by the permissions boundary {boundary.name}")
            patterns = narrowed
        refs += tuple(s.ref for s in b_allows)
    denies = [
        s.ref.label
        for p in identity_policies
        for s in p.statements
        if not s.allow and action_applies(s, ASSUME_ROLE)
    ]
    if denies:
        notes.append("Deny statements narrow it further: " + "; ".join(denies))
    if any(s.conditions for s in allows):
        notes.append("some allowing statements carry conditions")
    suffix = f" ({'; '.join(notes)})" if notes else ""
    if not patterns and not not_resource:
        return ScopeClassification(
            kind="none", statements=refs, explanation="no statement allows sts:AssumeRole" + suffix
        )
    kinds = [_pattern_kind(p) for p in patterns]
    accounts = tuple(sorted({a for _, a, _ in kinds if a}))
    names = tuple(sorted({n for _, _, n in kinds if n}))
    resources = tuple(patterns)
    if not_resource:
        kind = "custom"
        why = "sts:AssumeRole is allowed with NotResource: every role except those listed"
    elif any(k == "any-role-any-account" for k, _, _ in kinds):
        kind = "any-role-any-account"
        why = "sts:AssumeRole is allowed on any role in any account"
    elif len(patterns) == 1 and kinds[0][0] != "custom":
        kind = kinds[0][0]
        why = (
            f"sts:AssumeRole is allowed on role {names[0]} in any account"
            if kind == "specific-role-any-account"
            else f"sts:AssumeRole is allowed only on role {names[0]} in {accounts[0]}"
        )
    else:
        kind = "custom"
        why = "sts:AssumeRole is allowed on " + ", ".join(patterns)
    return ScopeClassification(
        kind=kind,
        resources=resources,
        role_names=names,
        accounts=accounts,
        statements=refs,
        explanation=why + suffix,
    )


def extra_permissions(
    identity_policies: Sequence[Policy],
    allowed: Collection[str] = ("sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"),
) -> tuple[tuple[StatementRef, tuple[str, ...]], ...]:
    """Allow statements granting more than `allowed`, with the offending patterns.

    Wildcards ("sts:*", "*", "iam:Get*") count as extra even when they also cover
    allowed actions, and so does any Allow with NotAction (it grants almost everything).
    """
    allowed_lc = {a.lower() for a in allowed}
    out: list[tuple[StatementRef, tuple[str, ...]]] = []
    for policy in identity_policies:
        for s in policy.statements:
            if not s.allow:
                continue
            if s.not_action:
                out.append((s.ref, tuple(f"NotAction {a}" for a in s.actions)))
                continue
            extra = tuple(
                a
                for a in s.actions
                if has_wildcard(a)
                or a.lower() not in allowed_lc
                or not any(action_matches(a, x) for x in allowed)
            )
            if extra:
                out.append((s.ref, extra))
    return tuple(out)
