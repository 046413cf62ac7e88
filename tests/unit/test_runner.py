"""The runner decides skip and error centrally; one crashing check never stops the others."""

from __future__ import annotations

import pytest

from qsdoctor.checks import registry
from qsdoctor.checks.registry import NotApplicable, check, destination_check, need, run_checks
from qsdoctor.facts import CallerFacts, CallerIdentity, Destination, Facts
from qsdoctor.models import AwsCallError, Ok, Outcome, Skipped, Status, Unavailable

ARN = "arn:aws:iam::111122223333:role/QuiverstoneTrustedIntermediate"
DEST = "arn:aws:iam::210987654321:role/QuiverstoneChainedAccess"


@pytest.fixture
def scratch_registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, registry.CheckSpec]:
    """An empty registry that load_all() returns as-is."""
    scratch: dict[str, registry.CheckSpec] = {}
    monkeypatch.setattr(registry, "_REGISTRY", scratch)
    monkeypatch.setattr(registry, "load_all", lambda: dict(sorted(scratch.items())))
    return scratch


def facts(**kw: object) -> Facts:
    base: dict[str, object] = {
        "collected_at": "2026-12-04T00:00:00Z",
        "vendor_account_id": "684035162433",
        "intermediate_arn": ARN,
        "region": "us-east-1",
    }
    base.update(kw)
    return Facts(**base)  # type: ignore[arg-type]


def test_unavailable_read_becomes_error_naming_permission(
    scratch_registry: dict[str, registry.CheckSpec],
) -> None:
    @check(id="QS901", name="t", title="T", remediation="fix {subject}")
    def t(f: Facts) -> Outcome:
        need(f.intermediate_role)
        return Outcome.passed("never")

    denied = AwsCallError(
        operation="iam:GetRole",
        code="AccessDenied",
        message="no",
        resource=ARN,
        profile="acme-audit",
    )
    [finding] = run_checks(facts(intermediate_role=Unavailable(denied)))
    assert finding.status is Status.ERROR
    assert "iam:GetRole" in finding.remediation
    assert ARN in finding.remediation
    assert "acme-audit" in finding.remediation


def test_skipped_read_and_not_applicable_become_skip(
    scratch_registry: dict[str, registry.CheckSpec],
) -> None:
    @check(id="QS902", name="a", title="A", remediation="r")
    def a(f: Facts) -> Outcome:
        need(f.intermediate_role)
        return Outcome.passed("never")

    @check(id="QS903", name="b", title="B", remediation="r")
    def b(f: Facts) -> Outcome:
        raise NotApplicable("no External ID supplied: set QSDOCTOR_EXTERNAL_ID")

    found = run_checks(facts(intermediate_role=Skipped("pass --intermediate-profile")))
    assert [(x.id, x.status) for x in found] == [("QS902", Status.SKIP), ("QS903", Status.SKIP)]
    assert found[0].detail == "pass --intermediate-profile"
    assert "QSDOCTOR_EXTERNAL_ID" in found[1].detail


def test_crash_is_contained(scratch_registry: dict[str, registry.CheckSpec]) -> None:
    @check(id="QS904", name="boom", title="Boom", remediation="r")
    def boom(f: Facts) -> Outcome:
        raise KeyError("x")

    @check(id="QS905", name="fine", title="Fine", remediation="r")
    def fine(f: Facts) -> Outcome:
        return Outcome.passed("ok")

    found = run_checks(facts())
    assert [x.status for x in found] == [Status.ERROR, Status.PASS]
    assert "internal error in QS904" in found[0].detail
    with pytest.raises(KeyError):
        run_checks(facts(), raise_errors=True)


def test_destination_checks_run_per_destination_with_prior(
    scratch_registry: dict[str, registry.CheckSpec],
) -> None:
    @check(id="QS906", name="first", title="First", remediation="r")
    def first(f: Facts) -> Outcome:
        return Outcome.failed("broken")

    seen: list[str] = []

    @destination_check(id="QS907", name="per", title="Per", remediation="fix {subject}")
    def per(f: Facts, d: Destination, prior: registry.Prior) -> Outcome:
        seen.append(prior["QS906"][0].status)
        return Outcome.failed(f"{d.arn} broken")

    other = DEST.replace("210987654321", "999988887777")
    found = run_checks(facts(destinations=(Destination(arn=DEST), Destination(arn=other))))
    per_dest = [x for x in found if x.id == "QS907"]
    assert [x.subject for x in per_dest] == [DEST, other]
    assert per_dest[0].remediation == f"fix {DEST}"
    assert seen == [Status.FAIL, Status.FAIL]


def test_pass_has_no_remediation_and_select_filters(
    scratch_registry: dict[str, registry.CheckSpec],
) -> None:
    @check(id="QS908", name="p", title="P", remediation="do it")
    def p(f: Facts) -> Outcome:
        return Outcome.passed("fine")

    @check(id="QS909", name="q", title="Q", remediation="do it")
    def q(f: Facts) -> Outcome:
        return Outcome.warned("meh")

    found = run_checks(facts(), select=["QS908"])
    assert [(x.id, x.remediation) for x in found] == [("QS908", "")]
    [w] = run_checks(facts(), select=["QS909"])
    assert w.remediation == "do it"


def test_caller_identity_check() -> None:
    ok = CallerFacts(
        label="caller",
        profile="qs-support",
        identity=Ok(
            CallerIdentity(
                account="684035162433",
                arn="arn:aws:sts::684035162433:assumed-role/Support/j",
                user_id="AROA:j",
            )
        ),
    )
    bad = CallerFacts(
        label="intermediate",
        profile="acme",
        identity=Unavailable(
            AwsCallError(
                operation="sts:GetCallerIdentity",
                code="ExpiredToken",
                message="The security token included in the request is expired",
            )
        ),
    )
    [good] = run_checks(facts(callers=(ok,)), select=["QS001"])
    assert good.status is Status.PASS
    assert "Support/j" in good.detail
    [err] = run_checks(facts(callers=(ok, bad)), select=["QS001"])
    assert err.status is Status.ERROR
    assert err.title == "Credentials do not resolve"
    assert good.title == "Credentials resolve"
    assert "ExpiredToken" in err.detail
    assert "sso login" in err.remediation
    [skip] = run_checks(facts(), select=["QS001"])
    assert skip.status is Status.SKIP


def test_caller_identity_fix_follows_the_failure() -> None:
    def failing(code: str) -> CallerFacts:
        return CallerFacts(
            label="caller",
            profile="qs-support",
            identity=Unavailable(
                AwsCallError(operation="sts:GetCallerIdentity", code=code, message="m")
            ),
        )

    [net] = run_checks(facts(callers=(failing("EndpointConnectionError"),)), select=["QS001"])
    assert "could not be reached" in net.remediation
    assert "sso login" not in net.remediation
    [bad_key] = run_checks(facts(callers=(failing("InvalidClientTokenId"),)), select=["QS001"])
    assert "opt-in Region" in bad_key.remediation
    [expired] = run_checks(facts(callers=(failing("ExpiredToken"),)), select=["QS001"])
    assert "sso login" in expired.remediation
