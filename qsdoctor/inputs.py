"""Validating what the user typed, before any AWS call: ARNs, windows, tags, External IDs.

Everything here raises `UsageError` (exit 2) with one line naming the problem and the
fix. External ID values never appear in a message: only where they came from, their
length and which rule they break.

External IDs are rejected here only when STS could never accept them (length outside
2-1224 characters, or characters outside letters, digits and `_+=,.@:/-`): such a
value cannot be what the trust policy was written for. Weak but valid values (short,
placeholders, reused) are not input errors; QS105 reports them as findings.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from qsdoctor import QUIVERSTONE_PRODUCTION_ACCOUNT
from qsdoctor.arn import RoleArn, parse_arn, parse_role_arn, validate_account_id
from qsdoctor.config import CheckConfig, DestinationSpec
from qsdoctor.errors import QsdoctorError, UsageError
from qsdoctor.secrets import EXTERNAL_ID_MAX, ExternalId, sts_valid

INTERMEDIATE_EXTERNAL_ID_ENV = "QSDOCTOR_EXTERNAL_ID"
DESTINATION_EXTERNAL_ID_ENV = "QSDOCTOR_DESTINATION_EXTERNAL_ID"

#: CloudTrail's event history (LookupEvents) keeps 90 days.
MAX_SINCE = timedelta(days=90)
_SINCE_RE = re.compile(r"(\d+)\s*([mhd])")
_SINCE_UNITS = {"m": "minutes", "h": "hours", "d": "days"}

#: sts:AssumeRole SourceIdentity: 2-256 of [\w+=,.@-], and not starting with "aws:".
_SOURCE_IDENTITY_RE = re.compile(r"[\w+=,.@-]{2,256}", re.ASCII)
#: STS session tags: keys 1-128, values 0-256 of letters, digits, spaces and _.:/=+-@.
_TAG_TEXT_RE = re.compile(r"[\w .:/=+\-@]*")
MAX_SESSION_TAGS = 50
_REGION_RE = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

ReadSecret = Callable[[str, str | None, str | None], str]
"""Reads a Secrets Manager secret: (secret ARN, profile, region) -> External ID."""
Prompt = Callable[[str], str]
"""Asks the user for a hidden value: (prompt text) -> value."""
Warn = Callable[[str], None]
"""Prints a warning on stderr."""
KnownProfiles = Callable[[], Collection[str]]
"""The AWS profiles configured (config and credentials files), as botocore reads them."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ExternalIdSource:
    """Where one External ID may come from; at most one explicit source may be given.

    Without an explicit source, the environment variable `env_var` is read.
    """

    env_var: str
    file: Path | None = None
    secret_arn: str | None = None
    value: str | None = None
    prompt: bool = False
    option: str = "--external-id"
    """The option family's name, for messages ("--destination-external-id")."""

    @classmethod
    def intermediate(cls, **given: Any) -> ExternalIdSource:
        """The intermediate role's: `--external-id…`, else $QSDOCTOR_EXTERNAL_ID."""
        return cls(env_var=INTERMEDIATE_EXTERNAL_ID_ENV, **given)

    @classmethod
    def destinations(cls, **given: Any) -> ExternalIdSource:
        """The destinations': `--destination-external-id…`, else its variable."""
        return cls(env_var=DESTINATION_EXTERNAL_ID_ENV, option="--destination-external-id", **given)


@dataclass(frozen=True, slots=True, kw_only=True)
class DestinationEntry:
    """One line of a destinations file: an ARN and, optionally, its External ID variable."""

    arn: str
    external_id_env: str | None = None
    origin: str = "--destination-arn"
    """Where it was given ("destinations.csv:3"), for messages."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckInputs:
    """`qsdoctor check`'s options as typed, before validation."""

    intermediate_arn: str
    destination_arns: tuple[str, ...] = ()
    destinations_file: Path | None = None
    vendor_account_id: str = QUIVERSTONE_PRODUCTION_ACCOUNT
    profile: str | None = None
    intermediate_profile: str | None = None
    destination_profile: str | None = None
    region: str | None = None
    source_identity: str | None = None
    session_tags: tuple[str, ...] = ()
    since: str = "24h"
    live: bool = True
    trail: bool = True
    negative_probes: bool = True
    trail_bucket: str | None = None
    trail_bucket_profile: str | None = None
    external_id: ExternalIdSource = field(default_factory=ExternalIdSource.intermediate)
    destination_external_id: ExternalIdSource = field(default_factory=ExternalIdSource.destinations)


def parse_since(text: str) -> timedelta:
    """A look-back window like `30m`, `24h` or `7d`: positive and at most 90 days."""
    match = _SINCE_RE.fullmatch(text.strip().lower())
    if match is None:
        raise UsageError(
            f"--since {text!r} is not a duration",
            "use a number and a unit m, h or d, e.g. --since 24h or --since 7d",
        )
    amount, unit = int(match.group(1)), match.group(2)
    window = timedelta(**{_SINCE_UNITS[unit]: amount})
    if window <= timedelta(0):
        raise UsageError(f"--since {text!r} is empty", "give a positive window, e.g. 24h")
    if window > MAX_SINCE:
        raise UsageError(
            f"--since {text!r} is longer than CloudTrail's 90-day event history",
            "use at most 90d",
        )
    return window


def validate_source_identity(value: str) -> str:
    """A SourceIdentity STS accepts: 2-256 of letters, digits and +=,.@_-, not `aws:...`."""
    if value.lower().startswith("aws:"):
        raise UsageError(
            "--source-identity must not start with 'aws:' (reserved by AWS)",
            "pick a value like the operator's user name, e.g. --source-identity jdoe",
        )
    if not _SOURCE_IDENTITY_RE.fullmatch(value):
        raise UsageError(
            f"--source-identity {value!r} is not accepted by STS",
            "use 2-256 characters of letters, digits and +=,.@_-",
        )
    return value


def parse_session_tag(text: str) -> tuple[str, str]:
    """`KEY=VALUE` as STS session tags allow it (key 1-128, value 0-256 characters)."""
    key, sep, value = text.partition("=")
    fix = "write --session-tag KEY=VALUE, e.g. --session-tag Team=support"
    if not sep:
        raise UsageError(f"--session-tag {text!r} has no '='", fix)
    if not 1 <= len(key) <= 128 or not _TAG_TEXT_RE.fullmatch(key):
        raise UsageError(
            f"--session-tag key {key!r} is not a valid tag key",
            "keys are 1-128 letters, digits, spaces and _.:/=+-@",
        )
    if key.lower().startswith("aws:"):
        raise UsageError(f"--session-tag key {key!r} uses the reserved prefix 'aws:'", fix)
    if len(value) > 256 or not _TAG_TEXT_RE.fullmatch(value):
        raise UsageError(
            f"--session-tag value for {key!r} is not a valid tag value",
            "values are 0-256 letters, digits, spaces and _.:/=+-@",
        )
    return key, value


def parse_session_tags(texts: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """All `--session-tag`s: at most 50, keys unique regardless of case (as STS requires)."""
    if len(texts) > MAX_SESSION_TAGS:
        raise UsageError(
            f"{len(texts)} session tags given; STS accepts at most {MAX_SESSION_TAGS}",
            "pass fewer --session-tag options",
        )
    tags = tuple(parse_session_tag(t) for t in texts)
    seen: set[str] = set()
    for key, _ in tags:
        if key.lower() in seen:
            raise UsageError(
                f"--session-tag key {key!r} is given twice",
                "STS treats tag keys case-insensitively; give each key once",
            )
        seen.add(key.lower())
    return tags


def validate_region(value: str) -> str:
    """A Region code such as us-east-1 (checked for shape only, so new Regions work)."""
    if not _REGION_RE.fullmatch(value):
        raise UsageError(
            f"--region {value!r} is not an AWS Region code",
            "use a code like us-east-1 or eu-central-1 (not a name like 'N. Virginia')",
        )
    return value


def region_partition(region: str) -> str | None:
    """The partition a Region code belongs to, for the three partitions qsdoctor supports."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if "-iso" in region:
        return None  # isolated partitions: not ours to judge
    return "aws"


def _check_partitions(
    intermediate: RoleArn, entries: tuple[DestinationEntry, ...], region: str | None
) -> None:
    """One chain lives in one partition: STS cannot assume a role across partitions."""
    for entry in entries:
        role = _destination_role(entry)
        if role.partition != intermediate.partition:
            raise UsageError(
                f"destination {role.arn} ({entry.origin}) is in partition {role.partition}, "
                f"but the intermediate role is in {intermediate.partition}",
                "roles can only be assumed within one partition; check the ARNs",
            )
    if region is not None:
        partition = region_partition(region)
        if partition is not None and partition != intermediate.partition:
            raise UsageError(
                f"--region {region} is in partition {partition}, but the intermediate role "
                f"is in {intermediate.partition}",
                "pick a Region of the role's partition, or leave out --region",
            )


def parse_trail_bucket(value: str) -> str:
    """`s3://bucket[/prefix]` of an organization trail's log files, normalised."""
    fix = "write --trail-bucket s3://BUCKET/PREFIX, e.g. s3://org-trail-logs/AWSLogs"
    if not value.startswith("s3://"):
        raise UsageError(f"--trail-bucket {value!r} is not an s3:// URL", fix)
    bucket, _, prefix = value[len("s3://") :].partition("/")
    if not _BUCKET_RE.fullmatch(bucket) or ".." in bucket:
        raise UsageError(f"--trail-bucket names an invalid bucket {bucket!r}", fix)
    prefix = prefix.strip("/")
    return f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"


def validate_external_id(external_id: ExternalId) -> ExternalId:
    """Reject only values STS could never accept; say which rule, never the value."""
    value = external_id.value
    where = f"the External ID from {external_id.source}"
    if not 2 <= len(value) <= EXTERNAL_ID_MAX:
        raise UsageError(
            f"{where} has {len(value)} character{'' if len(value) == 1 else 's'}; "
            f"STS accepts 2 to {EXTERNAL_ID_MAX}",
            "check that the right value was supplied (an empty variable or file?)",
        )
    if not sts_valid(value):
        if value != value.strip():
            problem = "has leading or trailing whitespace"
        elif any(c.isspace() for c in value):
            problem = "contains whitespace"
        else:
            bad = sum(1 for c in value if not sts_valid(c * 2))
            problem = f"contains {bad} character(s) STS never accepts"
        raise UsageError(
            f"{where} {problem}",
            "External IDs are letters, digits and _+=,.@:/- only; copy the value again",
        )
    return external_id


def read_input_file(path: Path, option: str, fix: str, *, encoding: str = "utf-8") -> str:
    """The text of a file the user named with `option`; a missing or unreadable file
    (or one that is not text) is a UsageError ending with `fix`."""
    try:
        return path.read_text(encoding=encoding)
    except FileNotFoundError:
        raise UsageError(f"{option} {path}: no such file", "check the path") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"{option} {path} cannot be read: {type(e).__name__}", fix) from None


def _read_external_id_file(path: Path, option: str) -> str:
    text = read_input_file(
        path,
        f"{option}-file",
        "make it a readable UTF-8 text file holding only the External ID",
    )
    value = text.removesuffix("\n").removesuffix("\r")
    if "\n" in value:
        raise UsageError(
            f"{option}-file {path} holds more than one line",
            "put only the External ID in the file (one line)",
        )
    return value


def resolve_external_id(
    source: ExternalIdSource,
    *,
    environ: Mapping[str, str],
    profile: str | None = None,
    region: str | None = None,
    read_secret: ReadSecret | None = None,
    prompt: Prompt | None = None,
    warn: Warn | None = None,
) -> ExternalId | None:
    """Read one External ID from its single explicit source, else from the environment.

    Returns None when none is supplied (checks that need it then skip, saying how to
    supply it). An empty environment variable counts as unset.
    """
    opt = source.option
    given = [
        name
        for name, present in (
            (f"{opt}-file", source.file is not None),
            (f"{opt}-secret", source.secret_arn is not None),
            (opt, source.value is not None),
            (f"--prompt-{opt.removeprefix('--')}", source.prompt),
        )
        if present
    ]
    if len(given) > 1:
        raise UsageError(
            f"{' and '.join(given)} both give the External ID",
            "use only one source for it",
        )
    value: str | None
    if source.file is not None:
        value, origin = _read_external_id_file(source.file, opt), f"file {source.file}"
    elif source.secret_arn is not None:
        value, origin = None, f"secret {source.secret_arn}"
    elif source.value is not None:
        if warn is not None:
            warn(
                f"warning: {opt} puts a secret in your shell history and in `ps` output; "
                f"prefer {source.env_var} or {opt}-file"
            )
        value, origin = source.value, opt
    elif source.prompt:
        if prompt is None:
            raise UsageError(f"--prompt-{opt.removeprefix('--')} needs an interactive terminal")
        value, origin = prompt(f"External ID ({opt.removeprefix('--')})"), "prompt"
    else:
        env_value = environ.get(source.env_var)
        if not env_value:
            return None
        value, origin = env_value, f"${source.env_var}"
    if value is None:
        # Secrets Manager is read last of all, once every other input has been checked.
        assert source.secret_arn is not None
        value = _read_secret(source.secret_arn, opt, profile, region, read_secret)
    return validate_external_id(ExternalId(value, source=origin))


def validate_secret_arn(arn: str, option: str) -> str:
    """A Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)."""
    fix = "give the secret's full ARN, e.g. arn:aws:secretsmanager:us-east-1:111122223333:secret:qs"
    try:
        parsed = parse_arn(arn)
    except UsageError:
        raise UsageError(f"{option}-secret {arn!r} is not an ARN", fix) from None
    if parsed.service != "secretsmanager" or not parsed.resource.startswith("secret:"):
        raise UsageError(f"{option}-secret {arn!r} is not a Secrets Manager secret ARN", fix)
    validate_account_id(parsed.account, what=f"account in {option}-secret")
    return arn


def _read_secret(
    arn: str, option: str, profile: str | None, region: str | None, read_secret: ReadSecret | None
) -> str:
    if read_secret is None:
        raise UsageError(f"{option}-secret cannot be used here", f"use {option}-file instead")
    try:
        return read_secret(arn, profile, region)
    except QsdoctorError:
        raise
    except Exception as e:  # any failure to read the secret is an input problem
        err = getattr(e, "error", None)
        why = f"{err.code}: {err.message}" if err is not None else type(e).__name__
        raise UsageError(
            f"could not read the External ID from {option}-secret {arn}: {why}",
            "check the ARN, and that --profile may call secretsmanager:GetSecretValue on it",
        ) from None


def parse_destinations_file(path: Path) -> tuple[DestinationEntry, ...]:
    """Destinations from a file: one ARN per line (with # comments), CSV, or JSON.

    CSV has a header `arn[,external_id_env]`; JSON is a list of ARNs or of objects
    `{"arn": ..., "external_id_env": ...}`. External IDs themselves never go in the
    file: `external_id_env` names the environment variable that holds one.
    """
    text = read_input_file(
        path,
        "--destinations-file",
        "make it a readable UTF-8 text, CSV or JSON file",
        encoding="utf-8-sig",
    )
    stripped = text.lstrip()
    if path.suffix.lower() == ".json" or stripped.startswith(("[", "{")):
        entries = _parse_json_destinations(text, path)
    elif _looks_like_csv(text):
        entries = _parse_csv_destinations(text, path)
    else:
        entries = _parse_line_destinations(text, path)
    if not entries:
        raise UsageError(
            f"--destinations-file {path} lists no destinations",
            "add one destination role ARN per line",
        )
    return entries


def _content_lines(text: str) -> list[tuple[int, str]]:
    return [
        (n, line.strip())
        for n, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.strip().startswith("#")
    ]


def _looks_like_csv(text: str) -> bool:
    lines = _content_lines(text)
    return bool(lines) and lines[0][1].split(",")[0].strip().lower() == "arn"


def _parse_line_destinations(text: str, path: Path) -> tuple[DestinationEntry, ...]:
    entries = []
    for n, line in _content_lines(text):
        arn = re.split(r"\s#", line, maxsplit=1)[0].strip()
        if "," in arn or " " in arn:
            raise UsageError(
                f"{path}:{n}: expected one ARN per line",
                "for CSV, start the file with the header line: arn,external_id_env",
            )
        entries.append(DestinationEntry(arn=arn, origin=f"{path}:{n}"))
    return tuple(entries)


def _check_columns(names: list[str], where: str) -> None:
    for name in names:
        if name == "external_id":
            raise UsageError(
                f"{where}: External IDs must not be written in the destinations file",
                "put each in an environment variable and name it in external_id_env",
            )
        if name not in ("arn", "external_id_env"):
            raise UsageError(
                f"{where}: unknown field {name!r}", "the fields are arn and external_id_env"
            )


def _parse_csv_destinations(text: str, path: Path) -> tuple[DestinationEntry, ...]:
    rows = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    rows = [(n, line) for n, line in rows if not line.lstrip().startswith("#")]
    header_n, header_line = rows[0]
    header = [h.strip().lower() for h in next(csv.reader(io.StringIO(header_line)))]
    _check_columns(header, f"{path}:{header_n}")
    entries = []
    for n, line in rows[1:]:
        values = [v.strip() for v in next(csv.reader(io.StringIO(line)))]
        if len(values) > len(header):
            raise UsageError(
                f"{path}:{n}: {len(values)} fields but the header has {len(header)}",
                "one row per destination: arn,external_id_env",
            )
        row = dict(zip(header, values, strict=False))
        entries.append(_entry(row.get("arn", ""), row.get("external_id_env"), f"{path}:{n}"))
    return tuple(entries)


def _parse_json_destinations(text: str, path: Path) -> tuple[DestinationEntry, ...]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise UsageError(
            f"{path}:{e.lineno}: not valid JSON ({e.msg})",
            'write a list, e.g. ["arn:aws:iam::210987654321:role/QuiverstoneChainedAccess"]',
        ) from None
    if not isinstance(data, list):
        raise UsageError(f"{path}: expected a JSON list of destinations", "wrap them in [ ... ]")
    entries = []
    for i, item in enumerate(data):
        where = f"{path}: item {i}"
        if isinstance(item, str):
            entries.append(DestinationEntry(arn=item, origin=where))
        elif isinstance(item, dict):
            _check_columns([str(k) for k in item], where)
            arn, env = item.get("arn"), item.get("external_id_env")
            if not isinstance(arn, str) or not (env is None or isinstance(env, str)):
                raise UsageError(
                    f"{where}: arn and external_id_env must be strings",
                    '{"arn": "arn:aws:iam::...:role/...", "external_id_env": "VAR"}',
                )
            entries.append(_entry(arn, env, where))
        else:
            raise UsageError(f"{where}: expected an ARN string or an object with 'arn'")
    return tuple(entries)


def _entry(arn: str, env: str | None, where: str) -> DestinationEntry:
    if not arn:
        raise UsageError(f"{where}: the arn field is empty", "give the destination role ARN")
    env = env or None
    if env is not None and not _ENV_NAME_RE.fullmatch(env):
        raise UsageError(
            f"{where}: external_id_env {env!r} is not an environment variable name",
            "name the variable holding the External ID, e.g. ACME_DESTINATION_EXTERNAL_ID",
        )
    return DestinationEntry(arn=arn, external_id_env=env, origin=where)


def _destination_role(entry: DestinationEntry) -> RoleArn:
    """The entry's role ARN. A file line that is not an ARN at all is not echoed: it may
    be an External ID pasted into the wrong file."""
    if entry.origin != "--destination-arn" and not entry.arn.startswith("arn:"):
        raise UsageError(
            f"{entry.origin}: not a role ARN ({len(entry.arn)} characters, not shown in case "
            "it is a secret)",
            "list destination role ARNs only, e.g. "
            "arn:aws:iam::210987654321:role/QuiverstoneChainedAccess",
        )
    return parse_role_arn(entry.arn, what=f"destination ARN ({entry.origin})")


def _destination_specs(
    entries: tuple[DestinationEntry, ...],
    default: ExternalId | None,
    environ: Mapping[str, str],
) -> tuple[DestinationSpec, ...]:
    """One spec per destination, first position kept. A destination listed twice is
    checked once; if only one listing names an External ID variable, that one counts."""
    specs: dict[str, DestinationSpec] = {}
    envs: dict[str, str | None] = {}
    for entry in entries:
        role = _destination_role(entry)
        known = envs.get(role.arn)
        if role.arn in envs and (entry.external_id_env is None or known is not None):
            if known is not None and entry.external_id_env not in (None, known):
                raise UsageError(
                    f"{entry.origin}: {role.arn} is listed twice with different External IDs",
                    "list each destination once",
                )
            continue
        envs[role.arn] = entry.external_id_env
        external_id = default
        if entry.external_id_env is not None:
            value = environ.get(entry.external_id_env)
            if not value:
                raise UsageError(
                    f"{entry.origin}: environment variable {entry.external_id_env} is not set",
                    f"export {entry.external_id_env} with that destination's External ID",
                )
            external_id = validate_external_id(
                ExternalId(value, source=f"${entry.external_id_env}")
            )
        specs[role.arn] = DestinationSpec(role=role, external_id=external_id)
    return tuple(specs.values())


def _check_profiles(
    inputs: CheckInputs, environ: Mapping[str, str], known_profiles: KnownProfiles | None
) -> None:
    """Every profile option names a configured profile ("default" may be implicit)."""
    given = [
        (name, value)
        for name, value in (
            ("--profile", inputs.profile),
            ("--intermediate-profile", inputs.intermediate_profile),
            ("--destination-profile", inputs.destination_profile),
            ("--trail-bucket-profile", inputs.trail_bucket_profile),
        )
        if value is not None
    ]
    for name, value in given:
        if not value.strip():
            raise UsageError(f"{name} is empty", f"give a profile name or leave out {name}")
    wanted = [(n, v) for n, v in given if v != "default"]
    if known_profiles is None or not wanted:
        return
    try:
        known = set(known_profiles())
    except QsdoctorError:
        raise
    except Exception as e:  # an unparsable config file is the user's input too
        raise UsageError(
            f"cannot read the AWS profiles: {type(e).__name__}: {e}",
            "fix the AWS config file ($AWS_CONFIG_FILE, default ~/.aws/config)",
        ) from None
    for name, value in wanted:
        if value not in known:
            by_env = name == "--profile" and environ.get("AWS_PROFILE") == value
            where = "$AWS_PROFILE" if by_env else name
            raise UsageError(
                f"AWS profile {value!r} ({where}) is not configured",
                "list profiles with `aws configure list-profiles`; they are read from "
                "$AWS_CONFIG_FILE and $AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/)",
            )


def build_check_config(
    inputs: CheckInputs,
    *,
    environ: Mapping[str, str],
    read_secret: ReadSecret | None = None,
    prompt: Prompt | None = None,
    warn: Warn | None = None,
    known_profiles: KnownProfiles | None = None,
) -> CheckConfig:
    """Validate every input and build the run's config. No AWS call happens before the
    last step, which reads External IDs from Secrets Manager when asked to.

    With `known_profiles`, a profile option naming a profile that is not configured is
    bad input (exit 2), caught here rather than as an unreadable fact later.
    """
    intermediate: RoleArn = parse_role_arn(inputs.intermediate_arn, what="--intermediate-arn")
    vendor = validate_account_id(inputs.vendor_account_id, what="--vendor-account-id")
    entries = tuple(DestinationEntry(arn=a) for a in inputs.destination_arns)
    if inputs.destinations_file is not None:
        entries += parse_destinations_file(inputs.destinations_file)
    region = validate_region(inputs.region) if inputs.region is not None else None
    _check_partitions(intermediate, entries, region)
    source_identity = (
        validate_source_identity(inputs.source_identity)
        if inputs.source_identity is not None
        else None
    )
    tags = parse_session_tags(inputs.session_tags)
    since = parse_since(inputs.since)
    bucket = parse_trail_bucket(inputs.trail_bucket) if inputs.trail_bucket is not None else None
    if inputs.trail_bucket_profile is not None and bucket is None:
        raise UsageError(
            "--trail-bucket-profile needs --trail-bucket",
            "add --trail-bucket s3://BUCKET/PREFIX, or drop --trail-bucket-profile",
        )
    _check_profiles(inputs, environ, known_profiles)
    for src in (inputs.external_id, inputs.destination_external_id):
        if src.secret_arn is not None:
            validate_secret_arn(src.secret_arn, src.option)

    def resolve(src: ExternalIdSource) -> ExternalId | None:
        return resolve_external_id(
            src,
            environ=environ,
            profile=inputs.profile,
            region=region,
            read_secret=read_secret,
            prompt=prompt,
            warn=warn,
        )

    # Local sources first, so a typo there is reported before any AWS call.
    ordered = sorted(
        (inputs.external_id, inputs.destination_external_id),
        key=lambda s: s.secret_arn is not None,
    )
    resolved = {src.option: resolve(src) for src in ordered}
    destinations = _destination_specs(
        entries, resolved[inputs.destination_external_id.option], environ
    )
    return CheckConfig(
        intermediate=intermediate,
        destinations=destinations,
        vendor_account_id=vendor,
        profile=inputs.profile,
        intermediate_profile=inputs.intermediate_profile,
        destination_profile=inputs.destination_profile,
        region=region,
        external_id=resolved[inputs.external_id.option],
        source_identity=source_identity,
        session_tags=tags,
        since=since,
        live=inputs.live,
        trail=inputs.trail,
        negative_probes=inputs.negative_probes,
        trail_bucket=bucket,
        trail_bucket_profile=inputs.trail_bucket_profile,
    )
