"""`qsdoctor explain` (under construction)."""

from __future__ import annotations
