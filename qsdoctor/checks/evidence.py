"""Evidence builders shared by every check: roles, policy statements, External IDs.

Evidence ends up in JSON reports, Markdown tickets and saved bundles, so anything
that could hold a secret goes through `redact_statement` / `redact_policy` first:
External ID values in trust conditions are replaced by their fingerprints.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from qsdoctor.facts import NamedPolicy, RoleFacts
from qsdoctor.models import Evidence, JsonValue
from qsdoctor.secrets import ExternalId, fingerprint

#: Condition key whose values are secrets (key names are case-insensitive in IAM).
EXTERNAL_ID_KEY = "sts:externalid"


class StatementLike(Protocol):
    """What the policy engine's StatementRef offers (kept structural to avoid a cycle)."""

    @property
    def policy(self) -> str: ...
    @property
    def index(self) -> int: ...
    @property
    def sid(self) -> str | None: ...
    @property
    def effect(self) -> str: ...
    @property
    def statement(self) -> Mapping[str, Any]: ...


def redacted_value(value: object) -> str:
    """What an External ID value becomes in evidence: a fingerprint and its length."""
    text = str(value)
    return f"<redacted External ID: {len(text)} chars, fingerprint {fingerprint(text)}>"


def redact_statement(statement: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a policy statement with every sts:ExternalId condition value fingerprinted.

    Works on any operator (StringEquals, StringLike, ForAnyValue:..., ...IfExists) and on
    any spelling of the key, because IAM compares condition key names case-insensitively.
    The original statement is not modified.
    """
    out = copy.deepcopy(dict(statement))
    condition = out.get("Condition")
    if not isinstance(condition, dict):
        return out
    for operator, block in condition.items():
        if not isinstance(block, dict):
            continue
        for key, values in list(block.items()):
            if str(key).lower() != EXTERNAL_ID_KEY:
                continue
            if isinstance(values, list):
                block[key] = [redacted_value(v) for v in values]
            else:
                block[key] = redacted_value(values)
        condition[operator] = block
    return out


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Text with every occurrence of a secret value replaced by its fingerprint.

    A last line of defence for messages built from other code (engine reasons, AWS
    error text) that might quote a condition value. Values under 4 characters are left
    alone: they would mangle ordinary words, and STS-valid IDs that short are rare.
    """
    for value in sorted(set(secrets), key=len, reverse=True):
        if len(value) >= 4 and value in text:
            text = text.replace(value, f"<redacted External ID {fingerprint(value)}>")
    return text


def redact_policy(document: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a policy document with External ID condition values fingerprinted."""
    out = copy.deepcopy(dict(document))
    statements = out.get("Statement")
    if isinstance(statements, list):
        out["Statement"] = [redact_statement(s) if isinstance(s, dict) else s for s in statements]
    elif isinstance(statements, dict):
        out["Statement"] = redact_statement(statements)
    return out


def statement_label(policy: str, index: int, sid: str | None) -> str:
    """How a statement is named to humans (the policy engine's wording): Sid and position."""
    if sid:
        return f'statement "{sid}" (#{index + 1}) of {policy}'
    return f"statement #{index + 1} of {policy}"


def statement(
    policy: str,
    index: int,
    stmt: Mapping[str, Any],
    *,
    sid: str | None = None,
    note: str = "",
) -> Evidence:
    """Evidence for one policy statement (redacted), labelled by policy and Sid/position."""
    sid = sid if sid is not None else _sid(stmt)
    summary = statement_label(policy, index, sid)
    if note:
        summary = f"{summary}: {note}"
    return Evidence(
        kind="statement",
        summary=summary,
        data={"policy": policy, "index": index, "sid": sid, "statement": redact_statement(stmt)},
    )


def statement_ref(ref: StatementLike, *, note: str = "") -> Evidence:
    """Evidence for a statement the policy engine pointed at (a StatementRef)."""
    return statement(ref.policy, ref.index, ref.statement, sid=ref.sid, note=note)


def statement_refs(refs: Iterable[StatementLike], *, note: str = "") -> tuple[Evidence, ...]:
    """Evidence for each statement, in order, without duplicates."""
    seen: set[tuple[str, int]] = set()
    out: list[Evidence] = []
    for ref in refs:
        if (ref.policy, ref.index) in seen:
            continue
        seen.add((ref.policy, ref.index))
        out.append(statement_ref(ref, note=note))
    return tuple(out)


def trust_policy(role: RoleFacts) -> Evidence:
    """The whole trust policy of a role, redacted."""
    return Evidence(
        kind="policy",
        summary=f"trust policy of {role.arn}",
        data={
            "role": role.arn,
            "policy": "trust policy",
            "document": redact_policy(role.trust_policy),
        },
    )


def named_policy(policy: NamedPolicy) -> Evidence:
    """One identity policy or boundary of a role, redacted."""
    where = policy.arn or policy.name
    return Evidence(
        kind="policy",
        summary=f"{policy.kind} policy {where}",
        data={
            "name": policy.name,
            "kind": policy.kind,
            "arn": policy.arn,
            "version_id": policy.version_id,
            "document": redact_policy(policy.document),
        },
    )


def role_summary(role: RoleFacts) -> Evidence:
    """The facts about a role that identify it: ARN, unique ID, creation and last use."""
    used = (
        f"last used {role.last_used_date}"
        + (f" in {role.last_used_region}" if role.last_used_region else "")
        if role.last_used_date
        else "no recorded use in IAM's 400-day window"
    )
    data: dict[str, JsonValue] = {
        "arn": role.arn,
        "role_id": role.role_id,
        "path": role.path,
        "create_date": role.create_date,
        "last_used_date": role.last_used_date,
        "last_used_region": role.last_used_region,
        "max_session_duration": role.max_session_duration,
    }
    return Evidence(kind="role", summary=f"{role.arn} (ID {role.role_id}, {used})", data=data)


def external_id(label: str, value: ExternalId | str) -> Evidence:
    """An External ID as evidence: where it is used, its length and fingerprint only."""
    text = value.value if isinstance(value, ExternalId) else value
    data: dict[str, JsonValue] = {
        "label": label,
        "length": len(text),
        "fingerprint": fingerprint(text),
    }
    if isinstance(value, ExternalId):
        data["source"] = value.source
    return Evidence(
        kind="external-id",
        summary=f"{label}: {len(text)} chars, fingerprint {fingerprint(text)}",
        data=data,
    )


def note(summary: str, data: JsonValue = None) -> Evidence:
    """A free-form explanation (e.g. how a scope was classified)."""
    return Evidence(kind="cause", summary=summary, data=data)


def _sid(stmt: Mapping[str, Any]) -> str | None:
    sid = stmt.get("Sid")
    return str(sid) if sid else None
