"""`qsdoctor demo` (under construction)."""

from __future__ import annotations
