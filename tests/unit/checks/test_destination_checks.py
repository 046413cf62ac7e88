"""QS201-QS204 on hand-built Facts: every status, the classic trust breakages, no secrets out."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from qsdoctor.checks.classify import EXPOSURE_EVIDENCE_KIND, POSSIBLE_CAUSE_EVIDENCE_KIND
from qsdoctor.checks.destination import (
    destination_external_id,
    destination_role_exists,
    destination_session_requirements,
    destination_trust_principal,
)
from qsdoctor.checks.registry import _REGISTRY, _run_one, load_all
from qsdoctor.facts import Destination, Facts, RoleFacts
from qsdoctor.models import AwsCallError, Finding, Ok, Outcome, Skipped, Status, Unavailable
from qsdoctor.secrets import ExternalId

VENDOR = "684035162433"
INTER_ACCT = "111122223333"
DEST_ACCT = "210987654321"
INTERMEDIATE = f"arn:aws:iam::{INTER_ACCT}:role/QuiverstoneTrustedIntermediate"
DEST = f"arn:aws:iam::{DEST_ACCT}:role/QuiverstoneChainedAccess"
INTER_EXT = "intermediate-ext-id-5f1c9a7e3b2d4c6a8e0f1b3d5c7a9e1f"
DEST_EXT = "destination-ext-id-9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"


def stmt(
    principal: Any,
    *,
    actions: Any = "sts:AssumeRole",
    condition: Any = None,
    sid: str | None = None,
    effect: str = "Allow",
) -> dict[str, Any]:
    s: dict[str, Any] = {"Effect": effect, "Principal": principal, "Action": actions}
    if condition is not None:
        s["Condition"] = condition
    if sid:
        s["Sid"] = sid
    return s


def trust(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def ext_cond(value: str = DEST_EXT, op: str = "StringEquals") -> dict[str, Any]:
    return {op: {"sts:ExternalId": value}}


NAMED = trust(stmt({"AWS": INTERMEDIATE}, condition=ext_cond(), sid="TrustIntermediate"))


def role(doc: dict[str, Any], arn: str = DEST) -> RoleFacts:
    name = arn.rsplit("/", 1)[1]
    path = arn.split(":role", 1)[1][: -len(name)]
    return RoleFacts(
        arn=arn,
        name=name,
        path=path,
        role_id="AROADESTINATIONROLE01",
        account_id=arn.split(":")[4],
        trust_policy=doc,
        create_date="2026-01-01T00:00:00Z",
    )


def intermediate_role() -> RoleFacts:
    return RoleFacts(
        arn=INTERMEDIATE,
        name="QuiverstoneTrustedIntermediate",
        path="/",
        role_id="AROAINTERMEDIATE0001",
        account_id=INTER_ACCT,
        trust_policy=trust(stmt({"AWS": f"arn:aws:iam::{VENDOR}:root"})),
    )


def dest(
    doc: dict[str, Any] | None = NAMED, *, ext: str | None = DEST_EXT, **changes: Any
) -> Destination:
    base = Destination(
        arn=DEST,
        role=Ok(role(doc)) if doc is not None else Ok(None),
        external_id=ExternalId(ext, source="test") if ext else None,
    )
    return dataclasses.replace(base, **changes)


def facts(d: Destination, **changes: Any) -> Facts:
    base = Facts(
        collected_at="2026-12-04T16:00:00Z",
        vendor_account_id=VENDOR,
        intermediate_arn=INTERMEDIATE,
        region="us-east-1",
        external_id=ExternalId(INTER_EXT, source="test"),
        intermediate_role=Ok(intermediate_role()),
        destinations=(d,),
    )
    return dataclasses.replace(base, **changes)


def run(cid: str, d: Destination, f: Facts | None = None) -> Outcome:
    load_all()
    return _run_one(_REGISTRY[cid], f or facts(d), (d,), {})


def text_of(out: Outcome) -> str:
    return (
        out.detail
        + (out.remediation or "")
        + json.dumps([dataclasses.asdict(e) for e in out.evidence], default=str)
    )


# ------------------------------------------------------------------------------ QS201


def test_qs201_pass() -> None:
    d = dest()
    out = destination_role_exists(facts(d), d)
    assert out.status is Status.PASS
    assert "AROADESTINATIONROLE01" in out.detail


def test_qs201_fail_missing_and_near_miss() -> None:
    d = dest(None)
    assert destination_role_exists(facts(d), d).status is Status.FAIL
    other = f"arn:aws:iam::{DEST_ACCT}:role/team/QuiverstoneChainedAccess"
    near = dest(None, other_arn=other)
    out = destination_role_exists(facts(near), near)
    assert out.status is Status.FAIL
    assert other in out.detail
    assert other in (out.remediation or "")


def test_qs201_skip_names_destination_profile_and_error_names_permission() -> None:
    reason = f"no credentials for account {DEST_ACCT}: pass --destination-profile with IAM read"
    out = run("QS201", dest(role=Skipped(reason)))
    assert out.status is Status.SKIP
    assert "--destination-profile" in out.detail
    err = AwsCallError(
        operation="iam:GetRole",
        code="AccessDenied",
        message="denied",
        resource=DEST,
        profile="dest-audit",
    )
    out = run("QS201", dest(role=Unavailable(err)))
    assert out.status is Status.ERROR
    assert "iam:GetRole" in (out.remediation or "")


# ------------------------------------------------------------------------------ QS202


def test_qs202_named_passes() -> None:
    d = dest()
    out = destination_trust_principal(facts(d), d)
    assert out.status is Status.PASS
    assert out.detail.startswith("Named")


@pytest.mark.parametrize("principal", [INTER_ACCT, f"arn:aws:iam::{INTER_ACCT}:root"])
def test_qs202_all_warns(principal: str) -> None:
    d = dest(trust(stmt({"AWS": principal})))
    out = destination_trust_principal(facts(d), d)
    assert out.status is Status.WARN
    assert out.detail.startswith("All")
    assert "Named" in (out.remediation or "")


def test_qs202_named_by_principal_arn_condition() -> None:
    cond = {"ArnEquals": {"aws:PrincipalArn": INTERMEDIATE}}
    d = dest(trust(stmt({"AWS": INTER_ACCT}, condition=cond)))
    out = destination_trust_principal(facts(d), d)
    assert out.status is Status.PASS
    assert "aws:PrincipalArn" in out.detail


def test_qs202_condition_naming_another_role_fails() -> None:
    cond = {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{INTER_ACCT}:role/Other"}}
    d = dest(trust(stmt({"AWS": INTER_ACCT}, condition=cond)))
    assert destination_trust_principal(facts(d), d).status is Status.FAIL


def test_qs202_another_account_fails() -> None:
    d = dest(trust(stmt({"AWS": "arn:aws:iam::999988887777:root"})))
    out = destination_trust_principal(facts(d), d)
    assert out.status is Status.FAIL
    assert "999988887777" in out.detail
    assert f"not the intermediate account {INTER_ACCT}" in out.detail


def test_qs202_another_role_fails() -> None:
    d = dest(trust(stmt({"AWS": f"arn:aws:iam::{INTER_ACCT}:role/SomeoneElse"})))
    out = destination_trust_principal(facts(d), d)
    assert out.status is Status.FAIL
    assert "SomeoneElse" in out.detail


def test_qs202_stale_unique_id_fails_with_recreation_hint() -> None:
    d = dest(trust(stmt({"AWS": "AROA4EXAMPLESTALEID7"})))
    out = destination_trust_principal(facts(d), d)
    assert out.status is Status.FAIL
    assert "re-created" in out.detail
    assert "unique ID of a deleted role" in out.detail
    # Re-saving with the ARN is the fix, said once in the remediation.
    assert "replace the AROA…/AIDA… ID with {intermediate_arn}" in (out.remediation or "")


def test_qs202_wrong_path_fails() -> None:
    wrong = f"arn:aws:iam::{INTER_ACCT}:role/qs/QuiverstoneTrustedIntermediate"
    d = dest(trust(stmt({"AWS": wrong})))
    out = destination_trust_principal(facts(d), d)
    assert out.status is Status.FAIL
    assert "path" in out.detail
    assert wrong in out.detail


def test_qs202_wildcard_fails_as_exposure() -> None:
    d = dest(trust(stmt({"AWS": "*"}, condition=ext_cond())))
    out = destination_trust_principal(facts(d), d)
    assert out.status is Status.FAIL
    assert any(e.kind == EXPOSURE_EVIDENCE_KIND for e in out.evidence)


def test_qs202_extra_principals_warn() -> None:
    d = dest(trust(stmt({"AWS": [INTERMEDIATE, "arn:aws:iam::999988887777:root"]})))
    out = destination_trust_principal(facts(d), d)
    assert out.status is Status.WARN
    assert "999988887777" in out.detail


def test_qs202_uses_configured_arn_when_intermediate_role_unread() -> None:
    d = dest()
    f = facts(d, intermediate_role=Skipped("no credentials for account 111122223333"))
    assert destination_trust_principal(f, d).status is Status.PASS


def test_qs202_skips_when_intermediate_role_is_missing() -> None:
    d = dest()
    out = run("QS202", d, facts(d, intermediate_role=Ok(None)))
    assert out.status is Status.SKIP
    assert "QS101" in out.detail


def test_qs202_skips_when_role_missing() -> None:
    out = run("QS202", dest(None))
    assert out.status is Status.SKIP
    assert "QS201" in out.detail


# ------------------------------------------------------------------------------ QS203


def test_qs203_match_passes_without_revealing_values() -> None:
    d = dest()
    out = destination_external_id(facts(d), d)
    assert out.status is Status.PASS
    assert DEST_EXT not in text_of(out)


def test_qs203_mismatch_fails_with_safe_hints() -> None:
    d = dest(ext=DEST_EXT + "x")
    out = destination_external_id(facts(d), d)
    assert out.status is Status.FAIL
    assert "prefix" in out.detail
    assert DEST_EXT not in text_of(out)


def test_qs203_reuse_of_intermediate_external_id_warns() -> None:
    d = dest(trust(stmt({"AWS": INTERMEDIATE}, condition=ext_cond(INTER_EXT))), ext=INTER_EXT)
    out = destination_external_id(facts(d), d)
    assert out.status is Status.WARN
    assert "reuses the intermediate role's External ID" in out.detail
    assert INTER_EXT not in text_of(out)


def test_qs203_none_supplied_warns_as_possible_cause() -> None:
    d = dest(ext=None)
    out = destination_external_id(facts(d), d)
    assert out.status is Status.WARN
    assert any(e.kind == POSSIBLE_CAUSE_EVIDENCE_KIND for e in out.evidence)
    assert "QSDOCTOR_DESTINATION_EXTERNAL_ID" in (out.remediation or "")


def test_qs203_no_condition_passes() -> None:
    d = dest(trust(stmt({"AWS": INTERMEDIATE})))
    out = destination_external_id(facts(d), d)
    assert out.status is Status.PASS
    assert "requires no External ID" in out.detail


def test_qs203_impossible_value_fails() -> None:
    d = dest(trust(stmt({"AWS": INTERMEDIATE}, condition=ext_cond("has a space in it"))))
    out = destination_external_id(facts(d), d)
    assert out.status is Status.FAIL
    assert "never match" in out.detail
    assert out.title == "Destination trust's External ID condition can never match"
    assert "has a space in it" not in text_of(out)


def test_qs203_skips_when_trust_does_not_admit() -> None:
    d = dest(trust(stmt({"AWS": "999988887777"})))
    out = run("QS203", d)
    assert out.status is Status.SKIP
    assert "QS202" in out.detail


# ------------------------------------------------------------------------------ QS204


def test_qs204_nothing_carried_passes() -> None:
    d = dest()
    out = destination_session_requirements(facts(d), d)
    assert out.status is Status.PASS
    assert "only sts:AssumeRole" in out.detail


def test_qs204_missing_set_source_identity_fails() -> None:
    d = dest()
    out = destination_session_requirements(facts(d, source_identity="jdoe"), d)
    assert out.status is Status.FAIL
    assert "sts:SetSourceIdentity" in out.detail


def test_qs204_allowed_actions_pass() -> None:
    doc = trust(
        stmt(
            {"AWS": INTERMEDIATE},
            actions=["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
        )
    )
    d = dest(doc)
    out = destination_session_requirements(
        facts(d, source_identity="jdoe", session_tag_keys=("team",)), d
    )
    assert out.status is Status.PASS
    assert "sts:SetSourceIdentity and sts:TagSession" in out.detail


def test_qs204_inherited_tags_need_tag_session() -> None:
    doc = trust(stmt({"AWS": INTERMEDIATE}, actions=["sts:AssumeRole", "sts:SetSourceIdentity"]))
    d = dest(doc)
    out = destination_session_requirements(facts(d, session_tag_keys=("team",)), d)
    assert out.status is Status.FAIL
    assert "sts:TagSession" in out.detail
    assert "sts:SetSourceIdentity" not in out.detail


def test_findings_never_carry_external_ids_through_the_runner() -> None:
    from qsdoctor.checks.registry import _finding

    load_all()
    d = dest(ext=DEST_EXT + "x")
    f = facts(d)
    found: list[Finding] = [
        _finding(_REGISTRY[cid], DEST, _run_one(_REGISTRY[cid], f, (d,), {}), f)
        for cid in ("QS201", "QS202", "QS203", "QS204")
    ]
    dumped = json.dumps([x.to_dict() for x in found], default=str)
    assert DEST_EXT not in dumped
    assert INTER_EXT not in dumped
