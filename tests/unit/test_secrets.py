"""External IDs as secrets: never printed, compared by fingerprint, hinted safely."""

from __future__ import annotations

import pytest

from qsdoctor.secrets import (
    ExternalId,
    fingerprint,
    mismatch_hints,
    strength_problems,
    sts_valid,
)

SECRET = "Zq8vN3kLp0aR7tY2mW5xC1bE6hJ9sD4f"


def test_external_id_never_shows_its_value() -> None:
    eid = ExternalId(SECRET, source="QSDOCTOR_EXTERNAL_ID")
    for text in (str(eid), repr(eid), eid.describe(), f"{eid}"):
        assert SECRET not in text
    assert eid.fingerprint in str(eid)
    assert "32 chars" in eid.describe()


def test_fingerprint_is_stable_within_a_run_and_keyed() -> None:
    assert fingerprint(SECRET) == fingerprint(SECRET)
    assert fingerprint(SECRET) != fingerprint(SECRET + "x")
    assert fingerprint(SECRET, key=b"a") != fingerprint(SECRET, key=b"b")


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("ab", True),
        ("a", False),
        ("x" * 1224, True),
        ("x" * 1225, False),
        ("abc def", False),
        ("abc:/=,.@+-_", True),
        ("ünïcode-value", False),  # \w would match these without re.ASCII
        ("tab\there", False),
    ],
)
def test_sts_validity(value: str, valid: bool) -> None:
    assert sts_valid(value) is valid


def test_hints_reveal_no_characters() -> None:
    configured = SECRET[:-1]
    hints = mismatch_hints(configured, SECRET)
    assert any("prefix" in h for h in hints)
    for h in hints:
        assert SECRET[:8] not in h
    assert mismatch_hints(SECRET.lower(), SECRET) == ["identical apart from upper/lower case"]
    assert mismatch_hints(f" {SECRET}\n", SECRET) == [
        "identical apart from leading/trailing whitespace"
    ]
    assert mismatch_hints("Q" + SECRET[1:], SECRET) == ["they differ from the first character"]
    assert mismatch_hints(SECRET, SECRET) == []


def test_strength() -> None:
    assert strength_problems(SECRET) == ([], [])
    fails, warns = strength_problems("your-external-id-here")
    assert not fails
    assert any("placeholder" in w for w in warns)
    assert any("at least 32" in w for w in warns)
    fails, _ = strength_problems("has space in it")
    assert fails
    _, warns = strength_problems("a" * 40)
    assert any("low variety" in w for w in warns)
    fails, _ = strength_problems("x")
    assert "STS accepts 2 to 1224" in fails[0]
