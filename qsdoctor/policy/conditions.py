"""Condition operators, missing-key semantics and policy variables, as AWS documents them.

Sources: IAM UG reference_policies_elements_condition_operators,
reference_policies_multi-value-conditions and reference_policies_variables.
The request context is a dict of lower-cased key -> tuple of string values; an
absent key and an empty tuple both mean "not in the request".
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache

from qsdoctor.policy.document import Condition
from qsdoctor.policy.matching import (
    LITERAL_QMARK,
    LITERAL_STAR,
    arn_matches,
    glob_matches,
    unsentinel,
)
from qsdoctor.policy.model import ContextValue

Context = Mapping[str, tuple[str, ...]]

_VARIABLE_RE = re.compile(r"\$\{([^}]*)\}")
POSITIVE: dict[str, str] = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


class Unresolved(Exception):
    """A policy variable with no value in the request and no default."""


def normalize_context(context: Mapping[str, ContextValue]) -> dict[str, tuple[str, ...]]:
    """Lower-case the keys (condition keys are case-insensitive) and make every value
    a tuple of strings (booleans as "true"/"false", numbers as decimal text)."""
    out: dict[str, tuple[str, ...]] = {}
    for key, value in context.items():
        out[key.lower()] = _as_strings(value)
    return out


def _as_strings(value: object) -> tuple[str, ...]:
    if isinstance(value, bool):
        return ("true" if value else "false",)
    if isinstance(value, (str, int, float)):
        return (str(value),)
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(v for item in value for v in _as_strings(item))
    return (str(value),)


def _escape(value: str) -> str:
    return value.replace("*", LITERAL_STAR).replace("?", LITERAL_QMARK)


def substitute(text: str, context: Context) -> str:
    """Replace `${key}`, `${key, 'default'}` and the `${*}`/`${?}`/`${$}` escapes.

    Substituted values are literal text, never wildcards. Raises Unresolved when a
    variable has no single value and no default (AWS then treats the value as not
    matching).
    """
    if "${" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1).strip()
        if inner == "*":
            return LITERAL_STAR
        if inner == "?":
            return LITERAL_QMARK
        if inner == "$":
            return "$"
        key, default = inner, None
        if "," in inner:
            key, _, raw_default = inner.partition(",")
            key, raw_default = key.strip(), raw_default.strip()
            if len(raw_default) >= 2 and raw_default[0] == raw_default[-1] == "'":
                default = raw_default[1:-1]
        values = context.get(key.lower())
        if values and len(values) == 1:
            return _escape(values[0])
        if default is not None:
            return _escape(default)
        raise Unresolved(key)

    return _VARIABLE_RE.sub(replace, text)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def parse_date(text: str) -> float | None:
    """ISO 8601 (date or date-time, `Z` allowed) or epoch seconds -> epoch seconds."""
    text = text.strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return float(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


@lru_cache(maxsize=4096)
def parse_network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def parse_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _compare(base: str, left: float, right: float) -> bool:
    if base.endswith("LessThanEquals"):
        return left <= right
    if base.endswith("LessThan"):
        return left < right
    if base.endswith("GreaterThanEquals"):
        return left >= right
    if base.endswith("GreaterThan"):
        return left > right
    return left == right


def value_matches(base: str, family: str, pattern: str, value: str) -> bool:
    """Whether one request value satisfies one policy value under a positive operator."""
    if family == "string":
        if base == "StringEquals":
            return unsentinel(pattern) == value
        if base == "StringEqualsIgnoreCase":
            return unsentinel(pattern).casefold() == value.casefold()
        return glob_matches(pattern, value)
    if family == "arn":
        return arn_matches(pattern, value)
    if family == "bool":
        return pattern.lower() in ("true", "false") and pattern.lower() == value.lower()
    if family == "numeric":
        left, right = _number(value), _number(pattern)
        return left is not None and right is not None and _compare(base, left, right)
    if family == "date":
        left, right = parse_date(value), parse_date(pattern)
        return left is not None and right is not None and _compare(base, left, right)
    if family == "ip":
        network = parse_network(pattern)
        address = parse_address(value)
        return (
            network is not None
            and address is not None
            and address.version == network.version
            and (address in network)
        )
    if family == "binary":
        return pattern == value
    return False


def condition_values(cond: Condition, context: Context, variables: bool) -> tuple[str, ...]:
    """The condition's values with policy variables substituted (unresolvable ones
    dropped: they match nothing)."""
    if not variables or not cond.has_variables:
        return cond.values
    out: list[str] = []
    for value in cond.values:
        try:
            out.append(substitute(value, context))
        except Unresolved:
            continue
    return tuple(out)


def condition_holds(cond: Condition, context: Context, *, variables: bool = True) -> bool:
    """Evaluate one (operator, key) test against the request context.

    Missing keys (aws-facts §4): positive operators fail; negated operators,
    `…IfExists` and `ForAllValues:` pass; `ForAnyValue:` fails.
    """
    family = cond.family
    if family is None:
        return False
    values = condition_values(cond, context, variables)
    request = context.get(cond.key_lc)
    if family == "null":
        present = bool(request)
        return any(
            v.lower() in ("true", "false") and (v.lower() == "true") != present for v in values
        )
    if not request:
        if cond.if_exists or cond.set_op == "ForAllValues":
            return True
        if cond.set_op == "ForAnyValue":
            return False
        return cond.negated
    static = not (variables and cond.has_variables)
    if static:
        known = cond.memo.get(request)
        if known is not None:
            return known
    result = _present(cond, family, values, request)
    if static:
        if len(cond.memo) >= 1024:
            cond.memo.clear()
        cond.memo[request] = result
    return result


def _present(
    cond: Condition, family: str, values: tuple[str, ...], request: tuple[str, ...]
) -> bool:
    """The condition's result when the key is in the request."""
    base = POSITIVE.get(cond.base, cond.base)

    def one(value: str) -> bool:
        return any(value_matches(base, family, pattern, value) for pattern in values)

    if cond.set_op == "ForAllValues":
        return all((not one(v)) if cond.negated else one(v) for v in request)
    if cond.set_op == "ForAnyValue":
        return any((not one(v)) if cond.negated else one(v) for v in request)
    hit = any(one(v) for v in request)
    return not hit if cond.negated else hit


def conditions_hold(
    conditions: tuple[Condition, ...], context: Context, *, variables: bool = True
) -> bool:
    """Keys and operators are ANDed."""
    return all(condition_holds(c, context, variables=variables) for c in conditions)


def failing_conditions(
    conditions: tuple[Condition, ...], context: Context, *, variables: bool = True
) -> tuple[Condition, ...]:
    """The tests that do not hold (for explanations)."""
    return tuple(c for c in conditions if not condition_holds(c, context, variables=variables))


def utc_now_text(moment: datetime) -> str:
    """Format a moment for `aws:CurrentTime` (callers pass the clock in)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
