"""QS102-QS104 and QS109: does the intermediate role's trust policy let Quiverstone in, safely?

All policy decisions come from `qsdoctor.policy`; this module only words the answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qsdoctor.checks import evidence
from qsdoctor.checks.intermediate import (
    assumed_grant,
    carried_actions,
    hop1_principal,
    intermediate_role,
    levenshtein,
    trust_of,
)
from qsdoctor.checks.registry import NotApplicable, check
from qsdoctor.facts import Facts
from qsdoctor.models import Evidence, Outcome
from qsdoctor.secrets import describe_secret, mismatch_hints

if TYPE_CHECKING:
    from qsdoctor.policy import Policy, PrincipalEntry, StatementRef

#: What the reference's trust policy looks like, for remediation texts.
REFERENCE_PRINCIPAL = '"Principal": {{"AWS": "arn:aws:iam::{vendor_account_id}:root"}}'
FIX_TRUST = (
    "redeploy trusted-intermediate-role.yaml with pQuiverstoneProductionAccountId left at "
    "{vendor_account_id} (DO NOT MODIFY), or edit the trust policy of {subject} so an Allow "
    "statement has " + REFERENCE_PRINCIPAL + ' and "Action": "sts:AssumeRole"'
)
FIX_EXTERNAL_ID = (
    "redeploy trusted-intermediate-role.yaml with pExternalId set to a random string of at "
    'least 32 characters, so the trust statement has "Condition": {{"StringEquals": '
    '{{"sts:ExternalId": "<pExternalId>"}}}}, and enter the same value as the Intermediate '
    "Role External ID in the Quiverstone organization configuration"
)
FIX_MATCH = (
    "make the Intermediate Role External ID in the Quiverstone organization configuration "
    "identical to the template's pExternalId (update the configuration, or redeploy the stack "
    "with the same pExternalId); then rerun with QSDOCTOR_EXTERNAL_ID set to that value"
)
#: Principal kinds that name something inside one account.
SPECIFIC_KINDS = frozenset({"role", "assumed-role", "user"})


def _vendor_entries(trust: Policy, vendor: str) -> tuple[PrincipalEntry, ...]:
    from qsdoctor.policy import principal_entries

    return tuple(
        e
        for e in principal_entries(trust)
        if e.account == vendor
        and not e.negated
        and e.statement.effect == "Allow"
        and e.kind in SPECIFIC_KINDS | {"account"}
    )


def vendor_statements(facts: Facts, trust: Policy) -> tuple[StatementRef, ...]:
    """Allow statements that let hop 1's principal (or any production principal) assume the role.

    Conditions are ignored here: these are the statements whose conditions matter.
    """
    from qsdoctor.policy import admitting_statements

    found = admitting_statements(trust, hop1_principal(facts))
    if found:
        return found
    seen: dict[tuple[str, int], StatementRef] = {}
    for entry in _vendor_entries(trust, facts.vendor_account_id):
        seen.setdefault((entry.statement.policy, entry.statement.index), entry.statement)
    return tuple(seen.values())


def admitted_principal(facts: Facts, trust: Policy) -> str:
    """The production principal to evaluate hop 1 for: the caller when the trust admits it,
    else a production principal the trust names (QS102 reports the difference).

    This keeps QS104 and QS109 about the External ID and session actions, not about who
    runs hop 1.
    """
    from qsdoctor.policy import admitting_statements

    principal = hop1_principal(facts)
    if admitting_statements(trust, principal):
        return principal
    for entry in _vendor_entries(trust, facts.vendor_account_id):
        if entry.kind in ("role", "user") and entry.value.startswith("arn:"):
            return entry.value
    return principal


def _describe(entry: PrincipalEntry) -> str:
    kind = "unique ID of a deleted principal" if entry.kind == "unique-id" else entry.kind
    return f"{entry.value} ({kind})"


@check(
    id="QS102",
    name="intermediate-trust-principal",
    title="Trust admits the Quiverstone production account",
    problem="Trust does not admit the Quiverstone production account",
    needs=("iam:GetRole",),
    remediation=FIX_TRUST,
)
def intermediate_trust_principal(facts: Facts) -> Outcome:
    """The intermediate role's trust policy must let the production account assume it.

    Validation Step 2 ("Check intermediate role trust policy includes Quiverstone account
    (684035162433)"). The reference's trust names the account,
    `"Principal": {"AWS": "arn:aws:iam::684035162433:root"}` (identical to
    `"AWS": "684035162433"`): every principal of that account may assume the role, and
    Quiverstone decides which of its principals do. A trust naming a specific role or
    user of the production account also works, but only for that principal.

    How it decides:
    - fail: no Allow statement admits the production account for sts:AssumeRole (the
      finding names what the trust admits instead), or only through a unique ID such as
      AROA… or AIDA…, which IAM shows once the principal it stood for was deleted and
      which never matches again.
    - fail: an Allow statement has a wildcard principal (`"*"` or `{"AWS": "*"}`) or uses
      NotPrincipal: anyone in any AWS account may assume the role whenever the
      conditions hold, and conditions are no substitute for naming the principal
      ("No wildcard principals in trust policies").
    - fail: a Deny statement without conditions covers hop 1's principal: an explicit
      Deny overrides every Allow.
    - warn: a wildcard principal whose aws:PrincipalAccount or aws:PrincipalArn condition
      admits only the production account: no open door, but not the reference's form.
    - warn: the trust also admits principals other than the production account, or holds
      stale unique IDs next to a working entry.
    - pass: the production account is admitted, by account or by a named principal.
    - warn: only specific production principals are trusted and the caller qsdoctor runs
      as is not one of them.

    A minimal correct trust (the reference's, with your pExternalId):

        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::684035162433:root"},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"sts:ExternalId": "<pExternalId>"}}}]}
    """
    role = intermediate_role(facts)
    trust = trust_of(role)
    from qsdoctor.policy import (
        admitting_statements,
        principal_condition_verdict,
        principal_entries,
        unconditional_denies,
    )

    vendor = facts.vendor_account_id
    entries = principal_entries(trust)
    allow = [e for e in entries if e.statement.effect == "Allow"]
    # "*" narrowed by aws:PrincipalAccount/aws:PrincipalArn conditions is no open door
    verdict = {
        id(e): principal_condition_verdict(e.statement, hop1_principal(facts))
        for e in allow
        if e.kind == "wildcard" and not e.negated
    }
    narrowed = [e for e in allow if verdict.get(id(e), "open") != "open"]
    excluded = {(e.statement.policy, e.statement.index) for e in narrowed}
    excluded -= {
        (e.statement.policy, e.statement.index) for e in narrowed if verdict[id(e)] == "admits"
    }
    wildcards = [e for e in allow if (e.kind == "wildcard" or e.negated) and e not in narrowed]
    stale = [e for e in allow if e.kind == "unique-id"]
    by_account = tuple(
        r for r in admitting_statements(trust, vendor) if (r.policy, r.index) not in excluded
    )
    specific = [e for e in _vendor_entries(trust, vendor) if e.kind in SPECIFIC_KINDS]
    extras = [
        e
        for e in allow
        if e not in wildcards and e not in stale and e not in narrowed and e.account != vendor
    ]
    fails: list[str] = []
    warns: list[str] = []
    shown: list[StatementRef] = []
    for e in narrowed:
        if verdict[id(e)] == "admits":
            warns.append(
                f"{e.statement.label} has a wildcard principal that its aws:PrincipalAccount/"
                "aws:PrincipalArn condition narrows to the production account: no other "
                "account gets in, but the reference names the account in Principal instead "
                "(no wildcard principals)"
            )
            shown.append(e.statement)
    if wildcards:
        refs = [e.statement for e in wildcards]
        shown += refs
        conditioned = any(r.statement.get("Condition") for r in refs)
        if all(e.negated for e in wildcards):
            what = "uses NotPrincipal with Allow: every principal it does not list"
        else:
            what = "allows a wildcard principal: any principal"
        fails.append(
            f"{refs[0].label} {what}, in any AWS account, may assume the role"
            + (
                " whenever its conditions hold (conditions do not replace a named principal)"
                if conditioned
                else ""
            )
        )
    denied = unconditional_denies(trust, hop1_principal(facts))
    if denied:
        shown += denied
        fails.append(
            f"{denied[0].label} explicitly denies sts:AssumeRole to {hop1_principal(facts)} "
            "without conditions: an explicit Deny overrides every Allow"
        )
    if by_account:
        shown += by_account
        admitted = f"admits the production account {vendor} ({by_account[0].label})"
    elif specific:
        shown += [e.statement for e in specific]
        names = ", ".join(e.value for e in specific)
        admitted = f"admits only specific principals of the production account: {names}"
        caller = hop1_principal(facts)
        if not caller.endswith(":root") and not admitting_statements(trust, caller):
            warns.append(f"the caller {caller} is not one of them, so its hop 1 is refused")
    else:
        admitted = ""
        others = [_describe(e) for e in allow if e not in wildcards]
        instead = f"; it admits {', '.join(others)}" if others else ""
        reason = f"does not admit the production account {vendor}{instead}"
        if stale:
            reason += (
                "; IAM shows a unique ID once the principal it named was deleted, and "
                "it never matches again"
            )
        fails.append(f"the trust policy {reason}")
        shown += [e.statement for e in allow]
    if admitted and stale:
        warns.append(
            f"stale unique ID(s) {', '.join(e.value for e in stale)} "
            "(deleted principals) are still listed"
        )
        shown += [e.statement for e in stale]
    if extras and admitted:  # otherwise the failure already names them
        warns.append(f"it also admits {', '.join(_describe(e) for e in extras)}")
        shown += [e.statement for e in extras]
    ev = evidence.statement_refs(shown)
    if fails:
        wild = {(r.policy, r.index) for r in (e.statement for e in wildcards)}
        through_wildcard = all((r.policy, r.index) in wild for r in by_account)
        also = [f"the trust {admitted} as well"] if admitted and not through_wildcard else []
        detail = "; ".join([*fails, *also, *warns])
        title = "Trust admits any principal (wildcard)" if admitted else None
        return Outcome.failed(detail, *ev, remediation=_fix_principal(bool(wildcards)), title=title)
    if warns:
        return Outcome.warned(
            f"the trust policy {admitted}, but {'; '.join(warns)}",
            *ev,
            title="Trust admits principals besides the Quiverstone production account",
            remediation=(
                "remove the other principals (and stale AROA…/AIDA… IDs) from the trust of "
                "{subject}: the reference's intermediate role trusts only the Quiverstone "
                "production account {vendor_account_id}"
            ),
        )
    return Outcome.passed(f"the trust policy {admitted}", *ev)


def _fix_principal(wildcard: bool) -> str:
    if not wildcard:
        return FIX_TRUST
    return (
        "replace the wildcard principal in the trust of {subject} with "
        + REFERENCE_PRINCIPAL
        + " (redeploying trusted-intermediate-role.yaml restores it)"
    )


@check(
    id="QS103",
    name="intermediate-external-id-condition",
    title="Trust requires an External ID",
    problem="Trust condition on the External ID can never match",
    needs=("iam:GetRole",),
    remediation=FIX_EXTERNAL_ID,
)
def intermediate_external_id_condition(facts: Facts) -> Outcome:
    """The statement that admits the production account must require sts:ExternalId.

    Validation Step 3 ("Verify External ID is configured in intermediate role trust
    policy"). The reference's trust has `"StringEquals": {"sts:ExternalId": "..."}`: STS
    then refuses hop 1 unless Quiverstone sends exactly that value, which stops the
    confused-deputy problem (someone else asking Quiverstone to read *your* role).

    How it decides, per statement that admits the production account (if several do,
    the weakest one decides, since any one of them lets the call in):
    - pass: sts:ExternalId is required with StringEquals (or StringLike without
      wildcards) and at least one value STS can send; or a Deny
      statement refuses every other External ID (e.g. Deny with StringNotEquals on
      sts:ExternalId), which enforces it just as well.
    - warn: no sts:ExternalId condition: hop 1 works, but with no confused-deputy
      protection (the reference: "ALWAYS use External ID in production").
    - warn: the condition does not really require it: `…IfExists` and negated operators
      (StringNotEquals…) are true when no External ID is sent, `ForAllValues:` is true for
      an absent key, and StringLike with `*` accepts many values.
    - warn: StringEqualsIgnoreCase: enforced, but any capitalisation of the value is
      accepted, which throws away part of a random ID's strength.
    - fail: the condition can never match: a misspelt key (sts:ExternalID is fine, key
      names are case-insensitive, but sts:ExternalIdd is not), an empty value, a value STS
      would never send (spaces, over 1224 characters), or an operator that does not exist.
      IAM accepts such a trust, but the role can then never be assumed.
    """
    role = intermediate_role(facts)
    trust = trust_of(role)
    from qsdoctor.policy import condition_problems, external_id_guards, external_id_requirement

    stmts = vendor_statements(facts, trust)
    if not stmts:
        raise NotApplicable("the trust policy does not admit the production account (QS102)")
    # A Deny refusing requests without the External ID enforces it as well (explicit
    # deny wins); one refusing only a missing ID still accepts any value.
    guards = external_id_guards(trust, admitted_principal(facts, trust))
    pinned = [g for g in guards if g.pinned]
    missing: list[StatementRef] = []
    impossible: list[tuple[StatementRef, tuple[str, ...]]] = []
    weak: list[tuple[StatementRef, tuple[str, ...]]] = []
    good: list[tuple[StatementRef, str]] = []
    for ref in stmts:
        req = external_id_requirement(ref)
        problems = tuple(dict.fromkeys((*req.problems, *condition_problems(ref))))
        if problems:
            impossible.append((ref, problems))
        elif pinned and (not req.present or req.weak or not req.enforced):
            good.append((ref, f"enforced by the Deny in {pinned[0].statement.label}"))
        elif not req.present and guards:
            weak.append(
                (
                    ref,
                    (
                        f"{guards[0].statement.label} refuses a request without an External "
                        "ID, but any value is accepted",
                    ),
                )
            )
        elif not req.present:
            missing.append(ref)
        elif req.weak or not req.enforced:
            weak.append((ref, req.weak or ("it does not refuse a request without one",)))
        else:
            good.append((ref, req.operator or "a condition"))
    ev = evidence.statement_refs((*stmts, *(g.statement for g in guards)))
    if missing:
        return Outcome.warned(
            f"{missing[0].label} admits the production account without requiring "
            "sts:ExternalId: hop 1 works, but nothing protects against a confused deputy",
            *ev,
            title="Trust does not require an External ID",
        )
    if impossible and not (good or weak):
        ref, problems = impossible[0]
        return Outcome.failed(
            f"{ref.label} can never match, so the role cannot be assumed: {'; '.join(problems)}",
            *ev,
            remediation=(
                "fix the condition in the trust of {subject} to "
                '"StringEquals": {{"sts:ExternalId": "<pExternalId>"}} with a value of 2-1224 '
                "letters, digits and _+=,.@:/- (redeploying trusted-intermediate-role.yaml "
                "with a valid pExternalId writes exactly that)"
            ),
        )
    if weak:
        ref, why = weak[0]
        return Outcome.warned(
            f"{ref.label} does not enforce the External ID: {'; '.join(why)}",
            *ev,
            title="Trust does not enforce the External ID",
            remediation=(
                "use a plain StringEquals on sts:ExternalId in the trust of {subject} (no "
                "IfExists, no negation, no ForAllValues:, no wildcards): " + FIX_EXTERNAL_ID
            ),
        )
    ref, operator = good[0]
    detail = f"{ref.label} requires sts:ExternalId ({operator})"
    if impossible:
        bad, problems = impossible[0]
        return Outcome.warned(
            f"{detail}, but {bad.label} can never match: {'; '.join(problems)}",
            *ev,
            title="Trust has a statement that can never match",
            remediation="remove or fix the statement that can never match in the trust of "
            "{subject}",
        )
    return Outcome.passed(detail, *ev)


def _vendor_grant(resource: str) -> Policy:
    """The production side, assumed to allow hop 1 (QS301 tests it live)."""
    return assumed_grant(
        resource,
        sid="AssumedProductionGrant",
        name="production account's identity policy (assumed to allow hop 1)",
    )


@check(
    id="QS104",
    name="intermediate-external-id-match",
    title="Configured External ID matches the trust",
    problem="Configured External ID does not match the trust",
    needs=("iam:GetRole",),
    remediation=FIX_MATCH,
)
def intermediate_external_id_match(facts: Facts) -> Outcome:
    """The External ID Quiverstone is configured with must satisfy the trust's condition.

    The reference's first Common Issue: "Role assumption fails — External ID mismatch
    between template and Quiverstone configuration". STS answers a mismatch with a bare
    AccessDenied, so qsdoctor compares locally: it evaluates the trust policy for hop 1's
    principal (the caller when it is in the production account, else the account) with
    the configured External ID (from QSDOCTOR_EXTERNAL_ID, --external-id-file or
    --external-id-secret) in the request.

    How it decides:
    - pass: the trust allows hop 1 with that External ID.
    - fail: it does not; the finding gives safe hints against the closest value in the
      trust (equal apart from case or surrounding whitespace, common prefix length,
      length difference) and both fingerprints and lengths, never either value.
    - warn: the trust requires no External ID, so any value is accepted (QS103 covers it).
    - skip: no External ID was supplied, or the trust does not admit the production
      account at all (QS102).
    """
    if facts.external_id is None:
        raise NotApplicable(
            "no External ID configured: set QSDOCTOR_EXTERNAL_ID or pass --external-id-file"
        )
    role = intermediate_role(facts)
    trust = trust_of(role)
    from qsdoctor.policy import Request, evaluate, external_id_guards, external_id_requirement

    stmts = vendor_statements(facts, trust)
    if not stmts:
        raise NotApplicable("the trust policy does not admit the production account (QS102)")
    configured = facts.external_id
    reqs = [(ref, external_id_requirement(ref)) for ref in stmts]
    mine = evidence.external_id("configured External ID", configured)
    principal = admitted_principal(facts, trust)
    guards = external_id_guards(trust, principal)
    if not any(req.present for _, req in reqs) and not guards:
        return Outcome.warned(
            "the trust requires no External ID, so any value (including the configured one) "
            "is accepted; QS103 covers the exposure",
            mine,
            *evidence.statement_refs(stmts),
            remediation=FIX_EXTERNAL_ID,
            title="Trust accepts any External ID",
        )
    result = evaluate(
        Request(
            principal=principal,
            action="sts:AssumeRole",
            resource=role.arn,
            context={"sts:ExternalId": configured.value},
        ),
        identity_policies=(_vendor_grant(role.arn),),
        trust_policy=trust,
    )
    if result.allowed:
        trust_side = [r for r in result.deciding if r.policy == trust.name] or list(stmts)
        return Outcome.passed(
            f"the configured External ID ({configured.describe()}) satisfies {trust_side[0].label}",
            mine,
            *evidence.statement_refs(trust_side),
        )
    guard_values = [v for g in guards for v in g.values]
    passes_guards = all(g.admits(configured.value) for g in guards)
    matched = [
        ref
        for ref, req in reqs
        if (req.present and req.matches(configured.value)) or (not req.present and guards)
    ]
    if matched and passes_guards:
        secrets = [configured.value, *(v for _, req in reqs for v in req.values), *guard_values]
        reasons = evidence.scrub("; ".join(result.reasons) or str(result.decision), secrets)
        return Outcome.failed(
            f"the configured External ID matches {matched[0].label}, but the trust still "
            f"refuses hop 1 for {principal}: {reasons}",
            mine,
            *evidence.statement_refs((*matched, *result.deciding)),
            title="Trust refuses hop 1 despite a matching External ID",
            remediation="fix the other conditions of that statement in the trust of {subject} "
            "(see the evidence), or compare with the reference's trust policy",
        )
    values = [v for _, req in reqs if req.present for v in req.values] + [
        v for g in guards if g.pinned for v in g.values
    ]
    detail = f"the configured External ID ({configured.describe()}) does not match the trust"
    extra: list[Evidence] = []
    if values:
        closest = min(values, key=lambda v: (levenshtein(configured.value, v), v))
        hints = mismatch_hints(configured.value, closest)
        detail = (
            f"the configured External ID does not match: configured {configured.describe()} · "
            f"trust {describe_secret(closest)} (the closest value)"
        )
        if hints:
            detail += "\nhint: " + "; ".join(hints)
        extra.append(evidence.external_id("closest External ID in the trust", closest))
    return Outcome.failed(
        detail,
        mine,
        *extra,
        *evidence.statement_refs((*stmts, *(g.statement for g in guards), *result.deciding)),
        title="Configured External ID does not match the trust",
    )


@check(
    id="QS109",
    name="intermediate-session-requirements",
    title="Trust allows what hop 1 carries",
    problem="Trust does not allow what hop 1 carries",
    needs=("iam:GetRole",),
    remediation=(
        "add the missing action(s) to the Action list of the trust statement of {subject} that "
        'admits {vendor_account_id}, e.g. "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", '
        '"sts:TagSession"]'
    ),
)
def intermediate_session_requirements(facts: Facts) -> Outcome:
    """The trust must allow the extra STS actions hop 1 performs: source identity and tags.

    An AssumeRole call that sets a source identity also needs sts:SetSourceIdentity in
    the role's trust, and one that passes session tags (or whose caller carries
    transitive tags) also needs sts:TagSession; without them STS refuses the whole call
    with AccessDenied, although sts:AssumeRole alone is allowed. The reference says "All
    sessions tagged with source identity", so a deployment that sets one needs both
    hops' trusts to allow it (QS204 checks the destinations).

    How it decides, for hop 1's principal, evaluating the trust with what hop 1 sends
    (the External ID, the source identity as sts:SourceIdentity, the tag keys as
    aws:TagKeys):
    - pass: the trust allows each required action; when hop 1 carries neither a source
      identity (`--source-identity`) nor session tags there is nothing beyond
      sts:AssumeRole to allow, and the check passes saying so.
    - fail: a required action is not allowed for the production account, or only under
      conditions hop 1 does not meet (e.g. a trust pinning sts:SourceIdentity to another
      value); the finding names the action.
    """
    role = intermediate_role(facts)
    trust = trust_of(role)
    from qsdoctor.policy import (
        Request,
        admitting_statements,
        evaluate,
        external_id_guards,
        external_id_requirement,
    )

    required = carried_actions(facts, hop=1)
    if not required:
        return Outcome.passed(
            "hop 1 carries no source identity or session tags: only sts:AssumeRole is needed"
        )
    principal = admitted_principal(facts, trust)
    context: dict[str, str | list[str]] = {}
    if facts.external_id is not None:
        context["sts:ExternalId"] = facts.external_id.value
    if facts.source_identity:
        context["sts:SourceIdentity"] = facts.source_identity
    if facts.session_tag_keys:
        context["aws:TagKeys"] = list(facts.session_tag_keys)
    missing: list[str] = []
    refused: list[str] = []
    unchecked: list[str] = []
    found: list[StatementRef] = []
    for action, why in required:
        refs = admitting_statements(trust, principal, action=action)
        if not refs:
            missing.append(f"{action}, needed because hop 1 {why}")
            continue
        found += refs
        result = evaluate(
            Request(principal=principal, action=action, resource=role.arn, context=context),
            identity_policies=(_vendor_grant(role.arn),),
            trust_policy=trust,
        )
        if result.allowed:
            continue
        if facts.external_id is None and (
            any(external_id_requirement(r).present for r in refs)
            or external_id_guards(trust, principal, action=action)
        ):
            # The real call carries the External ID, which qsdoctor was not given.
            unchecked.append(action)
            continue
        secrets = [v for r in refs for v in external_id_requirement(r).values]
        reason = evidence.scrub("; ".join(result.reasons) or str(result.decision), secrets)
        refused.append(f"{action} only under conditions hop 1 does not meet ({reason})")
    ev = evidence.statement_refs(found or vendor_statements(facts, trust))
    if missing or refused:
        what = [f"does not allow {m}" for m in missing] + [f"allows {r}" for r in refused]
        return Outcome.failed(
            f"the trust {'; and '.join(what)}: STS refuses hop 1 with AccessDenied",
            *ev,
            evidence.note(f"judged for the hop-1 caller {principal}"),
        )
    actions = " and ".join(a for a, _ in required)
    detail = f"the trust allows {actions} ({found[0].label})"
    if unchecked:
        detail += (
            f"; the conditions on {', '.join(unchecked)} need the External ID, which was not "
            "configured, so they were not checked"
        )
    return Outcome.passed(detail, *ev)
