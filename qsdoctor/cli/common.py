"""The typer app, options shared by every command, and the one place errors are caught."""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from qsdoctor import __version__
from qsdoctor.errors import QsdoctorError
from qsdoctor.render import OutputFormat

if TYPE_CHECKING:
    from qsdoctor.config import CheckConfig
    from qsdoctor.inputs import CheckInputs, Prompt, ReadSecret

__all__ = [
    "ConsoleOrJson",
    "OutputFormat",
    "OutputOpt",
    "ProfileOpt",
    "RegionOpt",
    "VerboseOpt",
    "app",
    "build_config",
    "exit_on_error",
    "since_option",
    "stderr_console",
    "trail_bucket_option",
    "trail_bucket_profile_option",
    "use_color",
    "value_option",
    "vendor_account_option",
]

app = typer.Typer(
    name="qsdoctor",
    help="Diagnose Quiverstone's chained AWS access: intermediate role, destinations, "
    "live hops and CloudTrail.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode=None,
)


ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile",
        help="Profile of the caller (a principal in the production account runs the live hops).",
        envvar="AWS_PROFILE",
        show_envvar=True,
        metavar="PROFILE",
    ),
]
RegionOpt = Annotated[
    str | None,
    typer.Option(
        "--region",
        help="AWS Region for STS and CloudTrail (default: the profile's).",
        metavar="REGION",
    ),
]
OutputOpt = Annotated[OutputFormat, typer.Option("--output", "-o", help="Report format.")]
VerboseOpt = Annotated[
    int,
    typer.Option(
        "--verbose", "-v", count=True, help="-v adds evidence; -vv shows tracebacks for debugging."
    ),
]


class ConsoleOrJson(enum.StrEnum):
    """Output formats of `trail` and `simulate`: the console view or one JSON document."""

    CONSOLE = "console"
    JSON = "json"


def value_option(
    *decls: str, metavar: str, help: str, panel: str | None = None, file: bool = False
) -> Any:
    """A `typer.Option` taking a value whose absence needs no `[default: None]` in --help.

    `panel` groups it in rich help; `file` makes it a file path (a directory is refused).
    """
    extra: dict[str, Any] = {"dir_okay": False} if file else {}
    return typer.Option(
        *decls, metavar=metavar, help=help, show_default=False, rich_help_panel=panel, **extra
    )


# Options `check` and `trail` share. Factories, not aliases, so `check` can keep its
# help panels.


def since_option(panel: str | None = None) -> Any:
    return typer.Option(
        metavar="DURATION",
        help="CloudTrail look-back window: minutes, hours or days (30m, 24h, 7d; at most 90d).",
        rich_help_panel=panel,
    )


def vendor_account_option(panel: str | None = None) -> Any:
    return typer.Option(
        metavar="ACCOUNT_ID",
        help="The Quiverstone production account that assumes the intermediate role.",
        rich_help_panel=panel,
    )


def trail_bucket_option(panel: str | None = None) -> Any:
    return value_option(
        metavar="S3_URL",
        help="s3://BUCKET/PREFIX of an organization trail's logs, read when the "
        "event history is not enough.",
        panel=panel,
    )


def trail_bucket_profile_option(panel: str | None = None) -> Any:
    return value_option(
        metavar="PROFILE", help="Profile that may read --trail-bucket.", panel=panel
    )


def stderr_console() -> Console:
    """Everything that is not the report goes to stderr."""
    return Console(stderr=True, highlight=False, no_color=_no_color())


def _no_color() -> bool:
    return "NO_COLOR" in os.environ


def use_color(stream: object = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set."""
    out = stream if stream is not None else sys.stdout
    return not _no_color() and bool(getattr(out, "isatty", lambda: False)())


@contextmanager
def exit_on_error(verbose: int = 0) -> Iterator[None]:
    """Turn a QsdoctorError into one line on stderr and its exit code; -vv re-raises."""
    try:
        yield
    except QsdoctorError as e:
        if verbose >= 2:
            raise
        line = f"qsdoctor: error: {e.message}"
        if e.hint:
            line += f" — {e.hint}"
        stderr_console().print(escape(line), soft_wrap=True)
        raise typer.Exit(e.exit_code) from None


def build_config(
    inputs: CheckInputs, *, read_secret: ReadSecret | None = None, prompt: Prompt | None = None
) -> CheckConfig:
    """Validate a command's inputs against this process's environment and AWS profiles.

    Warnings go to stderr; a profile option naming an unconfigured profile is bad input.
    """
    from qsdoctor.inputs import build_check_config

    err = stderr_console()
    return build_check_config(
        inputs,
        environ=os.environ,
        read_secret=read_secret,
        prompt=prompt,
        warn=lambda line: err.print(line, markup=False, soft_wrap=True),
        known_profiles=_configured_profiles,
    )


def _configured_profiles() -> list[str]:
    from qsdoctor.aws.sessions import configured_profiles

    return configured_profiles()


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"qsdoctor {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=version_callback,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Diagnose Quiverstone's chained AWS access, link by link."""
