"""The Markdown report, for pasting into a support ticket: verdict first, problems, then all checks.

The reader of a ticket wants the verdict and what to fix before the full checklist:
the summary line comes right after the heading, every non-passing finding gets a
section with its cause, fix and evidence, and the checklist table closes the report.
Table cells escape `|` and fold newlines so AWS text cannot break the table; detail
lines keep their breaks in prose (a trailing backslash is a hard line break in
CommonMark). Secrets never reach a renderer: findings carry fingerprints only.
"""

from __future__ import annotations

from typing import TextIO

from qsdoctor.models import Finding, Report, Status
from qsdoctor.render.base import SYMBOLS, explain_hint, header_line, show_subject, summary_line


def text(value: str) -> str:
    """Prose safe in Markdown: "<not authorized>" must not become HTML, nor the `*` of
    "arn:aws:iam::*:role/R" emphasis; `code spans` written by qsdoctor stay code."""
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    parts = value.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: nothing is a code span
        return value.replace("*", "\\*")
    return "`".join(p if i % 2 else p.replace("*", "\\*") for i, p in enumerate(parts))


def cell(value: str) -> str:
    """Text safe inside a Markdown table cell: pipes escaped, newlines folded."""
    return value.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def code(value: str) -> str:
    """An inline code span (ARNs, IDs); backticks inside are not expected but handled."""
    fence = "``" if "`" in value else "`"
    return f"{fence}{value}{fence}" if value else ""


def lines(value: str) -> str:
    """Multi-line prose that keeps its line breaks (hard breaks), escaped."""
    parts = [text(part) for part in value.splitlines() if part.strip()]
    return "\\\n".join(parts)


class MarkdownRenderer:
    """GitHub-flavoured Markdown."""

    def render(self, report: Report, out: TextIO) -> None:
        w = out.write
        w(f"# qsdoctor report: {report.status}\n\n")
        w(f"**{summary_line(report)}**\n\n")
        w(f"{text(header_line(report))} · generated {report.generated_at}\n\n")
        w(f"- **Intermediate role:** {code(report.intermediate_role_arn)}\n")
        dests = ", ".join(code(d) for d in report.destinations) or "none"
        w(f"- **Destinations:** {dests}\n")
        w(f"- **Exit code:** {report.exit_code}\n")
        problems = [f for f in report.findings if f.status not in (Status.PASS, Status.SKIP)]
        if problems:
            w("\n## What needs attention\n")
            fixes: dict[str, str] = {}
            for f in problems:
                self._details(report, f, fixes.setdefault(f.remediation, f.id), out)
        elif report.findings:
            w("\nNothing needs attention: no check failed, warned or could not read.\n")
        w("\n## All checks\n\n")
        if not report.findings:
            w("No checks ran.\n")
            return
        w("| status | ID | check | subject | result |\n|---|---|---|---|---|\n")
        for f in report.findings:
            subject = code(f.subject) if show_subject(report, f) else ""
            result = "see above" if f in problems else text(f.detail)
            w(
                f"| {SYMBOLS[f.status]} {f.status} | {f.id} | {cell(text(f.title))} "
                f"| {cell(subject)} | {cell(result)} |\n"
            )

    @staticmethod
    def _details(report: Report, f: Finding, fixed_by: str, out: TextIO) -> None:
        w = out.write
        w(f"\n### {SYMBOLS[f.status]} {f.id} {text(f.title)}\n\n")
        if show_subject(report, f):
            w(f"**Subject:** {code(f.subject)}\n\n")
        if f.detail.strip():
            w(f"**Cause:** {lines(f.detail)}\n\n")
        if f.remediation and fixed_by != f.id:  # a failed hop repeats its cause's fix
            w(f"**Fix:** as for {fixed_by} above ({code(explain_hint(f))})\n")
        elif f.remediation:
            w(f"**Fix:** {text(f.remediation)} ({code(explain_hint(f))})\n")
        if f.evidence:
            w("\nEvidence:\n\n")
            for e in f.evidence:
                w(f"- {e.kind}: {text(e.summary)}\n")
