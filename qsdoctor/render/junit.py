"""JUnit XML, so CI systems show each check as a test case.

One testcase per finding: classname is the group (link of the chain), name is
"ID subject". fail becomes <failure>, error <error>, skip <skipped>; a warning
passes with its detail in <system-out>, or fails under --strict, matching the
exit code.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TextIO

from qsdoctor.models import Finding, Report, Status
from qsdoctor.render.base import explain_hint, group_of

#: Characters XML 1.0 cannot carry at all (ElementTree would write them unescaped).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(text: str) -> str:
    return _XML_INVALID.sub("\ufffd", text)


class JunitRenderer:
    """JUnit XML as Jenkins, GitLab and GitHub test reporters read it."""

    def __init__(self, *, strict: bool = False) -> None:
        self.strict = strict

    def _failed(self, f: Finding) -> bool:
        return f.status is Status.FAIL or (self.strict and f.status is Status.WARN)

    def render(self, report: Report, out: TextIO) -> None:
        findings = report.findings
        counts = {
            "tests": str(len(findings)),
            "failures": str(sum(self._failed(f) for f in findings)),
            "errors": str(sum(f.status is Status.ERROR for f in findings)),
            "skipped": str(sum(f.status is Status.SKIP for f in findings)),
        }
        suites = ET.Element("testsuites", {"name": "qsdoctor", **counts, "time": "0"})
        suite = ET.SubElement(
            suites,
            "testsuite",
            {
                "name": _x(f"qsdoctor check {report.intermediate_role_arn}"),
                **counts,
                "time": "0",
                "timestamp": report.generated_at,
            },
        )
        props = ET.SubElement(suite, "properties")
        for name, value in (
            ("qsdoctor.version", report.tool_version),
            ("exit_code", str(report.exit_code)),
            ("status", str(report.status)),
        ):
            ET.SubElement(props, "property", {"name": name, "value": value})
        for f in findings:
            suite.append(self._testcase(f))
        ET.indent(suites)
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write(ET.tostring(suites, encoding="unicode"))
        out.write("\n")

    def _testcase(self, f: Finding) -> ET.Element:
        name = f"{f.id} {f.subject}".strip()
        case = ET.Element("testcase", {"classname": _x(group_of(f)), "name": _x(name), "time": "0"})
        body = f.detail
        if f.remediation:
            body += f"\nfix: {f.remediation} ({explain_hint(f)})"
        body += "".join(f"\n{e.kind}: {e.summary}" for e in f.evidence)
        attrs = {"message": _x(f"{f.title}: {f.detail}"), "type": str(f.status)}
        if self._failed(f):
            ET.SubElement(case, "failure", attrs).text = _x(body)
        elif f.status is Status.ERROR:
            ET.SubElement(case, "error", attrs).text = _x(body)
        elif f.status is Status.SKIP:
            ET.SubElement(case, "skipped", {"message": _x(f.detail)})
        elif f.status is Status.WARN:
            ET.SubElement(case, "system-out").text = _x(f"warning: {f.title}\n{body}")
        return case
