"""The error types qsdoctor raises; only the CLI's `exit_on_error` catches them."""

from __future__ import annotations


class QsdoctorError(Exception):
    """A problem the user can fix: a message, a hint and the exit code to end with."""

    exit_code: int = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(QsdoctorError):
    """Bad input (malformed ARN, unreadable file, invalid External ID): exit code 2."""

    exit_code = 2


class PolicyError(UsageError):
    """A policy document that cannot be parsed; names the statement and the field."""


class ForbiddenOperation(QsdoctorError):
    """An AWS operation outside the read-only allowlist was about to be sent."""

    exit_code = 3
