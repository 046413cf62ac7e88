"""QS0xx: do the credentials qsdoctor was given resolve to an identity at all?"""

from __future__ import annotations

from qsdoctor.checks.registry import check
from qsdoctor.facts import Facts
from qsdoctor.models import Evidence, Ok, Outcome, Skipped, Unavailable

#: Codes that mean the endpoint was never reached: no credential problem at all.
_UNREACHABLE = frozenset(
    {
        "EndpointConnectionError",
        "ConnectTimeoutError",
        "ConnectionClosedError",
        "ReadTimeoutError",
        "SSLError",
        "ProxyConnectionError",
        "HTTPClientError",
    }
)
_FIX_UNREACHABLE = (
    "the AWS endpoint could not be reached: check network access, proxy settings "
    "(HTTPS_PROXY/NO_PROXY) and AWS_ENDPOINT_URL or the profile's endpoint_url"
)
_FIX_INVALID = (
    "the access key is unknown to AWS: replace it, or if the key is valid, enable the "
    "Region for the account (InvalidClientTokenId also means an opt-in Region is disabled)"
)


def _fix_for(codes: set[str]) -> str | None:
    """A fix that matches what went wrong; None keeps the declared (credentials) fix."""
    if codes and codes <= _UNREACHABLE:
        return _FIX_UNREACHABLE
    if codes == {"InvalidClientTokenId"}:
        return _FIX_INVALID
    return None


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
    codes: set[str] = set()
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
                codes.add(err.code)
            case Skipped(reason):
                evidence.append(Evidence(kind="identity", summary=f"{who}: {reason}"))
    if problems:
        return Outcome.errored(
            "; ".join(problems),
            *evidence,
            title="Credentials do not resolve",
            remediation=_fix_for(codes),
        )
    if not resolved:
        return Outcome.skipped("no credentials were used (replayed or offline facts)", *evidence)
    return Outcome.passed("; ".join(resolved), *evidence)
