"""Every QS1xx check reports skip or error (never a crash or a silent pass) when its facts
are missing: the role absent, not read, or its read denied."""

from __future__ import annotations

import pytest
from intermediate_world import NOT_READ, denied, facts, one, permissions, run, with_role

from qsdoctor.models import Ok, Status

NEEDS_ROLE = ["QS102", "QS103", "QS104", "QS106", "QS107", "QS108", "QS109"]
NEEDS_PERMISSIONS = ["QS106", "QS107", "QS108"]


@pytest.mark.parametrize("check_id", NEEDS_ROLE)
def test_denied_get_role_is_an_error_naming_the_permission(check_id: str) -> None:
    for f in run(check_id, facts(intermediate_role=denied("iam:GetRole"))):
        assert f.status is Status.ERROR
        assert "iam:GetRole" in f.detail
        assert "acme-audit" in f.remediation


@pytest.mark.parametrize("check_id", NEEDS_ROLE)
def test_missing_role_is_a_skip_pointing_at_qs101(check_id: str) -> None:
    for f in run(check_id, facts(intermediate_role=Ok(None))):
        assert f.status is Status.SKIP
        assert "QS101" in f.detail
        # One short line per skipped check: the ARN is in the header and in QS101.
        assert ":role/" not in f.detail


@pytest.mark.parametrize("check_id", NEEDS_ROLE)
def test_unread_role_is_a_skip_naming_the_option(check_id: str) -> None:
    for f in run(check_id, facts(intermediate_role=NOT_READ)):
        assert f.status is Status.SKIP
        assert "--intermediate-profile" in f.detail


@pytest.mark.parametrize("check_id", NEEDS_PERMISSIONS)
def test_unread_permissions_are_a_skip(check_id: str) -> None:
    for f in run(check_id, with_role(perms=NOT_READ)):
        assert f.status is Status.SKIP


@pytest.mark.parametrize("check_id", NEEDS_ROLE)
def test_an_unparseable_policy_is_a_skip_saying_why(check_id: str) -> None:
    broken = {"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "*"}]}
    f = run(check_id, with_role(trust=broken, perms=Ok(permissions(broken))))[0]
    assert f.status is Status.SKIP
    assert "Effect" in f.detail


def test_qs105_never_needs_the_role() -> None:
    f = one("QS105", facts(intermediate_role=denied("iam:GetRole")))
    assert f.status is Status.PASS  # the configured value alone is judged
