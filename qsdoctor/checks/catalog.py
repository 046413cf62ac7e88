"""Imports every check module so their declarations register, in catalog order."""

from qsdoctor.checks import (  # noqa: F401
    identity,
    intermediate,
    trail,
)
