"""Titles read as the result: what holds on a pass, the problem on a failure."""

from __future__ import annotations

import pytest

from qsdoctor.checks.registry import CheckSpec, _finding, load_all
from qsdoctor.facts import Facts
from qsdoctor.models import Outcome, Status

SPECS = list(load_all().values())
#: Checks whose failures always carry their own title (QS3xx name the hop's outcome).
OWN_TITLES = {"QS101", "QS105", "QS301", "QS302", "QS303", "QS402", "QS403"}
FACTS = Facts(
    collected_at="2026-12-04T16:00:00Z",
    vendor_account_id="684035162433",
    intermediate_arn="arn:aws:iam::111122223333:role/QuiverstoneTrustedIntermediate",
    region="us-east-1",
)


DECLARED = [s for s in SPECS if s.id not in OWN_TITLES]


def test_checks_without_a_declared_problem_are_the_ones_that_title_their_failures() -> None:
    assert {s.id for s in SPECS if s.problem == s.title} <= OWN_TITLES


@pytest.mark.parametrize("spec", DECLARED, ids=[s.id for s in DECLARED])
def test_failing_title_states_the_problem(spec: CheckSpec) -> None:
    assert spec.problem != spec.title, f"{spec.id}: declare problem= for failures"
    assert spec.problem[0].isupper()
    assert not spec.problem.endswith(".")
    assert spec.problem.split()[0] not in {"Ensure", "Check", "Verify"}
    failed = _finding(spec, "subject", Outcome.failed("cause"), FACTS)
    assert failed.title == spec.problem
    passed = _finding(spec, "subject", Outcome.passed("fine"), FACTS)
    assert passed.title == spec.title
    warned = _finding(spec, "subject", Outcome.warned("hmm", title="Own words"), FACTS)
    assert warned.title == "Own words"


def test_an_outcome_title_wins_over_the_declared_problem() -> None:
    spec = load_all()["QS201"]
    out = _finding(spec, "s", Outcome.failed("x", title="Something specific"), FACTS)
    assert out.status is Status.FAIL
    assert out.title == "Something specific"
