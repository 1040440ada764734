"""Reads the conference author records with affiliations (settings.affiliations_path()), checked line by line."""

from pathlib import Path

import polars as pl

from pipelines.lib.people import RECORD_COLUMNS


class AffiliationsError(ValueError):
    """The affiliations file cannot be used as it is (missing columns, a year that is not a year)."""


def read_records(path: Path) -> pl.DataFrame:
    """The records file, every column text; a clear error naming the file and the first bad line."""
    records = pl.read_csv(path, infer_schema_length=0)
    missing = [c for c in RECORD_COLUMNS if c not in records.columns]
    if missing:
        raise AffiliationsError(f"{path}: missing columns {missing} (expected {list(RECORD_COLUMNS)})")
    bad = records.with_row_index("line", offset=2).filter(
        pl.col("year").cast(pl.Int32, strict=False).is_null() | pl.col("name").is_null()
    )
    if bad.height:
        first = bad.row(0, named=True)
        raise AffiliationsError(
            f"{path}: line {first['line']}: year {first['year']!r} and name {first['name']!r} must be a year and a "
            f"name ({bad.height:,} such lines)"
        )
    return records
