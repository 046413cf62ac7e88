"""The console checklist: grouped by link of the chain, one line per check, a summary last.

Lines are built as rich `Text` objects, never parsed as markup, so AWS text such as
"[sts:AssumeRole]" prints as is; `highlight=False` stops rich from colouring ARNs and
numbers on its own. Without colour (NO_COLOR, a pipe) the output is plain text.
"""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.text import Text

from qsdoctor.models import Finding, Report, Status
from qsdoctor.render.base import (
    SYMBOLS,
    explain_hint,
    grouped,
    header_line,
    show_subject,
    summary_line,
)

STYLES: dict[Status, str] = {
    Status.PASS: "green",
    Status.WARN: "yellow",
    Status.FAIL: "bold red",
    Status.SKIP: "dim",
    Status.ERROR: "magenta",
}
_INDENT = "        "


class ConsoleRenderer:
    """The human checklist. `verbose` adds each finding's evidence (and passing details)."""

    def __init__(self, *, color: bool, verbose: bool, width: int | None = None) -> None:
        self.color = color
        self.verbose = verbose
        self.width = width

    def render(self, report: Report, out: TextIO) -> None:
        console = Console(
            file=out,
            no_color=not self.color,
            force_terminal=self.color,
            color_system="standard" if self.color else None,
            highlight=False,
            emoji=False,
            markup=False,
            width=self.width or 100,
        )
        # soft_wrap: long ARNs stay on one line; the terminal wraps them, pipes keep them.
        console.print(Text(header_line(report), style="bold"), soft_wrap=True)
        console.print()
        for group, findings in grouped(report.findings):
            title = Text(group, style="bold")
            if group == "Intermediate role":
                title.append(f"  {report.intermediate_role_arn}", style="")
            elif group == "CloudTrail" and report.context.get("since"):
                title.append(f"  last {report.context['since']}", style="")
            console.print(title, soft_wrap=True)
            for finding in findings:
                for line in self._lines(report, finding):
                    console.print(line, soft_wrap=True)
        console.print()
        console.print(Text(summary_line(report), style=STYLES[report.status]), soft_wrap=True)

    def _lines(self, report: Report, f: Finding) -> list[Text]:
        style = STYLES[f.status]
        head = Text("  ")
        head.append(SYMBOLS[f.status], style=style)
        head.append(f" {f.id} ")
        head.append(f.title, style=style if f.status is not Status.PASS else "")
        if show_subject(report, f):
            head.append(f"  {f.subject}", style="cyan")
        lines = [head]
        if f.status is not Status.PASS or self.verbose:
            lines.extend(Text(_INDENT + part) for part in f.detail.splitlines() if part)
        if f.status in (Status.WARN, Status.FAIL, Status.ERROR) and f.remediation:
            fix = Text(_INDENT + "fix: ", style="bold")
            fix.append(f.remediation, style="")
            fix.append(f"   ({explain_hint(f)})", style="dim")
            lines.append(fix)
        if self.verbose:
            lines.extend(Text(f"{_INDENT}· {e.kind}: {e.summary}", style="dim") for e in f.evidence)
        return lines
