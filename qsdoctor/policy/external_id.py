"""External ID conditions: present, enforced, weak, or impossible to satisfy.

The answer to "would this External ID pass?" reuses the evaluator's operator code,
so it is exactly what `evaluate` decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qsdoctor.policy.conditions import conditions_hold
from qsdoctor.policy.document import Condition, Policy, condition_from
from qsdoctor.policy.identities import parse_caller
from qsdoctor.policy.matching import has_wildcard
from qsdoctor.policy.model import StatementRef
from qsdoctor.policy.principals import action_applies, statement_admits
from qsdoctor.secrets import sts_valid

EXTERNAL_ID_KEY = "sts:externalid"
_STS_CHARS_RE = re.compile(r"[\w+=,.@:/\-*?]*", re.ASCII)


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


def conditions_of(stmt: StatementRef) -> tuple[Condition, ...]:
    raw = stmt.statement.get("Condition")
    if not isinstance(raw, dict):
        return ()
    return tuple(
        condition_from(op, key, values, f"{stmt.label}: Condition.{op}.{key}")
        for op, block in raw.items()
        if isinstance(block, dict)
        for key, values in block.items()
    )


def edit_distance(a: str, b: str) -> int:
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
    return "externalid" in squashed or edit_distance(lowered, EXTERNAL_ID_KEY) <= 2


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
    conds = conditions_of(stmt)
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
        sendable = [v for v in c.values if v != "" and _sendable(c, v)]
        if any(v == "" for v in c.values):
            # values under one key are ORed: an empty one only fails when nothing else can
            (weak if sendable else problems).append(
                f"{where}: an empty value, which STS never sends "
                "(External IDs are 2-1224 characters)"
            )
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


#: A value no trust pins: a Deny that refuses it refuses every value it does not list.
_PROBE_VALUE = "qsdoctor-probe-value-that-no-trust-lists"


@dataclass(frozen=True, slots=True, kw_only=True)
class ExternalIdGuard:
    """A Deny statement that refuses hop requests lacking the right External ID.

    `pinned`: it also refuses an External ID it does not list (e.g. `StringNotEquals`
    on sts:ExternalId), so only the listed values get through; otherwise it only
    refuses a request without one (e.g. `Null` true). `values` are secrets.
    """

    statement: StatementRef
    pinned: bool
    values: tuple[str, ...] = field(default=(), repr=False)
    conditions: tuple[Condition, ...] = field(default=(), repr=False, compare=False)

    def admits(self, value: str) -> bool:
        """Whether this External ID gets past the Deny."""
        return not conditions_hold(self.conditions, {EXTERNAL_ID_KEY: (value,)})


def external_id_guards(
    trust: Policy,
    principal: str,
    *,
    principal_role_arn: str | None = None,
    action: str = "sts:AssumeRole",
) -> tuple[ExternalIdGuard, ...]:
    """Deny statements of the trust that refuse the principal's request when it carries
    no External ID: they enforce the External ID as much as an Allow's condition does.

    Only Deny statements whose every condition is on sts:ExternalId count (others
    depend on more than the External ID).

    NOTE: an explicit Deny overrides any Allow, and negated operators are true for an
    absent key, so `Deny` + `StringNotEquals` on sts:ExternalId admits only the listed
    values. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
    """
    caller = parse_caller(principal, principal_role_arn)
    out: list[ExternalIdGuard] = []
    for stmt in trust.statements:
        if stmt.allow or not action_applies(stmt, action) or not statement_admits(stmt, caller):
            continue
        conds = conditions_of(stmt.ref)
        if not conds or any(c.key_lc != EXTERNAL_ID_KEY for c in conds):
            continue
        if not conditions_hold(conds, {}):
            continue  # a request without an External ID is not refused by it
        pinned = conditions_hold(conds, {EXTERNAL_ID_KEY: (_PROBE_VALUE,)})
        out.append(
            ExternalIdGuard(
                statement=stmt.ref,
                pinned=pinned,
                values=tuple(v for c in conds if c.family == "string" for v in c.values),
                conditions=conds,
            )
        )
    return tuple(out)
