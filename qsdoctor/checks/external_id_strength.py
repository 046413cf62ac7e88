"""QS105: is every External ID in play one STS accepts, and hard to guess?

Values are compared in memory and reported only by label, length and fingerprint.
"""

from __future__ import annotations

from dataclasses import dataclass

from qsdoctor.checks import evidence
from qsdoctor.checks.intermediate import parse
from qsdoctor.checks.registry import NotApplicable, check
from qsdoctor.facts import Facts, RoleFacts
from qsdoctor.models import Evidence, Ok, Outcome
from qsdoctor.secrets import fingerprint, strength_problems


@dataclass(frozen=True, slots=True)
class Found:
    """One External ID value and where qsdoctor saw it."""

    label: str
    value: str
    side: str
    """"intermediate" or "destination": reuse across the two sides is flagged."""
    place: str = ""
    """Where, in a few words, for the detail ("in the trust of the intermediate role")."""


def _trust_values(role: RoleFacts, where: str, side: str, short: str = "") -> list[Found]:
    """Literal sts:ExternalId values of a trust's conditions (wildcard patterns excluded:
    QS103 judges those)."""
    from qsdoctor.policy import external_id_requirement

    try:
        trust = parse(role.trust_policy, f"trust policy of {role.name}")
    except NotApplicable:
        return []
    out: list[Found] = []
    for stmt in trust.statements:
        req = external_id_requirement(stmt.ref)
        if not req.present:
            continue
        like = "like" in (req.operator or "").lower()
        for value in req.values:
            if like and ("*" in value or "?" in value):
                continue
            out.append(
                Found(
                    f"value in the trust of {where} ({stmt.ref.label})",
                    value,
                    side,
                    f"in the trust of {short or where}",
                )
            )
    return out


def _name(arn: str) -> str:
    """A destination as its account and role name, short enough for a detail line."""
    parts = arn.split(":", 5)
    return f"{parts[5].rsplit('/', 1)[-1]} in {parts[4]}" if len(parts) == 6 else arn


def collect_values(facts: Facts) -> list[Found]:
    """Every External ID supplied to qsdoctor or written in a trust it could read."""
    found: list[Found] = []
    if facts.external_id is not None:
        found.append(
            Found(
                "configured intermediate External ID",
                facts.external_id.value,
                "intermediate",
                "configured for the intermediate role",
            )
        )
    if isinstance(facts.intermediate_role, Ok) and facts.intermediate_role.value is not None:
        found += _trust_values(
            facts.intermediate_role.value, "the intermediate role", "intermediate"
        )
    for dest in facts.destinations:
        if dest.external_id is not None:
            found.append(
                Found(
                    f"configured External ID for {dest.arn}",
                    dest.external_id.value,
                    "destination",
                    f"configured for {_name(dest.arn)}",
                )
            )
        if isinstance(dest.role, Ok) and dest.role.value is not None:
            found += _trust_values(dest.role.value, dest.arn, "destination", _name(dest.arn))
    return found


@check(
    id="QS105",
    name="external-id-strength",
    title="External IDs are valid and strong",
    problem="External ID that STS would reject",
    needs=("iam:GetRole",),
    remediation=(
        "generate a new random External ID of at least 32 characters from letters, digits "
        'and _+=,.@:/- (e.g. `python -c "import secrets; print(secrets.token_urlsafe(32))"`), '
        "redeploy with it as pExternalId, and update the Quiverstone organization "
        "configuration; use different values for the intermediate and destination roles"
    ),
)
def external_id_strength(facts: Facts) -> Outcome:
    """Every External ID supplied or found must be one STS accepts, and should be strong.

    The reference: pExternalId is at most 1224 characters, "Generate unique random
    string (minimum 32 characters)", and "Use different External IDs for intermediate and
    destination roles". STS accepts 2-1224 characters of letters, digits and _+=,.@:/-;
    IAM stores a trust condition with any value, so a value with a space or a
    non-ASCII letter makes the role impossible to assume.

    Looks at the configured External IDs (QSDOCTOR_EXTERNAL_ID and the destination's)
    and at every literal sts:ExternalId value in the trusts qsdoctor could read.

    How it decides:
    - fail: a value STS would reject (length or characters).
    - warn: shorter than 32 characters, a placeholder copied from documentation
      ("your-external-id-here"), few distinct characters, or the same value used for the
      intermediate role and a destination role.
    - pass: every value is valid and strong.
    - skip: no External ID supplied or found.

    Values are shown only as length and fingerprint.
    """
    found = collect_values(facts)
    if not found:
        raise NotApplicable(
            "no External ID supplied or found in a readable trust: set QSDOCTOR_EXTERNAL_ID "
            "(and QSDOCTOR_DESTINATION_EXTERNAL_ID) or pass --intermediate-profile"
        )
    fails: list[str] = []
    warns: list[str] = []
    ev: list[Evidence] = []
    by_value: dict[str, list[Found]] = {}
    for item in found:
        by_value.setdefault(item.value, []).append(item)
    for value, items in by_value.items():
        labels = list(dict.fromkeys(i.label for i in items))
        ev += [evidence.external_id(label, value) for label in labels]
        places = list(dict.fromkeys(i.place or i.label for i in items))
        who = f"External ID fingerprint {fingerprint(value)} ({' and '.join(places)})"
        bad, weak = strength_problems(value)
        if bad:
            fails.append(f"{who}: {'; '.join(bad)}")
        if weak:
            warns.append(f"{who}: {'; '.join(weak)}")
        if {i.side for i in items} == {"intermediate", "destination"}:
            warns.append(
                f"External ID {fingerprint(value)} is used for both the intermediate role "
                "and a destination role"
            )
    distinct = len(by_value)
    if fails:
        return Outcome.failed(
            "\n".join([*fails, *warns]), *ev, title="External ID that STS would reject"
        )
    if warns:
        return Outcome.warned("\n".join(warns), *ev, title="Weak External ID")
    return Outcome.passed(
        f"{distinct} distinct External ID(s), all STS-valid and at least 32 characters", *ev
    )
