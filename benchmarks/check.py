"""`qsdoctor check` on the healthy sandbox with added latency, against the manual procedure.

Every AWS request to the sandbox waits `--latency` seconds (30 ms by default,
a typical round trip to an AWS endpoint). The benchmark reports:

- qsdoctor: wall time of the installed script (process start included), its CPU
  time (less sensitive to other load on the machine), the requests it made, and
  the longest chain of requests that ran one after the other (each starting only
  after the previous one ended). That chain is read
  from the server's request timeline; it bounds from above the calls that had
  to wait for each other, and times the latency gives the network floor.
- the reference's manual procedure (its "Validation Steps"): one `aws` command
  per step, run one after the other, as a person following the document would
  (human reading time not counted). With the AWS CLI absent, each command is a
  fresh Python process making the same single boto3 call.
- the same calls made sequentially in one process: the floor for a hand-written
  script that does what the steps say.

Run: python benchmarks/check.py [--latency 0.03] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qsdoctor.sandbox import world as w
from qsdoctor.sandbox.middleware import RequestRecord
from qsdoctor.sandbox.scenarios import by_name
from qsdoctor.sandbox.server import LoadedScenario, SandboxServer

#: The reference's Validation Steps as single calls: (step, profile, aws CLI words, boto3 call).
MANUAL_STEPS: tuple[tuple[str, str, list[str], tuple[str, str, dict[str, Any]]], ...] = (
    (
        "1-3 role, trust, External ID",
        w.INTERMEDIATE_PROFILE,
        ["iam", "get-role", "--role-name", w.INTERMEDIATE_ROLE_NAME],
        ("iam", "get_role", {"RoleName": w.INTERMEDIATE_ROLE_NAME}),
    ),
    (
        "4 policies allow sts:AssumeRole",
        w.INTERMEDIATE_PROFILE,
        ["iam", "list-role-policies", "--role-name", w.INTERMEDIATE_ROLE_NAME],
        ("iam", "list_role_policies", {"RoleName": w.INTERMEDIATE_ROLE_NAME}),
    ),
    (
        "4 policies allow sts:AssumeRole",
        w.INTERMEDIATE_PROFILE,
        [
            "iam",
            "get-role-policy",
            "--role-name",
            w.INTERMEDIATE_ROLE_NAME,
            "--policy-name",
            "AssumeRoleScope",
        ],
        (
            "iam",
            "get_role_policy",
            {"RoleName": w.INTERMEDIATE_ROLE_NAME, "PolicyName": "AssumeRoleScope"},
        ),
    ),
    (
        "4 policies allow sts:AssumeRole",
        w.INTERMEDIATE_PROFILE,
        ["iam", "list-attached-role-policies", "--role-name", w.INTERMEDIATE_ROLE_NAME],
        ("iam", "list_attached_role_policies", {"RoleName": w.INTERMEDIATE_ROLE_NAME}),
    ),
    (
        "5 destination trusts intermediate",
        w.DESTINATION_PROFILE,
        ["iam", "get-role", "--role-name", w.DESTINATION_ROLE_NAME],
        ("iam", "get_role", {"RoleName": w.DESTINATION_ROLE_NAME}),
    ),
    (
        "6 assume the intermediate role",
        w.SUPPORT_PROFILE,
        [
            "sts",
            "assume-role",
            "--role-arn",
            w.INTERMEDIATE_ROLE,
            "--role-session-name",
            "test",
            "--external-id",
            w.EXTERNAL_ID,
        ],
        (
            "sts",
            "assume_role",
            {
                "RoleArn": w.INTERMEDIATE_ROLE,
                "RoleSessionName": "test",
                "ExternalId": w.EXTERNAL_ID,
            },
        ),
    ),
    (
        "6 assume the destination role",
        "",  # with the previous step's credentials
        [
            "sts",
            "assume-role",
            "--role-arn",
            w.DESTINATION_ROLE,
            "--role-session-name",
            "test",
            "--external-id",
            w.DESTINATION_EXTERNAL_ID,
        ],
        (
            "sts",
            "assume_role",
            {
                "RoleArn": w.DESTINATION_ROLE,
                "RoleSessionName": "test",
                "ExternalId": w.DESTINATION_EXTERNAL_ID,
            },
        ),
    ),
    (
        "7 CloudTrail in the intermediate account",
        w.INTERMEDIATE_PROFILE,
        [
            "cloudtrail",
            "lookup-events",
            "--lookup-attributes",
            "AttributeKey=EventName,AttributeValue=AssumeRole",
            "--max-results",
            "50",
        ],
        (
            "cloudtrail",
            "lookup_events",
            {
                "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "AssumeRole"}],
                "MaxResults": 50,
            },
        ),
    ),
)

_ONE_CALL = """
import json, sys, boto3
service, op, params = json.loads(sys.argv[1])
print(json.dumps(getattr(boto3.client(service), op)(**params), default=str))
"""


def longest_chain(timeline: Sequence[RequestRecord]) -> tuple[int, float]:
    """Longest sequence of requests each starting after the previous ended: (count, seconds)."""
    ordered = sorted(timeline, key=lambda r: r.start)
    best: list[tuple[int, float]] = []
    for i, request in enumerate(ordered):
        before = [best[j] for j in range(i) if ordered[j].end <= request.start]
        count, seconds = max(before, default=(0, 0.0))
        best.append((count + 1, seconds + (request.end - request.start)))
    return max(best, default=(0, 0.0))


def _script() -> str:
    beside = Path(sys.executable).with_name("qsdoctor")
    return str(beside) if beside.exists() else "qsdoctor"


def run_qsdoctor(server: SandboxServer, loaded: LoadedScenario) -> dict[str, Any]:
    server.middleware.timeline.clear()
    args = [*loaded.scenario.check_args(), "--output", "json"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [_script(), *args], env=loaded.environ(), capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        try:
            findings = json.loads(done.stdout)["findings"]
            why = "\n".join(
                f"{f['id']} {f['status']}: {f['detail']}" for f in findings if f["status"] != "pass"
            )
        except (ValueError, KeyError):
            why = done.stdout[-2000:]
        raise SystemExit(
            f"check did not pass on the healthy sandbox (exit "
            f"{done.returncode}):\n{why}\n{done.stderr[-2000:]}"
        )
    timeline = list(server.middleware.timeline)
    chain, chain_seconds = longest_chain(timeline)
    return {
        "wall": wall,
        "cpu": cpu,
        "requests": len(timeline),
        "chain": chain,
        "chain_seconds": chain_seconds,
        # Process start to first request (imports, profiles, clients) and last response
        # to exit (checks, rendering): the parts of the wall time that are not AWS.
        "before_first": min(r.start for r in timeline) - started,
        "after_last": started + wall - max(r.end for r in timeline),
    }


def _hop1_env(loaded: LoadedScenario, output: str) -> dict[str, str]:
    creds = json.loads(output)["Credentials"]
    env = loaded.environ()
    env.update(
        AWS_ACCESS_KEY_ID=creds["AccessKeyId"],
        AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
        AWS_SESSION_TOKEN=creds["SessionToken"],
    )
    return env


def run_manual(server: SandboxServer, loaded: LoadedScenario, aws_cli: str | None) -> float:
    """One process per step, one after the other, as a person following the reference."""
    server.middleware.timeline.clear()
    started = time.perf_counter()
    previous = ""
    for _, profile, words, (service, op, params) in MANUAL_STEPS:
        if profile:
            env = loaded.environ()
            env["AWS_PROFILE"] = profile
        else:
            env = _hop1_env(loaded, previous)
        if aws_cli:
            command = [aws_cli, *words, "--output", "json"]
        else:
            command = [sys.executable, "-c", _ONE_CALL, json.dumps([service, op, params])]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"manual step {words[:2]} failed: {done.stderr[-1000:]}")
        previous = done.stdout
    return time.perf_counter() - started


def run_manual_in_process(loaded: LoadedScenario) -> float:
    """The same calls, sequentially, from one already-started process."""
    import boto3

    sessions = {
        i.profile: boto3.Session(
            aws_access_key_id=i.access_key_id,
            aws_secret_access_key=i.secret_access_key,
            region_name=w.REGION,
        )
        for i in loaded.identities
    }
    clients: dict[tuple[str, str], Any] = {
        (p, s): sessions[p].client(s, endpoint_url=loaded.endpoint)
        for p in sessions
        for s in ("iam", "sts", "cloudtrail")
    }
    started = time.perf_counter()
    previous: dict[str, Any] = {}
    for _, profile, _, (service, op, params) in MANUAL_STEPS:
        if profile:
            client = clients[(profile, service)]
        else:
            creds = previous["Credentials"]
            client = boto3.client(  # type: ignore[call-overload]
                service,
                endpoint_url=loaded.endpoint,
                region_name=w.REGION,
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"],
            )
        previous = getattr(client, op)(**params)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.030, help="seconds added per request")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    options = parser.parse_args()
    aws_cli = shutil.which("aws")
    runs, manual, in_process = [], [], []
    with SandboxServer(latency=options.latency) as server, tempfile.TemporaryDirectory() as d:
        loaded = server.load(by_name("healthy"), Path(d))
        for _ in range(options.repeat):
            runs.append(run_qsdoctor(server, loaded))
            manual.append(run_manual(server, loaded, aws_cli))
            in_process.append(run_manual_in_process(loaded))
    wall = statistics.median(r["wall"] for r in runs)
    result = {
        "latency_ms": options.latency * 1000,
        "qsdoctor_wall_s": round(wall, 2),
        "qsdoctor_cpu_s": round(statistics.median(r["cpu"] for r in runs), 2),
        "qsdoctor_requests": runs[0]["requests"],
        "qsdoctor_longest_chain": runs[0]["chain"],
        "qsdoctor_chain_s": round(runs[0]["chain_seconds"], 2),
        "qsdoctor_before_first_request_s": round(
            statistics.median(r["before_first"] for r in runs), 2
        ),
        "qsdoctor_after_last_response_s": round(
            statistics.median(r["after_last"] for r in runs), 2
        ),
        "manual_tool": "aws CLI" if aws_cli else "one Python process per call",
        "manual_steps": len(MANUAL_STEPS),
        "manual_wall_s": round(statistics.median(manual), 2),
        "manual_in_process_s": round(statistics.median(in_process), 2),
        "ratio_qsdoctor_to_manual": round(wall / statistics.median(manual), 2),
    }
    if options.json:
        print(json.dumps(result, indent=2))
        return
    print(f"latency per request:      {result['latency_ms']:.0f} ms")
    print(
        f"qsdoctor check (healthy): {result['qsdoctor_wall_s']:.2f} s wall, "
        f"{result['qsdoctor_requests']} requests, longest sequential chain "
        f"{result['qsdoctor_longest_chain']} requests ({result['qsdoctor_chain_s']:.2f} s)"
    )
    print(f"  CPU time (user + system): {result['qsdoctor_cpu_s']:.2f} s")
    print(
        f"  start to first request: {result['qsdoctor_before_first_request_s']:.2f} s; "
        f"last response to exit: {result['qsdoctor_after_last_response_s']:.2f} s"
    )
    print(
        f"manual procedure:         {result['manual_wall_s']:.2f} s for "
        f"{result['manual_steps']} commands ({result['manual_tool']}, no reading time)"
    )
    print(f"  same calls, one process: {result['manual_in_process_s']:.2f} s")
    print(f"qsdoctor / manual:        {result['ratio_qsdoctor_to_manual']:.2f}")


if __name__ == "__main__":
    main()
