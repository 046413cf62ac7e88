"""`qsdoctor check` end to end in-process: exit codes, stdout hygiene, inputs, bundles, secrets.

AWS is never reached: replays use `--from-facts` bundles, and live runs replace
`qsdoctor.collect.collect` with a function returning hand-built facts. For exact
exit-code tables the registry is swapped for tiny checks whose verdicts are written
into the facts, so these tests pin the command's plumbing, not other checks' logic.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from qsdoctor.bundle import facts_to_dict
from qsdoctor.checks import registry
from qsdoctor.cli import app
from qsdoctor.cli.common import OutputFormat
from qsdoctor.config import CheckConfig
from qsdoctor.facts import CallerFacts, CallerIdentity, Destination, Facts, RoleFacts
from qsdoctor.models import Ok, Outcome, Status
from qsdoctor.render.json import report_schema
from qsdoctor.secrets import ExternalId

VENDOR = "684035162433"
INTERMEDIATE = "arn:aws:iam::111122223333:role/QuiverstoneTrustedIntermediate"
DEST = "arn:aws:iam::210987654321:role/QuiverstoneChainedAccess"
SECRET = "Qs-7f3a9c1e5b2d4f6a8c0e1b3d5f7a9c2e4"
DEST_SECRET = "Dst-0a1b2c3d4e5f60718293a4b5c6d7e8f9"

runner = CliRunner()


def trust(external_id: str, principal: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowQuiverstone",
                "Effect": "Allow",
                "Principal": {"AWS": principal},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
            }
        ],
    }


def chain_facts(*, notes: tuple[str, ...] = (), in_trust: str = SECRET, **kw: Any) -> Facts:
    """A chain with a real-looking intermediate role and destination (reference layout)."""
    intermediate = RoleFacts(
        arn=INTERMEDIATE,
        name="QuiverstoneTrustedIntermediate",
        path="/",
        role_id="AROAEXAMPLEINTERMED",
        account_id="111122223333",
        trust_policy=trust(in_trust, f"arn:aws:iam::{VENDOR}:root"),
    )
    dest = RoleFacts(
        arn=DEST,
        name="QuiverstoneChainedAccess",
        path="/",
        role_id="AROAEXAMPLEDESTINAT",
        account_id="210987654321",
        trust_policy=trust(DEST_SECRET, INTERMEDIATE),
    )
    base: dict[str, Any] = {
        "collected_at": "2026-12-04T16:00:00Z",
        "vendor_account_id": VENDOR,
        "intermediate_arn": INTERMEDIATE,
        "region": "us-east-1",
        "callers": (
            CallerFacts(
                label="caller",
                profile=None,
                identity=Ok(
                    CallerIdentity(
                        account=VENDOR,
                        arn=f"arn:aws:sts::{VENDOR}:assumed-role/Support/jdoe",
                        user_id="AROAX:jdoe",
                    )
                ),
            ),
        ),
        "external_id": ExternalId(SECRET, source="$QSDOCTOR_EXTERNAL_ID"),
        "intermediate_role": Ok(intermediate),
        "destinations": (
            Destination(
                arn=DEST,
                role=Ok(dest),
                external_id=ExternalId(DEST_SECRET, source="$QSDOCTOR_DESTINATION_EXTERNAL_ID"),
            ),
        ),
        "notes": notes,
    }
    base.update(kw)
    return Facts(**base)


def bundle(tmp_path: Path, facts: Facts, name: str = "facts.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(facts_to_dict(facts)))
    return path


@pytest.fixture
def verdicts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace the registry with one chain check and one destination check whose statuses
    are read from `facts.notes` ("QS901=fail", "QS902=warn")."""
    scratch: dict[str, registry.CheckSpec] = {}
    monkeypatch.setattr(registry, "_REGISTRY", scratch)
    monkeypatch.setattr(registry, "load_all", lambda: dict(sorted(scratch.items())))

    def from_notes(facts: Facts, cid: str) -> Outcome:
        wanted = next((n.split("=")[1] for n in facts.notes if n.startswith(cid + "=")), "pass")
        return Outcome(status=Status(wanted), detail=f"{cid} said {wanted}")

    @registry.check(id="QS901", name="chain", title="Chain verdict", remediation="fix chain")
    def chain(facts: Facts) -> Outcome:
        return from_notes(facts, "QS901")

    @registry.destination_check(
        id="QS902", name="dest", title="Destination verdict", remediation="fix {subject}"
    )
    def dest(facts: Facts, d: Destination) -> Outcome:
        return from_notes(facts, "QS902")


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, ["check", *args], env=env, catch_exceptions=True)


# --- exit codes -----------------------------------------------------------------------------


@pytest.mark.usefixtures("verdicts")
@pytest.mark.parametrize(
    ("notes", "extra", "code"),
    [
        ((), (), 0),
        (("QS901=warn",), (), 0),
        (("QS901=warn",), ("--strict",), 1),
        (("QS901=skip", "QS902=skip"), (), 0),
        (("QS902=fail",), (), 1),
        (("QS901=error",), (), 3),
        (("QS901=error",), ("--strict",), 3),
        (("QS901=error", "QS902=fail"), (), 1),
        (("QS901=error", "QS902=warn"), ("--strict",), 1),
    ],
)
def test_exit_codes_and_json_agree(
    tmp_path: Path, notes: tuple[str, ...], extra: tuple[str, ...], code: int
) -> None:
    path = bundle(tmp_path, chain_facts(notes=notes))
    result = run("--from-facts", str(path), "-o", "json", *extra)
    assert result.exit_code == code, result.stderr
    data = json.loads(result.stdout)  # stdout is exactly one JSON document
    assert data["exit_code"] == code
    assert result.stderr == ""


@pytest.mark.usefixtures("verdicts")
@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_every_format_from_facts(tmp_path: Path, fmt: OutputFormat) -> None:
    path = bundle(tmp_path, chain_facts(notes=("QS902=fail",)))
    result = run("--from-facts", str(path), "--output", str(fmt))
    assert result.exit_code == 1
    assert "QS902" in result.stdout
    assert DEST in result.stdout
    assert result.stderr == ""


@pytest.mark.usefixtures("verdicts")
def test_console_report_says_it_is_a_replay(tmp_path: Path) -> None:
    result = run("--from-facts", str(bundle(tmp_path, chain_facts(notes=("QS901=fail",)))))
    lines = result.stdout.splitlines()
    assert "replayed from saved facts collected 2026-12-04T16:00:00Z" in lines[0]
    assert "External IDs redacted" in lines[0]
    assert lines[-1] == "1 failed · 0 warnings · 1 passed · 0 skipped · 0 errors — exit 1"
    assert "fix: fix chain" in result.stdout


def test_real_checks_on_a_bundle_give_schema_valid_json(tmp_path: Path) -> None:
    path = bundle(tmp_path, chain_facts())
    result = run("--from-facts", str(path), "-o", "json")
    data = json.loads(result.stdout)
    jsonschema.validate(data, report_schema(), cls=jsonschema.Draft202012Validator)
    assert result.exit_code == data["exit_code"]
    ids = {f["id"] for f in data["findings"]}
    assert {"QS001", "QS101"} <= ids
    assert data["target"] == {"intermediate_role_arn": INTERMEDIATE, "destinations": [DEST]}
    assert data["context"]["mode"] == "replay"


def test_missing_intermediate_role_fails_with_real_checks(tmp_path: Path) -> None:
    path = bundle(tmp_path, chain_facts(intermediate_role=Ok(None)))
    result = run("--from-facts", str(path), "-o", "json")
    assert result.exit_code == 1
    statuses = {f["id"]: f["status"] for f in json.loads(result.stdout)["findings"]}
    assert statuses["QS101"] == "fail"


# --- bad input ------------------------------------------------------------------------------


def _bad_cases(tmp_path: Path) -> list[tuple[list[str], dict[str, str], str]]:
    bad_dests = tmp_path / "dests.txt"
    bad_dests.write_text("arn:aws:iam::2109876543:role/X\n")
    not_bundle = tmp_path / "not-bundle.json"
    not_bundle.write_text("{}")
    good = bundle(tmp_path, chain_facts())
    a = ["--intermediate-arn", INTERMEDIATE]
    return [
        ([], {}, "--intermediate-arn is required"),
        (["--intermediate-arn", "QuiverstoneTrustedIntermediate"], {}, "not an ARN"),
        ([*a, "--since", "1y"], {}, "--since"),
        ([*a, "--destination-arn", "arn:aws:iam::1:role/X"], {}, "12 digits"),
        ([*a, "--destinations-file", str(bad_dests)], {}, "dests.txt:1"),
        ([*a, "--source-identity", "aws:x"], {}, "aws:"),
        ([*a, "--session-tag", "x"], {}, "--session-tag"),
        ([*a, "--region", "Virginia"], {}, "--region"),
        ([*a, "--vendor-account-id", "123"], {}, "--vendor-account-id"),
        ([*a], {"QSDOCTOR_EXTERNAL_ID": "has spaces in it"}, "whitespace"),
        ([*a, "--external-id", SECRET, "--prompt-external-id"], {}, "only one source"),
        ([*a, "--save-facts", str(tmp_path / "no-dir" / "f.json")], {}, "--save-facts"),
        (["--from-facts", str(tmp_path / "missing.json")], {}, "no such file"),
        (["--from-facts", str(not_bundle)], {}, "not a qsdoctor facts bundle"),
        (["--from-facts", str(good), "--save-facts", str(tmp_path / "x.json")], {}, "combined"),
        (
            ["--from-facts", str(good), "--intermediate-arn", DEST],
            {},
            "the bundle is for",
        ),
    ]


def test_bad_input_is_one_line_on_stderr_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_collect(*a: object, **k: object) -> Facts:
        raise AssertionError("collection must not start on bad input")

    monkeypatch.setattr("qsdoctor.collect.collect", no_collect)
    for args, env, fragment in _bad_cases(tmp_path):
        result = run(*args, "-o", "json", env=env)
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        assert result.stdout == "", args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (args, result.stderr)
        assert lines[0].startswith("qsdoctor: error: "), args
        assert fragment in lines[0], (args, lines[0])
        assert "Traceback" not in result.stderr
        assert SECRET not in result.stderr


@pytest.mark.parametrize(
    "args",
    [["--output", "yaml"], ["--no-such-option"], ["--since"]],
)
def test_typer_usage_errors_exit_2(args: list[str]) -> None:
    result = run("--intermediate-arn", INTERMEDIATE, *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


# --- live runs (collection replaced) ----------------------------------------------------------


@pytest.fixture
def fake_collect(monkeypatch: pytest.MonkeyPatch) -> list[CheckConfig]:
    """collect() returns hand-built facts for the config it is given; configs are recorded."""
    seen: list[CheckConfig] = []

    def collect(
        config: CheckConfig, *, progress: Callable[[str], None] | None = None, **_: object
    ) -> Facts:
        seen.append(config)
        if progress is not None:
            progress("reading the intermediate role")
        return chain_facts(external_id=config.external_id, in_trust=SECRET)

    monkeypatch.setattr("qsdoctor.collect.collect", collect)
    return seen


def test_options_reach_the_collector(
    tmp_path: Path, fake_collect: list[CheckConfig], aws_profiles: Callable[..., None]
) -> None:
    aws_profiles("qs-support", "acme-audit")
    dests = tmp_path / "dests.csv"
    dests.write_text(f"arn,external_id_env\n{DEST},ACME_DEST\n")
    result = run(
        "--intermediate-arn", INTERMEDIATE,
        "--destinations-file", str(dests),
        "--profile", "qs-support",
        "--intermediate-profile", "acme-audit",
        "--region", "eu-west-1",
        "--since", "7d",
        "--source-identity", "jdoe",
        "--session-tag", "Team=support",
        "--no-live", "--no-trail", "--no-negative-probes",
        "-o", "json",
        env={"QSDOCTOR_EXTERNAL_ID": SECRET, "ACME_DEST": DEST_SECRET},
    )  # fmt: skip
    assert result.stderr == ""
    json.loads(result.stdout)
    (config,) = fake_collect
    assert config.intermediate.arn == INTERMEDIATE
    assert [d.role.arn for d in config.destinations] == [DEST]
    assert config.destinations[0].external_id is not None
    assert config.destinations[0].external_id.value == DEST_SECRET
    assert config.external_id is not None
    assert config.external_id.value == SECRET
    assert (config.profile, config.intermediate_profile, config.region) == (
        "qs-support", "acme-audit", "eu-west-1",
    )  # fmt: skip
    assert (config.live, config.trail, config.negative_probes) == (False, False, False)
    assert config.source_identity == "jdoe"
    assert config.session_tags == (("Team", "support"),)
    assert config.since.days == 7


# --- profiles: an unconfigured one is bad input (exit 2), before any AWS call -----------


@pytest.mark.parametrize(
    "option",
    ["--profile", "--intermediate-profile", "--destination-profile", "--trail-bucket-profile"],
)
def test_an_unconfigured_profile_is_bad_input(
    monkeypatch: pytest.MonkeyPatch,
    fake_collect: list[CheckConfig],
    aws_profiles: Callable[..., None],
    option: str,
) -> None:
    aws_profiles("qs-support")
    aws_profiles("acme-audit", credentials=True)
    read: list[str] = []

    def read_secret(arn: str, *_: object, **__: object) -> str:
        read.append(arn)
        return DEST_SECRET

    monkeypatch.setattr("qsdoctor.aws.secrets_source.read_secret_external_id", read_secret)
    secret = "arn:aws:secretsmanager:eu-west-1:684035162433:secret:acme-external-id-AbCdEf"
    bucket = ["--trail-bucket", "s3://org-logs"] if option == "--trail-bucket-profile" else []
    result = run(
        "--intermediate-arn", INTERMEDIATE, "--destination-arn", DEST, *bucket,
        "--external-id-secret", secret, option, "qs-suport", "-o", "json",
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert f"AWS profile 'qs-suport' ({option}) is not configured" in result.stderr
    assert (fake_collect, read) == ([], [])  # no collection, no Secrets Manager read


def test_configured_profiles_come_from_both_files_and_default_may_be_implicit(
    fake_collect: list[CheckConfig], aws_profiles: Callable[..., None]
) -> None:
    aws_profiles("qs-support")
    aws_profiles("acme-audit", credentials=True)
    result = run(
        "--intermediate-arn", INTERMEDIATE, "--profile", "qs-support",
        "--intermediate-profile", "acme-audit", "--destination-profile", "default",
        "-o", "json",
    )  # fmt: skip
    assert result.exit_code in (0, 1, 3), result.stderr
    assert result.stderr == ""
    assert [c.destination_profile for c in fake_collect] == ["default"]


def test_an_unconfigured_aws_profile_variable_is_named_as_such(
    fake_collect: list[CheckConfig],
) -> None:
    result = run("--intermediate-arn", INTERMEDIATE, env={"AWS_PROFILE": "gone"})
    assert result.exit_code == 2
    assert "AWS profile 'gone' ($AWS_PROFILE) is not configured" in result.stderr
    assert fake_collect == []


def test_an_unreadable_aws_config_file_is_bad_input(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake_collect: list[CheckConfig]
) -> None:
    broken = tmp_path / "broken-config"
    broken.write_text("[profile qs-support\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(broken))
    result = run("--intermediate-arn", INTERMEDIATE, "--profile", "qs-support")
    assert result.exit_code == 2
    assert "cannot read the AWS profiles" in result.stderr
    assert fake_collect == []


def test_external_id_on_the_command_line_warns_on_stderr(fake_collect: list[CheckConfig]) -> None:
    result = run("--intermediate-arn", INTERMEDIATE, "--external-id", SECRET, "-o", "json")
    json.loads(result.stdout)
    assert "shell history" in result.stderr
    assert SECRET not in result.stderr
    assert fake_collect[0].external_id is not None
    assert fake_collect[0].external_id.value == SECRET


def test_progress_goes_to_stderr_only_with_verbose(fake_collect: list[CheckConfig]) -> None:
    quiet = run("--intermediate-arn", INTERMEDIATE, "-o", "json")
    assert quiet.stderr == ""
    loud = run("--intermediate-arn", INTERMEDIATE, "-o", "json", "-v")
    json.loads(loud.stdout)
    assert "reading the intermediate role" in loud.stderr
    assert "reading the intermediate role" not in loud.stdout


def test_collection_crash_still_gives_a_valid_report(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(config: CheckConfig, **_: object) -> Facts:
        raise RuntimeError(f"boom while handling {SECRET}")

    monkeypatch.setattr("qsdoctor.collect.collect", crash)
    env = {"QSDOCTOR_EXTERNAL_ID": SECRET}
    result = run("--intermediate-arn", INTERMEDIATE, "-o", "json", env=env)
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    jsonschema.validate(data, report_schema(), cls=jsonschema.Draft202012Validator)
    assert [(f["id"], f["status"]) for f in data["findings"]] == [("QS000", "error")]
    assert "RuntimeError" in data["findings"][0]["detail"]
    assert SECRET not in result.stdout
    # -vv is for debugging: the exception comes through with its traceback.
    debug = run("--intermediate-arn", INTERMEDIATE, "-o", "json", "-vv", env=env)
    assert isinstance(debug.exception, RuntimeError)


def test_save_facts_then_replay(tmp_path: Path, fake_collect: list[CheckConfig]) -> None:
    saved = tmp_path / "facts.json"
    env = {"QSDOCTOR_EXTERNAL_ID": SECRET}
    live = run("--intermediate-arn", INTERMEDIATE, "--save-facts", str(saved), "-o", "json",
               env=env)  # fmt: skip
    assert SECRET not in saved.read_text()
    assert DEST_SECRET not in saved.read_text()
    replay = run("--from-facts", str(saved), "-o", "json")
    strip = lambda d: [(f["id"], f["subject"], f["status"]) for f in d["findings"]  # noqa: E731
                       if f["id"] != "QS105"]  # fmt: skip
    assert strip(json.loads(replay.stdout)) == strip(json.loads(live.stdout))
    assert replay.exit_code == live.exit_code
    shown = tmp_path / "shown.json"
    run("--intermediate-arn", INTERMEDIATE, "--save-facts", str(shown), "--show-secrets",
        env=env)  # fmt: skip
    assert SECRET in shown.read_text()


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_external_ids_appear_in_no_output(
    tmp_path: Path, fake_collect: list[CheckConfig], fmt: OutputFormat
) -> None:
    saved = tmp_path / "facts.json"
    mismatched = tmp_path / "mismatch.json"
    mismatched.write_text(json.dumps(facts_to_dict(chain_facts(in_trust=SECRET + "-old"))))
    env = {"QSDOCTOR_EXTERNAL_ID": SECRET, "QSDOCTOR_DESTINATION_EXTERNAL_ID": DEST_SECRET}
    outputs = [
        run("--intermediate-arn", INTERMEDIATE, "--destination-arn", DEST, "-o", str(fmt),
            "-v", "--save-facts", str(saved), env=env),
        run("--from-facts", str(saved), "-o", str(fmt), "-v"),
        run("--from-facts", str(mismatched), "-o", str(fmt), "-v"),
        # Live, with a configured ID that differs from the trust's: hints, never values.
        run("--intermediate-arn", INTERMEDIATE, "-o", str(fmt), "-v",
            env={"QSDOCTOR_EXTERNAL_ID": SECRET + "-new"}),
    ]  # fmt: skip
    assert "QS104" in outputs[-1].stdout
    assert outputs[-1].exit_code == 1
    for result in outputs:
        assert result.exit_code in (0, 1, 3), result.stderr
        for secret in (SECRET, DEST_SECRET, SECRET + "-old", SECRET + "-new"):
            assert secret not in result.stdout
            assert secret not in result.stderr
    assert SECRET not in saved.read_text()


def test_prompted_external_id_is_read_from_the_terminal_not_stdout(
    monkeypatch: pytest.MonkeyPatch, fake_collect: list[CheckConfig]
) -> None:
    asked: list[tuple[str, object]] = []

    def getpass(prompt: str, stream: object = None) -> str:
        asked.append((prompt, stream))
        return SECRET

    monkeypatch.setattr("getpass.getpass", getpass)
    result = run("--intermediate-arn", INTERMEDIATE, "--prompt-external-id", "-o", "json")
    json.loads(result.stdout)
    assert len(asked) == 1
    assert "External ID" in asked[0][0]
    assert asked[0][1] is not None  # the prompt goes to stderr/the terminal
    config = fake_collect[0]
    assert config.external_id is not None
    assert (config.external_id.value, config.external_id.source) == (SECRET, "prompt")


def test_external_id_from_secrets_manager(
    monkeypatch: pytest.MonkeyPatch,
    fake_collect: list[CheckConfig],
    aws_profiles: Callable[..., None],
) -> None:
    aws_profiles("qs-support")
    arn = "arn:aws:secretsmanager:eu-west-1:684035162433:secret:acme-external-id-AbCdEf"
    calls: list[tuple[str, str | None, str | None]] = []

    def read(secret_arn: str, profile: str | None, region: str | None, **_: object) -> str:
        calls.append((secret_arn, profile, region))
        return DEST_SECRET

    monkeypatch.setattr("qsdoctor.aws.secrets_source.read_secret_external_id", read)
    result = run(
        "--intermediate-arn", INTERMEDIATE, "--profile", "qs-support",
        "--destination-external-id-secret", arn, "--destination-arn", DEST, "-o", "json",
    )  # fmt: skip
    assert result.exit_code in (0, 1, 3), result.stderr
    assert calls == [(arn, "qs-support", None)]
    dest = fake_collect[0].destinations[0]
    assert dest.external_id is not None
    assert dest.external_id.value == DEST_SECRET
    assert dest.external_id.source == f"secret {arn}"


@pytest.mark.parametrize(
    ("tty", "no_color", "coloured"),
    [(True, False, True), (True, True, False), (False, False, False)],
)
def test_console_colour_only_on_a_terminal_without_no_color(
    monkeypatch: pytest.MonkeyPatch, tty: bool, no_color: bool, coloured: bool
) -> None:
    import io
    import sys

    from qsdoctor.cli import check as check_cli
    from qsdoctor.engine import report_from_facts

    class Stdout(io.StringIO):
        def isatty(self) -> bool:
            return tty

    out = Stdout()
    monkeypatch.setattr(sys, "stdout", out)
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    report = report_from_facts(chain_facts(intermediate_role=Ok(None)))
    check_cli._render(report, OutputFormat.CONSOLE, verbose=0, strict=False)
    assert ("\x1b[" in out.getvalue()) is coloured
    assert "QS101" in out.getvalue()
