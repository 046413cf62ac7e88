"""The command line: thin typer commands that build a config, run the engine, render.

Heavy imports (boto3, moto, the checks) happen inside command bodies, so
`qsdoctor --help` stays fast and never loads boto3.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import NoReturn

import typer

from qsdoctor.cli import check, demo, explain, simulate, trail
from qsdoctor.cli.common import app


def main() -> None:
    """Run the command line (raises SystemExit, like any click application)."""
    app()


def run() -> NoReturn:
    """The installed `qsdoctor` script: `main()`, then exit at once.

    A check leaves a large heap behind (botocore's service models, the checks, the
    policy engine); tearing it down at interpreter exit took about 0.15 s of a
    check's wall time and does nothing for a process that is ending. The output is
    flushed first; qsdoctor registers no atexit handlers.

    `check` also runs without the cyclic garbage collector: its work is bounded (tens
    of requests, at most a few thousand trail records), almost all of it freed by
    reference counting, and the collector's full passes over botocore's models cost
    about a tenth of its wall time. Other commands (a long `simulate --requests`
    batch) keep it.
    """
    if sys.argv[1:2] == ["check"]:
        gc.disable()
    try:
        main()
        code = 0
    except SystemExit as e:
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
            code = 1
        else:
            code = e.code or 0
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):  # a closed pipe (`| head`): nothing to flush to
        pass
    os._exit(code)


__all__ = ["app", "check", "demo", "explain", "main", "run", "simulate", "trail", "typer"]
