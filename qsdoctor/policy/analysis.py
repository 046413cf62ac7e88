"""Condition analysis for checks: each statement's condition tests, and the ones that
can never match (unknown operators, ill-typed or empty values, misspelt keys).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from qsdoctor.policy.conditions import (
    conditions_hold,
    normalize_context,
    parse_date,
    parse_network,
)
from qsdoctor.policy.document import Condition
from qsdoctor.policy.external_id import (
    EXTERNAL_ID_KEY,
    conditions_of,
    edit_distance,
    external_id_requirement,
    misspelt_external_id_key,
)
from qsdoctor.policy.identities import parse_caller
from qsdoctor.policy.model import ConditionRequirement, ContextValue, StatementRef

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
        for c in conditions_of(stmt)
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
        # values under one key are ORed: the condition fails only when every one is bad
        if bad and len(bad) == len(c.values):
            return [
                f"{where}: {len(bad)} value(s) are not valid for {c.base} "
                f"(e.g. {bad[0]!r}), so they never match"
            ]
    if c.family in ("string", "arn") and not c.negated and all(v == "" for v in c.values):
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
        if len(lowered) > 6 and edit_distance(lowered, known_lc) <= 2:
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
    for c in conditions_of(stmt):
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


_PRINCIPAL_KEYS = frozenset({"aws:principalaccount", "aws:principalarn"})
#: An account no real trust names: a stand-in for "any other AWS account".
_OUTSIDER = "000000000000"


def principal_condition_verdict(stmt: StatementRef, principal: str) -> str:
    """How a statement's aws:PrincipalAccount / aws:PrincipalArn conditions treat callers.

    "open": there are none, or they also admit a principal of an unrelated account;
    "admits": they admit `principal` (a caller ARN, or an account's root ARN for "some
    principal of the account") and no outsider; "excludes": they admit neither.

    NOTE: a wildcard principal is only an open door when no Condition narrows it;
    aws:PrincipalAccount / aws:PrincipalArn are the caller's account and (role) ARN.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
    """
    conds = tuple(c for c in conditions_of(stmt) if c.key_lc in _PRINCIPAL_KEYS)
    if not conds:
        return "open"
    caller = parse_caller(principal)
    partition = caller.partition or "aws"
    outsider = {
        "aws:principalaccount": (_OUTSIDER,),
        "aws:principalarn": (f"arn:{partition}:iam::{_OUTSIDER}:role/qsdoctor-outsider",),
    }
    if conditions_hold(conds, outsider):
        return "open"
    if caller.account is None:
        return "excludes"
    if caller.kind == "root":
        # "some principal of the account": only the account can be judged
        conds = tuple(c for c in conds if c.key_lc == "aws:principalaccount")
    own_arn = (caller.role_arn if caller.kind == "assumed-role" else None) or caller.arn
    own = {"aws:principalaccount": (caller.account,), "aws:principalarn": (own_arn,)}
    return "admits" if conditions_hold(conds, own) else "excludes"


def condition_keys_deciding(stmt: StatementRef, context: Mapping[str, ContextValue]) -> set[str]:
    """The (lower-cased) keys of the statement's conditions that decide it against this
    request context: for an Allow those that do not hold, for a Deny those that hold."""
    ctx = normalize_context(context)
    deny = stmt.effect == "Deny"
    return {c.key_lc for c in conditions_of(stmt) if conditions_hold((c,), ctx) is deny}
