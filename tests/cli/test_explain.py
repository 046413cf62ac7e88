"""`qsdoctor explain`: a check's docs on stdout; unknown IDs are a one-line usage error."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from qsdoctor.checks.registry import load_all
from qsdoctor.cli import app

runner = CliRunner()


@pytest.mark.parametrize("given", ["QS101", "qs101", "intermediate-role-exists"])
def test_prints_the_checks_documentation(given: str) -> None:
    spec = load_all()["QS101"]
    result = runner.invoke(app, ["explain", given])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("QS101 intermediate-role-exists")
    assert spec.doc.splitlines()[0] in result.stdout
    assert "Needs: `iam:GetRole`" in result.stdout
    assert "Remediation: " + spec.remediation[:40] in result.stdout


def test_every_registered_check_can_be_explained() -> None:
    for cid, spec in load_all().items():
        result = runner.invoke(app, ["explain", cid])
        assert result.exit_code == 0
        assert spec.title in result.stdout


def test_unknown_id_is_a_usage_error_with_near_matches() -> None:
    result = runner.invoke(app, ["explain", "QS14"])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "unknown check 'QS14'" in lines[0]
    assert "QS101" in lines[0]


def test_unknown_name_suggests_the_close_one() -> None:
    result = runner.invoke(app, ["explain", "caller-identiy"])
    assert result.exit_code == 2
    assert "did you mean QS001" in result.stderr


def test_nothing_close_gives_no_suggestion() -> None:
    result = runner.invoke(app, ["explain", "zzzzzzzz"])
    assert result.exit_code == 2
    assert "did you mean" not in result.stderr


def test_planned_check_says_it_is_not_implemented_yet() -> None:
    from qsdoctor.checks.docs import PLANNED

    planned = [cid for cid in PLANNED if cid not in load_all()]
    if not planned:
        pytest.skip("every catalog check is implemented")
    result = runner.invoke(app, ["explain", planned[0]])
    assert result.exit_code == 0
    assert "planned" in result.stdout
    assert PLANNED[planned[0]].name in result.stdout


def test_without_an_id_lists_every_catalog_check() -> None:
    from qsdoctor.checks.docs import catalog

    result = runner.invoke(app, ["explain"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["QS000", *catalog()]
    assert "run-level" in lines[0]
    qs104 = next(line for line in lines if line.startswith("QS104"))
    assert load_all()["QS104"].title in qs104


@pytest.mark.parametrize("given", ["QS000", "qs000", "qsdoctor-run"])
def test_the_reserved_run_level_id_can_be_explained(given: str) -> None:
    result = runner.invoke(app, ["explain", given])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("QS000 qsdoctor-run\n")
    assert "not a check" in result.stdout
    assert "The exit code is 3" in result.stdout
    assert "Remediation: rerun with -vv" in result.stdout
