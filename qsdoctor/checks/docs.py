"""Generates docs/checks.md and docs/permissions.md from the check registry and the allowlist.

The files are committed and a test compares them with this generator's output, so
the docs can't drift from the code. Regenerate with `python -m qsdoctor.checks.docs`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from qsdoctor import QUIVERSTONE_PRODUCTION_ACCOUNT
from qsdoctor.aws.allowlist import READ_ONLY, permission
from qsdoctor.checks.registry import GROUPS, CheckSpec, load_all

CHECKS_MD = Path("docs") / "checks.md"
PERMISSIONS_MD = Path("docs") / "permissions.md"
REGENERATE = "python -m qsdoctor.checks.docs"


@dataclass(frozen=True, slots=True)
class PlannedCheck:
    """A catalog entry of design.md that this version does not implement yet."""

    name: str
    passes_when: str


#: Catalog IDs (design.md) not registered yet: listed in the docs as planned.
#: Entries that are registered are taken from the registry instead.
PLANNED: Mapping[str, PlannedCheck] = {
    "QS201": PlannedCheck("destination-role-exists", "per destination: the role exists"),
    "QS202": PlannedCheck(
        "destination-trust-principal",
        'per destination: the trust policy admits the intermediate role ("Named" role or '
        '"All" of the intermediate account)',
    ),
    "QS203": PlannedCheck(
        "destination-external-id",
        "per destination: its External ID condition matches the supplied destination External ID",
    ),
    "QS204": PlannedCheck(
        "destination-session-requirements",
        "per destination: the trust allows what the chained session carries "
        "(sts:SetSourceIdentity, sts:TagSession)",
    ),
    "QS301": PlannedCheck(
        "hop-vendor-to-intermediate",
        "live sts:AssumeRole on the intermediate role with the External ID succeeds",
    ),
    "QS302": PlannedCheck(
        "hop-intermediate-to-destination",
        "per destination: live sts:AssumeRole from the hop-1 session succeeds",
    ),
    "QS303": PlannedCheck(
        "external-id-enforced",
        "live negative probes (no External ID, a wrong one) are both refused",
    ),
    "QS401": PlannedCheck(
        "cloudtrail-logging",
        "a trail records management events for the intermediate account and is logging",
    ),
    "QS402": PlannedCheck(
        "cloudtrail-hop1-failures",
        "no failed AssumeRole on the intermediate role in the look-back window",
    ),
    "QS403": PlannedCheck(
        "cloudtrail-hop2-failures",
        "no failed AssumeRole from intermediate-role sessions to destination roles",
    ),
    "QS501": PlannedCheck(
        "template-parameters", "the template's parameters obey the reference's rules"
    ),
    "QS502": PlannedCheck(
        "template-resolves",
        "every role in the template resolves to concrete policy documents",
    ),
}


@dataclass(frozen=True, slots=True)
class RunLevelFinding:
    """A reserved finding ID that is not a check: the run itself reports it."""

    id: str
    name: str
    title: str
    doc: str
    remediation: str


#: QS000 is reserved: a run that crashes while collecting facts still reports, with
#: this one finding (built by `engine.crash_finding`; a test pins them together).
RUN_LEVEL = RunLevelFinding(
    id="QS000",
    name="qsdoctor-run",
    title="qsdoctor stopped before it could check the chain",
    doc="Not a check: the ID is reserved for the finding a run reports when qsdoctor\n"
    "itself stops unexpectedly while collecting facts (a bug, or an AWS answer it\n"
    "could not handle). The report still comes out and stays valid: `check` and\n"
    "`trail` print it in the chosen format with one `error` finding QS000 (subject\n"
    "`qsdoctor`) naming the exception, with External IDs redacted, and no other\n"
    "findings. The exit code is 3: nothing failed, but nothing could be verified.\n"
    "With `-vv` the run stops with the traceback instead.",
    remediation="rerun with -vv for the traceback and report it as a qsdoctor bug "
    "(External IDs are redacted)",
)

#: The reference's Validation Steps, in its order, and the checks that automate each.
VALIDATION_STEPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("1. Verify intermediate role exists in intermediate account", ("QS101",)),
    (
        "2. Check intermediate role trust policy includes Quiverstone account (684035162433)",
        ("QS102",),
    ),
    (
        "3. Verify External ID is configured in intermediate role trust policy",
        ("QS103", "QS104", "QS105"),
    ),
    (
        "4. Check intermediate role policy allows sts:AssumeRole for destination roles",
        ("QS106", "QS108"),
    ),
    (
        "5. Verify destination roles trust intermediate account or specific intermediate role",
        ("QS202", "QS203", "QS204"),
    ),
    ("6. Test role assumption using AWS CLI", ("QS301", "QS302", "QS303")),
    (
        "7. Check CloudTrail logs in intermediate account for assumption attempts and errors",
        ("QS401", "QS402", "QS403"),
    ),
    ("8. Verify assume role scope matches destination role names/accounts", ("QS107",)),
)

#: The reference's Debug Checklist, item by item.
DEBUG_CHECKLIST: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Intermediate role deployed in correct account", ("QS101", "QS001")),
    ("Intermediate role name matches configuration", ("QS101",)),
    ("External ID configured and matches Quiverstone config", ("QS103", "QS104", "QS105", "QS303")),
    ("Assume role scope configured correctly", ("QS107", "QS106")),
    ("Destination role names match scope configuration", ("QS107", "QS106", "QS201")),
    ("Destination roles trust intermediate account", ("QS202",)),
    ("CloudTrail enabled in intermediate account", ("QS401",)),
    ("No typos in account IDs or role names", ("QS101", "QS201", "QS202", "QS501")),
    ("Intermediate role has sts:AssumeRole permission", ("QS106",)),
    (
        "Trust policies correctly configured on both intermediate and destination roles",
        ("QS102", "QS103", "QS109", "QS202", "QS203", "QS204"),
    ),
)

#: The reference's Common Issues and the checks that recognise each.
COMMON_ISSUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Role assumption fails (External ID mismatch)", ("QS104", "QS301", "QS402")),
    ("Cannot assume destination roles (scope does not include them)", ("QS107", "QS106", "QS302")),
    ("Permission denied (no sts:AssumeRole for the destination)", ("QS106", "QS403")),
    ("Destination role trust error", ("QS202", "QS302")),
    ("External ID mismatch (template, Quiverstone config, destination roles)", ("QS104", "QS203")),
)


@dataclass(frozen=True, slots=True)
class Profile:
    """A set of credentials qsdoctor uses, and what it reads with them."""

    key: str
    title: str
    option: str
    account: str
    groups: tuple[str, ...]
    """Check groups (hundreds digit) whose `needs` these credentials must cover."""
    operations: frozenset[tuple[str, str]]
    """Allowlisted operations these credentials call beyond the checks' `needs`."""
    resources: Mapping[str, str]
    """Narrower Resource for some actions in the ready-to-paste policy."""


PROFILES: tuple[Profile, ...] = (
    Profile(
        key="caller",
        title="Caller (production account: live hops, its own CloudTrail)",
        option="--profile",
        account=f"the Quiverstone production account ({QUIVERSTONE_PRODUCTION_ACCOUNT})",
        groups=("0", "3"),
        operations=frozenset(
            {
                ("sts", "GetCallerIdentity"),
                ("sts", "AssumeRole"),
                ("cloudtrail", "LookupEvents"),
                ("secretsmanager", "GetSecretValue"),
            }
        ),
        resources={"sts:AssumeRole": "arn:aws:iam::*:role/QuiverstoneTrustedIntermediate"},
    ),
    Profile(
        key="intermediate",
        title="Intermediate reader (IAM and CloudTrail of the intermediate account)",
        option="--intermediate-profile",
        account="the intermediate (trusted) account",
        groups=("0", "1", "4"),
        operations=frozenset(
            {
                ("sts", "GetCallerIdentity"),
                ("iam", "GetRole"),
                ("iam", "ListRoles"),
                ("iam", "ListRolePolicies"),
                ("iam", "GetRolePolicy"),
                ("iam", "ListAttachedRolePolicies"),
                ("iam", "GetPolicy"),
                ("iam", "GetPolicyVersion"),
                ("cloudtrail", "DescribeTrails"),
                ("cloudtrail", "GetTrailStatus"),
                ("cloudtrail", "GetEventSelectors"),
                ("cloudtrail", "LookupEvents"),
            }
        ),
        resources={},
    ),
    Profile(
        key="destination",
        title="Destination reader (IAM of each destination account)",
        option="--destination-profile",
        account="each destination account",
        groups=("0", "2"),
        # Destination checks judge existence and trust only: one GetRole per destination.
        operations=frozenset({("sts", "GetCallerIdentity"), ("iam", "GetRole")}),
        resources={},
    ),
)


def catalog(registry: Mapping[str, CheckSpec] | None = None) -> dict[str, tuple[str, str]]:
    """Every catalog ID -> (name, status) where status is "implemented" or "planned"."""
    registry = load_all() if registry is None else registry
    out = {cid: (spec.name, "implemented") for cid, spec in registry.items()}
    for cid, planned in PLANNED.items():
        out.setdefault(cid, (planned.name, "planned"))
    return dict(sorted(out.items()))


def _ids(ids: Iterable[str], known: Mapping[str, tuple[str, str]]) -> str:
    parts = []
    for cid in ids:
        name, status = known.get(cid, ("?", "planned"))
        anchor = f"[{cid}](#{cid.lower()}-{name})" if status == "implemented" else cid
        parts.append(anchor + (" (planned)" if status == "planned" else ""))
    return ", ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_checks_md(registry: Mapping[str, CheckSpec] | None = None) -> str:
    """docs/checks.md: the catalog, one section per check, and the reference mappings."""
    registry = load_all() if registry is None else registry
    known = catalog(registry)
    lines = [
        "# qsdoctor checks",
        "",
        f"<!-- Generated by `{REGENERATE}` from the check registry; do not edit. -->",
        "",
        "Every finding has one of five statuses: `pass`, `warn`, `fail`, `skip` (a",
        "precondition is unmet: no credentials for that account, no External ID, `--no-live`)",
        "or `error` (a read was denied or failed; the finding names the permission).",
        "Check IDs and names are stable. `qsdoctor explain ID` prints a check's section.",
        f"{RUN_LEVEL.id} (`{RUN_LEVEL.name}`) is reserved for a run that crashed: see",
        f"[{RUN_LEVEL.id}](#{RUN_LEVEL.id.lower()}-{RUN_LEVEL.name}) at the end.",
        "",
        "## Catalog",
        "",
        "| ID | name | group | runs | title |",
        "|---|---|---|---|---|",
    ]
    for cid, (name, status) in known.items():
        if status == "implemented":
            spec = registry[cid]
            runs = "per destination" if spec.scope == "destination" else "once"
            lines.append(
                f"| [{cid}](#{cid.lower()}-{name}) | `{name}` | {spec.group} | {runs} "
                f"| {_cell(spec.title)} |"
            )
        else:
            lines.append(
                f"| {cid} | `{name}` | {GROUPS.get(cid[2], '?')} | planned "
                f"| {_cell(PLANNED[cid].passes_when)} |"
            )
    lines += ["", "## The reference's Validation Steps", "", "| step | checks |", "|---|---|"]
    lines += [f"| {_cell(step)} | {_ids(ids, known)} |" for step, ids in VALIDATION_STEPS]
    lines += [
        "",
        "## The reference's Debug Checklist",
        "",
        "| checklist item | checks |",
        "|---|---|",
    ]
    lines += [f"| {_cell(item)} | {_ids(ids, known)} |" for item, ids in DEBUG_CHECKLIST]
    lines += ["", "## The reference's Common Issues", "", "| issue | checks |", "|---|---|"]
    lines += [f"| {_cell(issue)} | {_ids(ids, known)} |" for issue, ids in COMMON_ISSUES]
    for spec in registry.values():
        lines += ["", *check_section(spec)]
    lines += ["", "## Run-level finding", "", *run_level_section()]
    return "\n".join(lines) + "\n"


def run_level_section() -> list[str]:
    """QS000's documentation, shaped like a check's section."""
    return [
        f"### {RUN_LEVEL.id} {RUN_LEVEL.name}",
        "",
        f"**{RUN_LEVEL.title}** · reserved ID, not a check · reported instead of the checks",
        "",
        RUN_LEVEL.doc,
        "",
        f"**Remediation:** {RUN_LEVEL.remediation}",
    ]


def check_section(spec: CheckSpec) -> list[str]:
    """One check's documentation: the heading, its docstring, needs and remediation."""
    runs = (
        "once per destination (subject: the destination ARN)"
        if spec.scope == "destination"
        else "once per chain (subject: the intermediate role ARN)"
    )
    needs = ", ".join(f"`{n}`" for n in spec.needs) or "nothing beyond the facts already read"
    return [
        f"## {spec.id} {spec.name}",
        "",
        f"**{spec.title}** · group: {spec.group} · runs {runs}",
        "",
        *([f"When it fails: **{spec.problem}**", ""] if spec.problem != spec.title else []),
        spec.doc,
        "",
        f"**Needs:** {needs}",
        "",
        f"**Remediation:** {display_remediation(spec)}",
    ]


def display_remediation(spec: CheckSpec) -> str:
    """The remediation as docs show it: placeholders named, escaped braces undone."""
    return spec.remediation.format(
        subject="<subject>",
        intermediate_arn="<intermediate role ARN>",
        vendor_account_id=QUIVERSTONE_PRODUCTION_ACCOUNT,
    )


def profile_actions(profile: Profile, registry: Mapping[str, CheckSpec]) -> tuple[str, ...]:
    """The IAM actions a profile needs: its allowlisted operations plus its checks' needs."""
    actions = {permission(service, op) for service, op in profile.operations & READ_ONLY}
    for spec in registry.values():
        if spec.id[2] in profile.groups:
            actions.update(spec.needs)
    return tuple(sorted(actions))


def profile_policy(profile: Profile, registry: Mapping[str, CheckSpec]) -> dict[str, object]:
    """A ready-to-paste IAM policy granting a profile exactly what qsdoctor needs."""
    actions = profile_actions(profile, registry)
    general = [a for a in actions if a not in profile.resources]
    statements: list[dict[str, object]] = []
    if general:
        statements.append(
            {"Sid": "QsdoctorRead", "Effect": "Allow", "Action": general, "Resource": "*"}
        )
    for action in actions:
        if action in profile.resources:
            sid = "Qsdoctor" + action.split(":", 1)[1]
            statements.append(
                {
                    "Sid": sid,
                    "Effect": "Allow",
                    "Action": action,
                    "Resource": profile.resources[action],
                }
            )
    return {"Version": "2012-10-17", "Statement": statements}


def render_permissions_md(registry: Mapping[str, CheckSpec] | None = None) -> str:
    """docs/permissions.md: what each set of credentials needs, with a policy to paste."""
    registry = load_all() if registry is None else registry
    lines = [
        "# IAM permissions qsdoctor needs",
        "",
        f"<!-- Generated by `{REGENERATE}` from the allowlist and the checks; do not edit. -->",
        "",
        "qsdoctor is read-only: every AWS operation it may call is on an allowlist, and",
        "anything else is refused before it is signed. A check whose read is denied",
        "reports `error` naming the permission; a check with no credentials for its",
        "account reports `skip` naming the option that would let it run.",
    ]
    for profile in PROFILES:
        policy = json.dumps(profile_policy(profile, registry), indent=2)
        lines += [
            "",
            f"## {profile.title}",
            "",
            f"Credentials: `{profile.option}`, a principal in {profile.account}.",
            "",
            "Actions: " + ", ".join(f"`{a}`" for a in profile_actions(profile, registry)),
            "",
            "```json",
            policy,
            "```",
        ]
    lines += [
        "",
        "## Every allowlisted operation",
        "",
        "| operation | IAM action | used with |",
        "|---|---|---|",
    ]
    for service, op in sorted(READ_ONLY):
        users = [p.option for p in PROFILES if (service, op) in p.operations]
        lines.append(
            f"| `{service}:{op}` | `{permission(service, op)}` | "
            f"{', '.join(f'`{u}`' for u in users) or 'optional features'} |"
        )
    lines += [
        "",
        "`cloudwatch:PutMetricData` is not on the allowlist: it is set aside for",
        "`qsdoctor probe` (planned, not implemented yet) to publish metrics when asked.",
        "`secretsmanager:GetSecretValue` is needed only with",
        "`--external-id-secret`; `s3:ListBucket` / `s3:GetObject` only to read an",
        "organization trail's log files.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write both files (relative to the current directory, normally the repository)."""
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else Path()
    for path, text in ((CHECKS_MD, render_checks_md()), (PERMISSIONS_MD, render_permissions_md())):
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
