"""QS101 (intermediate-role-exists) and QS105 (external-id-strength) on hand-built Facts."""

from __future__ import annotations

import pytest
from intermediate_world import (
    DEST_ARN,
    EXTERNAL_ID,
    INTERMEDIATE_ACCOUNT,
    NOT_READ,
    ROLE_ARN,
    denied,
    facts,
    one,
    role,
    text_of,
    trust_with,
    with_role,
)

from qsdoctor.arn import parse_role_arn
from qsdoctor.checks.intermediate import levenshtein, near_matches
from qsdoctor.facts import Destination
from qsdoctor.models import Ok, Status
from qsdoctor.secrets import ExternalId

OTHER = f"arn:aws:iam::{INTERMEDIATE_ACCOUNT}:role"


# QS101 -------------------------------------------------------------------------------


def test_qs101_passes_with_role_evidence() -> None:
    f = one("QS101", facts())
    assert f.status is Status.PASS
    assert f.subject == ROLE_ARN
    assert "AROAEXAMPLEINTERMED1" in f.detail
    assert f.evidence[0].kind == "role"
    assert "last used 2026-12-03T08:00:00Z in us-east-1" in f.evidence[0].summary
    assert f.remediation == ""


def test_qs101_fails_when_missing_and_suggests_a_typo() -> None:
    candidates = (f"{OTHER}/QuiverstoneTrustedIntermediat", f"{OTHER}/SomethingElse")
    f = one("QS101", facts(intermediate_role=Ok(None), role_candidates=Ok(candidates)))
    assert f.status is Status.FAIL
    assert "does not exist" in f.detail
    assert f"{OTHER}/QuiverstoneTrustedIntermediat (name 1 edit away)" in f.detail
    assert "SomethingElse" not in f.detail
    assert f"{OTHER}/QuiverstoneTrustedIntermediat" in f.remediation


@pytest.mark.parametrize(
    ("candidate", "why"),
    [
        (f"{OTHER}/quiverstonetrustedintermediate", "different upper/lower case"),
        (f"{OTHER}/quiverstone/QuiverstoneTrustedIntermediate", "same name under path"),
        (f"{OTHER}/QuiverstoneTrustedIntermediateV2", "name 2 edits away"),
    ],
)
def test_qs101_near_match_kinds(candidate: str, why: str) -> None:
    f = one("QS101", facts(intermediate_role=Ok(None), role_candidates=Ok((candidate,))))
    assert f.status is Status.FAIL
    assert candidate in f.detail
    assert why in f.detail


def test_qs101_missing_without_similar_names() -> None:
    f = one(
        "QS101",
        facts(
            intermediate_role=Ok(None),
            role_candidates=Ok((f"{OTHER}/OrganizationAccountAccessRole",)),
        ),
    )
    assert f.status is Status.FAIL
    assert "no role in the account has a similar name" in f.detail
    assert "pIntermediateRoleName" in f.remediation


def test_qs101_missing_and_listing_denied_names_the_permission() -> None:
    f = one(
        "QS101",
        facts(intermediate_role=Ok(None), role_candidates=denied("iam:ListRoles", resource=None)),
    )  # type: ignore[arg-type]
    assert f.status is Status.FAIL
    assert "needs iam:ListRoles" in f.detail


def test_qs101_fails_on_a_path_mismatch_returned_by_get_role() -> None:
    # Role names are unique per account, so GetRole by name finds the role under its real
    # path; STS, though, needs the exact ARN.
    real = f"{OTHER}/quiverstone/QuiverstoneTrustedIntermediate"
    f = one("QS101", with_role(arn=real, path="/quiverstone/"))
    assert f.status is Status.FAIL
    assert real in f.detail
    assert real in f.remediation


def test_qs101_errors_when_get_role_is_denied() -> None:
    f = one("QS101", facts(intermediate_role=denied("iam:GetRole")))
    assert f.status is Status.ERROR
    assert "iam:GetRole" in f.remediation
    assert ROLE_ARN in f.remediation


def test_qs101_skips_without_intermediate_credentials() -> None:
    f = one("QS101", facts(intermediate_role=NOT_READ))
    assert f.status is Status.SKIP
    assert "--intermediate-profile" in f.detail


def test_levenshtein() -> None:
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("", "abc") == 3
    assert levenshtein("abc", "abc") == 0
    assert levenshtein("ab", "ba") == 2


def test_near_matches_orders_best_first() -> None:
    wanted = parse_role_arn(ROLE_ARN)
    got = near_matches(
        wanted,
        (
            f"{OTHER}/QuiverstoneTrustedIntermediateXY",
            f"{OTHER}/x/QuiverstoneTrustedIntermediate",
            f"{OTHER}/QuiverstoneTrustedIntermediatX",
            ROLE_ARN,
            "not-an-arn",
        ),
    )
    assert [m.arn for m in got] == [
        f"{OTHER}/x/QuiverstoneTrustedIntermediate",
        f"{OTHER}/QuiverstoneTrustedIntermediatX",
        f"{OTHER}/QuiverstoneTrustedIntermediateXY",
    ]


# QS105 -------------------------------------------------------------------------------


def test_qs105_passes_for_a_strong_id_and_shows_no_secret() -> None:
    f = one("QS105", facts())
    assert f.status is Status.PASS
    assert EXTERNAL_ID not in text_of(f)
    assert any(e.kind == "external-id" for e in f.evidence)


def test_qs105_fails_when_sts_would_reject_the_configured_value() -> None:
    bad = "has a space but is otherwise long enough to pass"
    f = one("QS105", facts(external_id=ExternalId(bad, source="test")))
    assert f.status is Status.FAIL
    assert "configured for the intermediate role" in f.detail
    assert "STS never accepts" in f.detail
    assert bad not in text_of(f)


def test_qs105_fails_for_an_impossible_value_in_the_trust() -> None:
    trust = trust_with(Condition={"StringEquals": {"sts:ExternalId": "x y"}})
    f = one("QS105", facts(external_id=None, intermediate_role=Ok(role(trust=trust))))
    assert f.status is Status.FAIL
    assert "trust of the intermediate role" in f.detail


def test_qs105_warns_on_the_reference_placeholder() -> None:
    trust = trust_with(Condition={"StringEquals": {"sts:ExternalId": "your-external-id-here"}})
    f = one("QS105", facts(external_id=None, intermediate_role=Ok(role(trust=trust))))
    assert f.status is Status.WARN
    assert "placeholder" in f.detail
    assert "your-external-id-here" not in text_of(f)


def test_qs105_warns_under_32_characters() -> None:
    short = "Ab3dE6gH9jK2mN5p"  # 16 characters, varied
    f = one(
        "QS105", facts(external_id=ExternalId(short, source="test"), intermediate_role=NOT_READ)
    )
    assert f.status is Status.WARN
    assert "16 characters" in f.detail


def test_qs105_warns_when_intermediate_and_destination_share_an_id() -> None:
    shared = ExternalId(EXTERNAL_ID, source="QSDOCTOR_DESTINATION_EXTERNAL_ID")
    f = one("QS105", facts(destinations=(Destination(arn=DEST_ARN, external_id=shared),)))
    assert f.status is Status.WARN
    assert "used for both the intermediate role and a destination role" in f.detail
    assert shared.fingerprint in f.detail


def test_qs105_ignores_wildcard_patterns_left_to_qs103() -> None:
    trust = trust_with(Condition={"StringLike": {"sts:ExternalId": "acme-*"}})
    f = one("QS105", facts(intermediate_role=Ok(role(trust=trust))))
    assert f.status is Status.PASS  # only the configured (strong) value is judged


def test_qs105_skips_when_nothing_is_supplied_or_readable() -> None:
    f = one("QS105", facts(external_id=None, intermediate_role=NOT_READ))
    assert f.status is Status.SKIP
    assert "QSDOCTOR_EXTERNAL_ID" in f.detail
