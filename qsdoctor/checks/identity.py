"""QS0xx: do the credentials qsdoctor was given resolve to an identity at all?"""

from __future__ import annotations

from qsdoctor.checks.registry import check
from qsdoctor.facts import Facts
from qsdoctor.models import Evidence, Ok, Outcome, Skipped, Unavailable


@check(
    id="QS001",
    name="caller-identity",
    title="Credentials resolve",
    problem="Credentials do not resolve",
    needs=("sts:GetCallerIdentity",),
    remediation=(
        "refresh the credentials (`aws sso login --profile P`, or export fresh keys) and "
        "make sure the profile exists: `aws sts get-caller-identity --profile P`"
    ),
)
def caller_identity(facts: Facts) -> Outcome:
    """Every set of credentials qsdoctor uses must resolve with sts:GetCallerIdentity.

    qsdoctor may use up to three sets: the caller (`--profile`, which runs the live
    hops and should be a principal in the production account 684035162433), and
    read-only credentials for the intermediate and destination accounts
    (`--intermediate-profile`, `--destination-profile`). Expired SSO sessions and
    profiles without usable credentials show up here first, before they fail every other check.
    """
    resolved: list[str] = []
    problems: list[str] = []
    evidence: list[Evidence] = []
    for caller in facts.callers:
        who = f"{caller.label} ({caller.profile or 'default credential chain'})"
        match caller.identity:
            case Ok(ident):
                resolved.append(f"{who}: {ident.arn}")
                evidence.append(
                    Evidence(
                        kind="identity",
                        summary=f"{who} is {ident.arn}",
                        data={
                            "label": caller.label,
                            "profile": caller.profile,
                            "arn": ident.arn,
                            "account": ident.account,
                        },
                    )
                )
            case Unavailable(err):
                problems.append(f"{who}: {err.code}: {err.message}")
            case Skipped(reason):
                evidence.append(Evidence(kind="identity", summary=f"{who}: {reason}"))
    if problems:
        return Outcome.errored("; ".join(problems), *evidence, title="Credentials do not resolve")
    if not resolved:
        return Outcome.skipped("no credentials were used (replayed or offline facts)", *evidence)
    return Outcome.passed("; ".join(resolved), *evidence)
