"""Correctness audit of QS102-QS109 and QS202-QS203 decisions on hand-built Facts.

Each expected status is derived by hand from AWS's documentation (cited per test;
"IAM UG x" = https://docs.aws.amazon.com/IAM/latest/UserGuide/x.html), never from
qsdoctor's own output. A doctor that names the wrong cause is worse than none.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

from qsdoctor.checks.registry import _REGISTRY, _run_one, load_all
from qsdoctor.facts import (
    CallerFacts,
    CallerIdentity,
    Destination,
    Facts,
    NamedPolicy,
    RoleFacts,
    RolePermissions,
)
from qsdoctor.models import Ok, Outcome, Status
from qsdoctor.secrets import ExternalId

VENDOR = "684035162433"
INTER = "111122223333"
DEST_ACCT = "210987654321"
ROLE_NAME = "QuiverstoneTrustedIntermediate"
INTERMEDIATE = f"arn:aws:iam::{INTER}:role/{ROLE_NAME}"
DEST = f"arn:aws:iam::{DEST_ACCT}:role/QuiverstoneChainedAccess"
SAME_ACCOUNT_DEST = f"arn:aws:iam::{INTER}:role/QuiverstoneChainedAccess"
EXT = secrets.token_urlsafe(32)
DEST_EXT = secrets.token_urlsafe(32)
WRONG = secrets.token_urlsafe(32)
ROOT = {"AWS": f"arn:aws:iam::{VENDOR}:root"}


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def stmt(
    principal: Any, condition: Any = None, *, effect: str = "Allow", action: Any = "sts:AssumeRole"
) -> dict[str, Any]:
    s: dict[str, Any] = {"Effect": effect, "Principal": principal, "Action": action}
    if condition is not None:
        s["Condition"] = condition
    return s


def scope(resource: str) -> dict[str, Any]:
    return doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": resource})


REFERENCE_TRUST = doc(stmt(ROOT, {"StringEquals": {"sts:ExternalId": EXT}}))


def role(
    arn: str,
    trust: dict[str, Any],
    identity: tuple[dict[str, Any], ...] = (),
    boundary: dict[str, Any] | None = None,
) -> RoleFacts:
    name = arn.rsplit("/", 1)[1]
    path = arn.split(":role", 1)[1][: -len(name)]
    return RoleFacts(
        arn=arn,
        name=name,
        path=path,
        role_id="AROAEXAMPLEAUDIT0001",
        account_id=arn.split(":")[4],
        trust_policy=trust,
        create_date="2026-01-05T10:00:00Z",
        permissions=Ok(
            RolePermissions(
                inline=tuple(
                    NamedPolicy(name=f"P{i}", kind="inline", document=d)
                    for i, d in enumerate(identity)
                ),
                attached=(),
                boundary=NamedPolicy(name="Boundary", kind="boundary", document=boundary)
                if boundary
                else None,
            )
        ),
    )


def facts(
    trust: dict[str, Any] = REFERENCE_TRUST,
    *,
    identity: tuple[dict[str, Any], ...] = (scope("arn:aws:iam::*:role/*"),),
    destinations: tuple[Destination, ...] = (),
    external_id: str | None = EXT,
    intermediate_arn: str = INTERMEDIATE,
    boundary: dict[str, Any] | None = None,
    **changes: Any,
) -> Facts:
    base = Facts(
        collected_at="2026-12-04T16:00:00Z",
        vendor_account_id=VENDOR,
        intermediate_arn=intermediate_arn,
        region="us-east-1",
        callers=(
            CallerFacts(
                label="caller",
                profile="qs",
                identity=Ok(
                    CallerIdentity(
                        account=VENDOR,
                        arn=f"arn:aws:sts::{VENDOR}:assumed-role/Support/jdoe",
                        user_id="AROAX:jdoe",
                    )
                ),
            ),
        ),
        external_id=ExternalId(external_id, source="test") if external_id else None,
        intermediate_role=Ok(role(intermediate_arn, trust, identity, boundary)),
        destinations=destinations,
    )
    return replace(base, **changes)


def dest(trust: dict[str, Any], *, arn: str = DEST, ext: str | None = DEST_EXT) -> Destination:
    return Destination(
        arn=arn,
        role=Ok(role(arn, trust)),
        external_id=ExternalId(ext, source="test") if ext else None,
    )


def run(check_id: str, f: Facts, *args: object) -> Outcome:
    load_all()
    return _run_one(_REGISTRY[check_id], f, args, {})


# --------------------------------------------------------------------------------------
# QS102: who the intermediate trust admits (IAM UG reference_policies_elements_principal)


def test_qs102_reference_trust_and_bare_account_pass() -> None:
    assert run("QS102", facts()).status is Status.PASS
    bare = doc(stmt({"AWS": VENDOR}, {"StringEquals": {"sts:ExternalId": EXT}}))
    assert run("QS102", facts(bare)).status is Status.PASS


def test_qs102_role_principal_of_the_production_account_passes() -> None:
    trust = doc(
        stmt(
            {"AWS": f"arn:aws:iam::{VENDOR}:role/Support"},
            {"StringEquals": {"sts:ExternalId": EXT}},
        )
    )
    assert run("QS102", facts(trust)).status is Status.PASS


def test_qs102_another_account_fails() -> None:
    trust = doc(stmt({"AWS": "arn:aws:iam::999988887777:root"}))
    out = run("QS102", facts(trust))
    assert out.status is Status.FAIL
    assert "999988887777" in out.detail


def test_qs102_not_principal_allow_fails() -> None:
    # reference_policies_elements_notprincipal: Allow + NotPrincipal admits everyone
    # not listed, in every account.
    trust = doc(
        {
            "Effect": "Allow",
            "NotPrincipal": {"AWS": "arn:aws:iam::999988887777:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": EXT}},
        }
    )
    assert run("QS102", facts(trust)).status is Status.FAIL


def test_qs102_wildcard_restricted_to_the_vendor_account_is_not_an_open_door() -> None:
    # reference_policies_elements_principal: "*" means anyone *unless* a Condition
    # restricts it. Here aws:PrincipalAccount pins the production account, so only it
    # gets in: not a wildcard exposure, but not the reference's form either -> warn.
    trust = doc(
        stmt(
            "*",
            {"StringEquals": {"aws:PrincipalAccount": VENDOR, "sts:ExternalId": EXT}},
        )
    )
    out = run("QS102", facts(trust))
    assert out.status is Status.WARN, out.detail
    assert "any AWS account" not in out.detail
    arn_like = doc(
        stmt(
            {"AWS": "*"},
            {
                "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{VENDOR}:role/*"},
                "StringEquals": {"sts:ExternalId": EXT},
            },
        )
    )
    assert run("QS102", facts(arn_like)).status is Status.WARN
    # a negated condition (StringNotEquals another account) leaves the door open
    negated = doc(stmt("*", {"StringNotEquals": {"aws:PrincipalAccount": "999988887777"}}))
    assert run("QS102", facts(negated)).status is Status.FAIL
    # the same wildcard pinned to *another* account admits no production principal
    foreign = doc(stmt("*", {"StringEquals": {"aws:PrincipalAccount": "999988887777"}}))
    assert run("QS102", facts(foreign)).status is Status.FAIL


def test_qs102_plain_wildcard_still_fails() -> None:
    trust = doc(stmt({"AWS": "*"}, {"StringEquals": {"sts:ExternalId": EXT}}))
    assert run("QS102", facts(trust)).status is Status.FAIL


# --------------------------------------------------------------------------------------
# QS103 / QS104: is the External ID enforced, and does the configured one match?
# (IAM UG reference_policies_elements_condition_operators; reference_policies_evaluation
# -logic: an explicit Deny overrides any Allow.)


def test_qs103_second_statement_without_external_id_warns() -> None:
    trust = doc(
        stmt(ROOT, {"StringEquals": {"sts:ExternalId": EXT}}),
        stmt(ROOT),
    )
    out = run("QS103", facts(trust))
    assert out.status is Status.WARN
    assert "statement #2" in out.detail, out.detail


def test_qs103_rotation_list_passes_and_qs104_matches_either() -> None:
    old = secrets.token_urlsafe(32)
    trust = doc(stmt(ROOT, {"StringEquals": {"sts:ExternalId": [old, EXT]}}))
    assert run("QS103", facts(trust)).status is Status.PASS
    assert run("QS104", facts(trust)).status is Status.PASS
    assert run("QS104", facts(trust, external_id=old)).status is Status.PASS
    assert run("QS104", facts(trust, external_id=WRONG)).status is Status.FAIL


def test_qs103_key_case_is_irrelevant() -> None:
    trust = doc(stmt(ROOT, {"StringEquals": {"STS:externalid": EXT}}))
    assert run("QS103", facts(trust)).status is Status.PASS
    assert run("QS104", facts(trust)).status is Status.PASS


def test_qs103_unenforcing_operators_warn() -> None:
    for op in ("StringEqualsIfExists", "StringNotEquals", "ForAllValues:StringEquals"):
        trust = doc(stmt(ROOT, {op: {"sts:ExternalId": EXT}}))
        assert run("QS103", facts(trust)).status is Status.WARN, op
    like = doc(stmt(ROOT, {"StringLike": {"sts:ExternalId": "*"}}))
    assert run("QS103", facts(like)).status is Status.WARN
    null_false = doc(stmt(ROOT, {"Null": {"sts:ExternalId": "false"}}))
    assert run("QS103", facts(null_false)).status is Status.WARN


def test_qs103_value_with_space_fails() -> None:
    # aws-facts §4: STS never sends a value outside [\w+=,.@:/-]; the role is unassumable.
    trust = doc(stmt(ROOT, {"StringEquals": {"sts:ExternalId": "abc def ghi jkl"}}))
    assert run("QS103", facts(trust)).status is Status.FAIL


def test_qs104_ignore_case_matches_other_case() -> None:
    trust = doc(stmt(ROOT, {"StringEqualsIgnoreCase": {"sts:ExternalId": EXT}}))
    assert run("QS104", facts(trust, external_id=EXT.swapcase())).status is Status.PASS


def _deny_unless(value: str) -> dict[str, Any]:
    return stmt({"AWS": "*"}, {"StringNotEquals": {"sts:ExternalId": value}}, effect="Deny")


def test_external_id_enforced_by_a_deny_statement() -> None:
    # Allow without a condition + Deny "StringNotEquals sts:ExternalId X": a request
    # without an ID (negated operator, absent key -> true) or with another value is
    # explicitly denied; only X gets in. The External ID IS enforced.
    trust = doc(stmt(ROOT), _deny_unless(EXT))
    q103 = run("QS103", facts(trust))
    assert q103.status is Status.PASS, q103.detail
    assert run("QS104", facts(trust)).status is Status.PASS
    q104 = run("QS104", facts(trust, external_id=WRONG))
    assert q104.status is Status.FAIL, q104.detail
    assert EXT not in q104.detail
    assert WRONG not in q104.detail


def test_deny_on_missing_key_only_enforces_presence() -> None:
    # Deny with Null true refuses requests without an ID, but any value passes.
    trust = doc(
        stmt(ROOT),
        stmt({"AWS": "*"}, {"Null": {"sts:ExternalId": "true"}}, effect="Deny"),
    )
    out = run("QS103", facts(trust))
    assert out.status is Status.WARN
    assert "any" in out.detail.lower()


def test_qs104_principal_arn_condition_other_role() -> None:
    # The trust pins another production role by aws:PrincipalArn: the configured ID
    # matches, but the caller is refused for another reason -> still a failure, and
    # it must not be blamed on the External ID.
    trust = doc(
        stmt(
            ROOT,
            {
                "StringEquals": {"sts:ExternalId": EXT},
                "ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{VENDOR}:role/Scanner"},
            },
        )
    )
    out = run("QS104", facts(trust))
    assert out.status is Status.FAIL
    assert "matches" in out.detail


# --------------------------------------------------------------------------------------
# QS202 / QS203: destination trusts (IAM UG reference_policies_elements_principal,
# reference_policies_condition-keys#condition-keys-principalarn)


def test_qs202_named_all_stale_other_account() -> None:
    named = doc(stmt({"AWS": INTERMEDIATE}))
    assert run("QS202", facts(destinations=(dest(named),)), dest(named)).status is Status.PASS
    all_ = doc(stmt({"AWS": f"arn:aws:iam::{INTER}:root"}))
    assert run("QS202", facts(), dest(all_)).status is Status.WARN
    stale = doc(stmt({"AWS": "AROA3XFRBF535PLBIFPI4"}))
    assert run("QS202", facts(), dest(stale)).status is Status.FAIL
    other = doc(stmt({"AWS": "arn:aws:iam::444455556666:root"}))
    assert run("QS202", facts(), dest(other)).status is Status.FAIL


def test_qs202_intermediate_role_with_path() -> None:
    with_path = f"arn:aws:iam::{INTER}:role/quiverstone/{ROLE_NAME}"
    f = facts(intermediate_arn=with_path)
    assert run("QS202", f, dest(doc(stmt({"AWS": with_path})))).status is Status.PASS
    assert run("QS202", f, dest(doc(stmt({"AWS": INTERMEDIATE})))).status is Status.FAIL
    # aws:PrincipalArn under the account principal: the ARN with its path is Named
    pinned = doc(
        stmt(
            {"AWS": f"arn:aws:iam::{INTER}:root"},
            {"ArnEquals": {"aws:PrincipalArn": with_path}},
        )
    )
    assert run("QS202", f, dest(pinned)).status is Status.PASS
    unpathed = doc(
        stmt(
            {"AWS": f"arn:aws:iam::{INTER}:root"},
            {"ArnEquals": {"aws:PrincipalArn": INTERMEDIATE}},
        )
    )
    assert run("QS202", f, dest(unpathed)).status is Status.FAIL


def test_qs202_principal_arn_wildcard_is_not_named() -> None:
    # StringLike "arn:aws:iam::INTER:role/*" admits every role of the intermediate
    # account: that is "All" in effect, not "Named".
    like_all = doc(
        stmt(
            {"AWS": f"arn:aws:iam::{INTER}:root"},
            {"StringLike": {"aws:PrincipalArn": f"arn:aws:iam::{INTER}:role/*"}},
        )
    )
    out = run("QS202", facts(), dest(like_all))
    assert out.status is Status.WARN, out.detail
    assert "Named" not in out.detail
    # a wildcard only in the account field, under the intermediate account's principal,
    # still admits only the intermediate role: Named
    any_account = doc(
        stmt(
            {"AWS": f"arn:aws:iam::{INTER}:root"},
            {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::*:role/{ROLE_NAME}"}},
        )
    )
    assert run("QS202", facts(), dest(any_account)).status is Status.PASS


def test_qs203_deny_enforced_destination_external_id() -> None:
    trust = doc(stmt({"AWS": INTERMEDIATE}), _deny_unless(DEST_EXT))
    assert run("QS203", facts(), dest(trust)).status is Status.PASS
    out = run("QS203", facts(), dest(trust, ext=WRONG))
    assert out.status is Status.FAIL, out.detail
    assert run("QS203", facts(), dest(trust, ext=None)).status is Status.WARN


# --------------------------------------------------------------------------------------
# Same-account chains: the destination lives in the intermediate account.
# IAM UG reference_policies_evaluation-logic: within one account, a resource-based
# policy (the trust) that names the principal is enough without an identity Allow;
# one that names only the account needs the identity Allow too.


def test_qs106_same_account_named_trust_needs_no_identity_allow() -> None:
    named = dest(doc(stmt({"AWS": INTERMEDIATE})), arn=SAME_ACCOUNT_DEST)
    no_assume = (scope(f"arn:aws:iam::{DEST_ACCT}:role/Elsewhere"),)
    f = facts(identity=no_assume, destinations=(named,))
    out = run("QS106", f, named)
    assert out.status is Status.PASS, out.detail
    # a permissions boundary still limits a grant to the role ARN (only a grant to the
    # exact session ARN escapes it): access_policies_boundaries, evaluation-logic
    s3_only = doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    fb = facts(identity=no_assume, destinations=(named,), boundary=s3_only)
    assert run("QS106", fb, named).status is Status.FAIL
    # an account-principal trust still needs the identity Allow
    all_ = dest(doc(stmt({"AWS": f"arn:aws:iam::{INTER}:root"})), arn=SAME_ACCOUNT_DEST)
    f2 = facts(identity=no_assume, destinations=(all_,))
    assert run("QS106", f2, all_).status is Status.FAIL
    # and cross-account, naming the role is never enough on its own
    cross = dest(doc(stmt({"AWS": INTERMEDIATE})))
    f3 = facts(identity=no_assume, destinations=(cross,))
    assert run("QS106", f3, cross).status is Status.FAIL


def test_qs107_reference_scopes() -> None:
    for resource, kind in (
        ("arn:aws:iam::*:role/*", "any-role-any-account"),
        ("arn:aws:iam::*:role/QuiverstoneChainedAccess", "specific-role-any-account"),
        (DEST, "specific-account-and-role"),
    ):
        f = facts(
            identity=(scope(resource),), destinations=(dest(doc(stmt({"AWS": INTERMEDIATE}))),)
        )
        out = run("QS107", f)
        assert out.title is not None
        assert kind in out.title, (resource, out.title)


# --------------------------------------------------------------------------------------
# QS204: what the chained session carries. IAM UG id_credentials_temp_control-access
# _monitor: once set, the source identity "is present in the request for all actions
# taken by the role" and "persists when a role is used to assume another role".


def _si_trust(value: str) -> dict[str, Any]:
    return doc(
        stmt(
            {"AWS": INTERMEDIATE},
            {"StringEquals": {"aws:SourceIdentity": value}},
            action=["sts:AssumeRole", "sts:SetSourceIdentity"],
        )
    )


def test_qs204_destination_pinning_another_source_identity_fails() -> None:
    f = facts(source_identity="jdoe")
    assert run("QS204", f, dest(_si_trust("jdoe"))).status is Status.PASS
    out = run("QS204", f, dest(_si_trust("someone-else")))
    assert out.status is Status.FAIL, out.detail
    assert "sts:SetSourceIdentity" in out.detail


def test_qs204_conditions_needing_an_unsupplied_external_id_are_not_guessed() -> None:
    trust = doc(
        stmt(
            {"AWS": INTERMEDIATE},
            {"StringEquals": {"sts:ExternalId": DEST_EXT}},
            action=["sts:AssumeRole", "sts:SetSourceIdentity"],
        )
    )
    f = facts(source_identity="jdoe")
    assert run("QS204", f, dest(trust)).status is Status.PASS
    assert run("QS204", f, dest(trust, ext=None)).status is Status.PASS
    # a wrong External ID refuses sts:AssumeRole itself: QS203's finding, not QS204's
    assert run("QS204", f, dest(trust, ext=WRONG)).status is Status.SKIP


def test_qs204_leaves_other_refusals_to_qs202_and_qs203() -> None:
    # aws:PrincipalArn naming another role refuses hop 2 whatever it carries: QS202's
    # finding; QS204 must not blame the source identity for it.
    trust = doc(
        stmt(
            {"AWS": f"arn:aws:iam::{INTER}:root"},
            {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{INTER}:role/Other"}},
            action=["sts:AssumeRole", "sts:SetSourceIdentity"],
        )
    )
    f = facts(source_identity="jdoe")
    assert run("QS204", f, dest(trust)).status is Status.SKIP


def test_qs204_deny_on_the_carried_source_identity_fails() -> None:
    trust = doc(
        stmt({"AWS": INTERMEDIATE}, action=["sts:AssumeRole", "sts:SetSourceIdentity"]),
        stmt(
            {"AWS": "*"},
            {"StringNotEquals": {"aws:SourceIdentity": "svc-quiverstone"}},
            effect="Deny",
            action="sts:*",
        ),
    )
    assert run("QS204", facts(source_identity="jdoe"), dest(trust)).status is Status.FAIL
    ok = facts(source_identity="svc-quiverstone")
    assert run("QS204", ok, dest(trust)).status is Status.PASS


# --------------------------------------------------------------------------------------
# An unconditional Deny in a trust beats every Allow (IAM UG reference_policies
# _evaluation-logic): the trust then does NOT admit the principal, whatever the Allow
# says, and the principal checks must say so rather than pass.


def test_qs102_unconditional_deny_of_the_production_account_fails() -> None:
    trust = doc(
        stmt(ROOT, {"StringEquals": {"sts:ExternalId": EXT}}),
        stmt({"AWS": VENDOR}, effect="Deny"),
    )
    out = run("QS102", facts(trust))
    assert out.status is Status.FAIL, out.detail
    assert "Deny" in out.detail or "denies" in out.detail


def test_qs202_unconditional_deny_of_the_intermediate_role_fails() -> None:
    trust = doc(stmt({"AWS": INTERMEDIATE}), stmt({"AWS": INTERMEDIATE}, effect="Deny"))
    out = run("QS202", facts(), dest(trust))
    assert out.status is Status.FAIL, out.detail
    # a Deny for someone else changes nothing
    other = doc(
        stmt({"AWS": INTERMEDIATE}),
        stmt({"AWS": f"arn:aws:iam::{INTER}:role/Other"}, effect="Deny"),
    )
    assert run("QS202", facts(), dest(other)).status is Status.PASS


def test_qs203_no_id_supplied_but_another_statement_needs_none() -> None:
    # Two Allow statements admit the intermediate role, one without a condition: STS
    # admits hop 2 without an External ID (any one Allow suffices), so QS203 must not
    # claim "hop 2 without one is refused" (nor offer itself as a denial's cause).
    trust = doc(
        stmt({"AWS": INTERMEDIATE}, {"StringEquals": {"sts:ExternalId": DEST_EXT}}),
        stmt({"AWS": INTERMEDIATE}),
    )
    out = run("QS203", facts(), dest(trust, ext=None))
    assert out.status is not Status.FAIL
    assert "refused" not in out.detail, out.detail
    assert all(e.kind != "possible-cause" for e in out.evidence)


def test_qs107_not_resource_scope_does_not_leave_out_an_allowed_destination() -> None:
    # IAM UG reference_policies_elements_notresource: Allow + NotResource allows every
    # resource except those listed, so DEST is allowed (QS106 passes).
    not_admin = doc(
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "NotResource": f"arn:aws:iam::{DEST_ACCT}:role/Admin",
        }
    )
    d = dest(doc(stmt({"AWS": INTERMEDIATE})))
    f = facts(identity=(not_admin,), destinations=(d,))
    assert run("QS106", f, d).status is Status.PASS
    out = run("QS107", f)
    assert "does not include" not in out.detail, out.detail
    # and a destination the NotResource excludes is left out
    admin = dest(doc(stmt({"AWS": INTERMEDIATE})), arn=f"arn:aws:iam::{DEST_ACCT}:role/Admin")
    f2 = facts(identity=(not_admin,), destinations=(admin,))
    assert "does not include" in run("QS107", f2).detail


def test_qs204_tag_conditions_are_not_guessed() -> None:
    # aws-facts §3: whether inherited transitive tags appear in hop 2's aws:TagKeys is
    # undocumented; a tag condition must neither fail nor silently pass as checked.
    trust = doc(
        stmt(
            {"AWS": INTERMEDIATE},
            {"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}},
            action=["sts:AssumeRole", "sts:TagSession"],
        )
    )
    out = run("QS204", facts(session_tag_keys=("team",)), dest(trust))
    assert out.status is Status.PASS, out.detail
    assert "not checked" in out.detail


def test_qs103_empty_value_next_to_a_valid_one_is_no_failure() -> None:
    trust = doc(stmt(ROOT, {"StringEquals": {"sts:ExternalId": ["", EXT]}}))
    out = run("QS103", facts(trust))
    assert out.status is not Status.FAIL, out.detail
    assert run("QS104", facts(trust)).status is Status.PASS


def test_qs103_one_bad_value_among_good_ones_is_no_failure() -> None:
    # reference_policies_elements_condition_operators: values under one key are ORed,
    # so one unusable value does not make the statement unsatisfiable.
    trust = doc(
        stmt(
            ROOT,
            {
                "StringEquals": {"sts:ExternalId": EXT},
                "ArnEquals": {"aws:PrincipalArn": ["", f"arn:aws:iam::{VENDOR}:role/Support"]},
                "NumericLessThan": {"sts:DurationSeconds": ["not-a-number", "3600"]},
            },
        )
    )
    out = run("QS103", facts(trust))
    assert out.status is Status.PASS, out.detail
    only_bad = doc(
        stmt(
            ROOT,
            {
                "StringEquals": {"sts:ExternalId": EXT},
                "NumericLessThan": {"sts:DurationSeconds": "not-a-number"},
            },
        )
    )
    assert run("QS103", facts(only_bad)).status is Status.FAIL


def test_qs109_deny_enforced_external_id_without_a_configured_one_is_not_a_failure() -> None:
    # The real hop 1 sends the External ID; without it qsdoctor cannot evaluate the
    # Deny on sts:ExternalId, so it must not blame sts:SetSourceIdentity for it.
    trust = doc(
        stmt(ROOT, action=["sts:AssumeRole", "sts:SetSourceIdentity"]),
        stmt(
            {"AWS": "*"},
            {"StringNotEquals": {"sts:ExternalId": EXT}},
            effect="Deny",
            action="sts:*",
        ),
    )
    out = run("QS109", facts(trust, external_id=None, source_identity="jdoe"))
    assert out.status is Status.PASS, out.detail
    assert "not checked" in out.detail
    wrong = facts(trust, source_identity="jdoe")
    assert run("QS109", wrong).status is Status.PASS
