"""QS102-QS104 and QS109 on hand-built Facts, with trusts written as AWS documents them.

Expected statuses are stated by hand from AWS's documented behaviour (aws-facts.md §4),
never computed with qsdoctor's own policy engine.
"""

from __future__ import annotations

import pytest
from intermediate_world import (
    EXTERNAL_ID,
    NOT_READ,
    REFERENCE_TRUST,
    VENDOR,
    denied,
    facts,
    one,
    role,
    text_of,
    trust_with,
    vendor_caller,
    with_role,
)

from qsdoctor.models import Ok, Status
from qsdoctor.secrets import ExternalId

ROOT = f"arn:aws:iam::{VENDOR}:root"
OTHER_ACCOUNT = "999988887777"


def two_statements(second: dict[str, object]) -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": [REFERENCE_TRUST["Statement"][0], second]}


# QS102 -------------------------------------------------------------------------------


@pytest.mark.parametrize("principal", [{"AWS": ROOT}, {"AWS": VENDOR}, {"AWS": [ROOT]}])
def test_qs102_passes_for_the_account_principal_in_any_spelling(principal: object) -> None:
    f = one("QS102", with_role(trust=trust_with(Principal=principal)))
    assert f.status is Status.PASS
    assert f"production account {VENDOR}" in f.detail
    assert f.evidence
    assert f.evidence[0].kind == "statement"


def test_qs102_passes_for_a_specific_vendor_role_and_says_which() -> None:
    principal = {"AWS": f"arn:aws:iam::{VENDOR}:role/Support"}
    f = one(
        "QS102",
        facts(
            intermediate_role=Ok(role(trust=trust_with(Principal=principal))),
            callers=(vendor_caller(),),
        ),
    )
    assert f.status is Status.PASS
    assert f"arn:aws:iam::{VENDOR}:role/Support" in f.detail


def test_qs102_fails_when_another_account_is_trusted_and_names_it() -> None:
    trust = trust_with(Principal={"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"})
    f = one("QS102", with_role(trust=trust))
    assert f.status is Status.FAIL
    assert f"does not admit the production account {VENDOR}" in f.detail
    assert OTHER_ACCOUNT in f.detail
    assert f"arn:aws:iam::{VENDOR}:root" in f.remediation


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}])
def test_qs102_fails_on_a_wildcard_principal_even_with_a_condition(principal: object) -> None:
    f = one("QS102", with_role(trust=trust_with(Principal=principal)))
    assert f.status is Status.FAIL
    assert "wildcard principal" in f.detail
    assert "conditions" in f.detail
    assert "wildcard" in f.remediation


def test_qs102_fails_when_only_a_stale_unique_id_is_left() -> None:
    trust = trust_with(Principal={"AWS": "AROA3XFRBF535PLBIFPI4"})
    f = one("QS102", with_role(trust=trust))
    assert f.status is Status.FAIL
    assert "AROA3XFRBF535PLBIFPI4" in f.detail
    assert "deleted" in f.detail


def test_qs102_warns_on_a_stale_id_next_to_the_account() -> None:
    trust = trust_with(Principal={"AWS": [ROOT, "AIDAJQABLZS4A3QDU576Q"]})
    f = one("QS102", with_role(trust=trust))
    assert f.status is Status.WARN
    assert "AIDAJQABLZS4A3QDU576Q" in f.detail


def test_qs102_warns_on_extra_principals() -> None:
    extra = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:role/Ops"},
        "Action": "sts:AssumeRole",
    }
    f = one("QS102", with_role(trust=two_statements(extra)))
    assert f.status is Status.WARN
    assert f"arn:aws:iam::{OTHER_ACCOUNT}:role/Ops" in f.detail
    assert "remove the other principals" in f.remediation


def test_qs102_evidence_never_shows_the_external_id() -> None:
    f = one("QS102", facts())
    assert EXTERNAL_ID not in text_of(f)


def test_qs102_skips_when_the_role_is_missing() -> None:
    f = one("QS102", facts(intermediate_role=Ok(None)))
    assert f.status is Status.SKIP
    assert "QS101" in f.detail


def test_qs102_errors_when_the_role_cannot_be_read() -> None:
    f = one("QS102", facts(intermediate_role=denied("iam:GetRole")))
    assert f.status is Status.ERROR


# QS103 -------------------------------------------------------------------------------


def test_qs103_passes_for_the_reference_trust() -> None:
    f = one("QS103", facts())
    assert f.status is Status.PASS
    assert "StringEquals" in f.detail
    assert EXTERNAL_ID not in text_of(f)


def test_qs103_warns_without_an_external_id_condition() -> None:
    f = one("QS103", with_role(trust=trust_with(Condition=None)))
    assert f.status is Status.WARN
    assert "confused deputy" in f.detail
    assert "pExternalId" in f.remediation


@pytest.mark.parametrize(
    "condition",
    [
        # true when no External ID is sent: IfExists, negated operators, ForAllValues
        {"StringEqualsIfExists": {"sts:ExternalId": EXTERNAL_ID}},
        {"StringNotEquals": {"sts:ExternalId": "something-else-entirely-0123456789"}},
        {"ForAllValues:StringEquals": {"sts:ExternalId": EXTERNAL_ID}},
        # StringLike with * accepts many values
        {"StringLike": {"sts:ExternalId": "acme-*"}},
    ],
    ids=["if-exists", "negated", "for-all-values", "like-wildcard"],
)
def test_qs103_warns_when_the_condition_is_weak(condition: dict[str, object]) -> None:
    f = one("QS103", with_role(trust=trust_with(Condition=condition)))
    assert f.status is Status.WARN
    assert "does not enforce" in f.detail
    assert "StringEquals" in f.remediation


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"sts:ExternalId": "has spaces in it so STS can never send it"}},
        {"StringEquals": {"sts:ExternalId": ""}},
        {"StringEquals": {"sts:ExternalIdd": EXTERNAL_ID}},
    ],
    ids=["space", "empty", "misspelt-key"],
)
def test_qs103_fails_when_the_condition_can_never_match(condition: dict[str, object]) -> None:
    f = one("QS103", with_role(trust=trust_with(Condition=condition)))
    assert f.status is Status.FAIL
    assert "can never match" in f.detail


def test_qs103_key_case_does_not_matter() -> None:
    condition = {"StringEquals": {"STS:externalid": EXTERNAL_ID}}
    f = one("QS103", with_role(trust=trust_with(Condition=condition)))
    assert f.status is Status.PASS


def test_qs103_the_weakest_admitting_statement_decides() -> None:
    open_door = {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "sts:AssumeRole"}
    f = one("QS103", with_role(trust=two_statements(open_door)))
    assert f.status is Status.WARN
    assert "#2" in f.detail


def test_qs103_skips_when_the_account_is_not_trusted() -> None:
    trust = trust_with(Principal={"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"})
    f = one("QS103", with_role(trust=trust))
    assert f.status is Status.SKIP
    assert "QS102" in f.detail


# QS104 -------------------------------------------------------------------------------


def test_qs104_passes_when_the_configured_id_matches() -> None:
    f = one("QS104", facts())
    assert f.status is Status.PASS
    assert EXTERNAL_ID not in text_of(f)


def test_qs104_passes_with_the_account_root_when_no_vendor_caller_is_known() -> None:
    f = one("QS104", facts(callers=()))
    assert f.status is Status.PASS


def test_qs104_fails_on_a_mismatch_with_safe_hints_only() -> None:
    configured = EXTERNAL_ID[:-1]  # one character short: a copy-paste slip
    f = one("QS104", facts(external_id=ExternalId(configured, source="test")))
    assert f.status is Status.FAIL
    assert "does not match" in f.detail
    assert "prefix" in f.detail
    assert f"{len(EXTERNAL_ID)} chars" in f.detail
    # Lengths and fingerprints on one line, the safe hint on its own.
    assert f.detail.splitlines()[1].startswith("hint: one is a prefix of the other")
    out = text_of(f)
    assert EXTERNAL_ID not in out
    assert configured not in out
    assert "pExternalId" in f.remediation


def test_qs104_mismatch_in_case_only_is_named() -> None:
    f = one("QS104", facts(external_id=ExternalId(EXTERNAL_ID.swapcase(), source="test")))
    if EXTERNAL_ID.swapcase() == EXTERNAL_ID:
        pytest.skip("generated value has no letters")
    assert f.status is Status.FAIL
    assert "upper/lower case" in f.detail


def test_qs104_whitespace_is_named() -> None:
    f = one("QS104", facts(external_id=ExternalId(EXTERNAL_ID + "\n", source="test")))
    assert f.status is Status.FAIL
    assert "whitespace" in f.detail


def test_qs104_ignore_case_operator_accepts_other_case() -> None:
    condition = {"StringEqualsIgnoreCase": {"sts:ExternalId": EXTERNAL_ID.upper()}}
    f = one("QS104", with_role(trust=trust_with(Condition=condition)))
    assert f.status is Status.PASS


def test_qs104_warns_when_the_trust_requires_none() -> None:
    f = one("QS104", with_role(trust=trust_with(Condition=None)))
    assert f.status is Status.WARN
    assert "QS103" in f.detail


def test_qs104_fails_when_another_condition_still_refuses() -> None:
    condition = {
        "StringEquals": {
            "sts:ExternalId": EXTERNAL_ID,
            "aws:PrincipalArn": f"arn:aws:iam::{VENDOR}:role/Platform",
        }
    }
    f = one("QS104", with_role(trust=trust_with(Condition=condition)))
    assert f.status is Status.FAIL
    assert "still refuses" in f.detail
    assert f.title == "Trust refuses hop 1 despite a matching External ID"
    assert EXTERNAL_ID not in text_of(f)


def test_qs104_skips_without_a_configured_id() -> None:
    f = one("QS104", facts(external_id=None))
    assert f.status is Status.SKIP
    assert "QSDOCTOR_EXTERNAL_ID" in f.detail
    assert "--external-id-file" in f.detail


def test_qs104_skips_when_role_not_read() -> None:
    f = one("QS104", facts(intermediate_role=NOT_READ))
    assert f.status is Status.SKIP


# QS109 -------------------------------------------------------------------------------


def test_qs109_passes_when_hop1_carries_nothing_extra() -> None:
    f = one("QS109", facts())
    assert f.status is Status.PASS
    assert "no source identity or session tags" in f.detail


def test_qs109_fails_when_source_identity_is_not_allowed() -> None:
    f = one("QS109", facts(source_identity="jdoe@quiverstone"))
    assert f.status is Status.FAIL
    assert "sts:SetSourceIdentity" in f.detail
    assert "sts:TagSession" not in f.detail


def test_qs109_fails_when_session_tags_are_not_allowed() -> None:
    f = one("QS109", facts(session_tag_keys=("Customer",)))
    assert f.status is Status.FAIL
    assert "sts:TagSession" in f.detail
    assert "Customer" in f.detail
    # Whose request was judged is evidence, not the first words of the cause.
    assert f.detail.startswith("the trust does not allow sts:TagSession")
    assert any("judged for the hop-1 caller" in e.summary for e in f.evidence)


def test_qs109_passes_when_the_trust_allows_both() -> None:
    trust = trust_with(Action=["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"])
    f = one(
        "QS109",
        facts(
            intermediate_role=Ok(role(trust=trust)),
            source_identity="jdoe",
            session_tag_keys=("Customer",),
        ),
    )
    assert f.status is Status.PASS
    assert "sts:SetSourceIdentity and sts:TagSession" in f.detail


def test_qs109_skips_when_the_role_is_missing() -> None:
    f = one("QS109", facts(intermediate_role=Ok(None), source_identity="jdoe"))
    assert f.status is Status.SKIP


def test_qs102_a_deny_with_a_wildcard_principal_is_fine() -> None:
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sts:AssumeRole",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    f = one("QS102", with_role(trust=two_statements(deny)))
    assert f.status is Status.PASS


def test_qs102_fails_on_not_principal_with_allow() -> None:
    trust = trust_with(Principal=None, NotPrincipal={"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"})
    f = one("QS102", with_role(trust=trust))
    assert f.status is Status.FAIL
    assert "NotPrincipal" in f.detail


def test_qs102_warns_when_the_caller_is_not_the_trusted_vendor_principal() -> None:
    principal = {"AWS": f"arn:aws:iam::{VENDOR}:role/Platform"}
    f = one("QS102", with_role(trust=trust_with(Principal=principal)))
    assert f.status is Status.WARN
    assert "Support/jdoe" in f.detail


def test_qs104_judges_the_external_id_for_the_trusted_vendor_role() -> None:
    # The trust names the platform role, not the support engineer running qsdoctor: the
    # External ID still matches (QS102 reports who may run hop 1).
    principal = {"AWS": f"arn:aws:iam::{VENDOR}:role/Platform"}
    f = one("QS104", with_role(trust=trust_with(Principal=principal)))
    assert f.status is Status.PASS
    wrong = one(
        "QS104",
        facts(
            intermediate_role=Ok(role(trust=trust_with(Principal=principal))),
            external_id=ExternalId(EXTERNAL_ID[1:], source="test"),
        ),
    )
    assert wrong.status is Status.FAIL
    assert "does not match" in wrong.detail


def test_qs109_judges_the_trusted_vendor_role() -> None:
    principal = {"AWS": f"arn:aws:iam::{VENDOR}:role/Platform"}
    trust = trust_with(Principal=principal, Action=["sts:AssumeRole", "sts:SetSourceIdentity"])
    f = one("QS109", facts(intermediate_role=Ok(role(trust=trust)), source_identity="jdoe"))
    assert f.status is Status.PASS


def _source_identity_trust(pinned: str) -> dict[str, object]:
    # A second statement, as AWS documents it: SetSourceIdentity allowed only for one value.
    return two_statements(
        {
            "Effect": "Allow",
            "Principal": {"AWS": ROOT},
            "Action": "sts:SetSourceIdentity",
            "Condition": {"StringEquals": {"sts:SourceIdentity": pinned}},
        }
    )


def test_qs109_fails_when_the_trust_pins_another_source_identity() -> None:
    f = one(
        "QS109",
        facts(
            intermediate_role=Ok(role(trust=_source_identity_trust("platform"))),
            source_identity="jdoe",
        ),
    )
    assert f.status is Status.FAIL
    assert "sts:SetSourceIdentity only under conditions" in f.detail


def test_qs109_passes_when_the_pinned_source_identity_is_the_one_sent() -> None:
    f = one(
        "QS109",
        facts(
            intermediate_role=Ok(role(trust=_source_identity_trust("jdoe"))), source_identity="jdoe"
        ),
    )
    assert f.status is Status.PASS


def test_qs109_without_an_external_id_does_not_fail_on_its_condition() -> None:
    trust = trust_with(Action=["sts:AssumeRole", "sts:TagSession"])
    f = one(
        "QS109",
        facts(
            intermediate_role=Ok(role(trust=trust)),
            external_id=None,
            session_tag_keys=("Customer",),
        ),
    )
    assert f.status is Status.PASS
    assert "were not checked" in f.detail
    assert EXTERNAL_ID not in text_of(f)
