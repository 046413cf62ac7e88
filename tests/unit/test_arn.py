"""ARN parsing: every malformed input is a one-line UsageError with a fix."""

from __future__ import annotations

import pytest

from qsdoctor.arn import parse_role_arn, session_to_role_name, validate_account_id
from qsdoctor.errors import UsageError


@pytest.mark.parametrize(
    ("text", "partition", "account", "path", "name"),
    [
        (
            "arn:aws:iam::111122223333:role/QuiverstoneTrustedIntermediate",
            "aws",
            "111122223333",
            "/",
            "QuiverstoneTrustedIntermediate",
        ),
        (
            "arn:aws-cn:iam::111122223333:role/Team/ops/Chained",
            "aws-cn",
            "111122223333",
            "/Team/ops/",
            "Chained",
        ),
        (
            "  arn:aws-us-gov:iam::210987654321:role/a+=,.@_-b  ",
            "aws-us-gov",
            "210987654321",
            "/",
            "a+=,.@_-b",
        ),
    ],
)
def test_valid_role_arns(text: str, partition: str, account: str, path: str, name: str) -> None:
    role = parse_role_arn(text)
    assert (role.partition, role.account, role.path, role.name) == (partition, account, path, name)
    assert role.arn == text.strip()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("QuiverstoneTrustedIntermediate", "not an ARN"),
        ("arn:aws:iam::1111:role/X", "12 digits"),
        ("arn:azure:iam::111122223333:role/X", "unknown partition"),
        ("arn:aws:sts::111122223333:role/X", "not an IAM ARN"),
        ("arn:aws:iam:us-east-1:111122223333:role/X", "not an IAM ARN"),
        ("arn:aws:iam::111122223333:user/X", "does not name a role"),
        ("arn:aws:iam::111122223333:role/bad name", "not a valid IAM role name"),
        ("arn:aws:iam::111122223333:role/" + "x" * 65, "not a valid IAM role name"),
        ("arn:aws:iam::111122223333:role/", "not a valid IAM role name"),
    ],
)
def test_invalid_role_arns(text: str, fragment: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_role_arn(text)
    assert fragment in err.value.message
    assert err.value.hint
    assert err.value.exit_code == 2
    assert "\n" not in err.value.message


def test_account_id_must_be_twelve_digits() -> None:
    assert validate_account_id("684035162433") == "684035162433"
    for bad in ("68403516243", "6840351624330", "68403516243a", ""):
        with pytest.raises(UsageError):
            validate_account_id(bad)


def test_session_arn_maps_to_role_name_without_path() -> None:
    arn = "arn:aws:sts::111122223333:assumed-role/QuiverstoneTrustedIntermediate/qsdoctor-1"
    assert session_to_role_name(arn) == ("aws", "111122223333", "QuiverstoneTrustedIntermediate")
    assert session_to_role_name("arn:aws:iam::111122223333:role/X") is None
    assert session_to_role_name("garbage") is None
