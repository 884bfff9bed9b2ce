"""Cells of the CSV files CareNet hands out (the roster, PKG-8; the network figures, BEY-4): a text a spreadsheet
would run as a formula (CSV injection) starts with one of :data:`FORMULA_START`."""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """A cell for a CSV export: a value a spreadsheet would run as a formula is prefixed with an apostrophe."""
    return f"'{value}" if value.startswith(FORMULA_START) else value
