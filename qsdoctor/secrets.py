"""External IDs as secrets: a type that never prints its value, fingerprints and safe hints.

External IDs are compared by a keyed hash (HMAC-SHA256 with a key made fresh for each
run), so two fingerprints in one report can be compared by eye, but a fingerprint
can't be looked up or matched across runs.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

#: What STS accepts for ExternalId (botocore sts model; IAM UG reference_iam-quotas).
#: NOTE: re.ASCII: without it \w matches non-ASCII letters, which STS rejects.
STS_EXTERNAL_ID_RE = re.compile(r"[\w+=,.@:/-]{2,1224}", re.ASCII)
EXTERNAL_ID_MAX = 1224
EXTERNAL_ID_RECOMMENDED_MIN = 32
#: Values copied from documentation instead of generated.
PLACEHOLDERS = frozenset(
    {
        "your-external-id-here",
        "your-external-id",
        "external-id",
        "externalid",
        "changeme",
        "change-me",
        "example",
        "test",
        "secret",
        "password",
    }
)

_RUN_KEY = secrets.token_bytes(32)


def fingerprint(value: str, key: bytes | None = None) -> str:
    """A short keyed hash of a secret: stable within one run, useless outside it."""
    digest = hmac.new(key or _RUN_KEY, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:6]


def sts_valid(value: str) -> bool:
    """Whether STS would accept this as an ExternalId (length 2-1224, allowed characters)."""
    return STS_EXTERNAL_ID_RE.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class ExternalId:
    """A configured External ID. Its value never reaches str(), repr() or a report.

    `source` says where it came from (environment variable, file, prompt, secret ARN,
    command line) so messages can point at it without showing it.
    """

    value: str = field(repr=False)
    source: str = "unknown"

    def __str__(self) -> str:
        return f"<External ID from {self.source}: {len(self.value)} chars, {self.fingerprint}>"

    __repr__ = __str__

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.value)

    def describe(self) -> str:
        """Safe description: length and fingerprint."""
        return f"{len(self.value)} chars, fingerprint {self.fingerprint}"


def describe_secret(value: str) -> str:
    """Safe description of any External ID value (e.g. one found in a trust policy)."""
    return f"{len(value)} chars, fingerprint {fingerprint(value)}"


def mismatch_hints(configured: str, expected: str) -> list[str]:
    """Hints on how two External IDs differ that reveal no characters of either.

    Says: equal apart from case, surrounding whitespace, how long the common prefix is,
    and the length difference.
    """
    hints: list[str] = []
    if configured == expected:
        return hints
    if configured.strip() == expected.strip():
        hints.append("identical apart from leading/trailing whitespace")
        return hints
    if configured.lower() == expected.lower():
        hints.append("identical apart from upper/lower case")
        return hints
    common = 0
    for a, b in zip(configured, expected, strict=False):
        if a != b:
            break
        common += 1
    diff = len(configured) - len(expected)
    if common == min(len(configured), len(expected)) and diff:
        longer = "configured value" if diff > 0 else "trust policy's value"
        hints.append(
            f"one is a prefix of the other: the {longer} has {abs(diff)} more character(s)"
        )
    elif common:
        hints.append(f"same first {common} character(s), then they differ")
    else:
        hints.append("they differ from the first character")
    if diff and not hints[0].startswith("one is a prefix"):
        hints.append(f"lengths differ by {abs(diff)}")
    if any(c.isspace() for c in configured):
        hints.append("the configured value contains whitespace, which STS never sends")
    return hints


def strength_problems(value: str) -> tuple[list[str], list[str]]:
    """(failures, warnings) for an External ID value: STS validity, then strength."""
    fails: list[str] = []
    warns: list[str] = []
    if len(value) < 2 or len(value) > EXTERNAL_ID_MAX:
        fails.append(f"{len(value)} characters: STS accepts 2 to {EXTERNAL_ID_MAX}")
    elif not sts_valid(value):
        fails.append(
            "contains characters STS never accepts (allowed: letters, digits and _+=,.@:/-)"
        )
    if value.strip().lower() in PLACEHOLDERS or "your-external-id" in value.lower():
        warns.append("a placeholder value copied from documentation")
    if 2 <= len(value) < EXTERNAL_ID_RECOMMENDED_MIN:
        warns.append(
            f"{len(value)} characters: the reference recommends at least "
            f"{EXTERNAL_ID_RECOMMENDED_MIN} random characters"
        )
    if len(value) >= 2 and len(set(value)) < min(10, max(2, len(value) // 3)):
        warns.append(f"low variety: only {len(set(value))} distinct characters")
    return fails, warns
