"""Imports every check module so their declarations register, in catalog order."""

from qsdoctor.checks import identity  # noqa: F401
