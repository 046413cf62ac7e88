"""The JSON report: exactly `Report.to_dict()` (the design.md contract), one object.

Written with `json.dump`, never through rich, so nothing but the report reaches stdout.
The shipped `report.schema.json` describes it; tests validate real output against it.
"""

from __future__ import annotations

import dataclasses
import json
from importlib import resources
from typing import Any, TextIO

from qsdoctor.models import Report


class JsonRenderer:
    """One JSON object and a newline."""

    def render(self, report: Report, out: TextIO) -> None:
        # Serialise fully before writing: a half-written object would break `| jq`.
        text = json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=_plain)
        out.write(text + "\n")


def _plain(value: object) -> Any:
    """Evidence data that json cannot write as is (sets, dataclasses, dates) made plain."""
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


def report_schema() -> dict[str, Any]:
    """The JSON Schema of the report, as shipped in the package."""
    text = resources.files("qsdoctor.render").joinpath("report.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
