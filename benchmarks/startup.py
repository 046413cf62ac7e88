"""Startup cost: `qsdoctor --help` in a fresh interpreter, next to `python -c "import boto3"`.

`--help` must never import boto3 (the CLI imports the engine inside command
bodies); this benchmark checks that in a fresh interpreter and exits 1 if
boto3, botocore or moto were loaded, then reports median wall times.

Run: python benchmarks/startup.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

#: Runs the real console entry point with --help, then reports heavy modules loaded.
_PROBE = """
import sys
sys.argv = ["qsdoctor", "--help"]
from qsdoctor.cli import main
try:
    main()
except SystemExit:
    pass
heavy = sorted(m for m in ("boto3", "botocore", "moto", "qsdoctor.engine") if m in sys.modules)
sys.stderr.write("LOADED:" + ",".join(heavy) + "\\n")
"""


def _script() -> str:
    beside = Path(sys.executable).with_name("qsdoctor")
    return str(beside) if beside.exists() else "qsdoctor"


def timed(command: list[str], repeat: int) -> float:
    """Median wall time of `command` over `repeat` runs (after one warm-up for the disk cache)."""
    subprocess.run(command, capture_output=True, check=True)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def heavy_modules_loaded_by_help() -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("LOADED:"))
    return [m for m in line.removeprefix("LOADED:").split(",") if m]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    options = parser.parse_args()
    loaded = heavy_modules_loaded_by_help()
    bare = timed([sys.executable, "-c", "pass"], options.repeat)
    help_time = timed([_script(), "--help"], options.repeat)
    boto3_time = timed([sys.executable, "-c", "import boto3"], options.repeat)
    print(f"python -c pass:              {bare * 1000:6.0f} ms")
    print(f"qsdoctor --help:             {help_time * 1000:6.0f} ms")
    print(f'python -c "import boto3":    {boto3_time * 1000:6.0f} ms')
    print(f"modules --help loaded:       {', '.join(loaded) or 'none of boto3/botocore/moto'}")
    if any(m in loaded for m in ("boto3", "botocore", "moto")):
        print("FAIL: qsdoctor --help imported an AWS SDK module", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
