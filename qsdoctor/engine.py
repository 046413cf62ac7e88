"""The `check` pipeline: collect facts, run the checks, and wrap the findings in a Report.

`run_check` never lets an unexpected failure escape as a traceback: if collection
crashes, the report holds one `error` finding saying so, so `--output json | jq`
still gets a valid report. Bad input (`UsageError`) is the one thing that propagates:
the CLI turns it into exit code 2.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from qsdoctor import __version__
from qsdoctor.config import CheckConfig
from qsdoctor.errors import UsageError
from qsdoctor.exitcodes import check_exit_code
from qsdoctor.facts import Facts
from qsdoctor.models import Evidence, Finding, JsonValue, Ok, Report, Status

#: The JSON report's schema_version (design.md); bump it in the CHANGELOG.
SCHEMA_VERSION = "1.0"

#: The finding reported when qsdoctor itself stopped before the checks could run.
CRASH_ID = "QS000"
CRASH_NAME = "qsdoctor-run"


def utc_now() -> str:
    """Now, as the report's `generated_at` (UTC ISO-8601, seconds)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _since_text(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"  # pragma: no cover  (--since only takes m, h, d)


def facts_context(facts: Facts) -> dict[str, JsonValue]:
    """The header facts a reader wants first: who ran it, where, and against what."""
    context: dict[str, JsonValue] = {
        "region": facts.region,
        "partition": facts.partition,
        "vendor_account_id": facts.vendor_account_id,
        "collected_at": facts.collected_at,
    }
    for caller in facts.callers:
        if caller.label == "caller" and isinstance(caller.identity, Ok):
            context["caller_arn"] = caller.identity.value.arn
    if facts.trail is not None:
        context["trail_window"] = {"since": facts.trail.since, "until": facts.trail.until}
    return context


def report_from_facts(
    facts: Facts,
    *,
    strict: bool = False,
    raise_errors: bool = False,
    context: Mapping[str, JsonValue] | None = None,
    generated_at: str | None = None,
) -> Report:
    """Run every check on `facts` (live or replayed) and build the report."""
    from qsdoctor.checks.registry import run_checks

    findings = run_checks(facts, raise_errors=raise_errors)
    return build_report(
        intermediate_role_arn=facts.intermediate_arn,
        destinations=tuple(d.arn for d in facts.destinations),
        findings=findings,
        strict=strict,
        context={**facts_context(facts), **(context or {})},
        generated_at=generated_at,
    )


def build_report(
    *,
    intermediate_role_arn: str,
    destinations: tuple[str, ...],
    findings: tuple[Finding, ...],
    strict: bool = False,
    context: Mapping[str, JsonValue] | None = None,
    generated_at: str | None = None,
) -> Report:
    """A Report whose exit_code follows from its findings (so JSON and process agree)."""
    return Report(
        schema_version=SCHEMA_VERSION,
        tool_version=__version__,
        generated_at=generated_at or utc_now(),
        intermediate_role_arn=intermediate_role_arn,
        destinations=destinations,
        findings=findings,
        exit_code=int(check_exit_code((f.status for f in findings), strict=strict)),
        context={"strict": strict, **(context or {})},
    )


def crash_finding(exc: BaseException, *, secrets: tuple[str, ...] = ()) -> Finding:
    """An `error` finding for a run that stopped unexpectedly (secrets masked)."""
    message = str(exc)
    for secret in secrets:
        if secret:
            message = message.replace(secret, "<redacted>")
    return Finding(
        id=CRASH_ID,
        name=CRASH_NAME,
        status=Status.ERROR,
        subject="qsdoctor",
        title="qsdoctor stopped before it could check the chain",
        detail=f"unexpected {type(exc).__name__} while collecting facts: {message}"[:500],
        remediation="rerun with -vv for the traceback and report it as a qsdoctor bug "
        "(External IDs are redacted)",
        evidence=(Evidence(kind="exception", summary=type(exc).__name__),),
    )


def _import_checks() -> None:
    """Import the checks while collection waits for AWS, rather than after it.

    An import error is left for `report_from_facts`, which imports them again.
    """
    with contextlib.suppress(Exception):
        from qsdoctor.checks.registry import load_all

        load_all()


def run_check(
    config: CheckConfig,
    *,
    strict: bool = False,
    progress: Callable[[str], None] | None = None,
    raise_errors: bool = False,
    on_facts: Callable[[Facts], None] | None = None,
) -> Report:
    """Collect the chain's facts from AWS, check them, and report.

    `on_facts` receives the facts before checking (for `--save-facts`).
    `raise_errors` (for -vv) lets crashes through with their traceback.
    """
    destinations = tuple(d.role.arn for d in config.destinations)
    try:
        from qsdoctor.collect import collect

        facts = collect(config, progress=progress, while_waiting=_import_checks)
    except UsageError:
        raise
    except Exception as exc:
        if raise_errors:
            raise
        secrets = tuple(
            e.value
            for e in (config.external_id, *(d.external_id for d in config.destinations))
            if e is not None
        )
        return build_report(
            intermediate_role_arn=config.intermediate.arn,
            destinations=destinations,
            findings=(crash_finding(exc, secrets=secrets),),
            strict=strict,
            context={"mode": "live", "vendor_account_id": config.vendor_account_id},
        )
    if on_facts is not None:
        on_facts(facts)
    return report_from_facts(
        facts,
        strict=strict,
        raise_errors=raise_errors,
        context={"mode": "live", "since": _since_text(config.since)},
    )
