"""Renderers: golden files for every format, plus the properties each format promises.

Regenerate the golden files after an intended change with
`QSDOCTOR_REGEN_GOLDEN=1 python -m pytest tests/unit/test_render.py` and review the diff.
"""

from __future__ import annotations

import io
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from qsdoctor.engine import build_report
from qsdoctor.models import Evidence, Finding, Report, Status
from qsdoctor.render import OutputFormat, get_renderer
from qsdoctor.render.base import summary_line
from qsdoctor.render.json import report_schema

GOLDEN = Path(__file__).parent / "golden"
REGEN = os.environ.get("QSDOCTOR_REGEN_GOLDEN") == "1"

INTERMEDIATE = "arn:aws:iam::111122223333:role/QuiverstoneTrustedIntermediate"
DEST = "arn:aws:iam::210987654321:role/QuiverstoneChainedAccess"
DEST2 = "arn:aws:iam::210987654322:role/team/QuiverstoneInventory"


def finding(
    id: str,
    status: Status,
    title: str,
    detail: str,
    *,
    subject: str = INTERMEDIATE,
    remediation: str = "",
    evidence: tuple[Evidence, ...] = (),
) -> Finding:
    return Finding(
        id=id,
        name=f"check-{id.lower()}",
        status=status,
        subject=subject,
        title=title,
        detail=detail,
        remediation=remediation if status is not Status.PASS else "",
        evidence=evidence,
    )


FINDINGS = (
    finding(
        "QS001",
        Status.PASS,
        "Credentials resolve",
        "caller (qs-support): arn:aws:sts::684035162433:assumed-role/Support/jdoe",
    ),
    finding("QS101", Status.PASS, "Intermediate role exists", f"{INTERMEDIATE} exists"),
    finding(
        "QS104",
        Status.FAIL,
        "Configured External ID does not match the trust policy",
        "configured: 41 chars, fingerprint 3f9a1c · trust policy: 42 chars, fingerprint 77b02e\n"
        "hint: same first 40 characters; the trust policy's value is one character longer",
        remediation="update the External ID in the Quiverstone organization configuration",
        evidence=(
            Evidence(
                kind="statement",
                summary='statement "AllowQuiverstone" [StringEquals sts:ExternalId]',
                data={"Sid": "AllowQuiverstone"},
            ),
        ),
    ),
    finding(
        "QS105",
        Status.WARN,
        "External ID strength",
        "24 characters: the reference recommends at least 32 | use a generator",
        remediation="generate a longer External ID (e.g. `openssl rand -hex 24`)",
    ),
    finding(
        "QS201",
        Status.PASS,
        "Destination role exists",
        f"{DEST} exists",
        subject=DEST,
    ),
    finding(
        "QS201",
        Status.ERROR,
        "Destination role exists",
        "could not read: iam:GetRole failed with AccessDenied: <not authorized> & denied",
        subject=DEST2,
        remediation=f"grant iam:GetRole on {DEST2} to the credentials of profile acme-audit",
        evidence=(Evidence(kind="api-error", summary="iam:GetRole: AccessDenied"),),
    ),
    finding(
        "QS301",
        Status.FAIL,
        "Hop 1 denied",
        "AccessDenied (bare — STS gives no reason) [sts:AssumeRole] [bold]not markup[/bold]",
        remediation="most likely cause: QS104",
    ),
    finding(
        "QS302",
        Status.SKIP,
        "Hop 2 succeeds",
        "hop 1 did not succeed",
        subject=DEST,
        remediation="fix hop 1 first",
    ),
)


def sample_report(*, strict: bool = False, findings: tuple[Finding, ...] = FINDINGS) -> Report:
    return build_report(
        intermediate_role_arn=INTERMEDIATE,
        destinations=(DEST, DEST2),
        findings=findings,
        strict=strict,
        generated_at="2026-12-04T15:49:26Z",
        context={
            "caller_arn": "arn:aws:sts::684035162433:assumed-role/Support/jdoe",
            "region": "us-east-1",
            "mode": "live",
        },
    )


def render(
    fmt: OutputFormat,
    report: Report,
    *,
    color: bool = False,
    verbose: bool = False,
    strict: bool = False,
) -> str:
    out = io.StringIO()
    get_renderer(fmt, color=color, verbose=verbose, strict=strict).render(report, out)
    return out.getvalue()


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if REGEN:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path.name}: run with QSDOCTOR_REGEN_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "fmt", "kw"),
    [
        ("console.txt", OutputFormat.CONSOLE, {}),
        ("console-verbose.txt", OutputFormat.CONSOLE, {"verbose": True}),
        ("console-color.txt", OutputFormat.CONSOLE, {"color": True}),
        ("report.json", OutputFormat.JSON, {}),
        ("report.md", OutputFormat.MARKDOWN, {}),
        ("report.xml", OutputFormat.JUNIT, {}),
        ("report-strict.xml", OutputFormat.JUNIT, {"strict": True}),
    ],
)
def test_golden(name: str, fmt: OutputFormat, kw: dict[str, bool]) -> None:
    report = sample_report(strict=kw.get("strict", False))
    assert_golden(name, render(fmt, report, **kw))


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_every_output_format_has_a_renderer(fmt: OutputFormat) -> None:
    text = render(fmt, sample_report())
    assert "QS104" in text
    empty = render(fmt, sample_report(findings=()))
    assert empty.strip()


def test_summary_line_counts_and_exit_code() -> None:
    assert summary_line(sample_report()) == (
        "2 failed · 1 warning · 3 passed · 1 skipped · 1 error — exit 1"
    )
    only_warn = sample_report(findings=(FINDINGS[3],))
    assert summary_line(only_warn) == (
        "0 failed · 1 warning · 0 passed · 0 skipped · 0 errors — exit 0"
    )
    assert summary_line(sample_report(strict=True, findings=(FINDINGS[3],))).endswith("exit 1")


def test_console_prints_aws_text_literally_and_plainly_without_colour() -> None:
    text = render(OutputFormat.CONSOLE, sample_report())
    assert "[sts:AssumeRole] [bold]not markup[/bold]" in text
    assert "\x1b[" not in text
    coloured = render(OutputFormat.CONSOLE, sample_report(), color=True)
    assert "\x1b[" in coloured
    assert "[sts:AssumeRole]" in coloured


def test_console_layout() -> None:
    lines = render(OutputFormat.CONSOLE, sample_report()).splitlines()
    assert lines[0].startswith("qsdoctor ")
    assert "caller arn:aws:sts::684035162433:assumed-role/Support/jdoe" in lines[0]
    assert lines[-1].startswith("2 failed")
    assert f"Intermediate role  {INTERMEDIATE}" in lines
    # Passing lines stand alone; the fix and explain pointer follow a failure.
    qs101 = lines.index("  ✓ QS101 Intermediate role exists")
    assert lines[qs101 + 1].startswith("  ✗ QS104")
    fix = next(i for i, line in enumerate(lines) if "fix: update the External ID" in line)
    # The explain pointer closes the fix, on a continuation line when it does not fit.
    assert lines[fix + 1] == "             (qsdoctor explain QS104)"
    # Per-destination findings name their destination; skips give no fix.
    assert any(line.startswith("  – QS302 Hop 2 succeeds") and DEST in line for line in lines)
    assert "fix hop 1 first" not in "\n".join(lines)
    assert not any("· statement:" in line for line in lines)
    verbose = render(OutputFormat.CONSOLE, sample_report(), verbose=True)
    assert '· statement: statement "AllowQuiverstone" [StringEquals sts:ExternalId]' in verbose


def test_console_wraps_cause_and_fix_under_their_text_without_breaking_arns() -> None:
    long_detail = "the trust names " + " and ".join([DEST2] * 4) + ", none of them the role"
    failing = finding(
        "QS202",
        Status.FAIL,
        "Destination trust does not admit the intermediate role",
        long_detail,
        subject=DEST,
        remediation="edit the trust of " + DEST + " so that it names " + INTERMEDIATE,
    )
    report = sample_report(findings=(failing,))
    out = io.StringIO()
    get_renderer(OutputFormat.CONSOLE, color=False, verbose=False, width=80).render(report, out)
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("  ✗ QS202"))
    body = lines[start + 1 : lines.index("", start)]
    fix = next(i for i, line in enumerate(body) if line.startswith("        fix: "))
    assert fix >= 2, "the long cause wraps onto several lines"
    assert all(line.startswith("        ") and line[8] != " " for line in body[:fix])
    assert all(line.startswith("             ") for line in body[fix + 1 :])
    assert all(len(line) <= 80 for line in body if DEST2 not in line and DEST not in line)
    assert " ".join(line.strip() for line in body[:fix]) == long_detail
    assert body[-1].endswith("(qsdoctor explain QS202)")
    joined = " ".join(line.strip() for line in body[fix:])
    assert joined.startswith("fix: edit the trust of " + DEST + " so that it names " + INTERMEDIATE)


def test_json_is_the_contract_and_validates_against_the_shipped_schema() -> None:
    report = sample_report()
    data = json.loads(render(OutputFormat.JSON, report))
    assert data == report.to_dict()
    assert data["schema_version"] == "1.0"
    assert data["exit_code"] == 1
    assert data["summary"] == {
        "status": "fail",
        "counts": {"pass": 3, "warn": 1, "fail": 2, "skip": 1, "error": 1},
    }
    jsonschema.Draft202012Validator.check_schema(report_schema())
    jsonschema.validate(data, report_schema(), cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("schema_version",), None),
        (("exit_code",), 2),
        (("summary", "status"), "ok"),
        (("findings", 0, "status"), "passed"),
        (("findings", 0, "id"), "104"),
        (("target", "intermediate_role_arn"), "QuiverstoneTrustedIntermediate"),
        (("findings", 0, "extra"), "not in the contract"),
        (("findings", 0, "evidence"), None),
        (("tool", "name"), "other"),
        (("generated_at",), "yesterday"),
    ],
)
def test_schema_is_strict_about_the_contract(path: tuple[str | int, ...], value: object) -> None:
    data = sample_report().to_dict()
    node = data
    for key in path[:-1]:
        node = node[key]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, report_schema(), cls=jsonschema.Draft202012Validator)


def test_markdown_tables_survive_pipes_and_newlines() -> None:
    text = render(OutputFormat.MARKDOWN, sample_report())
    rows = [line for line in text.splitlines() if line.startswith("| ") and "QS" in line]
    assert len(rows) == len(FINDINGS)
    for row in rows:
        # Five cells: six unescaped pipes.
        assert row.replace("\\|", "").count("|") == 6
    assert "&lt;not authorized&gt; &amp; denied" in text
    assert "<not authorized>" not in text
    # The verdict first, then what needs attention, then every check.
    assert (
        text.splitlines()[2] == "**2 failed · 1 warning · 3 passed · 1 skipped · 1 error — exit 1**"
    )
    assert text.index("## What needs attention") < text.index("## All checks")
    assert "### ✗ QS104 Configured External ID does not match the trust policy" in text
    # Multi-line causes keep their breaks (a backslash hard break), prose stays escaped.
    assert "fingerprint 77b02e\\\nhint: same first 40" in text
    assert "**Fix:** update the External ID" in text
    assert "### ✓" not in text
    assert "### –" not in text
    # Problems are detailed above; the table points there, passing rows keep their result.
    assert (
        "| ✗ fail | QS104 | Configured External ID does not match the trust policy |  | see above |"
        in text
    )
    assert "| ✓ pass | QS101 | Intermediate role exists |  | " + INTERMEDIATE + " exists |" in text
    assert "at least 32 | use a generator" in text  # prose: no table to break


def test_markdown_escapes_emphasis_outside_code_spans() -> None:
    scope = finding(
        "QS107",
        Status.WARN,
        "Assume-role scope: any-role-any-account",
        "may assume arn:aws:iam::*:role/* and *more*",
        remediation="narrow it: `arn:aws:iam::*:role/Name`",
    )
    text = render(OutputFormat.MARKDOWN, sample_report(findings=(scope,)))
    assert "arn:aws:iam::\\*:role/\\* and \\*more\\*" in text
    assert "`arn:aws:iam::*:role/Name`" in text


@pytest.mark.parametrize("strict", [False, True])
def test_junit_one_testcase_per_finding(strict: bool) -> None:
    text = render(OutputFormat.JUNIT, sample_report(strict=strict), strict=strict)
    root = ET.fromstring(text)
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(FINDINGS)
    by_name = {c.get("name"): c for c in cases}
    assert by_name[f"QS104 {INTERMEDIATE}"].find("failure") is not None
    assert by_name[f"QS104 {INTERMEDIATE}"].get("classname") == "Intermediate role"
    assert by_name[f"QS201 {DEST2}"].find("error") is not None
    assert by_name[f"QS302 {DEST}"].find("skipped") is not None
    assert list(by_name[f"QS101 {INTERMEDIATE}"]) == []
    warn = by_name[f"QS105 {INTERMEDIATE}"]
    if strict:
        assert warn.find("failure") is not None
        assert root.get("failures") == "3"
    else:
        assert warn.find("failure") is None
        assert "24 characters" in (warn.findtext("system-out") or "")
        assert root.get("failures") == "2"
    assert (root.get("errors"), root.get("skipped"), root.get("tests")) == ("1", "1", "8")
    # AWS text with <, & and quotes is escaped, not interpreted.
    assert "<not authorized> & denied" in (by_name[f"QS201 {DEST2}"].findtext("error") or "")


def test_json_evidence_that_json_cannot_write_is_made_plain() -> None:
    odd = finding(
        "QS108",
        Status.WARN,
        "Extra permissions",
        "grants more",
        evidence=(
            Evidence(
                kind="actions",
                summary="extra",
                data={"actions": frozenset({"s3:GetObject", "iam:ListRoles"}), "at": Path("x")},
            ),
        ),
    )
    data = json.loads(render(OutputFormat.JSON, sample_report(findings=(odd,))))
    assert data["findings"][0]["evidence"][0]["data"] == {
        "actions": ["iam:ListRoles", "s3:GetObject"],
        "at": "x",
    }


def test_console_names_the_trail_window() -> None:
    trail = finding("QS402", Status.PASS, "No recent hop-1 failures in the trail", "none")
    report = build_report(
        intermediate_role_arn=INTERMEDIATE,
        destinations=(),
        findings=(trail,),
        context={"since": "7d"},
    )
    assert "CloudTrail  last 7 d" in render(OutputFormat.CONSOLE, report).splitlines()


@pytest.mark.parametrize(
    ("since", "label"),
    [
        ("1d", "last 24 h"),
        ("7d", "last 7 d"),
        ("36h", "last 36 h"),
        ("90m", "last 90 min"),
        ("2d", "last 2 d"),
        ("soon", "last soon"),
    ],
)
def test_console_window_reads_like_the_trail_titles(since: str, label: str) -> None:
    from qsdoctor.render.console import window

    assert window(since) == label


def test_a_repeated_fix_points_to_where_it_was_first_given() -> None:
    fix = "make the External ID in the Quiverstone organization configuration match"
    cause = finding("QS104", Status.FAIL, "External ID mismatch", "mismatch", remediation=fix)
    hop = finding("QS301", Status.FAIL, "Hop 1 denied", "most likely cause: QS104", remediation=fix)
    report = sample_report(findings=(cause, hop))
    console = render(OutputFormat.CONSOLE, report)
    assert console.count(fix) == 1
    assert "        fix: as for QS104 above\n" in console
    markdown = render(OutputFormat.MARKDOWN, report)
    assert markdown.count(fix) == 1
    assert "**Fix:** as for QS104 above (`qsdoctor explain QS301`)" in markdown
    # JSON keeps every remediation whole: scripts read one finding at a time.
    assert render(OutputFormat.JSON, report).count(fix) == 2


def test_markdown_says_so_when_nothing_needs_attention() -> None:
    clean = sample_report(findings=(FINDINGS[0], FINDINGS[1]))
    text = render(OutputFormat.MARKDOWN, clean)
    assert "Nothing needs attention" in text
    assert "## What needs attention" not in text
    assert "Nothing needs attention" not in render(OutputFormat.MARKDOWN, sample_report())


def test_a_repeated_skip_reason_is_printed_once() -> None:
    why = "no credentials for account 111122223333: pass --intermediate-profile"
    skips = tuple(finding(i, Status.SKIP, f"Title {i}", why) for i in ("QS101", "QS102", "QS103"))
    other = finding("QS201", Status.SKIP, "Dest", "pass --destination-profile", subject=DEST)
    report = sample_report(findings=(*skips, other))
    console = render(OutputFormat.CONSOLE, report)
    assert console.count(why) == 1
    assert console.count("same reason as QS101") == 2
    assert "pass --destination-profile" in console
    # Machine formats keep every detail: scripts read one finding at a time.
    assert render(OutputFormat.JSON, report).count(why) == 3
