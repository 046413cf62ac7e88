"""`qsdoctor simulate`: exit codes, JSON-only stdout, one-line errors on stderr, batches.

Decisions expected here are stated by hand for the reference's scenario (a correct
External ID is needed; cross-account needs the caller's own Allow).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from qsdoctor.cli import app

runner = CliRunner()
EXTERNAL_ID = "Zq3vN8rT1xLm5Kp0Wc7Ys2Hd9Gf4Jb6A"
SESSION = "arn:aws:sts::684035162433:assumed-role/SupportEngineer/alice"
ROLE = "arn:aws:iam::111122223333:role/QuiverstoneTrustedIntermediate"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "TrustQuiverstone",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::684035162433:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}},
        }
    ],
}
IDENTITY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
}
DENY = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "NoAssume", "Effect": "Deny", "Action": "sts:*", "Resource": "*"}],
}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    out = {}
    for name, body in {"trust": TRUST, "identity": IDENTITY, "deny": DENY}.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(body))
        out[name] = str(path)
    (tmp_path / "broken.json").write_text('{"Version": "2012-10-17", "Statement": [')
    out["broken"] = str(tmp_path / "broken.json")
    (tmp_path / "bad-effect.json").write_text(
        json.dumps({"Statement": [{"Sid": "Oops", "Effect": "Permit", "Action": "*"}]})
    )
    out["bad_effect"] = str(tmp_path / "bad-effect.json")
    return out


def single(files: dict[str, str], *extra: str) -> list[str]:
    return [
        "simulate",
        "--principal",
        SESSION,
        "--resource",
        ROLE,
        "--trust-policy",
        files["trust"],
        "--identity-policy",
        files["identity"],
        *extra,
    ]


def test_allowed_exits_0_and_explains_each_layer(files: dict[str, str]) -> None:
    result = runner.invoke(app, single(files, "--context", f"sts:ExternalId={EXTERNAL_ID}"))
    assert result.exit_code == 0, result.output
    assert "allowed" in result.stdout
    assert "identity:" in result.stdout
    assert 'statement "TrustQuiverstone" (#1) of trust policy trust.json' in result.stdout
    assert EXTERNAL_ID not in result.stdout


def test_wrong_external_id_exits_1_and_names_the_condition(files: dict[str, str]) -> None:
    result = runner.invoke(app, single(files, "--context", "sts:ExternalId=wrong-id-123"))
    assert result.exit_code == 1
    assert "implicit_deny" in result.stdout
    assert "sts:ExternalId" in result.stdout
    assert "wrong-id-123" not in result.stdout


def test_explicit_deny_quotes_the_statement(files: dict[str, str]) -> None:
    result = runner.invoke(
        app,
        single(
            files, "--identity-policy", files["deny"], "--context", f"sts:ExternalId={EXTERNAL_ID}"
        ),
    )
    assert result.exit_code == 1
    assert "explicit_deny" in result.stdout
    assert '"Sid": "NoAssume"' in result.stdout


def test_json_output_is_the_only_thing_on_stdout(files: dict[str, str]) -> None:
    result = runner.invoke(
        app, single(files, "-o", "json", "--context", f"sts:ExternalId={EXTERNAL_ID}")
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["decision"] == "allowed"
    assert [layer["layer"] for layer in data["layers"]] == ["identity", "trust"]
    assert data["reasons"]
    assert EXTERNAL_ID not in result.stdout


def test_scp_layer_needs_an_allow(files: dict[str, str], tmp_path: Path) -> None:
    s3_only = tmp_path / "scp.json"
    s3_only.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
            }
        )
    )
    ctx = ["--context", f"sts:ExternalId={EXTERNAL_ID}"]
    blocked = runner.invoke(app, single(files, "-o", "json", "--scp", str(s3_only), *ctx))
    passing = runner.invoke(app, single(files, "-o", "json", "--scp", files["identity"], *ctx))
    assert blocked.exit_code == 1
    assert json.loads(blocked.stdout)["layers"][1]["layer"] == "scp"
    assert json.loads(blocked.stdout)["decision"] == "implicit_deny"
    assert passing.exit_code == 0


def request(context: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    return {
        "principal": SESSION,
        "action": "sts:AssumeRole",
        "resource": ROLE,
        "identity_policies": [IDENTITY],
        "trust_policy": TRUST,
        "context": context if context is not None else {"sts:ExternalId": EXTERNAL_ID},
        **overrides,
    }


def test_batch_file_keeps_order_and_exits_1_when_any_is_denied(tmp_path: Path) -> None:
    batch = tmp_path / "requests.json"
    batch.write_text(json.dumps([request(), request(context={}), request(scps=[DENY])]))
    result = runner.invoke(app, ["simulate", "--requests", str(batch), "--output", "json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [r["decision"] for r in data] == ["allowed", "implicit_deny", "explicit_deny"]


def test_batch_all_allowed_exits_0() -> None:
    result = runner.invoke(
        app,
        ["simulate", "--requests", "-", "-o", "json"],
        input=json.dumps([request(), request(action="sts:AssumeRole")]),
    )
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)) == 2


def test_single_object_from_stdin_gives_a_single_result() -> None:
    result = runner.invoke(
        app, ["simulate", "--requests", "-", "-o", "json"], input=json.dumps(request())
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["decision"] == "allowed"


def test_batch_goes_on_after_a_bad_request_and_exits_2() -> None:
    bad_policy = request(trust_policy={"Statement": [{"Sid": "X", "Effect": "Allow"}]})
    result = runner.invoke(
        app,
        ["simulate", "--requests", "-", "-o", "json"],
        input=json.dumps([bad_policy, {"principal": SESSION}, request()]),
    )
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert 'statement "X" (#1)' in data[0]["error"]
    assert "resource" in data[1]["error"]
    assert data[2]["decision"] == "allowed"


def test_batch_console_output_numbers_requests() -> None:
    result = runner.invoke(
        app, ["simulate", "--requests", "-"], input=json.dumps([request(), request(context={})])
    )
    assert result.exit_code == 1
    assert "request #1: allowed" in result.stdout
    assert "request #2: implicit_deny" in result.stdout


def one_line_error(result: Any) -> str:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in result.stderr
    return str(lines[0])


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--trust-policy", "missing.json"], ["cannot read missing.json"]),
        (["--trust-policy", "{broken}"], ["broken.json", "not valid JSON"]),
        (["--trust-policy", "{bad_effect}"], ['statement "Oops" (#1)', "Effect"]),
        (["--context", "sts:ExternalId"], ["KEY=VALUE"]),
    ],
)
def test_bad_input_is_one_line_on_stderr_with_exit_2(
    files: dict[str, str], args: list[str], fragments: list[str]
) -> None:
    argv = [
        "simulate",
        "--principal",
        SESSION,
        "--resource",
        ROLE,
        *[a.format(**files) for a in args],
    ]
    line = one_line_error(runner.invoke(app, argv))
    for fragment in fragments:
        assert fragment in line


def test_requests_file_errors(tmp_path: Path, files: dict[str, str]) -> None:
    broken = tmp_path / "requests.json"
    broken.write_text("[{")
    assert "not valid JSON" in one_line_error(
        runner.invoke(app, ["simulate", "--requests", str(broken)])
    )
    assert "must be a JSON array or object" in one_line_error(
        runner.invoke(app, ["simulate", "--requests", "-"], input="42")
    )
    assert "cannot be combined" in one_line_error(
        runner.invoke(app, ["simulate", "--requests", "-", "--principal", SESSION], input="[]")
    )
    assert "--principal and --resource" in one_line_error(runner.invoke(app, ["simulate"]))


def test_simulate_never_imports_boto3(files: dict[str, str]) -> None:
    code = (
        "import sys, json\n"
        "from typer.testing import CliRunner\n"
        "from qsdoctor.cli import app\n"
        f"r = CliRunner().invoke(app, {single(files, '-o', 'json')!r})\n"
        "print(json.dumps([r.exit_code, 'boto3' in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    exit_code, loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert exit_code == 1
    assert loaded is False


def test_console_output_escapes_markup_from_policies(tmp_path: Path, files: dict[str, str]) -> None:
    sneaky = tmp_path / "sneaky.json"
    sneaky.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "[red]NotRed[/red]",
                        "Effect": "Deny",
                        "Action": "sts:AssumeRole",
                        "Resource": "*",
                    }
                ],
            }
        )
    )
    result = runner.invoke(app, single(files, "--identity-policy", str(sneaky)))
    assert result.exit_code == 1
    assert 'statement "[red]NotRed[/red]" (#1)' in result.stdout


def test_repeated_context_key_is_multivalued(tmp_path: Path) -> None:
    tagged = tmp_path / "tagged.json"
    tagged.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "sts:TagSession",
                        "Resource": "*",
                        "Condition": {
                            "ForAllValues:StringEquals": {"aws:TagKeys": ["team", "project"]}
                        },
                    }
                ],
            }
        )
    )
    base = [
        "simulate",
        "--principal",
        SESSION,
        "--resource",
        ROLE,
        "--action",
        "sts:TagSession",
        "--identity-policy",
        str(tagged),
    ]
    ok = runner.invoke(
        app, [*base, "--context", "aws:TagKeys=team", "--context", "aws:TagKeys=project"]
    )
    extra = runner.invoke(
        app, [*base, "--context", "aws:TagKeys=team", "--context", "aws:TagKeys=cost"]
    )
    assert ok.exit_code == 0
    assert extra.exit_code == 1


def test_principal_role_arn_brings_the_path(tmp_path: Path) -> None:
    pathed = tmp_path / "trust.json"
    pathed.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "sts:AssumeRole",
                        "Principal": {"AWS": "arn:aws:iam::111122223333:role/ops/Helper"},
                    }
                ],
            }
        )
    )
    argv = [
        "simulate",
        "--principal",
        "arn:aws:sts::111122223333:assumed-role/Helper/s",
        "--resource",
        ROLE,
        "--trust-policy",
        str(pathed),
    ]
    by_name = runner.invoke(app, argv)
    wrong_path = runner.invoke(
        app, [*argv, "--principal-role-arn", "arn:aws:iam::111122223333:role/Helper"]
    )
    assert by_name.exit_code == 0  # same account: the trust names the role
    assert wrong_path.exit_code == 1
