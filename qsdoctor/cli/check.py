"""`qsdoctor check`: validate the inputs, collect (or replay) facts, check, render, exit.

Only the report goes to stdout; progress, warnings and errors go to stderr, so
`--output json | jq` always works. The engine, boto3 and the checks are imported in
the command body, so `qsdoctor --help` stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from qsdoctor import QUIVERSTONE_PRODUCTION_ACCOUNT
from qsdoctor.cli.common import (
    OutputFormat,
    OutputOpt,
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
from qsdoctor.errors import UsageError

if TYPE_CHECKING:
    from qsdoctor.config import CheckConfig
    from qsdoctor.facts import Facts
    from qsdoctor.inputs import CheckInputs
    from qsdoctor.models import Report

_TARGET = "Target"
_CREDS = "Credentials"
_IDS = "External IDs (read from the environment by default)"
_RUN = "What to run"
_OUT = "Output"
_REPLAY = "Saved facts"


@app.command("check")
def check(  # noqa: PLR0917  (one parameter per command-line option)
    intermediate_arn: Annotated[
        str | None,
        value_option(
            metavar="ARN",
            help="ARN of the intermediate role in the customer's trusted account "
            "(required unless --from-facts).",
            panel=_TARGET,
        ),
    ] = None,
    destination_arn: Annotated[
        list[str] | None,
        value_option(metavar="ARN", help="A destination role ARN (repeatable).", panel=_TARGET),
    ] = None,
    destinations_file: Annotated[
        Path | None,
        value_option(
            metavar="FILE",
            help="Destinations from a file: one ARN per line (# comments), CSV with header "
            "arn[,external_id_env], or a JSON list of ARNs or "
            '{"arn": ..., "external_id_env": ...} objects.',
            panel=_TARGET,
            file=True,
        ),
    ] = None,
    vendor_account_id: Annotated[
        str, vendor_account_option(panel=_TARGET)
    ] = QUIVERSTONE_PRODUCTION_ACCOUNT,
    profile: ProfileOpt = None,
    intermediate_profile: Annotated[
        str | None,
        value_option(
            metavar="PROFILE",
            help="Profile with IAM and CloudTrail read access in the intermediate account "
            "(default: --profile when it is in that account).",
            panel=_CREDS,
        ),
    ] = None,
    destination_profile: Annotated[
        str | None,
        value_option(
            metavar="PROFILE",
            help="Profile with IAM read access in the destination accounts.",
            panel=_CREDS,
        ),
    ] = None,
    region: RegionOpt = None,
    source_identity: Annotated[
        str | None,
        value_option(
            metavar="VALUE",
            help="SourceIdentity hop 1 sets (as the platform does); both trusts then need "
            "sts:SetSourceIdentity.",
            panel=_RUN,
        ),
    ] = None,
    session_tag: Annotated[
        list[str] | None,
        value_option(
            metavar="KEY=VALUE",
            help="KEY=VALUE session tag hop 1 passes (repeatable); trusts then need "
            "sts:TagSession.",
            panel=_RUN,
        ),
    ] = None,
    since: Annotated[str, since_option(panel=_RUN)] = "24h",
    no_live: Annotated[
        bool,
        typer.Option(
            "--no-live",
            help="Make no sts:AssumeRole calls (static and CloudTrail checks only).",
            rich_help_panel=_RUN,
        ),
    ] = False,
    no_trail: Annotated[
        bool,
        typer.Option("--no-trail", help="Do not read CloudTrail.", rich_help_panel=_RUN),
    ] = False,
    no_negative_probes: Annotated[
        bool,
        typer.Option(
            "--no-negative-probes",
            help="Skip QS303's AssumeRole attempts without / with a wrong External ID.",
            rich_help_panel=_RUN,
        ),
    ] = False,
    trail_bucket: Annotated[str | None, trail_bucket_option(panel=_RUN)] = None,
    trail_bucket_profile: Annotated[str | None, trail_bucket_profile_option(panel=_RUN)] = None,
    external_id_file: Annotated[
        Path | None,
        value_option(
            metavar="FILE",
            help="Read the intermediate role's External ID from this file "
            "(default: $QSDOCTOR_EXTERNAL_ID).",
            panel=_IDS,
            file=True,
        ),
    ] = None,
    external_id_secret: Annotated[
        str | None,
        value_option(
            metavar="SECRET_ARN",
            help="Read it from this Secrets Manager secret ARN (with --profile).",
            panel=_IDS,
        ),
    ] = None,
    external_id: Annotated[
        str | None,
        value_option(
            metavar="VALUE",
            help="The External ID itself. Works, but warns: it shows in ps and shell history.",
            panel=_IDS,
        ),
    ] = None,
    prompt_external_id: Annotated[
        bool,
        typer.Option(
            "--prompt-external-id",
            help="Ask for the External ID without echoing it.",
            rich_help_panel=_IDS,
        ),
    ] = False,
    destination_external_id_file: Annotated[
        Path | None,
        value_option(
            metavar="FILE",
            help="Read the destinations' External ID from this file "
            "(default: $QSDOCTOR_DESTINATION_EXTERNAL_ID).",
            panel=_IDS,
            file=True,
        ),
    ] = None,
    destination_external_id_secret: Annotated[
        str | None,
        value_option(
            metavar="SECRET_ARN",
            help="Read it from this Secrets Manager secret ARN.",
            panel=_IDS,
        ),
    ] = None,
    destination_external_id: Annotated[
        str | None,
        value_option(
            metavar="VALUE",
            help="The destinations' External ID itself (warns, as --external-id).",
            panel=_IDS,
        ),
    ] = None,
    output: OutputOpt = OutputFormat.CONSOLE,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Exit 1 on warnings too.", rich_help_panel=_OUT),
    ] = False,
    show_secrets: Annotated[
        bool,
        typer.Option(
            "--show-secrets",
            help="Keep External IDs in --save-facts bundles (they are redacted by default).",
            rich_help_panel=_OUT,
        ),
    ] = False,
    verbose: VerboseOpt = 0,
    save_facts: Annotated[
        Path | None,
        value_option(
            metavar="FILE",
            help="Also write the collected facts to this JSON file (External IDs redacted).",
            panel=_REPLAY,
            file=True,
        ),
    ] = None,
    from_facts: Annotated[
        Path | None,
        value_option(
            metavar="FILE",
            help="Run the checks on a saved bundle instead of AWS (no AWS calls; the "
            "target and collection options are taken from the bundle).",
            panel=_REPLAY,
            file=True,
        ),
    ] = None,
) -> None:
    """Check a Quiverstone access chain link by link and report what is broken and why.

    Exit codes: 0 nothing failed (warnings allowed unless --strict), 1 a check failed,
    2 bad input, 3 nothing failed but something could not be verified.
    """
    from qsdoctor.inputs import CheckInputs, ExternalIdSource

    with exit_on_error(verbose):
        if from_facts is not None:
            report = _replay(from_facts, intermediate_arn, save_facts, strict, verbose)
        else:
            if intermediate_arn is None:
                raise UsageError(
                    "--intermediate-arn is required",
                    "pass the intermediate role's ARN, or --from-facts FILE to replay a bundle",
                )
            _check_writable(save_facts)
            inputs = CheckInputs(
                intermediate_arn=intermediate_arn,
                destination_arns=tuple(destination_arn or ()),
                destinations_file=destinations_file,
                vendor_account_id=vendor_account_id,
                profile=profile,
                intermediate_profile=intermediate_profile,
                destination_profile=destination_profile,
                region=region,
                source_identity=source_identity,
                session_tags=tuple(session_tag or ()),
                since=since,
                live=not no_live,
                trail=not no_trail,
                negative_probes=not no_negative_probes,
                trail_bucket=trail_bucket,
                trail_bucket_profile=trail_bucket_profile,
                external_id=ExternalIdSource.intermediate(
                    file=external_id_file,
                    secret_arn=external_id_secret,
                    value=external_id,
                    prompt=prompt_external_id,
                ),
                destination_external_id=ExternalIdSource.destinations(
                    file=destination_external_id_file,
                    secret_arn=destination_external_id_secret,
                    value=destination_external_id,
                ),
            )
            report = _live(inputs, save_facts, show_secrets, strict, verbose)
        _render(report, output, verbose=verbose, strict=strict)
    raise typer.Exit(report.exit_code)


def _check_writable(path: Path | None) -> None:
    """Fail on an unwritable --save-facts path before spending time on AWS."""
    if path is None:
        return
    parent = path.parent if str(path.parent) else Path()
    if path.is_dir() or not parent.is_dir() or not os.access(parent, os.W_OK):
        raise UsageError(
            f"--save-facts {path} cannot be written",
            "give a file path in an existing, writable directory",
        )


def _config(inputs: CheckInputs) -> CheckConfig:
    def read_secret(arn: str, profile: str | None, region: str | None) -> str:
        from qsdoctor.aws.secrets_source import read_secret_external_id

        return read_secret_external_id(arn, profile, region)

    def prompt(text: str) -> str:
        import getpass

        # getpass writes to the terminal (or stderr), never to stdout, and does not echo.
        return getpass.getpass(f"{text}: ", stream=sys.stderr)

    return build_config(inputs, read_secret=read_secret, prompt=prompt)


def _live(
    inputs: CheckInputs, save_facts: Path | None, show_secrets: bool, strict: bool, verbose: int
) -> Report:
    from qsdoctor.bundle import save_facts as write_bundle
    from qsdoctor.engine import run_check

    config = _config(inputs)
    on_facts: Callable[[Facts], None] | None = None
    if save_facts is not None:
        on_facts = partial(write_bundle, path=save_facts, show_secrets=show_secrets)
    with _progress(verbose) as say:
        return run_check(
            config, strict=strict, progress=say, raise_errors=verbose >= 2, on_facts=on_facts
        )


def _replay(
    path: Path, intermediate_arn: str | None, save_facts: Path | None, strict: bool, verbose: int
) -> Report:
    from qsdoctor.arn import parse_role_arn
    from qsdoctor.bundle import load_facts
    from qsdoctor.engine import report_from_facts

    if save_facts is not None:
        raise UsageError(
            "--save-facts and --from-facts cannot be combined",
            "the bundle already holds the facts; copy the file instead",
        )
    bundle = load_facts(path)
    if intermediate_arn is not None:
        wanted = parse_role_arn(intermediate_arn, what="--intermediate-arn").arn
        if wanted != bundle.facts.intermediate_arn:
            raise UsageError(
                f"the bundle is for {bundle.facts.intermediate_arn}, not {wanted}",
                "leave out --intermediate-arn with --from-facts, or pick the right bundle",
            )
    return report_from_facts(
        bundle.facts,
        strict=strict,
        raise_errors=verbose >= 2,
        context={"mode": "replay", "redacted": bundle.redacted, "saved_by": bundle.saved_by},
    )


@contextmanager
def _progress(verbose: int) -> Iterator[Callable[[str], None]]:
    """Progress on stderr: a spinner on a terminal; elsewhere plain lines, only with -v."""
    err = stderr_console()
    if err.is_terminal:
        with err.status("starting…") as status:
            yield lambda line: status.update(escape(f"{line}…"))
    elif verbose:
        yield lambda line: err.print(f"qsdoctor: {line}…", markup=False, soft_wrap=True)
    else:
        yield lambda _line: None


def _render(report: Report, output: OutputFormat, *, verbose: int, strict: bool) -> None:
    from qsdoctor.render import get_renderer

    renderer = get_renderer(
        output, color=use_color(sys.stdout), verbose=verbose >= 1, strict=strict
    )
    renderer.render(report, sys.stdout)
    sys.stdout.flush()
