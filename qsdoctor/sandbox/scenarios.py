"""The sandbox's scenarios: a world, what AWS would decide in it, its trail, and what to expect.

Each scenario is written by hand. Its gate table says which AssumeRole requests
AWS would allow in that world and with which exact error it would refuse the
rest (see `gate`); its trail says what CloudTrail would hold; its `expected`
list says, check by check, what a correct diagnosis reports, reasoned from
the reference and aws-facts.md, never obtained by running qsdoctor. The
end-to-end tests hold qsdoctor to these, and `qsdoctor demo --list` shows them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from qsdoctor.models import Status
from qsdoctor.sandbox import world as w
from qsdoctor.sandbox.gate import (
    ALLOW,
    CHAINING_LIMIT,
    DENY_SET_SOURCE_IDENTITY,
    DENY_TAG_SESSION,
    IdMatch,
    Rule,
    deny_with,
)
from qsdoctor.sandbox.trail import TrailSpec

P, W, F, S = Status.PASS, Status.WARN, Status.FAIL, Status.SKIP

#: Any principal of the production account (IAM users and role sessions).
PRODUCTION_CALLER = f"arn:aws:*::{w.PRODUCTION}:*"
#: Sessions of the intermediate role, whatever qsdoctor names them.
HOP1_SESSION = f"arn:aws:sts::{w.INTERMEDIATE}:assumed-role/{w.INTERMEDIATE_ROLE_NAME}/*"
#: The session the trail's platform calls come from, and the one it gets in each account.
PLATFORM_SESSION = f"arn:aws:sts::{w.PRODUCTION}:assumed-role/QuiverstonePlatform/qs-chain-sync"
#: The External ID the platform used before the customer rotated it.
OLD_EXTERNAL_ID = "qs-acme-2019-Rb8Tq3Wd6Yn1Ks4Vm9Hx2Pc7Jz5"
#: A member account the StackSet has not reached yet: its destination role is missing.
NEW_ACCOUNT = "333344445555"
NEW_DESTINATION_ROLE = f"arn:aws:iam::{NEW_ACCOUNT}:role/{w.DESTINATION_ROLE_NAME}"
#: The reference's example value, deployed as is.
PLACEHOLDER_EXTERNAL_ID = "your-external-id-here"
#: A mistyped intermediate role name (two letters swapped).
TYPO_ROLE = f"arn:aws:iam::{w.INTERMEDIATE}:role/QuiverstoneTrustedIntermedaite"

#: AWS's fixed rule, in every table: a role session may not ask for more than an hour.
CHAINING = Rule(
    caller="arn:aws:sts::*:assumed-role/*",
    role="*",
    duration_over=3600,
    decision=CHAINING_LIMIT,
    note="role chaining caps DurationSeconds at 3600 and fails above it",
)


def hop1_rows(
    caller: str = PRODUCTION_CALLER,
    external_id: IdMatch = IdMatch.EXACT,
    *,
    source_identity_allowed: bool = False,
    value: str = w.EXTERNAL_ID,
) -> tuple[Rule, ...]:
    """Hop-1 rows for a trust admitting `caller` with the given External ID matching.

    Without sts:SetSourceIdentity / sts:TagSession in the trust, STS refuses a
    request carrying them with the action-specific AccessDenied.
    """
    value = value if external_id in (IdMatch.EXACT, IdMatch.OTHER) else ""
    base = Rule(
        caller=caller,
        role=w.INTERMEDIATE_ROLE,
        external_id=external_id,
        value=value,
        decision=ALLOW,
    )
    return (
        replace(
            base,
            session_tags=True,
            decision=DENY_TAG_SESSION,
            note="the intermediate trust lacks sts:TagSession",
        ),
        replace(
            base,
            source_identity=True,
            decision=ALLOW if source_identity_allowed else DENY_SET_SOURCE_IDENTITY,
            note=(
                "the intermediate trust allows sts:SetSourceIdentity"
                if source_identity_allowed
                else "the intermediate trust lacks sts:SetSourceIdentity"
            ),
        ),
        replace(
            base,
            source_identity=False,
            decision=ALLOW,
            note="the intermediate trust admits the caller; its own policy allows the call",
        ),
    )


def hop2_rows(
    caller: str = HOP1_SESSION,
    *,
    source_identity_allowed: bool = False,
    external_id: str = w.DESTINATION_EXTERNAL_ID,
) -> tuple[Rule, ...]:
    """Hop-2 rows for a destination trust admitting `caller` with its External ID."""
    base = Rule(
        caller=caller,
        role=w.DESTINATION_ROLE,
        external_id=IdMatch.EXACT,
        value=external_id,
        decision=ALLOW,
    )
    return (
        replace(
            base,
            session_tags=True,
            decision=DENY_TAG_SESSION,
            note="the destination trust lacks sts:TagSession",
        ),
        replace(
            base,
            source_identity=True,
            decision=ALLOW if source_identity_allowed else DENY_SET_SOURCE_IDENTITY,
            note=(
                "the destination trust allows sts:SetSourceIdentity"
                if source_identity_allowed
                else "the destination trust lacks sts:SetSourceIdentity"
            ),
        ),
        replace(
            base,
            source_identity=False,
            decision=ALLOW,
            note="the destination trust admits the intermediate role; its scope allows it",
        ),
    )


def healthy_trail() -> tuple[TrailSpec, ...]:
    """The platform syncing hourly, both hops succeeding."""
    return (
        TrailSpec(template="hop1-success", minutes_ago=(35, 95, 155, 215)),
        TrailSpec(template="hop2-success", minutes_ago=(34, 94, 154, 214)),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """One sandbox scenario and the diagnosis it must produce."""

    name: str
    summary: str
    """One line for `demo --list`."""
    explanation: str
    """What is broken and what to look for: the demo's banner."""
    world: w.WorldSpec = field(default_factory=w.healthy_world)
    gate: tuple[Rule, ...] = ()
    trail: tuple[TrailSpec, ...] = field(default_factory=healthy_trail)
    intermediate_arn: str = w.INTERMEDIATE_ROLE
    destination_arns: tuple[str, ...] = (w.DESTINATION_ROLE,)
    external_id: str | None = w.EXTERNAL_ID
    """What Quiverstone is configured with (QSDOCTOR_EXTERNAL_ID)."""
    destination_external_id: str | None = w.DESTINATION_EXTERNAL_ID
    extra_args: tuple[str, ...] = ()
    expected: tuple[tuple[str, Status], ...] = ()
    """(check ID, status) pairs a correct diagnosis reports; checks not listed are free."""
    expected_exit: int = 0
    expected_for: tuple[tuple[str, str, Status], ...] = ()
    """(check ID, subject, status) for per-destination checks whose destinations differ."""
    expected_text: tuple[tuple[str, str], ...] = ()
    """(check ID, text) pairs: the finding must mention the text (e.g. a near match)."""

    def secrets(self) -> tuple[str, ...]:
        """Every External ID in play: none may appear in qsdoctor's output."""
        values = {w.EXTERNAL_ID, w.DESTINATION_EXTERNAL_ID, OLD_EXTERNAL_ID}
        values |= {v for v in (self.external_id, self.destination_external_id) if v}
        return tuple(sorted(values))

    def environment(self) -> dict[str, str]:
        """The External ID variables as the support engineer would export them."""
        env = {}
        if self.external_id is not None:
            env["QSDOCTOR_EXTERNAL_ID"] = self.external_id
        if self.destination_external_id is not None:
            env["QSDOCTOR_DESTINATION_EXTERNAL_ID"] = self.destination_external_id
        return env

    def check_args(self) -> list[str]:
        """`qsdoctor check` arguments, as in the README's example."""
        args = ["check", "--intermediate-arn", self.intermediate_arn]
        for arn in self.destination_arns:
            args += ["--destination-arn", arn]
        args += [
            "--profile",
            w.SUPPORT_PROFILE,
            "--intermediate-profile",
            w.INTERMEDIATE_PROFILE,
            "--destination-profile",
            w.DESTINATION_PROFILE,
            "--region",
            w.REGION,
        ]
        return [*args, *self.extra_args]

    def trail_values(self) -> Mapping[str, str]:
        """The world's names, for the trail templates' blanks."""
        return {
            "PRODUCTION": w.PRODUCTION,
            "INTERMEDIATE": w.INTERMEDIATE,
            "DESTINATION": w.DESTINATION,
            "INTERMEDIATE_ROLE": w.INTERMEDIATE_ROLE,
            "INTERMEDIATE_ROLE_NAME": w.INTERMEDIATE_ROLE_NAME,
            "HOP1_ROLE": self.intermediate_arn,
            "HOP2_ROLE": self.destination_arns[0],
            "PLATFORM_SESSION_ARN": PLATFORM_SESSION,
            "HOP1_SESSION_ARN": HOP1_SESSION.replace("*", "quiverstone-sync"),
            "HOP2_SESSION_ARN": (
                f"arn:aws:sts::{w.DESTINATION}:assumed-role/{w.DESTINATION_ROLE_NAME}"
                "/quiverstone-sync"
            ),
            "PRESENTED_EXTERNAL_ID": w.EXTERNAL_ID,
            "DESTINATION_PRESENTED_EXTERNAL_ID": w.DESTINATION_EXTERNAL_ID,
        }


def _roles(
    intermediate: w.RoleSpec | None = None, destination: w.RoleSpec | None = None
) -> w.WorldSpec:
    healthy_intermediate, healthy_destination = w.healthy_roles()
    return replace(
        w.healthy_world(),
        roles=(intermediate or healthy_intermediate, destination or healthy_destination),
    )


def _intermediate(**changes: object) -> w.RoleSpec:
    return replace(w.healthy_roles()[0], **changes)  # type: ignore[arg-type]


def _destination(**changes: object) -> w.RoleSpec:
    return replace(w.healthy_roles()[1], **changes)  # type: ignore[arg-type]


HEALTHY_GATE = (CHAINING, *hop1_rows(), *hop2_rows())
ALL_PASS = tuple(
    (check_id, P)
    for check_id in (
        "QS001",
        "QS101",
        "QS102",
        "QS103",
        "QS104",
        "QS105",
        "QS106",
        "QS107",
        "QS108",
        "QS109",
        "QS201",
        "QS202",
        "QS203",
        "QS204",
        "QS301",
        "QS302",
        "QS303",
        "QS401",
        "QS402",
        "QS403",
    )
)
HOP2_DENIED_TRAIL = (
    TrailSpec(template="hop1-success", minutes_ago=(30, 90, 150)),
    TrailSpec(template="hop2-denied", minutes_ago=(29, 89, 149)),
)

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        name="healthy",
        summary="The reference's recommended deployment (Scenario 3); everything passes.",
        explanation=(
            "Nothing is broken: specific-role-any-account scope, External IDs on both hops, "
            "Named destination trust, a logging trail. Every check should pass."
        ),
        gate=HEALTHY_GATE,
        expected=ALL_PASS,
        expected_exit=0,
    ),
    Scenario(
        name="external-id-mismatch",
        summary="Quiverstone is configured with a different External ID than the trust.",
        explanation=(
            "The External ID Quiverstone uses is one character short of the trust policy's. "
            "Look for QS104 (with safe hints, never the value), hop 1 denied (QS301) and the "
            "platform's failures in the production trail (QS402)."
        ),
        gate=HEALTHY_GATE,
        external_id=w.EXTERNAL_ID[:-1],
        trail=(
            TrailSpec(template="hop1-success", minutes_ago=(400, 460)),
            TrailSpec(
                template="hop1-denied-with-id",
                minutes_ago=(10, 70, 130, 190, 250),
                values={"PRESENTED_EXTERNAL_ID": w.EXTERNAL_ID[:-1]},
            ),
        ),
        expected=(
            ("QS101", P),
            ("QS102", P),
            ("QS103", P),
            ("QS104", F),
            ("QS301", F),
            ("QS302", S),
            ("QS303", S),
            ("QS402", F),
        ),
        expected_exit=1,
    ),
    Scenario(
        name="no-external-id-condition",
        summary="The intermediate trust has no sts:ExternalId condition; probes get in.",
        explanation=(
            "The trust admits the production account without an External ID, so the hops "
            "work but the External ID protects nothing. Look for QS103 and the negative "
            "probes of QS303 being accepted."
        ),
        world=_roles(intermediate=_intermediate(trust=w.vendor_trust(external_id=None))),
        gate=(CHAINING, *hop1_rows(external_id=IdMatch.ANY), *hop2_rows()),
        expected=(("QS103", W), ("QS301", P), ("QS302", P), ("QS303", W)),
        expected_exit=0,
    ),
    Scenario(
        name="untrusted-vendor",
        summary="The intermediate trust names another account instead of 684035162433.",
        explanation=(
            f"The trust admits {w.STRANGER}, not Quiverstone's production account. Look for "
            "QS102, hop 1 denied (QS301) and the platform's failures (QS402)."
        ),
        world=_roles(
            intermediate=_intermediate(
                trust=w.vendor_trust(principal=f"arn:aws:iam::{w.STRANGER}:root")
            )
        ),
        gate=(CHAINING, *hop1_rows(caller=f"arn:aws:*::{w.STRANGER}:*"), *hop2_rows()),
        trail=(TrailSpec(template="hop1-denied", minutes_ago=(15, 75, 135)),),
        expected=(("QS101", P), ("QS102", F), ("QS301", F), ("QS302", S), ("QS402", F)),
        expected_exit=1,
    ),
    Scenario(
        name="wildcard-principal",
        summary='The intermediate trust admits "Principal": "*" (anyone with the ID).',
        explanation=(
            "The trust lets any AWS principal assume the role as long as it knows the "
            "External ID. Hops work; QS102 must fail on the wildcard."
        ),
        world=_roles(intermediate=_intermediate(trust=w.vendor_trust(principal="*"))),
        gate=(CHAINING, *hop1_rows(caller="*"), *hop2_rows()),
        expected=(
            ("QS102", F),
            ("QS103", P),
            ("QS104", P),
            ("QS301", P),
            ("QS302", P),
            ("QS303", P),
        ),
        expected_exit=1,
    ),
    Scenario(
        name="role-missing",
        summary="The configured intermediate role ARN has a typo; QS101 suggests the real one.",
        explanation=(
            "Quiverstone is configured with QuiverstoneTrustedIntermedaite (letters swapped). "
            "STS answers a missing role with the same AccessDenied as a trust problem; QS101 "
            "should say the role does not exist and suggest QuiverstoneTrustedIntermediate."
        ),
        gate=HEALTHY_GATE,
        intermediate_arn=TYPO_ROLE,
        trail=(TrailSpec(template="hop1-denied", minutes_ago=(20, 80, 140)),),
        expected=(("QS101", F), ("QS301", F), ("QS302", S), ("QS402", F)),
        expected_exit=1,
        expected_text=(("QS101", w.INTERMEDIATE_ROLE_NAME),),
    ),
    Scenario(
        name="scope-mismatch",
        summary="specific-role-any-account scope names another destination role.",
        explanation=(
            "The scope policy allows arn:aws:iam::*:role/QuiverstoneChainedOrgInventory, but "
            "the destination is QuiverstoneChainedAccess. Look for QS106/QS107 and hop 2 "
            "denied (QS302, QS403)."
        ),
        world=_roles(
            intermediate=_intermediate(
                inline={
                    "AssumeRoleScope": w.scope_policy(
                        resource="arn:aws:iam::*:role/QuiverstoneChainedOrgInventory"
                    )
                }
            )
        ),
        gate=(CHAINING, *hop1_rows()),
        trail=HOP2_DENIED_TRAIL,
        expected=(("QS106", F), ("QS107", W), ("QS301", P), ("QS302", F), ("QS403", F)),
        expected_exit=1,
    ),
    Scenario(
        name="missing-assume-permission",
        summary="An explicit Deny on sts:AssumeRole in the intermediate role's policies.",
        explanation=(
            "Someone added a Deny for sts:AssumeRole on the destination account's roles. "
            "Look for QS106 naming the deny statement, and hop 2 denied (QS302)."
        ),
        world=_roles(
            intermediate=_intermediate(
                inline={
                    "AssumeRoleScope": w.scope_policy(),
                    "GuardrailNoChaining": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "DenyChainingToDestination",
                                "Effect": "Deny",
                                "Action": "sts:AssumeRole",
                                "Resource": f"arn:aws:iam::{w.DESTINATION}:role/*",
                            }
                        ],
                    },
                }
            )
        ),
        gate=(
            CHAINING,
            *hop1_rows(),
            Rule(
                caller=HOP1_SESSION,
                role=w.DESTINATION_ROLE,
                decision=deny_with(
                    "User: {caller} is not authorized to perform: sts:AssumeRole on resource: "
                    "{role} with an explicit deny in an identity-based policy"
                ),
                note="the caller's own account names the policy type in the denial",
            ),
        ),
        trail=HOP2_DENIED_TRAIL,
        expected=(("QS106", F), ("QS301", P), ("QS302", F), ("QS403", F)),
        expected_exit=1,
    ),
    Scenario(
        name="destination-trust-other-account",
        summary="The destination trust names an intermediate role in another account.",
        explanation=(
            f"The destination trusts arn:aws:iam::{w.STRANGER}:role/{w.INTERMEDIATE_ROLE_NAME} "
            "(wrong pIntermediateAccountId). Look for QS202 and hop 2 denied."
        ),
        world=_roles(
            destination=_destination(
                trust=w.destination_trust(
                    principal=f"arn:aws:iam::{w.STRANGER}:role/{w.INTERMEDIATE_ROLE_NAME}"
                )
            )
        ),
        gate=(
            CHAINING,
            *hop1_rows(),
            *hop2_rows(
                caller=f"arn:aws:sts::{w.STRANGER}:assumed-role/{w.INTERMEDIATE_ROLE_NAME}/*"
            ),
        ),
        trail=HOP2_DENIED_TRAIL,
        expected=(("QS201", P), ("QS202", F), ("QS301", P), ("QS302", F), ("QS403", F)),
        expected_exit=1,
    ),
    Scenario(
        name="destination-stale-principal",
        summary="The destination trust holds a stale AROA… ID (intermediate role re-created).",
        explanation=(
            "The intermediate role was deleted and re-created; IAM shows the destination "
            "trust's principal as the old role's unique ID, which admits no one. Look for "
            "QS202 naming the unique ID, and hop 2 denied."
        ),
        world=_roles(
            destination=_destination(trust=w.destination_trust(principal="AROA4QSSTALE7INTERMED2"))
        ),
        gate=(CHAINING, *hop1_rows()),
        trail=HOP2_DENIED_TRAIL,
        expected=(("QS201", P), ("QS202", F), ("QS301", P), ("QS302", F)),
        expected_exit=1,
    ),
    Scenario(
        name="destination-wrong-path",
        summary="The destination trust names the intermediate role under a wrong path.",
        explanation=(
            "The destination trusts role/quiverstone/QuiverstoneTrustedIntermediate, but the "
            "role lives at path /. Role ARNs in trusts must carry the exact path. Look for "
            "QS202 and hop 2 denied."
        ),
        world=_roles(
            destination=_destination(
                trust=w.destination_trust(
                    principal=f"arn:aws:iam::{w.INTERMEDIATE}:role/quiverstone/"
                    f"{w.INTERMEDIATE_ROLE_NAME}"
                )
            )
        ),
        gate=(CHAINING, *hop1_rows()),
        trail=HOP2_DENIED_TRAIL,
        expected=(("QS201", P), ("QS202", F), ("QS301", P), ("QS302", F)),
        expected_exit=1,
    ),
    Scenario(
        name="destination-not-deployed",
        summary="Two destinations; the StackSet has not reached the second account yet.",
        explanation=(
            f"QuiverstoneChainedAccess exists in {w.DESTINATION} but not in {NEW_ACCOUNT}. "
            "STS answers a missing role with a bare AccessDenied; findings are per "
            f"destination, so look for QS302 failing for {NEW_ACCOUNT} only (and QS201 "
            "wherever the role can be read)."
        ),
        gate=(CHAINING, *hop1_rows(), *hop2_rows()),
        destination_arns=(w.DESTINATION_ROLE, NEW_DESTINATION_ROLE),
        trail=(
            TrailSpec(template="hop1-success", minutes_ago=(30, 90)),
            TrailSpec(template="hop2-success", minutes_ago=(29, 89)),
            TrailSpec(
                template="hop2-denied",
                minutes_ago=(28, 88),
                values={"HOP2_ROLE": NEW_DESTINATION_ROLE},
            ),
        ),
        expected=(("QS101", P), ("QS104", P), ("QS301", P), ("QS403", F)),
        expected_for=(
            ("QS106", w.DESTINATION_ROLE, P),
            ("QS106", NEW_DESTINATION_ROLE, P),
            ("QS201", w.DESTINATION_ROLE, P),
            ("QS302", w.DESTINATION_ROLE, P),
            ("QS302", NEW_DESTINATION_ROLE, F),
        ),
        expected_exit=1,
    ),
    Scenario(
        name="destination-trust-all",
        summary='The destination trusts the whole intermediate account ("All"): a warning.',
        explanation=(
            "pTrustPrincipals=All: any principal of the intermediate account may assume the "
            "destination role. It works; QS202 warns and recommends Named trust."
        ),
        world=_roles(
            destination=_destination(
                trust=w.destination_trust(principal=f"arn:aws:iam::{w.INTERMEDIATE}:root")
            )
        ),
        # NOTE: the account trust admits any principal of the intermediate account whose
        # own policies allow the call; in this world that is only the intermediate
        # role (the auditor may not assume roles), so the rows are the healthy ones.
        gate=HEALTHY_GATE,
        expected=(("QS201", P), ("QS202", W), ("QS203", P), ("QS302", P)),
        expected_exit=0,
    ),
    Scenario(
        name="destination-external-id-mismatch",
        summary="The destination External ID differs from the destination trust's.",
        explanation=(
            "Hop 1 works; the destination External ID Quiverstone uses differs in case from "
            "the destination trust's. Look for QS203 and hop 2 denied."
        ),
        gate=HEALTHY_GATE,
        destination_external_id=w.DESTINATION_EXTERNAL_ID.lower(),
        trail=HOP2_DENIED_TRAIL,
        expected=(("QS203", F), ("QS301", P), ("QS302", F), ("QS403", F)),
        expected_exit=1,
    ),
    Scenario(
        name="missing-set-source-identity",
        summary="--source-identity set, but the destination trust lacks sts:SetSourceIdentity.",
        explanation=(
            "Sessions carry a source identity. The intermediate trust allows "
            "sts:SetSourceIdentity, the destination trust does not, so hop 2 fails with an "
            "sts:SetSourceIdentity AccessDenied. Look for QS204 and QS302."
        ),
        world=_roles(
            intermediate=_intermediate(
                trust=w.vendor_trust(actions=["sts:AssumeRole", "sts:SetSourceIdentity"]),
                inline={
                    "AssumeRoleScope": w.scope_policy(
                        actions=["sts:AssumeRole", "sts:SetSourceIdentity"]
                    )
                },
            )
        ),
        gate=(CHAINING, *hop1_rows(source_identity_allowed=True), *hop2_rows()),
        extra_args=("--source-identity", "jdoe"),
        expected=(("QS109", P), ("QS204", F), ("QS301", P), ("QS302", F)),
        expected_exit=1,
    ),
    Scenario(
        name="missing-tag-session",
        summary="Session tags passed, but the intermediate trust lacks sts:TagSession.",
        explanation=(
            "Hop 1 passes a session tag (as --session-tag does, or as some platforms do on "
            "their own); the reference's trust allows only sts:AssumeRole, so STS refuses "
            "hop 1 with an sts:TagSession AccessDenied. Look for QS109 and QS301 (and QS204: "
            "the tag is transitive, and the destination trust lacks sts:TagSession too)."
        ),
        gate=HEALTHY_GATE,
        extra_args=("--session-tag", "team=support"),
        expected=(("QS104", P), ("QS109", F), ("QS301", F), ("QS302", S)),
        expected_exit=1,
    ),
    Scenario(
        name="placeholder-external-id",
        summary='The trust and Quiverstone both use the reference\'s "your-external-id-here".',
        explanation=(
            "The template was deployed with the documentation's example External ID, and "
            "Quiverstone was configured with the same. Everything works, but anyone who has "
            "read the reference knows the ID. Look for QS105."
        ),
        world=_roles(
            intermediate=_intermediate(trust=w.vendor_trust(external_id=PLACEHOLDER_EXTERNAL_ID))
        ),
        gate=(CHAINING, *hop1_rows(value=PLACEHOLDER_EXTERNAL_ID), *hop2_rows()),
        external_id=PLACEHOLDER_EXTERNAL_ID,
        trail=(
            TrailSpec(
                template="hop1-success",
                minutes_ago=(35, 95),
                values={"PRESENTED_EXTERNAL_ID": PLACEHOLDER_EXTERNAL_ID},
            ),
            TrailSpec(template="hop2-success", minutes_ago=(34, 94)),
        ),
        expected=(("QS104", P), ("QS105", W), ("QS301", P), ("QS303", P)),
        expected_exit=0,
    ),
    Scenario(
        name="role-chaining-duration",
        summary="The platform asks 12 h on hop 2; CloudTrail shows the 1-hour chaining limit.",
        explanation=(
            "qsdoctor's own hop 2 asks for at most an hour and works, but the platform's "
            "hop-2 calls request DurationSeconds=43200 and fail with STS's role-chaining "
            "ValidationError. Look for QS403 in the intermediate account's trail: it quotes "
            "STS's message and its fix names the one-hour limit."
        ),
        gate=HEALTHY_GATE,
        trail=(
            TrailSpec(template="hop1-success", minutes_ago=(20, 80, 140)),
            TrailSpec(template="hop2-denied-duration", minutes_ago=(19, 79, 139)),
        ),
        expected=(("QS301", P), ("QS302", P), ("QS403", F)),
        expected_exit=1,
    ),
    Scenario(
        name="cloudtrail-stale-external-id",
        summary="The platform still presents the External ID from before a rotation.",
        explanation=(
            "The customer rotated the External ID; the trust and the support engineer have "
            "the new one (QS104 and hop 1 pass), but the production trail shows the platform "
            "failing with a different External ID. Look for QS402: it compares fingerprints "
            "and points at the Quiverstone organization configuration."
        ),
        gate=HEALTHY_GATE,
        trail=(
            TrailSpec(
                template="hop1-success",
                minutes_ago=(300, 360, 420),
                values={"PRESENTED_EXTERNAL_ID": OLD_EXTERNAL_ID},
            ),
            TrailSpec(
                template="hop1-denied-with-id",
                minutes_ago=(5, 65, 125, 185, 245),
                values={"PRESENTED_EXTERNAL_ID": OLD_EXTERNAL_ID},
            ),
        ),
        expected=(("QS104", P), ("QS301", P), ("QS402", F)),
        expected_exit=1,
    ),
    Scenario(
        name="no-cloudtrail",
        summary="No trail in the intermediate account (Debug Checklist: CloudTrail enabled).",
        explanation=(
            "The intermediate account has no trail, so nothing beyond 90 days of event "
            "history is kept. Look for QS401."
        ),
        world=replace(w.healthy_world(), trails=()),
        gate=HEALTHY_GATE,
        expected=(("QS401", F), ("QS301", P), ("QS302", P)),
        expected_exit=1,
    ),
)


def by_name(name: str) -> Scenario:
    """The scenario called `name`; KeyError lists the known ones."""
    for scenario in SCENARIOS:
        if scenario.name == name:
            return scenario
    raise KeyError(f"unknown scenario {name!r}; known: {', '.join(names())}")


def names() -> tuple[str, ...]:
    return tuple(s.name for s in SCENARIOS)
