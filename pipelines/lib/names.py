"""Author-name normalisation shared by ingestion, origin matching and author counts.

Authors are identified by this normalised name: lower case, accents stripped, punctuation removed, single spaces.
Two different people with the same name merge, and one person written two ways splits (see docs/metrics.md).
"""

from __future__ import annotations

import unicodedata

import polars as pl


def normalize_name(name: str) -> str:
    """The scalar version, for seeds and tests; must agree with normalize_name_expr and NORMALIZE_NAME_SQL."""
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    cleaned = "".join(c if c.isalnum() else " " for c in ascii_only)
    return " ".join(cleaned.split())


def normalize_name_expr(col: pl.Expr) -> pl.Expr:
    """Vectorised normalize_name. Polars has no accent stripping, so NFKD-decompose and drop combining marks."""
    return (
        col.str.normalize("NFKD")
        .str.replace_all(r"\p{Mn}", "")
        .str.to_lowercase()
        .str.replace_all(r"[^\p{L}\p{N}]+", " ")
        .str.strip_chars()
    )


def normalize_name_sql(column: str) -> str:
    """The same rule as a DuckDB SQL expression over `column`."""
    return f"trim(regexp_replace(lower(strip_accents({column})), '[^\\pL\\pN]+', ' ', 'g'))"
