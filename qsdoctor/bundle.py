"""Saved facts bundles (`--save-facts` / `--from-facts`): Facts as JSON, secrets redacted.

A bundle lets a customer send what qsdoctor saw to Quiverstone support, who replay
the checks offline with no AWS access. External IDs are secrets, so unless
`--show-secrets` is given every External ID value (the configured ones, and every
`sts:ExternalId` condition value in any policy document) is replaced by a token
`qsdoctor-redacted:<16 hex>`: an HMAC-SHA256 of the value under a key made fresh for
each bundle. Equal values get equal tokens, so on replay "does the configured ID match
the trust policy?" evaluates exactly as it did live.

What a replay cannot show: lengths, case or whitespace hints and strength (QS105)
describe the token, not the original value. The bundle keeps its key so that a holder
can test whether a guessed value was the one redacted: treat bundles as confidential.

Fingerprints recorded at collection (trail events, live attempts) were made with that
run's private key; the bundle maps the configured values' fingerprints to their tokens
so, on replay, "the trail shows the configured External ID" still holds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import secrets
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar, Union

from qsdoctor import __version__
from qsdoctor.arn import parse_role_arn
from qsdoctor.errors import UsageError
from qsdoctor.facts import Facts
from qsdoctor.inputs import read_input_file
from qsdoctor.models import AwsCallError, Ok, Skipped, Unavailable
from qsdoctor.secrets import ExternalId, fingerprint

BUNDLE_FORMAT = "qsdoctor-facts"
BUNDLE_VERSION = 1
REDACTED_PREFIX = "qsdoctor-redacted:"
_EXTERNAL_ID_KEY = "sts:externalid"
_FINGERPRINT_FIELDS = frozenset({"external_id_fingerprint"})

T = TypeVar("T")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class LoadedBundle:
    """A bundle read back: the facts, and whether their secrets are tokens."""

    facts: Facts
    redacted: bool
    saved_by: str
    """qsdoctor version that wrote it."""


class _Encoder:
    """Facts -> JSON-ready data; collects the secrets it redacts on the way."""

    def __init__(self, *, redact: bool, key: bytes) -> None:
        self.redact = redact
        self.key = key
        self.fingerprints: dict[str, str] = {}

    def secret(self, value: str) -> str:
        stored = value
        if self.redact:
            mac = hmac.new(self.key, value.encode("utf-8"), hashlib.sha256).hexdigest()
            stored = REDACTED_PREFIX + mac[:16]
        self.fingerprints[fingerprint(value)] = stored
        return stored

    def encode(self, value: object) -> Any:
        match value:
            case ExternalId():
                return {"value": self.secret(value.value), "source": value.source}
            case Ok(inner):
                return {"ok": self.encode(inner)}
            case Unavailable(error):
                return {"unavailable": self.encode(error)}
            case Skipped(reason):
                return {"skipped": reason}
            case _ if dataclasses.is_dataclass(value) and not isinstance(value, type):
                return {f.name: self.encode(getattr(value, f.name)) for f in _fields(value)}
            case tuple() | list():
                return [self.encode(v) for v in value]
            case dict():
                return self.policy(value)
            case str() | int() | float() | bool() | None:
                return value
        raise TypeError(f"cannot save {type(value).__name__} in a facts bundle")

    def policy(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of a policy document with every sts:ExternalId condition value replaced."""
        out: dict[str, Any] = {}
        for k, v in doc.items():
            if k == "Condition" and isinstance(v, dict):
                out[k] = {op: self.condition(block) for op, block in v.items()}
            else:
                out[k] = self.json_value(v)
        return out

    def condition(self, block: object) -> object:
        if not isinstance(block, dict):
            return self.json_value(block)
        return {
            key: self.secret_values(v) if key.lower() == _EXTERNAL_ID_KEY else self.json_value(v)
            for key, v in block.items()
        }

    def secret_values(self, v: object) -> object:
        if isinstance(v, str):
            return self.secret(v)
        if isinstance(v, list):
            return [self.secret(x) if isinstance(x, str) else x for x in v]
        return v

    def json_value(self, v: object) -> object:
        if isinstance(v, dict):
            return self.policy(v)
        if isinstance(v, list):
            return [self.json_value(x) for x in v]
        return v


def _fields(obj: object) -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(obj)  # type: ignore[arg-type]


def facts_to_dict(
    facts: Facts, *, show_secrets: bool = False, key: bytes | None = None
) -> dict[str, Any]:
    """The bundle for these facts, as JSON-ready data (redacted unless show_secrets)."""
    key = key if key is not None else secrets.token_bytes(32)
    enc = _Encoder(redact=not show_secrets, key=key)
    body = enc.encode(facts)
    return {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "saved_by": f"qsdoctor {__version__}",
        "redaction": {
            "redacted": not show_secrets,
            "method": "hmac-sha256, first 16 hex digits" if not show_secrets else None,
            "key": key.hex() if not show_secrets else None,
            "fingerprints": enc.fingerprints,
        },
        "facts": body,
    }


def save_facts(facts: Facts, path: Path, *, show_secrets: bool = False) -> None:
    """Write a bundle file; refuses nothing, overwrites an existing file."""
    data = facts_to_dict(facts, show_secrets=show_secrets)
    try:
        path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    except OSError as e:
        raise UsageError(
            f"--save-facts {path} cannot be written: {e.strerror or type(e).__name__}",
            "choose a writable path",
        ) from None


class _Decoder:
    """JSON data -> Facts, guided by the dataclasses' type hints."""

    def __init__(self, *, redacted: bool, fingerprints: Mapping[str, str]) -> None:
        self.redacted = redacted
        self.fingerprints = fingerprints

    def decode(self, tp: Any, data: Any, where: str) -> Any:
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if tp is Any:
            return data
        if origin in (Union, types.UnionType):
            return self.union(args, data, where)
        if origin is Literal:
            if data not in args:
                raise _bad(where, f"one of {', '.join(map(repr, args))}")
            return data
        if tp is ExternalId:
            value, source = self.obj(data, where).get("value"), data.get("source", "bundle")
            if not isinstance(value, str) or not isinstance(source, str):
                raise _bad(where, "an External ID object")
            if self.redacted:
                source = f"{source}, redacted in the bundle"
            return ExternalId(value, source=source)
        if origin is tuple:
            if not isinstance(data, list):
                raise _bad(where, "a list")
            if len(args) == 2 and args[1] is Ellipsis:
                return tuple(self.decode(args[0], v, f"{where}[{i}]") for i, v in enumerate(data))
            if len(args) != len(data):
                raise _bad(where, f"a list of {len(args)}")
            return tuple(
                self.decode(a, v, f"{where}[{i}]")
                for i, (a, v) in enumerate(zip(args, data, strict=True))
            )
        if origin is dict or tp is dict:
            return dict(self.obj(data, where))
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):
            return self.dataclass(tp, data, where)
        if tp in (str, int, bool, float):
            if type(data) is not tp and not (tp is float and type(data) is int):
                raise _bad(where, tp.__name__)
            return data
        if tp is type(None):
            if data is not None:
                raise _bad(where, "null")
            return None
        raise _bad(where, f"a value of type {tp}")  # pragma: no cover

    def union(self, args: tuple[Any, ...], data: Any, where: str) -> Any:
        kinds = {typing.get_origin(a) or a for a in args}
        if Unavailable in kinds or Skipped in kinds:
            obj = self.obj(data, where)
            if len(obj) != 1:
                raise _bad(where, 'one of {"ok": ...}, {"unavailable": ...}, {"skipped": ...}')
            ((tag, inner),) = obj.items()
            if tag == "skipped" and isinstance(inner, str):
                return Skipped(inner)
            if tag == "unavailable":
                return Unavailable(self.decode(AwsCallError, inner, f"{where}.unavailable"))
            if tag == "ok":
                ok_type = next(a for a in args if typing.get_origin(a) is Ok)
                return Ok(self.decode(typing.get_args(ok_type)[0], inner, f"{where}.ok"))
            raise _bad(where, 'one of {"ok": ...}, {"unavailable": ...}, {"skipped": ...}')
        rest = [a for a in args if a is not type(None)]
        if data is None and len(rest) < len(args):
            return None
        if len(rest) == 1:
            return self.decode(rest[0], data, where)
        raise _bad(where, f"a value of type {args}")  # pragma: no cover

    def dataclass(self, cls: type[T], data: Any, where: str) -> T:
        obj = self.obj(data, where)
        hints = typing.get_type_hints(cls)
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name not in obj:
                continue
            value = self.decode(hints[f.name], obj[f.name], f"{where}.{f.name}")
            if f.name in _FINGERPRINT_FIELDS and value in self.fingerprints:
                value = fingerprint(self.fingerprints[value])
            kwargs[f.name] = value
        try:
            return cls(**kwargs)
        except TypeError as e:
            raise _bad(where, f"a complete {cls.__name__} ({e})") from None

    @staticmethod
    def obj(data: Any, where: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise _bad(where, "an object")
        return data


def _bad(where: str, expected: str) -> UsageError:
    return UsageError(
        f"facts bundle is malformed at {where}: expected {expected}",
        "use a file written by qsdoctor check --save-facts",
    )


def facts_from_dict(data: Any) -> LoadedBundle:
    """Read a bundle's data back into Facts, validating its shape as it goes."""
    if not isinstance(data, dict) or data.get("format") != BUNDLE_FORMAT:
        raise UsageError(
            'not a qsdoctor facts bundle (no "format": "qsdoctor-facts")',
            "use a file written by qsdoctor check --save-facts",
        )
    if data.get("version") != BUNDLE_VERSION:
        raise UsageError(
            f"facts bundle version {data.get('version')!r} is not supported "
            f"(this qsdoctor reads version {BUNDLE_VERSION})",
            "replay it with the qsdoctor version that saved it",
        )
    redaction = data.get("redaction") or {}
    fps = redaction.get("fingerprints") or {}
    if not isinstance(fps, dict):
        raise _bad("redaction.fingerprints", "an object")
    decoder = _Decoder(redacted=bool(redaction.get("redacted")), fingerprints=fps)
    facts = decoder.decode(Facts, data.get("facts"), "facts")
    # The report promises role ARNs in its target: hold an edited bundle to that too.
    parse_role_arn(facts.intermediate_arn, what="the bundle's intermediate_arn")
    for i, dest in enumerate(facts.destinations):
        parse_role_arn(dest.arn, what=f"the bundle's destinations[{i}].arn")
    return LoadedBundle(
        facts=facts, redacted=decoder.redacted, saved_by=str(data.get("saved_by", "unknown"))
    )


def load_facts(path: Path) -> LoadedBundle:
    """Read a bundle file written by `--save-facts`."""
    fix = "use a file written by qsdoctor check --save-facts"
    text = read_input_file(path, "--from-facts", fix)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise UsageError(f"--from-facts {path}:{e.lineno}: not valid JSON ({e.msg})", fix) from None
    return facts_from_dict(data)
