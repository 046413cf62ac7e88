"""`qsdoctor demo`: run the real `check` against a broken (or healthy) sandbox world.

The sandbox server runs in this process on 127.0.0.1; `check` runs in a child
process with the environment a user's shell would have (AWS config and
credentials files with three accounts' profiles, `AWS_ENDPOINT_URL`, the
External ID variables), so the demo exercises exactly the code path of a real run.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from qsdoctor.cli.common import (
    OutputFormat,
    OutputOpt,
    VerboseOpt,
    app,
    stderr_console,
)

if TYPE_CHECKING:
    from qsdoctor.sandbox.scenarios import Scenario

#: How the child process starts qsdoctor: the same interpreter and package as this one.
_ENTRY = "from qsdoctor.cli import main; main()"


@app.command("demo")
def demo(
    scenario: Annotated[
        str,
        typer.Option(
            "--scenario",
            "-s",
            metavar="NAME",
            help="The scenario to run (see --list).",
        ),
    ] = "healthy",
    list_scenarios: Annotated[
        bool,
        typer.Option("--list", help="List the scenarios and what each should report."),
    ] = False,
    output: OutputOpt = OutputFormat.CONSOLE,
    verbose: VerboseOpt = 0,
) -> None:
    """Run `qsdoctor check` against a local sandbox of three AWS accounts.

    The sandbox (moto, with AssumeRole and CloudTrail answered as AWS would for the
    scenario) needs the demo extra: pip install 'qsdoctor[demo]'. The exit code is
    check's.
    """
    from qsdoctor.sandbox import scenarios

    err = stderr_console()
    if list_scenarios:
        _print_list()
        raise typer.Exit(0)
    try:
        chosen = scenarios.by_name(scenario)
    except KeyError:
        err.print(
            escape(
                f"qsdoctor: error: unknown scenario {scenario!r} — "
                f"choose one of: {', '.join(scenarios.names())} (qsdoctor demo --list)"
            ),
            soft_wrap=True,
        )
        raise typer.Exit(2) from None
    try:
        from qsdoctor.sandbox.server import SandboxServer

        server = SandboxServer()
    except ImportError:
        err.print(
            "qsdoctor: error: the demo needs moto and werkzeug — "
            "install them with: pip install 'qsdoctor[demo]'",
            soft_wrap=True,
            markup=False,
        )
        raise typer.Exit(2) from None

    err.print(
        f"[bold]Scenario {escape(chosen.name)}[/bold]: {escape(chosen.summary)}", soft_wrap=True
    )
    err.print(escape(chosen.explanation), soft_wrap=True)
    if verbose:
        _print_gate(chosen)
    err.print("[dim]Starting the sandbox (three accounts on moto, on 127.0.0.1)…[/dim]")
    with server, tempfile.TemporaryDirectory(prefix="qsdoctor-demo-") as d:
        loaded = server.load(chosen, Path(d))
        args = [*chosen.check_args(), "--output", output.value, *(["-v"] * verbose)]
        err.print(f"[dim]$ qsdoctor {escape(' '.join(args))}[/dim]", soft_wrap=True)
        # NOTE: the child inherits stdout, so the report (and only the report) lands there.
        code = subprocess.run(
            [sys.executable, "-c", _ENTRY, *args], env=loaded.environ(), check=False
        ).returncode
    expected = chosen.expected_exit
    verdict = "as expected" if code == expected else f"expected {expected}"
    err.print(f"[dim]demo: check exited {code} ({verdict} for {escape(chosen.name)})[/dim]")
    if chosen.name == "healthy":
        err.print(
            "[dim]demo: see a broken chain with `qsdoctor demo --scenario external-id-mismatch`;"
            " `qsdoctor demo --list` lists them all[/dim]",
            soft_wrap=True,
        )
    raise typer.Exit(code)


def _print_list() -> None:
    """Scenarios on stdout: name, one-line summary, and the findings it must produce."""
    from qsdoctor.sandbox.scenarios import SCENARIOS

    width = max(len(s.name) for s in SCENARIOS)
    for s in SCENARIOS:
        typer.echo(f"{s.name:<{width}}  {s.summary}")
        shown = [f"{cid} {status.value}" for cid, status in s.expected if status != "pass"]
        shown += [
            f"{cid} {status.value} for {subject.split(':')[4]}"
            for cid, subject, status in s.expected_for
            if status != "pass"
        ]
        if not shown:
            shown = ["every check passes"]
        typer.echo(f"{'':<{width}}  expects: {', '.join(shown)}; exit {s.expected_exit}")


def _print_gate(chosen: Scenario) -> None:
    """With -v: how the sandbox's STS answers AssumeRole in this scenario (no secrets)."""
    err = stderr_console()
    err.print("[dim]AssumeRole as AWS would answer it here (first matching row wins):[/dim]")
    for rule in chosen.gate:
        when = [f"External ID {rule.external_id.value}" if rule.external_id != "any" else ""]
        if rule.source_identity is not None:
            when.append("with" if rule.source_identity else "without")
            when[-1] += " source identity"
        if rule.session_tags is not None:
            when.append(("with" if rule.session_tags else "without") + " session tags")
        if rule.duration_over is not None:
            when.append(f"DurationSeconds > {rule.duration_over}")
        answer = "allow" if rule.decision.allow else rule.decision.code
        condition = ", ".join(w for w in when if w) or "always"
        err.print(
            escape(f"  {rule.caller} → {rule.role} [{condition}]: {answer} — {rule.note}"),
            soft_wrap=True,
            style="dim",
        )
    err.print("[dim]  anything else: AccessDenied (bare)[/dim]")
