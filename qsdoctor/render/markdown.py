"""The Markdown report, for pasting into a support ticket: target, summary, findings, fixes.

Table cells escape `|` and fold newlines so AWS text cannot break the table; every
non-passing finding gets a section with its cause, fix and evidence.
"""

from __future__ import annotations

from typing import TextIO

from qsdoctor.models import Finding, Report, Status
from qsdoctor.render.base import SYMBOLS, explain_hint, header_line, summary_line


def text(value: str) -> str:
    """Prose safe in Markdown: AWS text like "<not authorized>" must not become HTML."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cell(value: str) -> str:
    """Text safe inside a Markdown table cell: pipes escaped, newlines folded."""
    return value.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def code(value: str) -> str:
    """An inline code span (ARNs, IDs); backticks inside are not expected but handled."""
    fence = "``" if "`" in value else "`"
    return f"{fence}{value}{fence}" if value else ""


class MarkdownRenderer:
    """GitHub-flavoured Markdown."""

    def render(self, report: Report, out: TextIO) -> None:
        w = out.write
        w(f"# qsdoctor report: {report.status}\n\n")
        w(f"{text(header_line(report))}\n\n")
        w(f"- **Intermediate role:** {code(report.intermediate_role_arn)}\n")
        dests = ", ".join(code(d) for d in report.destinations) or "none"
        w(f"- **Destinations:** {dests}\n")
        w(f"- **Generated:** {report.generated_at}\n")
        w(f"- **Exit code:** {report.exit_code}\n\n")
        w("## Summary\n\n")
        w(f"{summary_line(report)}\n\n")
        w("| status | count |\n|---|---:|\n")
        for status in Status:
            w(f"| {SYMBOLS[status]} {status} | {report.counts[str(status)]} |\n")
        w("\n## Findings\n\n")
        if not report.findings:
            w("No checks ran.\n")
        else:
            w("| status | ID | check | subject | result |\n|---|---|---|---|---|\n")
            for f in report.findings:
                w(
                    f"| {SYMBOLS[f.status]} {f.status} | {f.id} | {cell(text(f.title))} "
                    f"| {cell(code(f.subject))} | {cell(text(f.detail))} |\n"
                )
        problems = [f for f in report.findings if f.status not in (Status.PASS, Status.SKIP)]
        if problems:
            w("\n## Details\n")
            for f in problems:
                self._details(f, out)

    @staticmethod
    def _details(f: Finding, out: TextIO) -> None:
        w = out.write
        w(f"\n### {SYMBOLS[f.status]} {f.id} {text(f.title)}\n\n")
        w(f"- **Status:** {f.status}\n- **Subject:** {code(f.subject)}\n\n")
        w(f"{text(f.detail)}\n\n")
        if f.remediation:
            w(f"**Fix:** {text(f.remediation)} ({code(explain_hint(f))})\n")
        if f.evidence:
            w("\nEvidence:\n\n")
            for e in f.evidence:
                w(f"- {e.kind}: {text(e.summary)}\n")
