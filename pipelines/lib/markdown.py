"""Markdown tables for the written reports (docs/evaluation.md)."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl


def cell_text(value: object, missing: str = "-") -> str:
    """A table cell: floats to three decimals, `missing` for nulls, anything else as str() writes it."""
    if value is None:
        return missing
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def md_table(frame: pl.DataFrame, cell: Callable[[object], str] = cell_text) -> str:
    """A frame as a markdown table, its column names as the header and each value written by `cell`."""
    head = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join([head, rule, *rows])
