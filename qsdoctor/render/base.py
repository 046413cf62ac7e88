"""What every renderer shares: the protocol, status symbols, grouping and the summary line.

Renderers are pure: they write one Report to a text stream and read nothing else,
so golden-file tests can pass a StringIO.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Protocol, TextIO

from qsdoctor.checks.registry import GROUPS
from qsdoctor.models import Finding, Report, Status


class Renderer(Protocol):
    """Writes one report to `out` (stdout in the CLI)."""

    def render(self, report: Report, out: TextIO) -> None: ...


SYMBOLS: dict[Status, str] = {
    Status.PASS: "✓",
    Status.WARN: "!",
    Status.FAIL: "✗",
    Status.SKIP: "–",
    Status.ERROR: "?",
}

_ID_RE = re.compile(r"QS(\d)\d\d")
#: Group of findings that are about the run itself rather than a link of the chain.
RUN_GROUP = "qsdoctor"


def group_of(finding: Finding) -> str:
    """The console/JUnit group: the check's hop, from its ID's hundreds digit."""
    match = _ID_RE.fullmatch(finding.id)
    if match is None or finding.id == "QS000":
        return RUN_GROUP
    return GROUPS.get(match.group(1), RUN_GROUP)


def grouped(findings: tuple[Finding, ...]) -> Iterator[tuple[str, list[Finding]]]:
    """Findings by group, groups in order of first appearance (findings come in ID order)."""
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(group_of(f), []).append(f)
    yield from groups.items()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_line(report: Report) -> str:
    """ "3 failed · 0 warnings · 11 passed · 1 skipped · 0 errors — exit 1"."""
    c = report.counts
    parts = (
        f"{c['fail']} failed",
        _plural(c["warn"], "warning"),
        f"{c['pass']} passed",
        f"{c['skip']} skipped",
        _plural(c["error"], "error"),
    )
    return " · ".join(parts) + f" — exit {report.exit_code}"


def header_line(report: Report) -> str:
    """ "qsdoctor 0.1.0 · caller ARN · us-east-1" from the report's context."""
    parts = [f"qsdoctor {report.tool_version}"]
    caller = report.context.get("caller_arn")
    if caller:
        parts.append(f"caller {caller}")
    region = report.context.get("region")
    if region:
        parts.append(str(region))
    if report.context.get("mode") == "replay":
        replay = "replayed from saved facts"
        if report.context.get("collected_at"):
            replay += f" collected {report.context['collected_at']}"
        if report.context.get("redacted"):
            replay += " (External IDs redacted: hints and strength describe tokens)"
        parts.append(replay)
    return " · ".join(parts)


def show_subject(report: Report, finding: Finding) -> bool:
    """Chain-wide findings are about the intermediate role, named once in the header."""
    return finding.subject not in (report.intermediate_role_arn, "qsdoctor", "")


def explain_hint(finding: Finding) -> str:
    """Where to read more about a check."""
    return f"qsdoctor explain {finding.id}" if finding.id != "QS000" else "qsdoctor check -vv"
