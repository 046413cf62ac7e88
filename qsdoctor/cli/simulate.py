"""`qsdoctor simulate`: ask the policy engine whether a request would be allowed, and why."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from qsdoctor.cli.common import ConsoleOrJson, VerboseOpt, app, exit_on_error, use_color
from qsdoctor.errors import UsageError

if TYPE_CHECKING:
    from qsdoctor.policy import Policy


_MARKS = {
    "allowed": ("✓", "green"),
    "implicit_deny": ("✗", "red"),
    "explicit_deny": ("✗", "bold red"),
}


@app.command("simulate")
def simulate(
    *,
    principal: Annotated[
        str | None,
        typer.Option(help="ARN of the caller: user, role, assumed-role session or account root."),
    ] = None,
    action: Annotated[str, typer.Option(help="The API action.")] = "sts:AssumeRole",
    resource: Annotated[
        str | None, typer.Option(help="ARN of the resource (for sts:AssumeRole, the target role).")
    ] = None,
    principal_role_arn: Annotated[
        str | None,
        typer.Option(help="The role ARN (with path) behind an assumed-role --principal."),
    ] = None,
    trust_policy: Annotated[
        str | None, typer.Option(metavar="FILE", help="The target role's trust policy (JSON).")
    ] = None,
    identity_policy: Annotated[
        list[str] | None,
        typer.Option(metavar="FILE", help="A caller identity policy (JSON); repeatable."),
    ] = None,
    permissions_boundary: Annotated[
        str | None, typer.Option(metavar="FILE", help="The caller's permissions boundary (JSON).")
    ] = None,
    session_policy: Annotated[
        list[str] | None,
        typer.Option(metavar="FILE", help="A session policy of the caller's session; repeatable."),
    ] = None,
    scp: Annotated[
        list[str] | None,
        typer.Option(
            metavar="FILE",
            help="An SCP of the caller's account; repeatable. Without any, no SCP layer applies.",
        ),
    ] = None,
    rcp: Annotated[
        list[str] | None,
        typer.Option(metavar="FILE", help="An RCP of the resource's account; repeatable."),
    ] = None,
    context: Annotated[
        list[str] | None,
        typer.Option(
            metavar="KEY=VALUE",
            help="A request context value (e.g. sts:ExternalId=...); "
            "repeat a key for several values.",
        ),
    ] = None,
    requests: Annotated[
        str | None,
        typer.Option(
            metavar="FILE|-", help="A JSON array of requests (or one request); - reads stdin."
        ),
    ] = None,
    output: Annotated[
        ConsoleOrJson, typer.Option("--output", "-o", help="Result format.")
    ] = ConsoleOrJson.CONSOLE,
    verbose: VerboseOpt = 0,
) -> None:
    """Decide offline whether AWS would allow a request, layer by layer.

    Exit code 0 when allowed, 1 when denied (any request of a batch), 2 for bad input.
    """
    from qsdoctor.policy import batch_exit_code, evaluate_batch

    with exit_on_error(verbose):
        single_flags = any(
            v
            for v in (
                principal,
                resource,
                principal_role_arn,
                trust_policy,
                identity_policy,
                permissions_boundary,
                session_policy,
                scp,
                rcp,
                context,
            )
        )
        if requests is not None:
            if single_flags:
                raise UsageError(
                    "--requests cannot be combined with single-request options",
                    "put every field in the requests file",
                )
            payload = _load_json(requests)
            result = evaluate_batch(payload)
            results = result if isinstance(result, list) else [result]
        else:
            if not principal or not resource:
                raise UsageError(
                    "simulate needs --principal and --resource, or --requests",
                    "e.g. qsdoctor simulate --principal ARN --resource ROLE_ARN "
                    "--trust-policy trust.json",
                )
            evaluation = _single(
                principal=principal,
                action=action,
                resource=resource,
                principal_role_arn=principal_role_arn,
                trust=trust_policy,
                identity=identity_policy or [],
                boundary=permissions_boundary,
                session=session_policy or [],
                scps=scp,
                rcps=rcp or [],
                context=context or [],
            )
            result = evaluation.to_dict()
            results = [result]
    if output is ConsoleOrJson.JSON:
        typer.echo(json.dumps(result, indent=2))
    else:
        _render(results, batch=isinstance(result, list), verbose=verbose)
    raise typer.Exit(batch_exit_code(results))


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise UsageError(
            f"cannot read {path}: {e.strerror or e}", "check the file name and permissions"
        ) from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text", "save the policy as JSON") from None


def _load_json(path: str) -> Any:
    text = _read(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        where = "stdin" if path == "-" else path
        raise UsageError(
            f"{where} is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}",
            "the requests are a JSON array of objects",
        ) from None


def _policy_file(path: str, kind: str) -> Policy:
    from qsdoctor.policy import parse_policy

    return parse_policy(_read(path), name=f"{kind} {Path(path).name}")


def _single(
    *,
    principal: str,
    action: str,
    resource: str,
    principal_role_arn: str | None,
    trust: str | None,
    identity: list[str],
    boundary: str | None,
    session: list[str],
    scps: list[str] | None,
    rcps: list[str],
    context: list[str],
) -> Any:
    from qsdoctor.policy import Request, evaluate

    values: dict[str, list[str]] = {}
    for item in context:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(
                f"--context {item.split('=')[0]!r} is not KEY=VALUE",
                "e.g. --context aws:SourceIp=203.0.113.7",
            )
        values.setdefault(key.strip(), []).append(value)
    request = Request(
        principal=principal,
        action=action,
        resource=resource,
        context={k: v[0] if len(v) == 1 else tuple(v) for k, v in values.items()},
        principal_role_arn=principal_role_arn,
    )
    return evaluate(
        request,
        identity_policies=[_policy_file(p, "identity policy") for p in identity],
        trust_policy=_policy_file(trust, "trust policy") if trust else None,
        permission_boundary=_policy_file(boundary, "permissions boundary") if boundary else None,
        session_policies=[_policy_file(p, "session policy") for p in session],
        scps=[_policy_file(p, "SCP") for p in scps] if scps else None,
        rcps=[_policy_file(p, "RCP") for p in rcps],
    )


def _render(results: list[dict[str, Any]], *, batch: bool, verbose: int) -> None:
    """Explain each decision: the verdict, each layer's say, the deciding statements."""
    out = Console(highlight=False, no_color=not use_color(), soft_wrap=True)
    for number, result in enumerate(results, 1):
        prefix = f"request #{number}: " if batch else ""
        if "error" in result:
            out.print(f"[red]? {escape(prefix)}cannot evaluate:[/red] {escape(result['error'])}")
            continue
        decision = result["decision"]
        mark, style = _MARKS.get(decision, ("?", "yellow"))
        out.print(f"[{style}]{mark} {escape(prefix)}{escape(decision)}[/{style}]")
        for layer in result["layers"]:
            lmark, lstyle = _MARKS.get(layer["decision"], ("?", "yellow"))
            out.print(
                f"  [{lstyle}]{lmark}[/{lstyle}] {escape(layer['layer'])}: {escape(layer['note'])}"
            )
        notes = {layer["note"] for layer in result["layers"]}
        if decision != "allowed":
            for reason in result["reasons"]:
                if reason not in notes:  # the layer lines already said it
                    out.print(f"  → {escape(reason)}")
        for stmt in result.get("deciding", []):
            out.print(f"  deciding: {escape(stmt['label'])}")
            if verbose:
                body = json.dumps(stmt["statement"], indent=2)
            else:
                body = json.dumps(stmt["statement"], separators=(", ", ": "))
            out.print("    " + escape(body).replace("\n", "\n    "))
