"""`qsdoctor explain [ID]`: a check's documentation, how it decides, what it needs, the fix."""

from __future__ import annotations

import difflib
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from qsdoctor.cli.common import app, stderr_console, use_color


@app.command("explain")
def explain(
    check_id: Annotated[
        str | None,
        typer.Argument(
            metavar="ID",
            help="A check ID (QS104) or name "
            "(intermediate-external-id-match), or QS000; omit it to list every check.",
        ),
    ] = None,
) -> None:
    """Print what a check looks at, why it matters, how it decides and how to fix it."""
    from qsdoctor.checks.docs import PLANNED, RUN_LEVEL, catalog, check_section, run_level_section
    from qsdoctor.checks.registry import load_all

    registry = load_all()
    known = {RUN_LEVEL.id: (RUN_LEVEL.name, "reserved"), **catalog(registry)}
    out = Console(highlight=False, no_color=not use_color(), soft_wrap=True)
    if check_id is None:
        for key, (name, _) in known.items():
            listed = registry.get(key)
            if key == RUN_LEVEL.id:
                title = f"(run-level, not a check) {RUN_LEVEL.title}"
            else:
                title = listed.title if listed else f"(planned) {PLANNED[key].passes_when}"
            out.print(escape(f"{key}  {name:<36} {title}"))
        raise typer.Exit(0)
    wanted = check_id.strip()
    by_name = {name: cid for cid, (name, _) in known.items()}
    cid = wanted.upper() if wanted.upper() in known else by_name.get(wanted.lower())
    if cid is None:
        near = _near(wanted.upper(), list(known)) + [
            by_name[n] for n in difflib.get_close_matches(wanted.lower(), list(by_name), n=3)
        ]
        hint = f"; did you mean {', '.join(dict.fromkeys(near))}?" if near else ""
        stderr_console().print(
            escape(
                f"qsdoctor: error: unknown check {wanted!r}{hint} — "
                "`qsdoctor explain` with no ID lists every check"
            ),
            soft_wrap=True,
        )
        raise typer.Exit(2)
    if cid == RUN_LEVEL.id:
        _print_section(out, run_level_section())
        raise typer.Exit(0)
    spec = registry.get(cid)
    if spec is None:
        planned = PLANNED[cid]
        out.print(f"[bold]{cid} {escape(planned.name)}[/bold] (planned)")
        out.print()
        out.print(
            escape(
                f"Passes when {planned.passes_when}. This version of qsdoctor does "
                "not implement it yet; see docs/checks.md."
            )
        )
        raise typer.Exit(0)
    _print_section(out, check_section(spec))
    raise typer.Exit(0)


def _print_section(out: Console, section: list[str]) -> None:
    """A docs/checks.md section on the terminal: the heading bold, no Markdown stars."""
    out.print(f"[bold]{escape(section[0].lstrip('# '))}[/bold]")
    for line in section[1:]:
        out.print(escape(line.replace("**", "")))


def _near(wanted: str, ids: list[str]) -> list[str]:
    """Check IDs within two edits of what was typed (QS14 -> QS104), closest first."""
    from qsdoctor.checks.intermediate import levenshtein

    scored = sorted((levenshtein(wanted, cid), cid) for cid in ids)
    return [cid for distance, cid in scored if distance <= 2][:3]
