"""Property-based tests: invariants AWS's evaluation logic guarantees for any policies.

- adding a Deny statement never turns a deny into an allow (and never un-denies);
- the order of statements never matters;
- the case of condition key names never matters;
- any malformed document yields a PolicyError, never another exception.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy_helpers import DESTINATION_ROLE, INTERMEDIATE, INTERMEDIATE_SESSION, PRODUCTION

from qsdoctor.errors import PolicyError
from qsdoctor.policy import Decision, Request, evaluate, parse_policy

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ACTIONS = ["sts:AssumeRole", "sts:*", "*", "sts:TagSession", "s3:GetObject", "sts:Assume?ole"]
RESOURCES = [
    DESTINATION_ROLE,
    "arn:aws:iam::*:role/*",
    "*",
    "arn:aws:iam::*:role/Other",
    "arn:aws:iam::210987654321:role/Quiverstone*",
]
PRINCIPALS: list[Any] = [
    "*",
    {"AWS": INTERMEDIATE},
    {"AWS": f"arn:aws:iam::{INTERMEDIATE}:root"},
    {"AWS": f"arn:aws:iam::{INTERMEDIATE}:role/QuiverstoneTrustedIntermediate"},
    {"AWS": PRODUCTION},
    {"AWS": "AROA3XFRBF535PLBIFPI4"},
    {"Service": "ec2.amazonaws.com"},
]
KEYS = [
    "sts:ExternalId",
    "aws:PrincipalAccount",
    "aws:SourceIp",
    "aws:TagKeys",
    "aws:PrincipalTag/team",
    "aws:MultiFactorAuthPresent",
]
OPERATORS = [
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "StringEqualsIfExists",
    "ForAnyValue:StringEquals",
    "ForAllValues:StringEquals",
    "IpAddress",
    "Bool",
    "Null",
    "ArnLike",
    "StringEqualsIgnoreCase",
]
VALUES = ["abc", "ABC", "blue", INTERMEDIATE, "203.0.113.0/24", "true", "false", "a*", "${*}"]

conditions = st.dictionaries(
    st.sampled_from(OPERATORS),
    st.dictionaries(
        st.sampled_from(KEYS),
        st.lists(st.sampled_from(VALUES), min_size=1, max_size=2),
        min_size=1,
        max_size=2,
    ),
    max_size=2,
)


@st.composite
def statements(draw: st.DrawFn, *, with_principal: bool) -> dict[str, Any]:
    stmt: dict[str, Any] = {
        "Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"])),
        draw(st.sampled_from(["Action", "Action", "NotAction"])): draw(
            st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=2)
        ),
    }
    if with_principal:
        stmt["Principal"] = draw(st.sampled_from(PRINCIPALS))
    else:
        stmt["Resource"] = draw(st.lists(st.sampled_from(RESOURCES), min_size=1, max_size=2))
    cond = draw(conditions)
    if cond:
        stmt["Condition"] = cond
    return stmt


def documents(*, with_principal: bool) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda s: {"Version": "2012-10-17", "Statement": s},
        st.lists(statements(with_principal=with_principal), min_size=1, max_size=4),
    )


contexts = st.dictionaries(
    st.sampled_from(KEYS),
    st.one_of(
        st.sampled_from(["abc", "ABC", "blue", "203.0.113.9", "true", INTERMEDIATE]),
        st.lists(st.sampled_from(["abc", "blue"]), max_size=2),
    ),
    max_size=3,
)


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "identity": draw(st.lists(documents(with_principal=False), max_size=2)),
        "trust": draw(st.one_of(st.none(), documents(with_principal=True))),
        "boundary": draw(st.one_of(st.none(), documents(with_principal=False))),
        "scps": draw(st.one_of(st.none(), st.lists(documents(with_principal=False), max_size=2))),
        "context": draw(contexts),
        "principal": draw(
            st.sampled_from(
                [
                    INTERMEDIATE_SESSION,
                    f"arn:aws:iam::{PRODUCTION}:root",
                    f"arn:aws:iam::{INTERMEDIATE}:user/bob",
                ]
            )
        ),
    }


def decide(sc: dict[str, Any]) -> Decision:
    return evaluate(
        Request(
            principal=sc["principal"],
            action="sts:AssumeRole",
            resource=DESTINATION_ROLE,
            context=sc["context"],
        ),
        identity_policies=[parse_policy(d, name=f"id{i}") for i, d in enumerate(sc["identity"])],
        trust_policy=parse_policy(sc["trust"], name="trust") if sc["trust"] else None,
        permission_boundary=parse_policy(sc["boundary"], name="b") if sc["boundary"] else None,
        scps=[parse_policy(d, name=f"scp{i}") for i, d in enumerate(sc["scps"])]
        if sc["scps"] is not None
        else None,
    ).decision


def _with_statement(sc: dict[str, Any], where: str, stmt: dict[str, Any]) -> dict[str, Any]:
    new = json.loads(json.dumps(sc))
    if where == "trust":
        if new["trust"] is None:
            return new
        new["trust"]["Statement"].append(stmt)
    elif where == "identity":
        new["identity"].append({"Version": "2012-10-17", "Statement": [stmt]})
    elif where == "boundary" and new["boundary"] is not None:
        new["boundary"]["Statement"].append(stmt)
    elif where == "scps" and new["scps"] is not None:
        new["scps"].append({"Version": "2012-10-17", "Statement": [stmt]})
    return new


@SETTINGS
@given(scenarios(), st.data())
def test_adding_a_deny_never_allows_more(sc: dict[str, Any], data: st.DataObject) -> None:
    where = data.draw(st.sampled_from(["trust", "identity", "boundary", "scps"]))
    stmt = data.draw(statements(with_principal=where == "trust"))
    stmt["Effect"] = "Deny"
    before = decide(sc)
    after = decide(_with_statement(sc, where, stmt))
    if before is not Decision.ALLOWED:
        assert after is not Decision.ALLOWED
    if before is Decision.EXPLICIT_DENY:
        assert after is Decision.EXPLICIT_DENY


@SETTINGS
@given(scenarios(), st.randoms(use_true_random=False))
def test_statement_order_never_matters(sc: dict[str, Any], rnd: Any) -> None:
    shuffled = json.loads(json.dumps(sc))
    for doc in [
        *shuffled["identity"],
        shuffled["trust"],
        shuffled["boundary"],
        *(shuffled["scps"] or []),
    ]:
        if doc:
            rnd.shuffle(doc["Statement"])
    rnd.shuffle(shuffled["identity"])
    assert decide(shuffled) is decide(sc)


def _recase(doc: dict[str, Any] | None, rnd: Any) -> None:
    if not doc:
        return
    for stmt in doc["Statement"]:
        for block in stmt.get("Condition", {}).values():
            for key in list(block):
                new = "".join(c.upper() if rnd.random() < 0.5 else c.lower() for c in key)
                block[new] = block.pop(key)


@SETTINGS
@given(scenarios(), st.randoms(use_true_random=False))
def test_condition_key_case_never_matters(sc: dict[str, Any], rnd: Any) -> None:
    recased = json.loads(json.dumps(sc))
    for doc in [
        *recased["identity"],
        recased["trust"],
        recased["boundary"],
        *(recased["scps"] or []),
    ]:
        _recase(doc, rnd)
    recased["context"] = {
        "".join(c.upper() if rnd.random() < 0.5 else c for c in k): v
        for k, v in recased["context"].items()
    }
    assert decide(recased) is decide(sc)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=5)
    | st.sampled_from(["Allow", "Deny", "*", "sts:AssumeRole", "2012-10-17", "StringEquals"]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "Version",
                    "Statement",
                    "Effect",
                    "Action",
                    "NotAction",
                    "Resource",
                    "Principal",
                    "NotPrincipal",
                    "Condition",
                    "Sid",
                    "AWS",
                    "Service",
                    "StringEquals",
                    "sts:ExternalId",
                    "x",
                ]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(json_values, st.text(max_size=30), json_values.map(json.dumps)))
def test_malformed_documents_raise_policy_error_only(document: Any) -> None:
    try:
        policy = parse_policy(document, name="fuzzed")
    except PolicyError as e:
        message = e.message
        policy = None
    if policy is None:
        assert message.startswith("fuzzed")
        return
    # a document that parses must also evaluate without raising
    result = evaluate(
        Request(principal=INTERMEDIATE_SESSION, action="sts:AssumeRole", resource=DESTINATION_ROLE),
        identity_policies=[policy],
        trust_policy=policy,
    )
    assert result.decision in tuple(Decision)
    assert json.loads(json.dumps(result.to_dict()))["decision"] == result.decision.value
