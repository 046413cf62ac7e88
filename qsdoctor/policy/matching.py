"""Wildcard matching for actions, ARNs and string conditions, with compiled-pattern caches.

Literal `*` and `?` produced by policy-variable escapes (`${*}`, `${?}`) or by
substituted context values travel as the sentinels LITERAL_STAR / LITERAL_QMARK, so
one pattern string can carry both wildcards and literal characters.
"""

from __future__ import annotations

import re
from functools import lru_cache

LITERAL_STAR = "\x00"
LITERAL_QMARK = "\x01"


def unsentinel(text: str) -> str:
    """Turn sentinels back into the literal characters (for exact comparisons)."""
    if LITERAL_STAR in text or LITERAL_QMARK in text:
        return text.replace(LITERAL_STAR, "*").replace(LITERAL_QMARK, "?")
    return text


def _glob_body(pattern: str, star: str) -> str:
    out: list[str] = []
    for ch in pattern:
        if ch == "*":
            out.append(star)
        elif ch == "?":
            out.append("." if star == ".*" else "[^:]")
        elif ch == LITERAL_STAR:
            out.append(re.escape("*"))
        elif ch == LITERAL_QMARK:
            out.append(re.escape("?"))
        else:
            out.append(re.escape(ch))
    return "".join(out)


@lru_cache(maxsize=8192)
def compile_glob(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """`*` any run of characters, `?` one character, everything else literal."""
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(_glob_body(pattern, ".*"), flags)


@lru_cache(maxsize=8192)
def compile_arn(pattern: str) -> re.Pattern[str]:
    """An ARN pattern: wildcards stay inside their segment for the first five fields.

    NOTE: IAM matches ARNs segment by segment, so `arn:aws:iam::*:role/X` cannot
    match across a colon in the account field; the resource part may hold colons.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
    """
    parts = pattern.split(":", 5)
    if len(parts) != 6:
        return compile_glob(pattern)
    head = [_glob_body(p, "[^:]*") for p in parts[:5]]
    body = ":".join([*head, _glob_body(parts[5], ".*")])
    return re.compile(body, re.DOTALL)


def glob_matches(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """Whether `value` matches the `*`/`?` pattern."""
    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern:
        plain = unsentinel(pattern)
        return plain.casefold() == value.casefold() if ignore_case else plain == value
    return compile_glob(pattern, ignore_case).fullmatch(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    """IAM action matching: case-insensitive, `*` and `?` wildcards."""
    return glob_matches(pattern, action, ignore_case=True)


def arn_matches(pattern: str, arn: str) -> bool:
    """IAM ARN matching: case-sensitive, wildcards per segment (see `compile_arn`)."""
    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern:
        return unsentinel(pattern) == arn
    return compile_arn(pattern).fullmatch(arn) is not None


def has_wildcard(pattern: str) -> bool:
    """Whether a pattern has a real (not escaped) wildcard."""
    return "*" in pattern or "?" in pattern
