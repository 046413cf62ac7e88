"""Imports every check module so their declarations register, in catalog order."""

from qsdoctor.checks import (  # noqa: F401
    external_id_strength,
    identity,
    intermediate,
    intermediate_permissions,
    intermediate_trust,
    trail,
)
