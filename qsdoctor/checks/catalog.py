"""Imports every check module so their declarations register, in catalog order."""

from qsdoctor.checks import (  # noqa: F401
    destination,
    external_id_strength,
    hops,
    identity,
    intermediate,
    intermediate_permissions,
    intermediate_trust,
    trail,
)
