"""`python -m qsdoctor.sandbox [SCENARIO]`: keep a scenario's sandbox running for manual use.

Prints where the scenario's environment file is; `source` it in another shell and
run `qsdoctor check` (or `aws`) by hand with any options, against the same world
the demo uses. The environment file holds the sandbox's External IDs, so they
are not printed. Ctrl-C (or SIGTERM) stops the server and deletes the files.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import tempfile
import threading
from pathlib import Path

from qsdoctor.sandbox.scenarios import by_name, names
from qsdoctor.sandbox.server import INSTALL_HINT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m qsdoctor.sandbox", description=__doc__.splitlines()[0]
    )
    parser.add_argument("scenario", nargs="?", default="healthy", choices=names())
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    options = parser.parse_args(argv)
    try:
        from qsdoctor.sandbox.server import SandboxServer

        server = SandboxServer(latency=options.latency)
    except ImportError:
        print(f"error: {INSTALL_HINT}", file=sys.stderr)
        return 2
    scenario = by_name(options.scenario)
    with server, tempfile.TemporaryDirectory(prefix="qsdoctor-sandbox-") as d:
        loaded = server.load(scenario, Path(d))
        keep = ("AWS_", "QSDOCTOR_", "NO_PROXY")
        env = {k: v for k, v in loaded.environ({}).items() if k.startswith(keep)}
        env_file = Path(d) / "sandbox.env"
        env_file.write_text("".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items()))
        env_file.chmod(0o600)
        print(f"Scenario {scenario.name}: {scenario.summary}")
        print(f"Sandbox on {loaded.endpoint}. In another shell:\n")
        print(f"  . {shlex.quote(str(env_file))}")
        print(f"  qsdoctor {shlex.join(scenario.check_args())}\n")
        print("Ctrl-C stops the sandbox.", flush=True)
        stop = threading.Event()
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *_: stop.set())
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
