"""Parsing IAM policy documents into checked, precompiled statements.

Everything the evaluator needs is normalised once here (lists for strings, parsed
condition operators, lower-cased condition keys), so evaluating a request is a walk
over plain tuples. A document that AWS would refuse gets a PolicyError that names
the policy, the statement (number and Sid) and the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qsdoctor.errors import PolicyError
from qsdoctor.policy.identities import PrincipalKind, classify_principal
from qsdoctor.policy.model import StatementRef

VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"
GRAMMAR_HINT = (
    "see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html"
)
PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")
_STATEMENT_FIELDS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)
_POLICY_FIELDS = frozenset({"Version", "Id", "Statement"})

#: Base condition operators by family (IfExists and set prefixes are parsed off).
OPERATOR_FAMILIES: dict[str, str] = {
    **dict.fromkeys(
        (
            "StringEquals",
            "StringNotEquals",
            "StringEqualsIgnoreCase",
            "StringNotEqualsIgnoreCase",
            "StringLike",
            "StringNotLike",
        ),
        "string",
    ),
    **dict.fromkeys(
        (
            "NumericEquals",
            "NumericNotEquals",
            "NumericLessThan",
            "NumericLessThanEquals",
            "NumericGreaterThan",
            "NumericGreaterThanEquals",
        ),
        "numeric",
    ),
    **dict.fromkeys(
        (
            "DateEquals",
            "DateNotEquals",
            "DateLessThan",
            "DateLessThanEquals",
            "DateGreaterThan",
            "DateGreaterThanEquals",
        ),
        "date",
    ),
    "Bool": "bool",
    "BinaryEquals": "binary",
    "IpAddress": "ip",
    "NotIpAddress": "ip",
    **dict.fromkeys(("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"), "arn"),
    "Null": "null",
}
NEGATED_OPERATORS = frozenset(
    {
        "StringNotEquals",
        "StringNotEqualsIgnoreCase",
        "StringNotLike",
        "NumericNotEquals",
        "DateNotEquals",
        "NotIpAddress",
        "ArnNotEquals",
        "ArnNotLike",
    }
)
_CANONICAL = {op.lower(): op for op in OPERATOR_FAMILIES}
SET_OPERATORS = ("ForAnyValue", "ForAllValues")


@dataclass(frozen=True, slots=True)
class Condition:
    """One (operator, key) pair of a Condition block with its values (ORed)."""

    operator: str
    base: str
    key: str
    key_lc: str
    values: tuple[str, ...]
    if_exists: bool
    set_op: str | None
    negated: bool
    family: str | None  # None: an operator AWS does not have; it never matches
    has_variables: bool = False
    #: request values -> result, filled by the evaluator (values without variables only)
    memo: dict[tuple[str, ...], bool] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )


@dataclass(frozen=True, slots=True)
class Statement:
    """A parsed statement: normalised element lists plus its StatementRef."""

    ref: StatementRef
    allow: bool
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...] | None
    not_resource: bool
    principals: tuple[tuple[str, str], ...] | None
    not_principal: bool
    conditions: tuple[Condition, ...]
    principal_kinds: tuple[PrincipalKind, ...] = ()
    has_resource_variables: bool = False
    #: ("action" | "resource", name) -> applies, filled by the evaluator
    memo: dict[tuple[str, str], bool] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )


@dataclass(frozen=True, slots=True, eq=False)
class Policy:
    """A parsed policy: its name (used in every message), version, statements and the
    original document. Compared and hashed by identity."""

    name: str
    version: str
    statements: tuple[Statement, ...]
    document: dict[str, Any]

    @property
    def variables_enabled(self) -> bool:
        """Policy variables exist only in Version 2012-10-17 documents."""
        return self.version == VERSION_2012


def split_operator(operator: str) -> tuple[str | None, str, bool, str | None]:
    """`ForAnyValue:StringLikeIfExists` -> ("ForAnyValue", "StringLike", True, family)."""
    set_op: str | None = None
    rest = operator
    if ":" in operator:
        prefix, _, rest = operator.partition(":")
        match = next((s for s in SET_OPERATORS if s.lower() == prefix.lower()), None)
        set_op = match if match is not None else prefix
    if_exists = False
    if rest.lower().endswith("ifexists") and rest.lower() != "ifexists":
        rest, if_exists = rest[: -len("IfExists")], True
    base = _CANONICAL.get(rest.lower(), rest)
    family = OPERATOR_FAMILIES.get(base)
    if set_op is not None and set_op not in SET_OPERATORS:
        family = None
    if base == "Null" and if_exists:
        family = None
    return set_op, base, if_exists, family


def condition_from(operator: str, key: str, raw: Any, where: str) -> Condition:
    """Build a Condition, checking the value types (strings, numbers, booleans)."""
    values = _scalar_list(raw, where)
    set_op, base, if_exists, family = split_operator(operator)
    return Condition(
        operator=operator,
        base=base,
        key=key,
        key_lc=key.lower(),
        values=values,
        if_exists=if_exists,
        set_op=set_op,
        negated=base in NEGATED_OPERATORS,
        family=family,
        has_variables=any("${" in v for v in values),
    )


def _scalar_list(raw: Any, where: str) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else [raw]
    out: list[str] = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, (str, int, float)):
            out.append(str(item))
        else:
            raise PolicyError(
                f"{where}: values must be strings, numbers or booleans, got {type(item).__name__}",
                GRAMMAR_HINT,
            )
    return tuple(out)


def _string_list(raw: Any, where: str) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise PolicyError(f"{where}: must not be an empty list", GRAMMAR_HINT)
    for item in items:
        if not isinstance(item, str):
            raise PolicyError(
                f"{where}: must be a string or a list of strings, got {type(item).__name__}",
                GRAMMAR_HINT,
            )
    return tuple(items)


def _principals(raw: Any, where: str) -> tuple[tuple[str, str], ...]:
    if raw == "*":
        return (("*", "*"),)
    if not isinstance(raw, dict) or not raw:
        raise PolicyError(
            f'{where}: must be "*" or an object such as '
            '{"AWS": "arn:aws:iam::111122223333:root"}',
            GRAMMAR_HINT,
        )
    out: list[tuple[str, str]] = []
    for ptype, values in raw.items():
        if ptype not in PRINCIPAL_TYPES:
            raise PolicyError(
                f"{where}: unknown principal type {ptype!r} "
                f"(expected one of {', '.join(PRINCIPAL_TYPES)})",
                GRAMMAR_HINT,
            )
        out.extend((ptype, v) for v in _string_list(values, f"{where}.{ptype}"))
    return tuple(out)


def _conditions(raw: Any, where: str) -> tuple[Condition, ...]:
    if not isinstance(raw, dict):
        raise PolicyError(
            f"{where}: must be an object of operator -> {{key: values}}", GRAMMAR_HINT
        )
    out: list[Condition] = []
    for operator, block in raw.items():
        if not isinstance(operator, str) or not isinstance(block, dict):
            raise PolicyError(
                f"{where}.{operator}: must be an object of key -> values", GRAMMAR_HINT
            )
        for key, values in block.items():
            if not isinstance(key, str):
                raise PolicyError(
                    f"{where}.{operator}: condition keys must be strings", GRAMMAR_HINT
                )
            out.append(condition_from(operator, key, values, f"{where}.{operator}.{key}"))
    return tuple(out)


def _one_of(stmt: Mapping[str, Any], a: str, b: str, where: str, *, required: bool) -> str | None:
    if a in stmt and b in stmt:
        raise PolicyError(f"{where}: has both {a} and {b}; use one", GRAMMAR_HINT)
    if a in stmt:
        return a
    if b in stmt:
        return b
    if required:
        raise PolicyError(f"{where}: needs {a} or {b}", GRAMMAR_HINT)
    return None


def parse_statement(raw: Any, *, policy: str, index: int) -> Statement:
    """Parse one statement, raising PolicyError naming policy, statement and field."""
    if not isinstance(raw, dict):
        raise PolicyError(
            f"{policy}: statement #{index + 1}: must be an object, got {type(raw).__name__}",
            GRAMMAR_HINT,
        )
    sid = raw.get("Sid")
    where = (
        f'{policy}: statement "{sid}" (#{index + 1})'
        if isinstance(sid, str) and sid
        else f"{policy}: statement #{index + 1}"
    )
    if sid is not None and not isinstance(sid, str):
        raise PolicyError(f"{where}: field Sid: must be a string", GRAMMAR_HINT)
    unknown = sorted(str(k) for k in set(raw) - _STATEMENT_FIELDS)
    if unknown:
        raise PolicyError(f"{where}: unknown field {unknown[0]!r}", GRAMMAR_HINT)
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(
            f'{where}: field Effect: must be "Allow" or "Deny", got {effect!r}', GRAMMAR_HINT
        )
    action_field = _one_of(raw, "Action", "NotAction", where, required=True)
    assert action_field is not None
    actions = _string_list(raw[action_field], f"{where}: field {action_field}")
    resource_field = _one_of(raw, "Resource", "NotResource", where, required=False)
    resources = (
        _string_list(raw[resource_field], f"{where}: field {resource_field}")
        if resource_field
        else None
    )
    principal_field = _one_of(raw, "Principal", "NotPrincipal", where, required=False)
    principals = (
        _principals(raw[principal_field], f"{where}: field {principal_field}")
        if principal_field
        else None
    )
    conditions = (
        _conditions(raw["Condition"], f"{where}: field Condition") if "Condition" in raw else ()
    )
    ref = StatementRef(policy=policy, index=index, sid=sid or None, effect=effect, statement=raw)
    return Statement(
        ref=ref,
        allow=effect == "Allow",
        actions=actions,
        not_action=action_field == "NotAction",
        resources=resources,
        not_resource=resource_field == "NotResource",
        principals=principals,
        not_principal=principal_field == "NotPrincipal",
        conditions=conditions,
        principal_kinds=tuple(classify_principal(t, v) for t, v in principals or ()),
        has_resource_variables=any("${" in r for r in resources or ()),
    )


def parse_policy(document: Mapping[str, Any] | str, *, name: str = "policy") -> Policy:
    """Parse a policy from a dict or a JSON string (as IAM, CloudTrail or a file gives it).

    Raises PolicyError for anything AWS would refuse to store: bad JSON, no Statement,
    an unknown Version or field, a wrong Effect, missing Action, bad value types.
    """
    if isinstance(document, str):
        try:
            loaded = json.loads(document)
        except json.JSONDecodeError as e:
            raise PolicyError(
                f"{name}: not valid JSON: {e.msg} at line {e.lineno} column {e.colno}", GRAMMAR_HINT
            ) from None
    else:
        loaded = document
    if not isinstance(loaded, Mapping):
        raise PolicyError(
            f"{name}: a policy must be a JSON object, got {type(loaded).__name__}", GRAMMAR_HINT
        )
    doc = dict(loaded)
    unknown = sorted(str(k) for k in set(doc) - _POLICY_FIELDS)
    if unknown:
        raise PolicyError(f"{name}: unknown top-level field {unknown[0]!r}", GRAMMAR_HINT)
    version = doc.get("Version", VERSION_2008)
    if version not in (VERSION_2012, VERSION_2008):
        raise PolicyError(
            f"{name}: field Version: must be {VERSION_2012!r} or {VERSION_2008!r}, got {version!r}",
            GRAMMAR_HINT,
        )
    if "Statement" not in doc:
        raise PolicyError(f"{name}: has no Statement", GRAMMAR_HINT)
    raw = doc["Statement"]
    raw_list = raw if isinstance(raw, list) else [raw]
    statements = tuple(parse_statement(s, policy=name, index=i) for i, s in enumerate(raw_list))
    return Policy(name=name, version=version, statements=statements, document=doc)
