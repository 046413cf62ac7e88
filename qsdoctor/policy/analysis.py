"""Analysis helpers for checks: condition requirements, External ID conditions that
are missing, weak or impossible, the sts:AssumeRole scope, and extra permissions.

All of them read parsed statements only and reuse the evaluator's operator code,
so "would this External ID pass?" is answered exactly as `evaluate` would.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from qsdoctor.policy.conditions import conditions_hold, parse_date, parse_network
from qsdoctor.policy.document import Condition, Policy, Statement, condition_from
from qsdoctor.policy.matching import action_matches, arn_matches, has_wildcard
from qsdoctor.policy.model import ConditionRequirement, ScopeClassification, StatementRef
from qsdoctor.policy.principals import action_applies
from qsdoctor.secrets import sts_valid

EXTERNAL_ID_KEY = "sts:externalid"
ASSUME_ROLE = "sts:AssumeRole"
_STS_CHARS_RE = re.compile(r"[\w+=,.@:/\-*?]*", re.ASCII)

#: Well-known condition keys, spelt as documented (compared case-insensitively).
KNOWN_KEYS = (
    "aws:PrincipalArn",
    "aws:PrincipalAccount",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalType",
    "aws:PrincipalIsAWSService",
    "aws:PrincipalServiceName",
    "aws:PrincipalServiceNamesList",
    "aws:SourceIp",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:SourceArn",
    "aws:SourceAccount",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:SourceIdentity",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:MultiFactorAuthPresent",
    "aws:MultiFactorAuthAge",
    "aws:SecureTransport",
    "aws:RequestedRegion",
    "aws:userid",
    "aws:username",
    "aws:UserAgent",
    "aws:Referer",
    "aws:TokenIssueTime",
    "aws:ViaAWSService",
    "aws:CalledVia",
    "aws:CalledViaFirst",
    "aws:CalledViaLast",
    "aws:ResourceAccount",
    "aws:ResourceOrgID",
    "aws:ResourceOrgPaths",
    "aws:TagKeys",
    "aws:FederatedProvider",
    "aws:VpcSourceIp",
    "aws:SourceVpcArn",
    "aws:Ec2InstanceSourceVpc",
    "aws:Ec2InstanceSourcePrivateIPv4",
    "aws:AssumedRoot",
    "sts:ExternalId",
    "sts:SourceIdentity",
    "sts:TransitiveTagKeys",
    "sts:RoleSessionName",
    "sts:AWSServiceName",
    "sts:DurationSeconds",
    "sts:RequestContext",
    "sts:RequestContextProviders",
    "sts:TaskPolicyArn",
)
_KNOWN_LC = {k.lower(): k for k in KNOWN_KEYS}
_TAG_PREFIXES = ("aws:principaltag/", "aws:requesttag/", "aws:resourcetag/")


@dataclass(frozen=True, slots=True, kw_only=True)
class ExternalIdRequirement:
    """What a statement demands of sts:ExternalId.

    present: a condition on sts:ExternalId exists (key case-insensitive).
    enforced: a request without an External ID is refused by those conditions.
    problems: why the condition can never be satisfied. weak: why it protects
    less than it seems. `values` are secrets: never print them.
    """

    present: bool
    enforced: bool
    operator: str | None = None
    values: tuple[str, ...] = field(default=(), repr=False)
    problems: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = field(default=(), repr=False, compare=False)

    def matches(self, value: str) -> bool:
        """Whether this External ID satisfies the statement's External ID conditions
        (the same operator code `evaluate` uses). True when nothing is required."""
        return conditions_hold(self.conditions, {EXTERNAL_ID_KEY: (value,)})


def _conditions_of(stmt: StatementRef) -> tuple[Condition, ...]:
    raw = stmt.statement.get("Condition")
    if not isinstance(raw, dict):
        return ()
    return tuple(
        condition_from(op, key, values, f"{stmt.label}: Condition.{op}.{key}")
        for op, block in raw.items()
        if isinstance(block, dict)
        for key, values in block.items()
    )


def condition_requirements(stmt: StatementRef) -> tuple[ConditionRequirement, ...]:
    """The statement's condition tests, one per (operator, key), decomposed."""
    return tuple(
        ConditionRequirement(
            operator=c.operator,
            base_operator=c.base,
            key=c.key,
            values=c.values,
            if_exists=c.if_exists,
            set_operator=c.set_op,
            negated=c.negated,
        )
        for c in _conditions_of(stmt)
    )


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (keys are short)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def misspelt_external_id_key(key: str) -> bool:
    """Keys that look meant as sts:ExternalId but are not it ("sts:ExternalIds",
    "sts:External-Id", "aws:ExternalId", "ExternalId")."""
    lowered = key.lower()
    if lowered == EXTERNAL_ID_KEY:
        return False
    squashed = re.sub(r"[^a-z]", "", lowered)
    return "externalid" in squashed or _distance(lowered, EXTERNAL_ID_KEY) <= 2


def _sendable(cond: Condition, value: str) -> bool:
    """Whether STS could ever send an External ID matching this one policy value."""
    if cond.base in ("StringLike", "StringNotLike") and has_wildcard(value):
        fixed = value.replace("*", "").replace("?", "a")
        return (
            _STS_CHARS_RE.fullmatch(value) is not None
            and len(fixed) <= 1224
            and ("*" in value or len(fixed) >= 2)
        )
    return sts_valid(value)


def external_id_requirement(stmt: StatementRef) -> ExternalIdRequirement:
    """How the statement constrains sts:ExternalId: present, enforced, never
    satisfiable (problems) or weak.

    NOTE: IAM stores ExternalId values STS can never send (e.g. with spaces), which
    makes the role unassumable; STS sends the key only when the caller passes one.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_externalid
    """
    conds = _conditions_of(stmt)
    correct = tuple(c for c in conds if c.key_lc == EXTERNAL_ID_KEY)
    misspelt = tuple(c for c in conds if misspelt_external_id_key(c.key))
    relevant = correct + misspelt
    problems: list[str] = []
    weak: list[str] = []
    for c in misspelt:
        effect = (
            "never matches (the statement admits no one)"
            if not conditions_hold((c,), {})
            else "never checks the External ID"
        )
        problems.append(
            f'condition key "{c.key}" ({c.operator}) looks like a misspelling of '
            f"sts:ExternalId: no request carries it, so this condition {effect}"
        )
    for c in correct:
        where = f"{c.operator} on {c.key}"
        if c.family is None:
            problems.append(
                f"{where}: {c.operator!r} is not an IAM condition operator, so "
                "the condition never matches"
            )
            continue
        if c.family == "null":
            flags = {v.lower() for v in c.values}
            if "true" in flags:
                weak.append(f"{where}: Null true admits only requests WITHOUT an External ID")
            if "false" in flags:
                weak.append(f"{where}: Null false accepts any External ID")
            continue
        if c.family != "string":
            problems.append(
                f"{where}: External IDs are compared as strings; a "
                f"{c.base} condition cannot be relied on to ever match"
            )
            continue
        if c.if_exists:
            weak.append(f"{where}: …IfExists lets a request without an External ID pass")
        if c.set_op == "ForAllValues":
            weak.append(f"{where}: ForAllValues lets a request without an External ID pass")
        if c.negated:
            weak.append(f"{where}: a negated operator accepts any other External ID, or none")
            continue
        if not c.values:
            problems.append(f"{where}: the value list is empty, so nothing can match")
            continue
        if any(v == "" for v in c.values):
            problems.append(
                f"{where}: an empty value, which STS never sends "
                "(External IDs are 2-1224 characters)"
            )
        sendable = [v for v in c.values if v != "" and _sendable(c, v)]
        if not sendable:
            if any(v != "" for v in c.values):
                problems.append(
                    f"{where}: no value can ever be sent by STS (each is outside "
                    "2-1224 characters of letters, digits and _+=,.@:/-, e.g. "
                    "contains a space)"
                )
        elif len(sendable) < len([v for v in c.values if v != ""]):
            bad = len(c.values) - len(sendable)
            weak.append(f"{where}: {bad} of {len(c.values)} values can never be sent by STS")
        if c.base == "StringLike" and any(has_wildcard(v) for v in c.values):
            weak.append(f"{where}: StringLike with wildcards accepts many External IDs")
        if c.base == "StringEqualsIgnoreCase":
            weak.append(f"{where}: compared ignoring case")
    enforced = bool(relevant) and not conditions_hold(relevant, {})
    operator = correct[0].operator if correct else (misspelt[0].operator if misspelt else None)
    return ExternalIdRequirement(
        present=bool(correct),
        enforced=enforced,
        operator=operator,
        values=tuple(v for c in correct for v in c.values),
        problems=tuple(problems),
        weak=tuple(weak),
        conditions=relevant,
    )


def _value_problems(c: Condition) -> list[str]:
    where = f"{c.operator} on {c.key}"
    if not c.values:
        return [f"{where}: the value list is empty, so it never matches"]
    checks: dict[str, Callable[[str], bool]] = {
        "numeric": _is_number,
        "date": lambda v: parse_date(v) is not None,
        "bool": lambda v: v.lower() in ("true", "false"),
        "null": lambda v: v.lower() in ("true", "false"),
        "ip": lambda v: parse_network(v) is not None,
    }
    valid = checks.get(c.family or "")
    if valid is not None and not any("${" in v for v in c.values):
        bad = [v for v in c.values if not valid(v)]
        if bad:
            return [
                f"{where}: {len(bad)} value(s) are not valid for {c.base} "
                f"(e.g. {bad[0]!r}), so they never match"
            ]
    if c.family in ("string", "arn") and "" in c.values and not c.negated:
        return [f"{where}: an empty value, which no request carries"]
    return []


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _key_problem(c: Condition) -> str | None:
    lowered = c.key_lc
    if lowered in _KNOWN_LC or lowered.startswith(_TAG_PREFIXES):
        return None
    if misspelt_external_id_key(c.key):
        return None  # reported with the External ID problems
    for known_lc, known in _KNOWN_LC.items():
        if len(lowered) > 6 and _distance(lowered, known_lc) <= 2:
            return (
                f'condition key "{c.key}" looks like a misspelling of {known}: no '
                f"request carries it, so {c.operator} on it "
                + ("never matches" if not conditions_hold((c,), {}) else "always passes")
            )
    if ":" not in c.key:
        return f'condition key "{c.key}" has no service prefix (such as aws: or sts:)'
    return None


def condition_problems(stmt: StatementRef) -> tuple[str, ...]:
    """Conditions of the statement that can never match (or never check anything):
    unknown operators, empty or ill-typed values, misspelt well-known keys, and the
    External ID problems of `external_id_requirement`."""
    out: list[str] = []
    for c in _conditions_of(stmt):
        if c.family is None:
            out.append(
                f"{c.operator} on {c.key}: {c.operator!r} is not an IAM condition "
                "operator, so the condition never matches"
            )
            continue
        if c.key_lc != EXTERNAL_ID_KEY:  # those are external_id_requirement's
            out.extend(_value_problems(c))
        problem = _key_problem(c)
        if problem:
            out.append(problem)
    for problem in external_id_requirement(stmt).problems:
        if problem not in out:
            out.append(problem)
    return tuple(out)


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
