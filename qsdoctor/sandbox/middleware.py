"""The WSGI middleware in front of moto: the STS gate, LookupEvents, latency and a timeline.

Callers are identified as AWS identifies them, by the access key in the
request's SigV4 `Credential=` scope: the world registers its users' keys, and
every AssumeRole the gate lets through registers the session keys moto mints
(read from moto's response), together with what the session carries forward
(a source identity, session tags) for the next hop's decision.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs
from xml.etree import ElementTree

from qsdoctor.sandbox.gate import AssumeRequest, Rule, decide, sts_error_xml
from qsdoctor.sandbox.trail import LookupRefused, StoredEvent, lookup_events

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_LOOKUP_TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """Who holds an access key, and what their session carries into the next hop."""

    arn: str
    account: str
    source_identity: bool = False
    session_tags: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestRecord:
    """One request as the server saw it (for the benchmark's critical path)."""

    start: float
    end: float
    service: str
    action: str
    account: str
    status: int


@dataclass(slots=True)
class _State:
    gate: tuple[Rule, ...] = ()
    events: tuple[StoredEvent, ...] = ()
    principals: dict[str, Principal] = field(default_factory=dict)


def _account_from_arn(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


class SandboxMiddleware:
    """Answers AssumeRole and LookupEvents like AWS would; passes the rest to moto."""

    def __init__(self, app: WsgiApp, *, latency: float = 0.0) -> None:
        self._app = app
        self._lock = threading.Lock()
        # NOTE: moto's backends are not built for concurrent writers (accounts' backends
        # are created lazily on first use), so moto sees one request at a time. The
        # injected latency is spent outside this lock: clients still see their
        # requests overlap, as with AWS.
        self._moto_lock = threading.Lock()
        self._state = _State()
        self.latency = latency
        self.timeline: list[RequestRecord] = []

    # -- scenario state -------------------------------------------------------------
    def load(
        self,
        *,
        gate: tuple[Rule, ...],
        events: tuple[StoredEvent, ...],
        principals: Mapping[str, Principal],
    ) -> None:
        """Swap in a scenario: its gate table, its trail and the world's keys."""
        with self._lock:
            self._state = _State(gate=gate, events=events, principals=dict(principals))
            self.timeline = []

    def principal(self, access_key: str) -> Principal:
        """The holder of a key; keys moto made that the gate never saw fall back to moto."""
        with self._lock:
            known = self._state.principals.get(access_key)
        if known is not None:
            return known
        from moto.iam.models import get_account_id_from

        account = get_account_id_from(access_key)
        return Principal(arn=f"arn:aws:iam::{account}:user/unknown-{access_key}", account=account)

    # -- WSGI -----------------------------------------------------------------------
    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        started = time.perf_counter()
        if self.latency:
            time.sleep(self.latency)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        key, region, service = match.groups() if match else ("", "", "")
        action, status, out = "", 0, None
        captured: dict[str, Any] = {}

        def capture(status_line: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            captured["status"] = int(status_line.split(maxsplit=1)[0])
            return start_response(status_line, headers, *rest)

        if service == "sts":
            params = parse_qs(body.decode("utf-8", "replace"))
            action = params.get("Action", [""])[0]
            if action == "AssumeRole":
                out = self._assume_role(environ, key, params, capture)
        elif environ.get("HTTP_X_AMZ_TARGET") == _LOOKUP_TARGET:
            action = "LookupEvents"
            out = self._lookup_events(key, region, body, capture)
        elif body and service:
            action = parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
        if out is None:
            out = self._moto(environ, capture)
        status = captured.get("status", 0)
        record = RequestRecord(
            start=started,
            end=time.perf_counter(),
            service=service,
            action=action or environ.get("HTTP_X_AMZ_TARGET", "").rsplit(".", 1)[-1],
            account=self.principal(key).account if key else "",
            status=status,
        )
        with self._lock:
            self.timeline.append(record)
        return out

    def _moto(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._moto_lock:
            return list(self._app(environ, start_response))

    # -- STS gate -------------------------------------------------------------------
    def _assume_role(
        self,
        environ: dict[str, Any],
        key: str,
        params: Mapping[str, list[str]],
        start_response: Callable[..., Any],
    ) -> list[bytes]:
        caller = self.principal(key)
        role = params.get("RoleArn", [""])[0]
        duration = params.get("DurationSeconds", [None])[0]
        source_identity = "SourceIdentity" in params or caller.source_identity
        tags = any(k.startswith("Tags.member.") for k in params) or caller.session_tags
        request = AssumeRequest(
            caller=caller.arn,
            role=role,
            external_id=params.get("ExternalId", [None])[0],
            source_identity=source_identity,
            session_tags=tags,
            duration=int(duration) if duration else None,
        )
        with self._lock:
            table = self._state.gate
        decision = decide(table, request)
        if not decision.allow:
            xml = sts_error_xml(
                decision.code, decision.render(caller=caller.arn, role=role), str(uuid.uuid4())
            )
            reason = "Forbidden" if decision.http_status == 403 else "Bad Request"
            start_response(
                f"{decision.http_status} {reason}",
                [("Content-Type", "text/xml"), ("Content-Length", str(len(xml)))],
            )
            return [xml]
        out = self._moto(environ, start_response)
        self._register_session(
            b"".join(out), replace(caller, source_identity=source_identity, session_tags=tags)
        )
        return out

    def _register_session(self, response: bytes, carried: Principal) -> None:
        """Remember the session keys moto minted, so the next hop's caller is known."""
        try:
            root = ElementTree.fromstring(response)
        except ElementTree.ParseError:
            return
        found = {el.tag.rsplit("}", 1)[-1]: (el.text or "") for el in root.iter()}
        key, arn = found.get("AccessKeyId"), found.get("Arn")
        if key and arn:
            principal = replace(carried, arn=arn, account=_account_from_arn(arn))
            with self._lock:
                self._state.principals[key] = principal

    # -- CloudTrail -----------------------------------------------------------------
    def _lookup_events(
        self, key: str, region: str, body: bytes, start_response: Callable[..., Any]
    ) -> list[bytes]:
        with self._lock:
            events = self._state.events
        try:
            answer = lookup_events(
                events,
                account=self.principal(key).account,
                region=region,
                body=json.loads(body or b"{}"),
            )
            status, payload = "200 OK", answer
        except LookupRefused as e:
            status, payload = "400 Bad Request", {"__type": e.code, "message": e.message}
        data = json.dumps(payload).encode()
        start_response(
            status,
            [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(data)))],
        )
        return [data]
