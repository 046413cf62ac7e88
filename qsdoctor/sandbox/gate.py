"""The STS gate: AssumeRole decided by a hand-written table of what AWS would answer.

moto's AssumeRole accepts any role, any caller and any External ID. A scenario
therefore states, as data, which requests AWS would allow and which exact error
it would return otherwise. The table is written by hand from AWS's documented
and observed behaviour (see the scenario that owns it); it is never computed
from the policies in the world, least of all by qsdoctor's own policy engine,
which is what the sandbox exists to test.

Rules are tried in order; the first whose matchers all hold decides. A request
no rule matches gets the bare AccessDenied STS returns for any trust problem.
"""

from __future__ import annotations

import enum
import fnmatch
from dataclasses import dataclass
from xml.sax.saxutils import escape

#: The bare message STS gives for trust, External ID, missing role and unknown account
#: alike (aws-facts.md §1).
BARE_DENIAL = "User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role}"
#: STS's answer when a role session asks for more than an hour (aws-facts.md §2).
CHAINING_LIMIT_MESSAGE = (
    "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
    "role chaining."
)
#: The denial when the target trust lacks sts:SetSourceIdentity (aws-facts.md §1).
SET_SOURCE_IDENTITY_DENIAL = (
    "User: {caller} is not authorized to perform: sts:SetSourceIdentity on resource: {role}"
)
#: The denial when the target trust lacks sts:TagSession (aws-facts.md §1).
TAG_SESSION_DENIAL = (
    "User: {caller} is not authorized to perform: sts:TagSession on resource: {role}"
)


class IdMatch(enum.StrEnum):
    """How a rule matches the External ID a request presents."""

    ANY = "any"
    """Whatever is presented, or nothing."""
    NONE = "none"
    """No External ID was sent."""
    EXACT = "exact"
    """Exactly the rule's value (case-sensitive, as StringEquals)."""
    OTHER = "other"
    """Some External ID other than the rule's value."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """What the gate answers: pass the request to moto, or an STS error."""

    allow: bool
    code: str = ""
    """STS error code, e.g. "AccessDenied" or "ValidationError"."""
    message: str = ""
    """Error text; `{caller}` and `{role}` are filled in from the request."""
    http_status: int = 403

    def render(self, *, caller: str, role: str) -> str:
        """The error message as STS would word it for this request."""
        return self.message.format(caller=caller, role=role)


ALLOW = Decision(allow=True)
DENY_BARE = Decision(allow=False, code="AccessDenied", message=BARE_DENIAL)
DENY_SET_SOURCE_IDENTITY = Decision(
    allow=False, code="AccessDenied", message=SET_SOURCE_IDENTITY_DENIAL
)
DENY_TAG_SESSION = Decision(allow=False, code="AccessDenied", message=TAG_SESSION_DENIAL)
CHAINING_LIMIT = Decision(
    allow=False, code="ValidationError", message=CHAINING_LIMIT_MESSAGE, http_status=400
)


def deny_with(message: str, code: str = "AccessDenied", http_status: int = 403) -> Decision:
    """A denial with a specific text (e.g. an enriched "because no ... allows" form)."""
    return Decision(allow=False, code=code, message=message, http_status=http_status)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One row of a gate table: matchers, then the decision.

    `caller` and `role` are shell-style patterns (`*` matches anything, including
    `/`) on the caller's ARN (an IAM user or an `assumed-role` session ARN) and on
    the requested role ARN.
    """

    caller: str
    role: str
    decision: Decision
    external_id: IdMatch = IdMatch.ANY
    value: str = ""
    """The External ID compared for EXACT and OTHER."""
    source_identity: bool | None = None
    """True: only when a source identity is set or carried; False: only when none."""
    session_tags: bool | None = None
    """True: only when session tags are passed or inherited; False: only when none."""
    duration_over: int | None = None
    """Only when DurationSeconds is sent and exceeds this many seconds."""
    note: str = ""
    """Why AWS decides so: shown in tests and `demo -v`, never used for matching."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AssumeRequest:
    """The parts of an AssumeRole request the gate looks at."""

    caller: str
    role: str
    external_id: str | None = None
    source_identity: bool = False
    session_tags: bool = False
    duration: int | None = None


def _id_matches(rule: Rule, presented: str | None) -> bool:
    match rule.external_id:
        case IdMatch.ANY:
            return True
        case IdMatch.NONE:
            return presented is None
        case IdMatch.EXACT:
            return presented == rule.value
        case IdMatch.OTHER:
            return presented is not None and presented != rule.value


def matches(rule: Rule, request: AssumeRequest) -> bool:
    """Whether every matcher of `rule` holds for `request`."""
    if not fnmatch.fnmatchcase(request.caller, rule.caller):
        return False
    if not fnmatch.fnmatchcase(request.role, rule.role):
        return False
    if not _id_matches(rule, request.external_id):
        return False
    if rule.source_identity is not None and rule.source_identity != request.source_identity:
        return False
    if rule.session_tags is not None and rule.session_tags != request.session_tags:
        return False
    return rule.duration_over is None or (
        request.duration is not None and request.duration > rule.duration_over
    )


def decide(table: tuple[Rule, ...], request: AssumeRequest) -> Decision:
    """The first matching rule's decision; the bare AccessDenied when none matches."""
    for rule in table:
        if matches(rule, request):
            return rule.decision
    return DENY_BARE


def sts_error_xml(code: str, message: str, request_id: str) -> bytes:
    """An STS (query protocol) error body, as botocore parses it into a ClientError."""
    return (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<Error><Type>Sender</Type><Code>{escape(code)}</Code>"
        f"<Message>{escape(message)}</Message></Error>"
        f"<RequestId>{escape(request_id)}</RequestId></ErrorResponse>"
    ).encode()
