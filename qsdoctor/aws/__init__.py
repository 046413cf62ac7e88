"""The AWS access layer: the only code that talks to AWS (sessions, allowlist, gateway)."""
