"""Input validation: every bad input is a one-line UsageError naming the problem and the fix."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from qsdoctor.errors import UsageError
from qsdoctor.inputs import (
    CheckInputs,
    ExternalIdSource,
    build_check_config,
    parse_destinations_file,
    parse_session_tags,
    parse_since,
    parse_trail_bucket,
    resolve_external_id,
    validate_external_id,
    validate_source_identity,
)
from qsdoctor.secrets import ExternalId

INTERMEDIATE = "arn:aws:iam::111122223333:role/QuiverstoneTrustedIntermediate"
DEST = "arn:aws:iam::210987654321:role/QuiverstoneChainedAccess"
DEST2 = "arn:aws:iam::210987654322:role/team/QuiverstoneInventory"
SECRET = "Qs-7f3a9c1e5b2d4f6a8c0e1b3d5f7a9c2e4"
OTHER_SECRET = "Dst-0a1b2c3d4e5f60718293a4b5c6d7e8f9"


def build(environ: dict[str, str] | None = None, **kw: object) -> object:
    inputs = CheckInputs(intermediate_arn=INTERMEDIATE)
    inputs = dataclasses.replace(inputs, **kw)  # type: ignore[arg-type]
    return build_check_config(inputs, environ=environ or {})


def usage_error(fn: object, *args: object, **kw: object) -> UsageError:
    with pytest.raises(UsageError) as info:
        fn(*args, **kw)  # type: ignore[operator]
    assert info.value.exit_code == 2
    assert "\n" not in info.value.message
    return info.value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        (" 90D ", timedelta(days=90)),
        ("2160h", timedelta(days=90)),
    ],
)
def test_since_parses(text: str, expected: timedelta) -> None:
    assert parse_since(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "not a duration"),
        ("24", "not a duration"),
        ("1w", "not a duration"),
        ("-1h", "not a duration"),
        ("1.5h", "not a duration"),
        ("0h", "empty"),
        ("91d", "90-day"),
        ("2161h", "90-day"),
    ],
)
def test_since_rejects(text: str, fragment: str) -> None:
    assert fragment in usage_error(parse_since, text).message


@pytest.mark.parametrize("value", ["jdoe", "ops@example.com", "a=b,c.d-e_f+g", "ab", "x" * 256])
def test_source_identity_accepts_sts_values(value: str) -> None:
    assert validate_source_identity(value) == value


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("a", "2-256"),
        ("x" * 257, "2-256"),
        ("has space", "2-256"),
        ("jdoe/admin", "2-256"),
        ("é-user", "2-256"),
        ("aws:thing", "aws:"),
        ("AWS:thing", "aws:"),
    ],
)
def test_source_identity_rejects(value: str, fragment: str) -> None:
    err = usage_error(validate_source_identity, value)
    assert fragment in err.message + (err.hint or "")


def test_session_tags_parse_and_keep_order() -> None:
    assert parse_session_tags(("Team=support", "Ticket=QS-1:2", "Empty=")) == (
        ("Team", "support"),
        ("Ticket", "QS-1:2"),
        ("Empty", ""),
    )


@pytest.mark.parametrize(
    ("tags", "fragment"),
    [
        (("Team",), "no '='"),
        (("=x",), "not a valid tag key"),
        (("k" * 129 + "=v",), "not a valid tag key"),
        (("aws:x=v",), "reserved"),
        (("Team=a;b",), "not a valid tag value"),
        (("Team=" + "v" * 257,), "not a valid tag value"),
        (("Team=a", "team=b"), "given twice"),
        (tuple(f"K{i}=v" for i in range(51)), "at most 50"),
    ],
)
def test_session_tags_reject(tags: tuple[str, ...], fragment: str) -> None:
    assert fragment in usage_error(parse_session_tags, tags).message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("s3://org-trail-logs", "s3://org-trail-logs"),
        ("s3://org-trail-logs/", "s3://org-trail-logs"),
        ("s3://org-trail-logs/AWSLogs/o-abc/", "s3://org-trail-logs/AWSLogs/o-abc"),
    ],
)
def test_trail_bucket_normalises(value: str, expected: str) -> None:
    assert parse_trail_bucket(value) == expected


@pytest.mark.parametrize(
    "value", ["org-trail-logs", "https://x/y", "s3://", "s3://Upper/x", "s3://a"]
)
def test_trail_bucket_rejects(value: str) -> None:
    assert "--trail-bucket" in usage_error(parse_trail_bucket, value).message


# --- the whole command's inputs ---------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "fragment"),
    [
        ({"intermediate_arn": "QuiverstoneTrustedIntermediate"}, "not an ARN"),
        ({"intermediate_arn": "arn:aws:iam::11112222333:role/X"}, "12 digits"),
        ({"intermediate_arn": "arn:aws:s3:::bucket"}, "not an IAM ARN"),
        ({"intermediate_arn": "arn:aws:iam::111122223333:user/X"}, "does not name a role"),
        ({"intermediate_arn": "arn:aws:iam::111122223333:role/Bad Name"}, "not a valid IAM role"),
        ({"intermediate_arn": "arn:aws-xx:iam::111122223333:role/X"}, "unknown partition"),
        ({"destination_arns": ("arn:aws:iam::2109876543:role/X",)}, "12 digits"),
        ({"vendor_account_id": "68403516243"}, "--vendor-account-id"),
        ({"region": "N. Virginia"}, "Region code"),
        ({"region": "cn-north-1"}, "partition aws-cn"),
        (
            {"intermediate_arn": "arn:aws-us-gov:iam::111122223333:role/X", "region": "us-east-1"},
            "partition aws, but",
        ),
        ({"destination_arns": ("arn:aws-cn:iam::210987654321:role/X",)}, "partition aws-cn"),
        ({"source_identity": "aws:me"}, "aws:"),
        ({"session_tags": ("nokey",)}, "no '='"),
        ({"since": "100d"}, "90-day"),
        ({"trail_bucket": "bucket"}, "s3://"),
        ({"trail_bucket_profile": "logs"}, "needs --trail-bucket"),
        ({"profile": " "}, "--profile is empty"),
        (
            {
                "external_id": ExternalIdSource(
                    env_var="QSDOCTOR_EXTERNAL_ID", secret_arn="arn:aws:s3:::b"
                )
            },
            "not a Secrets Manager secret ARN",
        ),
    ],
)
def test_bad_inputs_are_usage_errors(kw: dict[str, object], fragment: str) -> None:
    err = usage_error(build, **kw)
    assert fragment in err.message
    assert err.hint


def test_good_inputs_build_the_config(tmp_path: Path) -> None:
    dests = tmp_path / "dests.txt"
    dests.write_text(f"# production inventory\n{DEST2}  # team path\n\n{DEST}\n")
    config = build_check_config(
        dataclasses.replace(
            CheckInputs(intermediate_arn=INTERMEDIATE),
            destination_arns=(DEST,),
            destinations_file=dests,
            region="eu-central-1",
            source_identity="jdoe",
            session_tags=("Team=support",),
            since="7d",
            live=False,
            trail_bucket="s3://org-logs/AWSLogs/",
            trail_bucket_profile="logs",
        ),
        environ={"QSDOCTOR_EXTERNAL_ID": SECRET, "QSDOCTOR_DESTINATION_EXTERNAL_ID": OTHER_SECRET},
    )
    assert config.intermediate.arn == INTERMEDIATE
    # Given twice (option and file): checked once, first position kept.
    assert [d.role.arn for d in config.destinations] == [DEST, DEST2]
    assert config.destinations[1].role.path == "/team/"
    assert all(d.external_id is not None for d in config.destinations)
    assert {d.external_id.value for d in config.destinations if d.external_id} == {OTHER_SECRET}
    assert config.external_id is not None
    assert config.external_id.value == SECRET
    assert config.external_id.source == "$QSDOCTOR_EXTERNAL_ID"
    assert config.since == timedelta(days=7)
    assert config.session_tags == (("Team", "support"),)
    assert not config.live
    assert config.trail_bucket == "s3://org-logs/AWSLogs"


@pytest.mark.parametrize(
    ("arn", "region"),
    [
        ("arn:aws-cn:iam::111122223333:role/X", "cn-northwest-1"),
        ("arn:aws-us-gov:iam::111122223333:role/X", "us-gov-west-1"),
        (INTERMEDIATE, "ap-southeast-4"),
        (INTERMEDIATE, "us-isob-east-1"),
    ],
)
def test_regions_of_the_roles_partition_are_accepted(arn: str, region: str) -> None:
    config = build(intermediate_arn=arn, region=region)
    assert config.region == region  # type: ignore[attr-defined]


def test_no_external_id_anywhere_is_not_an_error() -> None:
    config = build(environ={"QSDOCTOR_EXTERNAL_ID": ""})
    assert config.external_id is None  # type: ignore[attr-defined]


# --- External ID sources ------------------------------------------------------------------


def source(**kw: object) -> ExternalIdSource:
    return dataclasses.replace(ExternalIdSource(env_var="QSDOCTOR_EXTERNAL_ID"), **kw)  # type: ignore[arg-type]


def test_file_beats_environment_and_drops_one_trailing_newline(tmp_path: Path) -> None:
    path = tmp_path / "eid"
    path.write_text(SECRET + "\r\n")
    got = resolve_external_id(source(file=path), environ={"QSDOCTOR_EXTERNAL_ID": OTHER_SECRET})
    assert got is not None
    assert got.value == SECRET
    assert got.source == f"file {path}"


def test_command_line_value_warns_without_showing_it() -> None:
    warnings: list[str] = []
    got = resolve_external_id(source(value=SECRET), environ={}, warn=warnings.append)
    assert got is not None
    assert got.value == SECRET
    assert len(warnings) == 1
    assert "shell history" in warnings[0]
    assert SECRET not in warnings[0]


def test_prompt_and_secret_sources() -> None:
    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return SECRET

    got = resolve_external_id(source(prompt=True), environ={}, prompt=prompt)
    assert got is not None
    assert (got.value, got.source, len(asked)) == (SECRET, "prompt", 1)
    arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:qs-AbCdEf"
    calls: list[tuple[str, str | None, str | None]] = []

    def read_secret(a: str, profile: str | None, region: str | None) -> str:
        calls.append((a, profile, region))
        return OTHER_SECRET

    got = resolve_external_id(
        source(secret_arn=arn),
        environ={},
        read_secret=read_secret,
        profile="qs",
        region="eu-west-1",
    )
    assert got is not None
    assert got.value == OTHER_SECRET
    assert calls == [(arn, "qs", "eu-west-1")]


def test_secret_read_failure_is_a_usage_error_with_the_aws_code() -> None:
    class FakeFailure(Exception):
        def __init__(self) -> None:
            self.error = type("E", (), {"code": "AccessDeniedException", "message": "no"})()

    def read_secret(a: str, profile: str | None, region: str | None) -> str:
        raise FakeFailure

    err = usage_error(
        resolve_external_id,
        source(secret_arn="arn:aws:secretsmanager:us-east-1:111122223333:secret:qs"),
        environ={},
        read_secret=read_secret,
    )
    assert "AccessDeniedException" in err.message


def test_two_explicit_sources_are_refused(tmp_path: Path) -> None:
    err = usage_error(resolve_external_id, source(file=tmp_path / "x", value=SECRET), environ={})
    assert "--external-id-file and --external-id" in err.message


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("", "0 characters"),
        ("\n", "0 characters"),
        ("a\nb\n", "more than one line"),
    ],
)
def test_bad_external_id_files(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "eid"
    path.write_text(content)
    assert fragment in usage_error(resolve_external_id, source(file=path), environ={}).message


def test_missing_external_id_file(tmp_path: Path) -> None:
    err = usage_error(resolve_external_id, source(file=tmp_path / "nope"), environ={})
    assert "no such file" in err.message


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("7", "has 1 character;"),
        ("x" * 1225, "1225 characters"),
        (" " + SECRET, "leading or trailing whitespace"),
        ("abc def ghi", "contains whitespace"),
        ("abc#def$ghi", "2 character(s) STS never accepts"),
        ("ünïcode-value", "2 character(s) STS never accepts"),
    ],
)
def test_sts_invalid_external_ids_are_refused_without_echoing_them(
    value: str, fragment: str
) -> None:
    err = usage_error(validate_external_id, ExternalId(value, source="$QSDOCTOR_EXTERNAL_ID"))
    assert fragment in err.message
    assert "$QSDOCTOR_EXTERNAL_ID" in err.message
    assert value.strip() not in err.message + (err.hint or "")


@pytest.mark.parametrize(
    "value", ["ab", "your-external-id-here", "x" * 1224, "a+b=c,d.e@f:g/h-i_j"]
)
def test_weak_but_sts_valid_external_ids_are_accepted(value: str) -> None:
    # Weakness is QS105's finding, not an input error.
    assert validate_external_id(ExternalId(value)).value == value


# --- destinations files ---------------------------------------------------------------------


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_destinations_csv_with_per_destination_variables(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", f"arn,external_id_env\n{DEST},ACME_DEST_EID\n{DEST2},\n")
    entries = parse_destinations_file(path)
    assert [(e.arn, e.external_id_env) for e in entries] == [
        (DEST, "ACME_DEST_EID"),
        (DEST2, None),
    ]
    assert entries[0].origin == f"{path}:2"
    config = build_check_config(
        dataclasses.replace(CheckInputs(intermediate_arn=INTERMEDIATE), destinations_file=path),
        environ={"ACME_DEST_EID": OTHER_SECRET, "QSDOCTOR_DESTINATION_EXTERNAL_ID": SECRET},
    )
    by_arn = {d.role.arn: d.external_id for d in config.destinations}
    assert by_arn[DEST] is not None
    assert by_arn[DEST].value == OTHER_SECRET
    assert by_arn[DEST].source == "$ACME_DEST_EID"
    assert by_arn[DEST2] is not None
    assert by_arn[DEST2].value == SECRET  # the default for destinations without their own


def test_destinations_json_strings_and_objects(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "d.json",
        f'["{DEST}", {{"arn": "{DEST2}", "external_id_env": "INV_EID"}}]',
    )
    assert [(e.arn, e.external_id_env) for e in parse_destinations_file(path)] == [
        (DEST, None),
        (DEST2, "INV_EID"),
    ]


@pytest.mark.parametrize(
    ("name", "text", "fragment"),
    [
        ("d.txt", "# nothing here\n\n", "lists no destinations"),
        ("d.txt", f"{DEST} {DEST2}\n", "one ARN per line"),
        ("d.csv", f"arn,external_id\n{DEST},{SECRET}\n", "must not be written"),
        ("d.csv", f"arn,eid_env\n{DEST},X\n", "unknown field 'eid_env'"),
        ("d.csv", f"arn,external_id_env\n{DEST},1BAD\n", "not an environment variable name"),
        ("d.csv", f"arn,external_id_env\n{DEST},X,extra\n", "3 fields"),
        ("d.csv", "arn,external_id_env\n,X\n", "arn field is empty"),
        ("d.json", "[", "not valid JSON"),
        ("d.json", '{"arn": "x"}', "JSON list"),
        ("d.json", "[1]", "item 0"),
        ("d.json", '[{"arn": 5}]', "must be strings"),
        ("d.json", f'[{{"arn": "{DEST}", "external_id": "{SECRET}"}}]', "must not be written"),
    ],
)
def test_bad_destinations_files(tmp_path: Path, name: str, text: str, fragment: str) -> None:
    err = usage_error(parse_destinations_file, write(tmp_path, name, text))
    assert fragment in err.message
    assert SECRET not in err.message + (err.hint or "")


def test_destination_file_errors_name_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "d.txt", f"{DEST}\n# two\narn:aws:iam::21098765432:role/X\n")
    err = usage_error(build, destinations_file=path)
    assert f"{path}:3" in err.message
    assert "12 digits" in err.message


@pytest.mark.parametrize(
    ("name", "text"),
    [("d.txt", f"{SECRET}\n"), ("d.json", f'["{SECRET}"]'), ("d.csv", f"arn\n{SECRET}\n")],
)
def test_a_secret_pasted_into_the_destinations_file_is_not_echoed(
    tmp_path: Path, name: str, text: str
) -> None:
    err = usage_error(build, destinations_file=write(tmp_path, name, text))
    assert "not a role ARN" in err.message
    assert SECRET not in err.message + (err.hint or "")


def test_unset_per_destination_variable_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", f"arn,external_id_env\n{DEST},ACME_DEST_EID\n")
    err = usage_error(build, destinations_file=path)
    assert "ACME_DEST_EID is not set" in err.message


def test_conflicting_duplicate_destination(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", f"arn,external_id_env\n{DEST},A\n{DEST},B\n")
    assert (
        "listed twice"
        in usage_error(build, destinations_file=path, environ={"A": SECRET, "B": SECRET}).message
    )


def test_duplicate_destination_keeps_the_listing_with_a_variable(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", f"arn,external_id_env\n{DEST},A\n{DEST},\n{DEST},A\n")
    config = build_check_config(
        dataclasses.replace(
            CheckInputs(intermediate_arn=INTERMEDIATE),
            destination_arns=(DEST2, DEST),
            destinations_file=path,
        ),
        environ={"A": OTHER_SECRET, "QSDOCTOR_DESTINATION_EXTERNAL_ID": SECRET},
    )
    assert [d.role.arn for d in config.destinations] == [DEST2, DEST]
    ids = [d.external_id.value if d.external_id else None for d in config.destinations]
    assert ids == [SECRET, OTHER_SECRET]


def test_missing_destinations_file(tmp_path: Path) -> None:
    err = usage_error(build, destinations_file=tmp_path / "none.txt")
    assert "no such file" in err.message


def test_secret_manager_is_read_only_after_everything_else_validated() -> None:
    reads: list[str] = []

    def read_secret(a: str, profile: str | None, region: str | None) -> str:
        reads.append(a)
        return SECRET

    inputs = dataclasses.replace(
        CheckInputs(intermediate_arn=INTERMEDIATE),
        since="400d",
        external_id=source(secret_arn="arn:aws:secretsmanager:us-east-1:111122223333:secret:qs"),
    )
    with pytest.raises(UsageError):
        build_check_config(inputs, environ={}, read_secret=read_secret)
    assert reads == []
    build_check_config(dataclasses.replace(inputs, since="1d"), environ={}, read_secret=read_secret)
    assert len(reads) == 1


# --- profiles ---------------------------------------------------------------------------


def _with_profiles(known: list[str], asked: list[int], **kw: object) -> object:
    def known_profiles() -> list[str]:
        asked.append(1)
        return known

    inputs = dataclasses.replace(CheckInputs(intermediate_arn=INTERMEDIATE), **kw)  # type: ignore[arg-type]
    return build_check_config(inputs, environ={}, known_profiles=known_profiles)


def test_profiles_are_looked_up_only_when_one_is_named() -> None:
    asked: list[int] = []
    _with_profiles([], asked)
    _with_profiles([], asked, profile="default")  # the default chain needs no section
    assert asked == []
    _with_profiles(["qs"], asked, profile="qs")
    assert asked == [1]


@pytest.mark.parametrize(
    ("field", "option"),
    [
        ("profile", "--profile"),
        ("intermediate_profile", "--intermediate-profile"),
        ("destination_profile", "--destination-profile"),
    ],
)
def test_an_unconfigured_profile_is_a_usage_error(field: str, option: str) -> None:
    err = usage_error(_with_profiles, ["qs", "acme"], [], **{field: "qs-prod"})
    assert err.message == f"AWS profile 'qs-prod' ({option}) is not configured"
    assert err.hint is not None
    assert "aws configure list-profiles" in err.hint


def test_profiles_are_checked_before_secrets_manager_is_read() -> None:
    calls: list[str] = []

    def read_secret(a: str, profile: str | None, region: str | None) -> str:
        calls.append(a)
        return SECRET

    arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:qs-AbCdEf"
    inputs = CheckInputs(
        intermediate_arn=INTERMEDIATE,
        profile="missing",
        external_id=ExternalIdSource(env_var="X", secret_arn=arn),
    )
    with pytest.raises(UsageError, match="'missing'"):
        build_check_config(
            inputs, environ={}, read_secret=read_secret, known_profiles=lambda: ["qs"]
        )
    assert calls == []


def test_a_profile_loader_failure_is_a_usage_error() -> None:
    def broken() -> list[str]:
        raise ValueError("Unable to parse config file")

    inputs = CheckInputs(intermediate_arn=INTERMEDIATE, profile="qs")
    err = usage_error(build_check_config, inputs, environ={}, known_profiles=broken)
    assert "cannot read the AWS profiles" in err.message


# --- files the user names ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["missing", "directory", "not-utf8"])
def test_every_named_file_fails_the_same_way(tmp_path: Path, kind: str) -> None:
    from qsdoctor.bundle import load_facts

    path = tmp_path / "f"
    if kind == "directory":
        path.mkdir()
    elif kind == "not-utf8":
        path.write_bytes(b"\xff\xfe\x00")
    readers = {
        "--from-facts": lambda: load_facts(path),
        "--destinations-file": lambda: parse_destinations_file(path),
        "--external-id-file": lambda: resolve_external_id(
            ExternalIdSource(env_var="X", file=path), environ={}
        ),
    }
    for option, read in readers.items():
        err = usage_error(read)
        if kind == "missing":
            assert (err.message, err.hint) == (f"{option} {path}: no such file", "check the path")
        else:
            assert err.message.startswith(f"{option} {path} cannot be read: ")
            assert err.hint is not None
            assert err.hint.startswith(("use a file", "make it a readable UTF-8"))
