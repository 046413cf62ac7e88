"""The `qsdoctor simulate` request format (design.md, "batch format") turned into
engine calls. Pure: the CLI reads files and stdin, this module only sees JSON values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from qsdoctor.errors import QsdoctorError, UsageError
from qsdoctor.policy.document import Policy, parse_policy
from qsdoctor.policy.evaluate import evaluate
from qsdoctor.policy.model import ContextValue, EvaluationResult, Request

REQUEST_FIELDS = frozenset(
    {
        "principal",
        "principal_role_arn",
        "action",
        "resource",
        "identity_policies",
        "trust_policy",
        "permission_boundary",
        "permissions_boundary",
        "session_policies",
        "scps",
        "rcps",
        "context",
    }
)


def _policy(raw: Any, name: str) -> Policy:
    return parse_policy(raw, name=name)


def _policies(raw: Any, what: str, label: str) -> tuple[Policy, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise UsageError(f'"{what}" must be a list of policy documents')
    return tuple(_policy(doc, f"{label} #{i + 1}") for i, doc in enumerate(raw))


def _string(obj: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = obj.get(key, default)
    if not isinstance(value, str) or not value:
        raise UsageError(
            f'"{key}" must be a non-empty string',
            'a request needs "principal" and "resource" (ARNs)',
        )
    return value


def _context(raw: Any) -> dict[str, ContextValue]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise UsageError('"context" must be an object of condition key -> value(s)')
    out: dict[str, ContextValue] = {}
    for key, value in raw.items():
        if isinstance(value, (str, bool, int)):
            out[key] = value
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            out[key] = tuple(value)
        else:
            raise UsageError(
                f'context key "{key}": values must be strings, booleans, '
                "integers or lists of strings"
            )
    return out


def evaluate_request(obj: Any) -> EvaluationResult:
    """Evaluate one batch request object; raises UsageError/PolicyError for bad input."""
    if not isinstance(obj, dict):
        raise UsageError(f"a request must be a JSON object, got {type(obj).__name__}")
    unknown = sorted(set(obj) - REQUEST_FIELDS)
    if unknown:
        raise UsageError(
            f'unknown request field "{unknown[0]}"', "fields: " + ", ".join(sorted(REQUEST_FIELDS))
        )
    request = Request(
        principal=_string(obj, "principal"),
        action=_string(obj, "action", "sts:AssumeRole"),
        resource=_string(obj, "resource"),
        context=_context(obj.get("context")),
        principal_role_arn=obj.get("principal_role_arn") or None,
    )
    trust_raw = obj.get("trust_policy")
    boundary_raw = obj.get("permission_boundary", obj.get("permissions_boundary"))
    scps_raw = obj.get("scps")
    return evaluate(
        request,
        identity_policies=_policies(
            obj.get("identity_policies"), "identity_policies", "identity policy"
        ),
        trust_policy=_policy(trust_raw, "trust policy") if trust_raw is not None else None,
        permission_boundary=(
            _policy(boundary_raw, "permissions boundary") if boundary_raw is not None else None
        ),
        session_policies=_policies(
            obj.get("session_policies"), "session_policies", "session policy"
        ),
        scps=_policies(scps_raw, "scps", "SCP") if scps_raw is not None else None,
        rcps=_policies(obj.get("rcps"), "rcps", "RCP"),
    )


def evaluate_batch(payload: Any) -> list[dict[str, Any]] | dict[str, Any]:
    """A JSON array of requests gives an array of results in order (a request that
    cannot be evaluated gives {"error": ...} and the batch goes on); a single object
    gives a single result."""
    if isinstance(payload, list):
        return [_result(item) for item in payload]
    if isinstance(payload, dict):
        return _result(payload)
    raise UsageError(f"the requests must be a JSON array or object, got {type(payload).__name__}")


def _result(obj: Any) -> dict[str, Any]:
    try:
        return evaluate_request(obj).to_dict()
    except QsdoctorError as e:
        return {"error": e.message + (f" ({e.hint})" if e.hint else "")}


def batch_exit_code(results: Sequence[Mapping[str, Any]]) -> int:
    """2 when any request could not be evaluated, else 1 when any was denied, else 0."""
    if any("error" in r for r in results):
        return 2
    return 0 if all(r.get("decision") == "allowed" for r in results) else 1
