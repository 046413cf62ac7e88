"""The sandbox server: moto's WSGI app behind the middleware, on 127.0.0.1, in a thread.

One server can host one scenario at a time: `load()` resets moto, builds the
scenario's world, swaps the middleware's gate table and trail, and writes the
AWS profiles; it returns the environment a user's shell would have.
"""

from __future__ import annotations

import os
import threading
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from qsdoctor.sandbox import trail, world
from qsdoctor.sandbox.middleware import Principal, SandboxMiddleware
from qsdoctor.sandbox.scenarios import Scenario

#: Variables that would point a child process at something other than the sandbox.
_SCRUBBED = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "QSDOCTOR_EXTERNAL_ID",
    "QSDOCTOR_DESTINATION_EXTERNAL_ID",
    "AWS_CA_BUNDLE",
)


class MissingDemoExtra(ImportError):
    """moto or werkzeug is not installed."""


INSTALL_HINT = "the sandbox needs moto and werkzeug: pip install 'qsdoctor[demo]'"


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadedScenario:
    """A scenario running on the server: where its profiles are and how to run `check`."""

    scenario: Scenario
    endpoint: str
    config_file: Path
    credentials_file: Path
    identities: tuple[world.Identity, ...]

    def environ(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """The environment of a user's shell set up for this scenario."""
        env = dict(os.environ if base is None else base)
        for name in _SCRUBBED:
            env.pop(name, None)
        env.update(
            AWS_CONFIG_FILE=str(self.config_file),
            AWS_SHARED_CREDENTIALS_FILE=str(self.credentials_file),
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_EC2_METADATA_DISABLED="true",
            AWS_REGION=world.REGION,
            AWS_DEFAULT_REGION=world.REGION,
        )
        no_proxy = [p for p in env.get("NO_PROXY", "").split(",") if p]
        env["NO_PROXY"] = ",".join([*no_proxy, "127.0.0.1", "localhost"])
        env.update(self.scenario.environment())
        return env


class SandboxServer:
    """moto + middleware served by werkzeug on a free loopback port."""

    def __init__(self, *, latency: float = 0.0) -> None:
        try:
            from moto.moto_server.werkzeug_app import (
                DomainDispatcherApplication,
                MotoRequestHandler,
                create_backend_app,
            )
            from werkzeug.serving import make_server
        except ImportError as e:  # pragma: no cover - exercised without the extra
            raise MissingDemoExtra(INSTALL_HINT) from e

        class QuietHandler(MotoRequestHandler):
            """No access log on stderr: the demo's stderr is for the user."""

            def log_request(self, *args: Any, **kwargs: Any) -> None:
                return None

        self.middleware = SandboxMiddleware(
            DomainDispatcherApplication(create_backend_app), latency=latency
        )
        self._server = make_server(
            "127.0.0.1", 0, self.middleware, threaded=True, request_handler=QuietHandler
        )
        self.endpoint = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="qsdoctor-sandbox", daemon=True
        )

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def reset(self) -> None:
        """Forget every account's state (moto's reset API)."""
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=10) as response:
            response.read()

    def load(self, scenario: Scenario, directory: Path) -> LoadedScenario:
        """Reset, build the scenario's world and trail, write its profiles under `directory`."""
        self.reset()
        identities = world.build(self.endpoint, scenario.world)
        config, credentials = world.write_profiles(directory, self.endpoint, identities)
        events = trail.render(scenario.trail, scenario.trail_values(), datetime.now(UTC))
        self.middleware.load(
            gate=scenario.gate,
            events=events,
            principals={
                i.access_key_id: Principal(arn=i.arn, account=i.account) for i in identities
            },
        )
        return LoadedScenario(
            scenario=scenario,
            endpoint=self.endpoint,
            config_file=config,
            credentials_file=credentials,
            identities=identities,
        )
