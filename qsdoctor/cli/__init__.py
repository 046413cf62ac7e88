"""The command line: thin typer commands that build a config, run the engine, render.

Heavy imports (boto3, moto, the checks) happen inside command bodies, so
`qsdoctor --help` stays fast and never loads boto3.
"""

from __future__ import annotations

import typer

from qsdoctor.cli import check, demo, explain, simulate, trail
from qsdoctor.cli.common import app


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "check", "demo", "explain", "main", "simulate", "trail", "typer"]
