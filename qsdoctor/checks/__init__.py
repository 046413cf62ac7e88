"""Checks: pure functions from Facts to findings, one module per link of the chain."""
