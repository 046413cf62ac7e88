"""QS201-QS204: do the destination roles exist, and do their trusts let the intermediate role in?

Each check runs once per destination (the destination ARN is the finding's subject).
All policy decisions come from `qsdoctor.policy`; this module only words the answers.
Hop 2's principal is a session of the intermediate role: its ARN drops the role's
path, so the engine is given the role ARN (with path) alongside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from qsdoctor.arn import parse_role_arn
from qsdoctor.checks import evidence
from qsdoctor.checks.classify import EXPOSURE_EVIDENCE_KIND, POSSIBLE_CAUSE_EVIDENCE_KIND
from qsdoctor.checks.intermediate import (
    assumed_grant,
    carried_actions,
    levenshtein,
    trust_of,
)
from qsdoctor.checks.registry import NotApplicable, destination_check, need
from qsdoctor.errors import UsageError
from qsdoctor.facts import Destination, Facts, RoleFacts
from qsdoctor.models import Evidence, Ok, Outcome
from qsdoctor.secrets import describe_secret, mismatch_hints

if TYPE_CHECKING:
    from qsdoctor.policy import EvaluationResult, Policy, PrincipalEntry, StatementRef

#: Condition keys that can narrow an account principal down to one role ("Named" by
#: condition, which unlike a role principal survives re-creating the role).
PRINCIPAL_ARN_KEY = "aws:principalarn"
#: Condition keys whose values hop 2 carries from hop 1 (the source identity).
CARRIED_KEYS = frozenset({"aws:sourceidentity", "sts:sourceidentity"})
#: Tag keys: whether tags inherited from hop 1 show in hop 2's aws:TagKeys is not
#: documented, so conditions on them are reported as not checked.
TAG_KEYS = frozenset({"aws:tagkeys", "sts:transitivetagkeys"})

FIX_TRUST = (
    "redeploy the destination role stack with pIntermediateAccountId and "
    "pIntermediateRoleName of the intermediate role ({intermediate_arn}), or edit the trust "
    'of {subject} so an Allow statement has "Principal": {{"AWS": "{intermediate_arn}"}} '
    '("Named") and "Action": "sts:AssumeRole"'
)
FIX_EXTERNAL_ID = (
    "make the destination External ID Quiverstone uses (QSDOCTOR_DESTINATION_EXTERNAL_ID, or "
    "the destinations file's variable) identical to the one in the trust of {subject}; "
    "redeploying the destination stack with the same External ID parameter also works"
)


@dataclass(frozen=True, slots=True)
class Hop2Principal:
    """Who performs hop 2: a session of the intermediate role, and that role's ARN."""

    session_arn: str
    role_arn: str
    account: str
    role_name: str
    role_path: str


def hop2_principal(facts: Facts) -> Hop2Principal:
    """The intermediate role's session, from the role as read or else the configured ARN.

    When IAM says the configured intermediate role does not exist, the calling check
    skips: any verdict would only repeat QS101.
    """
    match facts.intermediate_role:
        case Ok(RoleFacts() as role):
            arn, account, name, path = role.arn, role.account_id, role.name, role.path
        case Ok(None):
            raise NotApplicable(
                "the intermediate role does not exist (see QS101): there is no role to judge "
                "this trust against"
            )
        case _:
            try:
                parsed = parse_role_arn(facts.intermediate_arn, what="intermediate role ARN")
            except UsageError as e:
                raise NotApplicable(e.message) from None
            arn, account, name, path = parsed.arn, parsed.account, parsed.name, parsed.path
    session = f"arn:{facts.partition}:sts::{account}:assumed-role/{name}/qsdoctor"
    return Hop2Principal(session, arn, account, name, path)


def destination_role(dest: Destination) -> RoleFacts:
    """The destination role, or skip the calling check when it does not exist (QS201)."""
    role = need(dest.role)
    if role is None:
        raise NotApplicable(f"{dest.arn} does not exist (see QS201)")
    return role


def admitting(
    trust: Policy, who: Hop2Principal, action: str = "sts:AssumeRole"
) -> tuple[StatementRef, ...]:
    """Allow statements whose Principal and Action admit hop 2 (conditions aside)."""
    from qsdoctor.policy import admitting_statements

    return admitting_statements(
        trust, who.session_arn, principal_role_arn=who.role_arn, action=action
    )


def _intermediate_grant(resource: str) -> Policy:
    """The intermediate side, assumed to allow hop 2 (QS106 judges it)."""
    return assumed_grant(
        resource,
        sid="AssumedIntermediateGrant",
        name="intermediate role's identity policy (assumed to allow hop 2; see QS106)",
    )


@destination_check(
    id="QS201",
    name="destination-role-exists",
    title="Destination role exists",
    problem="Destination role not found",
    needs=("iam:GetRole",),
    remediation=(
        "deploy the chained access (or inventory) role in the destination account, or correct "
        "the destination ARN in the Quiverstone configuration to the role's exact ARN "
        "(path and letter case included)"
    ),
)
def destination_role_exists(facts: Facts, dest: Destination) -> Outcome:
    """The destination role must exist under the exact path and name Quiverstone uses.

    The reference's Debug Checklist "Destination role names match scope configuration"
    and "No typos in account IDs or role names". STS answers a missing role with the
    same bare AccessDenied as a trust problem, so the live hop (QS302) can't tell them
    apart; iam:GetRole in the destination account can.

    It reads the role with `--destination-profile` (or any profile qsdoctor has in that
    account); without one, after a successful hop 2, with the hop-2 session itself,
    which may often read its own role.

    How it decides:
    - pass: iam:GetRole returns the role under exactly this ARN.
    - fail: no such role; when a role with the same name exists under another path or
      letter case, the finding names it (STS needs the exact ARN).
    - skip: no credentials for the destination account (pass `--destination-profile`);
      error: iam:GetRole was denied.
    """
    role = need(dest.role)
    if role is None:
        if dest.other_arn:
            return Outcome.failed(
                f"{dest.arn} does not exist, but {dest.other_arn} does (same name, other "
                "path or letter case): STS needs the exact ARN",
                remediation=(
                    f"use {dest.other_arn} as the destination ARN in the Quiverstone "
                    "configuration (and in --destination-arn)"
                ),
            )
        return Outcome.failed(f"{dest.arn} does not exist")
    return Outcome.passed(f"{role.arn} exists (ID {role.role_id})", evidence.role_summary(role))


def _condition_names(ref: StatementRef, who: Hop2Principal) -> bool | None:
    """Whether an aws:PrincipalArn condition narrows the statement to the intermediate
    role (True), to other principals only (False), or is absent, undecidable or a
    wildcard pattern that admits more roles than the intermediate one (None)."""
    from qsdoctor.policy import arn_matches, condition_requirements

    values: list[str] = []
    for req in condition_requirements(ref):
        if req.key.lower() != PRINCIPAL_ARN_KEY or req.negated or req.set_operator:
            continue
        if req.base_operator not in ("ArnEquals", "ArnLike", "StringEquals", "StringLike"):
            continue
        values.extend(req.values)
    if not values:
        return None
    if any(_names_role(v, who) for v in values):
        return True
    return None if any(arn_matches(v, who.role_arn) for v in values) else False


def _names_role(pattern: str, who: Hop2Principal) -> bool:
    """Whether the pattern matches the intermediate role and, within its account, no
    other role: the role part (`role/<path/>Name`) has no wildcard."""
    from qsdoctor.policy import arn_matches

    parts = pattern.split(":", 5)
    return (
        len(parts) == 6
        and "*" not in parts[5]
        and "?" not in parts[5]
        and arn_matches(pattern, who.role_arn)
    )


def _describe(entry: PrincipalEntry) -> str:
    kind = "unique ID of a deleted principal" if entry.kind == "unique-id" else entry.kind
    return f"{entry.value} ({kind})"


def _why_not(entries: list[PrincipalEntry], who: Hop2Principal) -> tuple[str, str | None]:
    """The classic reason a trust misses the intermediate role, and a tailored fix."""
    stale = [e for e in entries if e.kind == "unique-id"]
    if stale:
        return (
            f"it trusts {', '.join(e.value for e in stale)}, the unique ID of a deleted role: "
            "the intermediate role was re-created, and the old ID never matches again",
            "edit the trust of {subject}: replace the AROA…/AIDA… ID with {intermediate_arn} "
            "(IAM stores the new role's ID when the trust is saved)",
        )
    same_name = [
        e
        for e in entries
        if e.kind == "role" and e.account == who.account and e.role_name == who.role_name
    ]
    if same_name:
        return (
            f"it trusts {same_name[0].value}: the right name under path "
            f"{same_name[0].role_path}, but a role principal must carry the role's exact path",
            None,
        )
    other_role = [
        e
        for e in entries
        if e.kind in ("role", "assumed-role", "user") and e.account == who.account
    ]
    if other_role:
        return (
            f"it trusts {', '.join(_describe(e) for e in other_role)} in the intermediate "
            f"account, not the intermediate role {who.role_arn}",
            None,
        )
    elsewhere = [e for e in entries if e.account and e.account != who.account]
    if elsewhere:
        accounts = ", ".join(dict.fromkeys(e.account or "" for e in elsewhere))
        return (
            f"it trusts {', '.join(e.value for e in elsewhere)} in account(s) {accounts}, "
            f"not the intermediate account {who.account}",
            None,
        )
    if entries:
        return f"it admits only {', '.join(_describe(e) for e in entries)}", None
    return "it admits no AWS principal", None


@destination_check(
    id="QS202",
    name="destination-trust-principal",
    title="Destination trust admits the intermediate role",
    problem="Destination trust does not admit the intermediate role",
    needs=("iam:GetRole",),
    remediation=FIX_TRUST,
)
def destination_trust_principal(facts: Facts, dest: Destination) -> Outcome:
    """The destination role's trust must admit the intermediate role, and says how.

    Validation Step 5 ("Verify destination roles trust intermediate account or specific
    intermediate role") and the Common Issue "Destination role trust error". The
    reference offers two trust options: "Named" (pTrustPrincipals = Named: the trust
    names the intermediate role's ARN, or the account with an aws:PrincipalArn
    condition naming the role) and "All" (the whole intermediate account: any principal
    there may assume the destination role). It recommends Named for production.

    How it decides, for a session of the intermediate role:
    - pass: an Allow statement admits it as "Named".
    - warn: it is admitted as "All" (the intermediate account); also when, besides the
      intermediate role, the trust admits other principals or lists stale unique IDs.
    - fail: no statement admits it — the finding names the classic breakage: another
      account, another role of the intermediate account, a role ARN with the wrong
      path, or a unique ID (AROA…/AIDA…) left after the intermediate role was
      re-created (re-save the trust with the role ARN); or an aws:PrincipalArn
      condition that names another principal.
    - fail: a Deny statement without conditions covers the intermediate role (an
      explicit Deny overrides every Allow).
    - fail: a wildcard principal (`"*"`) or NotPrincipal lets any AWS account in
      ("No wildcard principals in trust policies").
    - skip: the role does not exist (QS201) or could not be read, or the configured
      intermediate role does not exist (QS101).

    A minimal "Named" trust for a destination role (the External ID condition only
    if the destination uses one):

        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow",
           "Principal": {"AWS": "arn:aws:iam::111122223333:role/QuiverstoneTrustedIntermediate"},
           "Action": "sts:AssumeRole",
           "Condition": {"StringEquals": {"sts:ExternalId": "<destination External ID>"}}}]}
    """
    role = destination_role(dest)
    trust = trust_of(role)
    from qsdoctor.policy import principal_entries, unconditional_denies

    who = hop2_principal(facts)
    entries = [e for e in principal_entries(trust) if e.statement.effect == "Allow"]
    wildcards = [e for e in entries if e.kind == "wildcard" or e.negated]
    stale = [e for e in entries if e.kind == "unique-id"]
    refs = admitting(trust, who)
    if wildcards:
        ref = wildcards[0].statement
        return Outcome.failed(
            f"{ref.label} allows a wildcard principal or NotPrincipal: any AWS account may "
            "assume the role whenever its conditions hold",
            Evidence(kind=EXPOSURE_EVIDENCE_KIND, summary="wildcard principal in the trust"),
            *evidence.statement_refs([e.statement for e in wildcards]),
            title="Destination trust admits any principal (wildcard)",
            remediation=(
                'replace the wildcard principal in the trust of {subject} with "Principal": '
                '{{"AWS": "{intermediate_arn}"}}'
            ),
        )
    if not refs:
        why, fix = _why_not([e for e in entries if not e.negated], who)
        return Outcome.failed(
            why,
            evidence.trust_policy(role),
            remediation=fix,
        )
    denied = unconditional_denies(trust, who.session_arn, principal_role_arn=who.role_arn)
    if denied:
        return Outcome.failed(
            f"{denied[0].label} explicitly denies sts:AssumeRole to the intermediate role "
            f"{who.role_arn} without conditions: an explicit Deny overrides every Allow",
            *evidence.statement_refs((*denied, *refs)),
            title="Destination trust denies the intermediate role",
            remediation="remove or narrow the Deny statement in the trust of {subject}",
        )
    in_refs = {(r.policy, r.index) for r in refs}
    mine = [e for e in entries if (e.statement.policy, e.statement.index) in in_refs]
    named_entry = next(
        (e for e in mine if e.kind in ("role", "assumed-role") and e.account == who.account),
        None,
    )
    by_condition = [_condition_names(r, who) for r in refs]
    extras = [
        e for e in entries if e.account != who.account and e.kind not in ("unique-id", "wildcard")
    ]
    notes: list[str] = []
    if stale:
        notes.append(f"stale unique ID(s) {', '.join(e.value for e in stale)} are still listed")
    if extras:
        notes.append(f"it also admits {', '.join(_describe(e) for e in extras)}")
    ev = evidence.statement_refs(refs)
    if named_entry is None and any(b is True for b in by_condition):
        how = "Named (the intermediate account, narrowed to the role by aws:PrincipalArn)"
    elif named_entry is not None:
        how = f"Named ({named_entry.value})"
    elif all(b is False for b in by_condition):
        return Outcome.failed(
            f"{refs[0].label} admits the intermediate account only for other principals "
            f"(aws:PrincipalArn does not match {who.role_arn})",
            *ev,
        )
    else:
        detail = (
            f"All: the trust admits every principal of the intermediate account {who.account} "
            f"({refs[0].label}), not only the intermediate role"
        )
        if notes:
            detail += "; " + "; ".join(notes)
        return Outcome.warned(
            detail,
            *ev,
            title="Destination trust admits the whole intermediate account",
            remediation=(
                'use "Named" trust (pTrustPrincipals = Named): "Principal": {{"AWS": '
                '"{intermediate_arn}"}} in the trust of {subject}, as the reference recommends '
                "for production"
            ),
        )
    if notes:
        return Outcome.warned(
            f"{how} trust ({refs[0].label}), but {'; '.join(notes)}",
            *ev,
            title="Destination trust admits other principals too",
            remediation="remove the other principals and stale AROA…/AIDA… IDs from the "
            "trust of {subject}",
        )
    return Outcome.passed(f"{how} trust ({refs[0].label})", *ev)


def _reuse_warning(facts: Facts, value: str | None, reqs_match: bool) -> str | None:
    intermediate = facts.external_id
    if intermediate is None:
        return None
    if (value is not None and value == intermediate.value) or reqs_match:
        return (
            "it reuses the intermediate role's External ID: the reference says to use "
            "different External IDs for intermediate and destination roles"
        )
    return None


@destination_check(
    id="QS203",
    name="destination-external-id",
    title="Destination External ID matches the trust",
    problem="Destination External ID does not match the trust",
    needs=("iam:GetRole",),
    remediation=FIX_EXTERNAL_ID,
)
def destination_external_id(facts: Facts, dest: Destination) -> Outcome:
    """The destination External ID Quiverstone uses must satisfy the destination's trust.

    The Common Issue "External ID mismatch — External ID differs between template,
    Quiverstone config, and destination roles". STS answers a mismatch with a bare
    AccessDenied, so qsdoctor evaluates the destination trust locally for a session of
    the intermediate role with the supplied destination External ID
    (`QSDOCTOR_DESTINATION_EXTERNAL_ID`, or the variable the destinations file names).

    How it decides:
    - pass: the trust allows hop 2 with the supplied External ID, or requires none.
    - fail: it does not; the finding gives safe hints against the closest value in the
      trust (case, whitespace, common prefix, length) and fingerprints, never a value.
    - fail: the trust's External ID condition can never match (e.g. a value with a
      space, which STS never sends).
    - warn: the destination uses the same External ID as the intermediate role (the
      reference: "Use different External IDs for intermediate and destination roles").
    - warn: the trust requires an External ID but none was supplied, so qsdoctor
      cannot compare it, and a hop 2 without one is refused.
    - skip: the role does not exist (QS201), or the trust does not admit the
      intermediate role at all (QS202).
    """
    role = destination_role(dest)
    trust = trust_of(role)
    from qsdoctor.policy import Request, evaluate, external_id_guards, external_id_requirement

    who = hop2_principal(facts)
    refs = admitting(trust, who)
    if not refs:
        raise NotApplicable("the trust does not admit the intermediate role (QS202)")
    reqs = [(ref, external_id_requirement(ref)) for ref in refs]
    present = [(ref, req) for ref, req in reqs if req.present]
    # a Deny refusing requests without the External ID requires it as well
    guards = external_id_guards(trust, who.session_arn, principal_role_arn=who.role_arn)
    ev = evidence.statement_refs(refs)
    impossible = [(ref, req) for ref, req in present if req.problems]
    if impossible and len(impossible) == len(reqs):
        ref, req = impossible[0]
        return Outcome.failed(
            f"{ref.label} can never match, so hop 2 is always refused: " + "; ".join(req.problems),
            *ev,
            title="Destination trust's External ID condition can never match",
            remediation="fix the sts:ExternalId condition in the trust of {subject} to a value "
            "of 2-1224 letters, digits and _+=,.@:/-",
        )
    supplied = dest.external_id
    if not present and not guards:
        detail = "the trust requires no External ID"
        if supplied is not None:
            detail += "; the supplied one is ignored by STS"
        return Outcome.passed(detail, *ev)
    intermediate_value = facts.external_id.value if facts.external_id else None
    trust_reuses = intermediate_value is not None and (
        any(req.matches(intermediate_value) for _, req in present)
        or any(g.pinned and g.admits(intermediate_value) for g in guards)
    )
    requiring = present[0][0] if present else guards[0].statement
    if supplied is None:
        without = evaluate(
            Request(
                principal=who.session_arn,
                action="sts:AssumeRole",
                resource=role.arn,
                principal_role_arn=who.role_arn,
            ),
            identity_policies=(_intermediate_grant(role.arn),),
            trust_policy=trust,
        )
        if without.allowed:
            # another Allow statement needs no External ID: STS admits hop 2 without one
            lets_in = [r for r in without.deciding if r.policy == trust.name] or list(refs)
            return Outcome.passed(
                f"the trust admits hop 2 without an External ID ({lets_in[0].label}), so "
                f"none needs to be supplied; the condition of {requiring.label} does not "
                "protect this role",
                *ev,
            )
        detail = (
            f"{requiring.label} requires an External ID, but none was supplied for this "
            "destination: hop 2 without one is refused"
        )
        reuse = _reuse_warning(facts, None, trust_reuses)
        if reuse:
            detail += f"; {reuse}"
        return Outcome.warned(
            detail,
            Evidence(
                kind=POSSIBLE_CAUSE_EVIDENCE_KIND,
                summary="destination trust requires an External ID; none supplied",
            ),
            *ev,
            title="No External ID supplied for a destination that requires one",
            remediation=(
                "set QSDOCTOR_DESTINATION_EXTERNAL_ID (or the destinations file's external_id_env "
                "for {subject}) to the destination External ID Quiverstone is configured with"
            ),
        )
    result = evaluate(
        Request(
            principal=who.session_arn,
            action="sts:AssumeRole",
            resource=role.arn,
            context={"sts:ExternalId": supplied.value},
            principal_role_arn=who.role_arn,
        ),
        identity_policies=(_intermediate_grant(role.arn),),
        trust_policy=trust,
    )
    mine = evidence.external_id("destination External ID", supplied)
    if result.allowed:
        reuse = _reuse_warning(facts, supplied.value, False)
        detail = f"the supplied External ID ({supplied.describe()}) satisfies the trust"
        if reuse:
            return Outcome.warned(
                f"{detail}, but {reuse}",
                mine,
                *ev,
                title="Destination reuses the intermediate External ID",
                remediation="generate a separate random External ID (32+ characters) for the "
                "destination roles and configure it in Quiverstone and the destination stacks",
            )
        return Outcome.passed(detail, mine, *ev)
    matched = [ref for ref, req in present if req.matches(supplied.value)]
    if not present and all(g.admits(supplied.value) for g in guards):
        matched = [r for r, _ in reqs]
    if matched and all(g.admits(supplied.value) for g in guards):
        reasons = "; ".join(result.reasons) or str(result.decision)
        return Outcome.failed(
            f"the supplied External ID matches {matched[0].label}, but the trust still refuses "
            f"hop 2: {reasons}",
            mine,
            *evidence.statement_refs((*matched, *result.deciding)),
            title="Destination trust refuses hop 2 despite a matching External ID",
            remediation="fix the other conditions of that statement in the trust of {subject} "
            "(see the evidence)",
        )
    values = [v for _, req in present for v in req.values] + [
        v for g in guards if g.pinned for v in g.values
    ]
    detail = f"the supplied External ID ({supplied.describe()}) does not match the trust"
    extra: list[Evidence] = []
    if values:
        closest = min(values, key=lambda v: (levenshtein(supplied.value, v), v))
        detail = (
            f"the supplied External ID does not match: supplied {supplied.describe()} · "
            f"trust {describe_secret(closest)} (the closest value)"
        )
        hints = mismatch_hints(supplied.value, closest)
        if intermediate_value is not None and closest == intermediate_value:
            hints.append("the trust holds the intermediate role's External ID")
        if hints:
            detail += "\nhint: " + "; ".join(hints)
        extra.append(evidence.external_id("closest External ID in the trust", closest))
    guard_ev = evidence.statement_refs([g.statement for g in guards])
    return Outcome.failed(detail, mine, *extra, *ev, *guard_ev)


@destination_check(
    id="QS204",
    name="destination-session-requirements",
    title="Destination trust allows what hop 2 carries",
    problem="Destination trust does not allow what hop 2 carries",
    needs=("iam:GetRole",),
    remediation=(
        "add the missing action(s) to the Action list of the trust statement of {subject} that "
        'admits the intermediate role, e.g. "Action": ["sts:AssumeRole", '
        '"sts:SetSourceIdentity", "sts:TagSession"]'
    ),
)
def destination_session_requirements(facts: Facts, dest: Destination) -> Outcome:
    """The destination trust must allow what the chained session carries into hop 2.

    A source identity, once set on hop 1 (`--source-identity`; the reference: "All
    sessions tagged with source identity"), stays on every chained session, and with
    role chaining or cross-account calls sts:SetSourceIdentity must be allowed by the
    target's trust too. Session tags passed on hop 1 are transitive, so hop 2 inherits
    them, and inherited tags alone make STS require sts:TagSession in the destination
    trust. Without these actions STS refuses hop 2 with AccessDenied although
    sts:AssumeRole itself is allowed.

    How it decides, for a session of the intermediate role:
    - pass: the trust allows each required action, or nothing beyond sts:AssumeRole
      is carried (no source identity, no session tags).
    - fail: a required action is not allowed, or only under conditions the carried
      values do not meet (e.g. a trust pinning aws:SourceIdentity to another value);
      the finding names it.
    - skip: the role does not exist (QS201), or the trust does not admit the
      intermediate role at all (QS202), or refuses it on other conditions (the External
      ID, aws:PrincipalArn: QS202/QS203).
    """
    role = destination_role(dest)
    trust = trust_of(role)
    who = hop2_principal(facts)
    if not admitting(trust, who):
        raise NotApplicable("the trust does not admit the intermediate role (QS202)")
    required = carried_actions(facts, hop=2)
    if not required:
        return Outcome.passed(
            "hop 2 carries no source identity or session tags: only sts:AssumeRole is needed"
        )
    missing: list[str] = []
    found: list[StatementRef] = []
    for action, why in required:
        refs = admitting(trust, who, action)
        if refs:
            found += refs
        else:
            missing.append(f"{action} (hop 2 carries {why})")
    ev = evidence.statement_refs(found or admitting(trust, who))
    if missing:
        return Outcome.failed(
            f"the trust does not allow {' or '.join(missing)} for the intermediate role: STS "
            "refuses hop 2 with AccessDenied",
            *ev,
        )
    refused, unchecked = _carried_conditions(facts, dest, trust, who, required)
    if refused:
        return Outcome.failed(
            f"the trust allows {'; and '.join(refused)}: STS refuses hop 2 with AccessDenied",
            *ev,
        )
    actions = " and ".join(a for a, _ in required)
    detail = f"the trust allows {actions} ({found[0].label})"
    if unchecked:
        detail += (
            f"; the conditions on {', '.join(unchecked)} were not checked (they need the "
            "destination External ID, which was not supplied, or test session tags)"
        )
    return Outcome.passed(detail, *ev)


def _carried_conditions(
    facts: Facts,
    dest: Destination,
    trust: Policy,
    who: Hop2Principal,
    required: list[tuple[str, str]],
) -> tuple[list[str], list[str]]:
    """Evaluate hop 2 with what it carries: ([refused], [unchecked]).

    The source identity set on hop 1 is in every later request as aws:SourceIdentity
    (and offered as sts:SourceIdentity too, whichever key the trust tests); the hop-1
    tag keys are not assumed to show in aws:TagKeys (undocumented for inherited tags),
    so tag conditions are reported as not checked. sts:AssumeRole is judged too. A refusal
    decided by other condition keys (the External ID, aws:PrincipalArn...) is QS202's
    or QS203's to report, and this check then skips.

    NOTE: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html
    """
    from qsdoctor.policy import (
        Request,
        condition_keys_deciding,
        evaluate,
        external_id_requirement,
    )

    role = destination_role(dest)
    carried: dict[str, str | list[str]] = {}
    if dest.external_id is not None:
        carried["sts:ExternalId"] = dest.external_id.value
    if facts.source_identity:
        carried["aws:SourceIdentity"] = facts.source_identity
        carried["sts:SourceIdentity"] = facts.source_identity
    grant = (_intermediate_grant(role.arn),)

    def decide(action: str, context: dict[str, str | list[str]]) -> EvaluationResult:
        request = Request(
            principal=who.session_arn,
            action=action,
            resource=role.arn,
            context=context,
            principal_role_arn=who.role_arn,
        )
        return evaluate(request, identity_policies=grant, trust_policy=trust)

    refused: list[str] = []
    unchecked: list[str] = []
    elsewhere: list[str] = []
    secrets = [v for r in admitting(trust, who) for v in external_id_requirement(r).values]
    for action in ("sts:AssumeRole", *(a for a, _ in required)):
        result = decide(action, carried)
        if result.allowed:
            continue
        refs = admitting(trust, who, action)
        if dest.external_id is None and any(external_id_requirement(r).present for r in refs):
            unchecked.append(action)
            continue
        deciding = result.deciding if result.deciding else refs
        keys = set().union(*(condition_keys_deciding(r, carried) for r in deciding))
        if keys and all(k in TAG_KEYS or k.startswith("aws:requesttag/") for k in keys):
            unchecked.append(f"{action} (session tag conditions)")
            continue
        if not keys & CARRIED_KEYS:
            elsewhere.append(action)  # e.g. the External ID or aws:PrincipalArn: QS202/QS203
            continue
        reason = evidence.scrub("; ".join(result.reasons) or str(result.decision), secrets)
        refused.append(f"{action} only under conditions hop 2 does not meet ({reason})")
    if elsewhere and not refused:
        raise NotApplicable(
            "the trust refuses hop 2 for reasons other than what it carries (see QS202/"
            "QS203), so what it carries cannot be judged yet"
        )
    return refused, unchecked
