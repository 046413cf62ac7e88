"""The console checklist: grouped by link of the chain, one line per check, a summary last.

Lines are built as rich `Text` objects, never parsed as markup, so AWS text such as
"[sts:AssumeRole]" prints as is; `highlight=False` stops rich from colouring ARNs and
numbers on its own. Without colour (NO_COLOR, a pipe) the output is plain text.

The cause and fix under a finding are wrapped to the width (the terminal's, capped for
reading; 100 columns for a pipe), continuation lines indented under their text; words
are never split, so an ARN stays whole and copyable even when it overflows.
"""

from __future__ import annotations

import re
import shutil
import textwrap
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
_FIX = "fix: "
_NBSP = "\u00a0"
#: Wrapping bounds: narrower is unreadable, wider is hard to scan at a glance.
MIN_WIDTH, MAX_WIDTH, PIPE_WIDTH = 60, 120, 100


def wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    """`text` wrapped to `width` after the prefixes; ARNs and words are never broken."""
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [first.rstrip()]


def window(since: str) -> str:
    """ "1d" -> "last 24 h", "7d" -> "last 7 d", "90m" -> "last 90 min": as QS402/QS403 say it."""
    match = re.fullmatch(r"(\d+)([dhm])", since.strip())
    if match is None:
        return f"last {since}"
    seconds = int(match.group(1)) * {"d": 86400, "h": 3600, "m": 60}[match.group(2)]
    hours, rest = divmod(seconds, 3600)
    if hours >= 48 and hours % 24 == 0 and not rest:
        return f"last {hours // 24} d"
    if hours >= 1 and not rest:
        return f"last {hours} h"
    return f"last {max(1, seconds // 60)} min"


def _width(out: TextIO, width: int | None) -> int:
    if width:
        return width
    isatty = getattr(out, "isatty", None)
    if isatty is not None and isatty():
        columns = shutil.get_terminal_size((PIPE_WIDTH, 24)).columns
        return max(MIN_WIDTH, min(MAX_WIDTH, columns))
    return PIPE_WIDTH


class ConsoleRenderer:
    """The human checklist. `verbose` adds each finding's evidence (and passing details)."""

    def __init__(self, *, color: bool, verbose: bool, width: int | None = None) -> None:
        self.color = color
        self.verbose = verbose
        self.width = width
        self._wrap_at = width or PIPE_WIDTH
        self._fixes: dict[str, str] = {}
        """Each remediation printed so far, with the ID it was printed under."""
        self._skips: dict[str, str] = {}
        """Each skip reason printed so far, with the ID it was printed under."""

    def render(self, report: Report, out: TextIO) -> None:
        self._wrap_at = _width(out, self.width)
        self._fixes = {}
        self._skips = {}
        console = Console(
            file=out,
            no_color=not self.color,
            force_terminal=self.color,
            color_system="standard" if self.color else None,
            highlight=False,
            emoji=False,
            markup=False,
            width=self._wrap_at,
        )
        # soft_wrap: long ARNs stay on one line; the terminal wraps them, pipes keep them.
        console.print(Text(header_line(report), style="bold"), soft_wrap=True)
        console.print()
        for group, findings in grouped(report.findings):
            title = Text(group, style="bold")
            if group == "Intermediate role":
                title.append(f"  {report.intermediate_role_arn}", style="")
            elif group == "CloudTrail" and report.context.get("since"):
                title.append(f"  {window(str(report.context['since']))}", style="")
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
        width = self._wrap_at
        first_skip = self._skips.setdefault(f.detail, f.id) if f.status is Status.SKIP else f.id
        if first_skip != f.id:  # one missing precondition skips many checks: say it once
            lines.append(Text(f"{_INDENT}same reason as {first_skip}", style="dim"))
        elif f.status is not Status.PASS or self.verbose:
            for part in f.detail.splitlines():
                if part.strip():
                    lines.extend(Text(line) for line in wrap(part, width, _INDENT, _INDENT))
        if f.status in (Status.WARN, Status.FAIL, Status.ERROR) and f.remediation:
            same = self._fixes.setdefault(f.remediation, f.id)
            if same != f.id:  # a failed hop repeats its cause's fix: point there instead
                lines.append(Text(f"{_INDENT}{_FIX}as for {same} above", style="dim"))
            else:
                lines.extend(self._fix(f, width))
        if self.verbose:
            for e in f.evidence:
                first = f"{_INDENT}· {e.kind}: "
                wrapped = wrap(e.summary, width, first, _INDENT + "  ")
                lines.extend(Text(line, style="dim") for line in wrapped)
        return lines

    @staticmethod
    def _fix(f: Finding, width: int) -> list[Text]:
        """'fix: …' wrapped under its text, the explain pointer dim at the end."""
        hint = f"({explain_hint(f)})"
        rest = _INDENT + " " * len(_FIX)
        glued = hint.replace(" ", _NBSP)  # the pointer wraps as one word
        wrapped = wrap(f"{f.remediation}   {glued}", width, _INDENT + _FIX, rest)
        lines: list[Text] = []
        for i, line in enumerate(w.replace(_NBSP, " ") for w in wrapped):
            text = Text(line)
            if i == 0:
                text.stylize("bold", len(_INDENT), len(_INDENT) + len(_FIX) - 1)
            if i == len(wrapped) - 1:
                text.stylize("dim", len(line) - len(hint))
            lines.append(text)
        return lines
