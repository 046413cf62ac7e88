"""`qsdoctor trail`: the CloudTrail evidence about a chain as a timeline, for incidents.

The same facts and checks as `check`'s CloudTrail group (QS401-QS403), without live
hops: every AssumeRole on the intermediate role (hop 1) and from its sessions (hop 2)
in the look-back window, oldest first, with who called, what STS answered and whether
the External ID presented was the configured one (by fingerprint only). boto3 and
the collectors are imported in the command body so `qsdoctor --help` stays light.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from qsdoctor import QUIVERSTONE_PRODUCTION_ACCOUNT
from qsdoctor.cli.common import (
    ConsoleOrJson,
    ProfileOpt,
    RegionOpt,
    VerboseOpt,
    app,
    build_config,
    exit_on_error,
    since_option,
    stderr_console,
    trail_bucket_option,
    trail_bucket_profile_option,
    use_color,
    value_option,
    vendor_account_option,
)
from qsdoctor.errors import QsdoctorError

if TYPE_CHECKING:
    from qsdoctor.config import CheckConfig
    from qsdoctor.facts import Facts, TrailEvent, TrailLookup
    from qsdoctor.models import Fetched, Finding, Report

#: The checks whose evidence `trail` shows.
TRAIL_CHECKS = ("QS401", "QS402", "QS403")
TRAIL_SCHEMA_VERSION = "1.0"


@app.command("trail")
def trail(  # noqa: PLR0917  (one parameter per command-line option)
    intermediate_arn: Annotated[
        str, value_option(metavar="ARN", help="ARN of the intermediate role.")
    ],
    since: Annotated[str, since_option()] = "24h",
    profile: ProfileOpt = None,
    intermediate_profile: Annotated[
        str | None,
        value_option(
            metavar="PROFILE",
            help="Profile with CloudTrail read access in the intermediate account "
            "(hop-1 successes, hop-2 failures).",
        ),
    ] = None,
    region: RegionOpt = None,
    trail_bucket: Annotated[str | None, trail_bucket_option()] = None,
    trail_bucket_profile: Annotated[str | None, trail_bucket_profile_option()] = None,
    vendor_account_id: Annotated[str, vendor_account_option()] = QUIVERSTONE_PRODUCTION_ACCOUNT,
    output: Annotated[
        ConsoleOrJson, typer.Option("--output", "-o", help="Timeline format.")
    ] = ConsoleOrJson.CONSOLE,
    verbose: VerboseOpt = 0,
) -> None:
    """Show CloudTrail's AssumeRole timeline for a chain: failures, successes, causes.

    Hop-1 failures are recorded only in the production account (use --profile there);
    the intermediate account (--intermediate-profile) sees hop-1 successes and hop-2
    attempts. The External ID in $QSDOCTOR_EXTERNAL_ID, if set, is compared by
    fingerprint. Exit codes as `check`: 0, 1 a check failed, 2 bad input, 3 unverified.
    """
    from qsdoctor.checks.registry import run_checks
    from qsdoctor.collect import collect
    from qsdoctor.engine import build_report, facts_context
    from qsdoctor.inputs import CheckInputs

    with exit_on_error(verbose):
        inputs = CheckInputs(
            intermediate_arn=intermediate_arn,
            vendor_account_id=vendor_account_id,
            profile=profile,
            intermediate_profile=intermediate_profile,
            region=region,
            since=since,
            live=False,
            trail=True,
            negative_probes=False,
            trail_bucket=trail_bucket,
            trail_bucket_profile=trail_bucket_profile,
        )
        config = build_config(inputs)
        if verbose:
            stderr_console().print("qsdoctor: reading CloudTrail…", markup=False)
        try:
            facts = collect(config)
            findings = run_checks(facts, select=TRAIL_CHECKS, raise_errors=verbose >= 2)
        except QsdoctorError:
            raise
        except Exception as exc:  # a valid report even when collection crashes
            if verbose >= 2:
                raise
            facts, findings = _crashed(config, exc)
        report = build_report(
            intermediate_role_arn=facts.intermediate_arn,
            destinations=(),
            findings=findings,
            context={**facts_context(facts), "mode": "trail"},
        )
        if output is ConsoleOrJson.JSON:
            import json

            json.dump(timeline_json(facts, report), sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            render_timeline(
                facts, report, sys.stdout, color=use_color(sys.stdout), verbose=verbose >= 1
            )
        sys.stdout.flush()
    raise typer.Exit(report.exit_code)


def _crashed(config: CheckConfig, exc: Exception) -> tuple[Facts, tuple[Finding, ...]]:
    """Facts without a trail and one QS000 error finding, so the output stays valid."""
    from qsdoctor.engine import crash_finding, utc_now
    from qsdoctor.facts import Facts

    facts = Facts(
        collected_at=utc_now(),
        vendor_account_id=config.vendor_account_id,
        intermediate_arn=config.intermediate.arn,
        region=config.region or "",
    )
    secrets = (config.external_id.value,) if config.external_id else ()
    return facts, (crash_finding(exc, secrets=secrets),)


# --------------------------------------------------------------------------- model


def timeline_events(facts: Facts) -> list[tuple[str, TrailEvent]]:
    """(hop, event) for every recorded attempt, oldest first, without duplicates."""
    from qsdoctor.models import Ok

    rows: dict[str, tuple[str, TrailEvent]] = {}
    if facts.trail is not None:
        for hop, lookup in (("hop 1", facts.trail.hop1), ("hop 2", facts.trail.hop2)):
            if isinstance(lookup, Ok):
                for event in lookup.value.events:
                    rows.setdefault(event.event_id, (hop, event))
    return sorted(rows.values(), key=lambda r: (r[1].event_time, r[1].event_id))


def _configured_fingerprint(facts: Facts, hop: str, event: TrailEvent) -> str | None:
    if hop == "hop 1":
        return facts.external_id.fingerprint if facts.external_id else None
    for dest in facts.destinations:
        if event.role_arn and dest.arn.lower() == event.role_arn.lower() and dest.external_id:
            return dest.external_id.fingerprint
    return None


def external_id_cell(facts: Facts, hop: str, event: TrailEvent) -> str:
    """'configured', 'different (fp)', a bare fingerprint, or '—' when not recorded."""
    fp = event.external_id_fingerprint
    if fp is None:
        return "—"
    configured = _configured_fingerprint(facts, hop, event)
    if configured is None:
        return fp
    return f"configured ({fp})" if fp == configured else f"different ({fp})"


def _lookup_json(lookup: Fetched[TrailLookup]) -> dict[str, Any]:
    from qsdoctor.models import Ok, Skipped

    if isinstance(lookup, Ok):
        v = lookup.value
        return {
            "status": "read",
            "vantage": v.vantage,
            "regions": list(v.regions),
            "sources": list(v.sources),
            "events": len(v.events),
            "pages": v.pages,
            "malformed": v.malformed,
            "notes": list(v.notes),
        }
    if isinstance(lookup, Skipped):
        return {"status": "skipped", "reason": lookup.reason}
    return {
        "status": "unavailable",
        "operation": lookup.error.operation,
        "code": lookup.error.code,
        "message": lookup.error.message,
    }


def timeline_json(facts: Facts, report: Report) -> dict[str, Any]:
    """The JSON document of `trail --output json`: window, sources, events, findings."""
    from qsdoctor.checks.trail import by_qsdoctor

    trail_facts = facts.trail
    events = []
    for hop, e in timeline_events(facts):
        fp = e.external_id_fingerprint
        configured = _configured_fingerprint(facts, hop, e)
        events.append(
            {
                "hop": hop.replace(" ", ""),
                "event_id": e.event_id,
                "event_time": e.event_time,
                "region": e.region,
                "succeeded": e.succeeded,
                "error_code": e.error_code,
                "error_message": e.error_message,
                "caller_arn": e.caller_arn,
                "caller_account": e.caller_account,
                "caller_type": e.caller_type,
                "role_arn": e.role_arn,
                "session_name": e.session_name,
                "source_identity": e.source_identity,
                "endpoint": e.endpoint,
                "external_id_fingerprint": fp,
                "external_id_matches_configured": (
                    None if fp is None or configured is None else fp == configured
                ),
                "by_qsdoctor": by_qsdoctor(e),
            }
        )
    doc: dict[str, Any] = {
        "schema_version": TRAIL_SCHEMA_VERSION,
        "tool": {"name": "qsdoctor", "version": report.tool_version},
        "generated_at": report.generated_at,
        "intermediate_role_arn": facts.intermediate_arn,
        "window": (
            {"since": trail_facts.since, "until": trail_facts.until} if trail_facts else None
        ),
        "lookups": (
            {"hop1": _lookup_json(trail_facts.hop1), "hop2": _lookup_json(trail_facts.hop2)}
            if trail_facts
            else {}
        ),
        "events": events,
        "summary": {"status": str(report.status), "counts": report.counts},
        "findings": [f.to_dict() for f in report.findings],
        "exit_code": report.exit_code,
    }
    return doc


# --------------------------------------------------------------------------- console


def _source_line(name: str, lookup: Fetched[TrailLookup]) -> str:
    from qsdoctor.models import Ok, Skipped

    if isinstance(lookup, Ok):
        v = lookup.value
        where = "production account" if v.vantage == "production" else "intermediate account"
        line = (
            f"{name}: {where}'s trail, {', '.join(v.regions)}; "
            f"{' + '.join(v.sources) or 'no source'}; {len(v.events)} event(s), "
            f"{v.pages} page(s)"
        )
        if v.malformed:
            line += f", {v.malformed} malformed record(s) skipped"
        for note in v.notes:
            line += f"; {note}"
        return line
    if isinstance(lookup, Skipped):
        return f"{name}: not read — {lookup.reason}"
    return f"{name}: could not read — {lookup.error.operation} {lookup.error.code}"


def _width() -> int:
    """COLUMNS, else the terminal's width, else 160 (a pipe): the table needs room."""
    import shutil

    return shutil.get_terminal_size((160, 24)).columns


def short_arn(arn: str) -> str:
    """'arn:aws:sts::684035162433:assumed-role/R/s' -> '684035162433:assumed-role/R/s'."""
    parts = arn.split(":", 5)
    return f"{parts[4]}:{parts[5]}" if len(parts) == 6 and parts[4] else arn


def render_timeline(
    facts: Facts,
    report: Report,
    out: TextIO,
    *,
    color: bool,
    verbose: bool,
    width: int | None = None,
) -> None:
    """The timeline table, then QS401-QS403 as in `check`'s checklist."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from qsdoctor.checks.trail import by_qsdoctor, window_label
    from qsdoctor.render.console import ConsoleRenderer

    console = Console(
        file=out,
        no_color=not color,
        force_terminal=color,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
        markup=False,
        width=width or _width(),
    )
    head = f"CloudTrail · {facts.intermediate_arn}"
    if facts.trail is not None:
        head += f" · {window_label(facts.trail)} ({facts.trail.since} → {facts.trail.until})"
        console.print(Text(head, style="bold"), soft_wrap=True)
        for name, lookup in (("hop 1", facts.trail.hop1), ("hop 2", facts.trail.hop2)):
            console.print(Text("  " + _source_line(name, lookup)), soft_wrap=True)
    else:
        console.print(Text(head + " · CloudTrail not read", style="bold"), soft_wrap=True)
    rows = timeline_events(facts)
    console.print()
    if rows:
        table = Table(show_edge=False, pad_edge=False, highlight=False)
        for column in (
            "time (UTC)",
            "hop",
            "result",
            "caller",
            "role",
            "region",
            "External ID",
            "event",
        ):
            table.add_column(
                column, overflow="fold", no_wrap=column in ("time (UTC)", "result", "event")
            )
        for hop, e in rows:
            result = (
                Text("✓ ok", style="green")
                if e.succeeded
                else Text(f"✗ {e.error_code or 'failed'}", style="bold red")
            )
            caller = (
                short_arn(e.caller_arn)
                if e.caller_arn
                else (f"account {e.caller_account}" if e.caller_account else "?")
            )
            if by_qsdoctor(e):
                caller += " (qsdoctor)"
            table.add_row(
                Text(e.event_time.replace("T", " ").rstrip("Z")),
                Text(hop),
                result,
                Text(caller),
                Text(short_arn(e.role_arn) if e.role_arn else "?"),
                Text(e.region),
                Text(external_id_cell(facts, hop, e)),
                Text(e.event_id),
            )
        console.print(table)
    else:
        console.print(Text("  no AssumeRole recorded for this chain in the window"))
    console.print()
    ConsoleRenderer(color=color, verbose=verbose, width=width or _width()).render(report, out)
