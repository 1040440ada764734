"""Reads the author records with affiliations: conference papers (settings.affiliations_path()), checked line by
line, and the authors of Epoch AI's notable model reports (settings.epoch_models_path()); pipelines.inputs names
the files."""

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


EPOCH_CATEGORY_CLASS = {
    "Industry": "industry",
    "Academia": "academic",
    "Government": "government",
    "Research collective": "nonprofit",
}


def read_epoch_models(path: Path) -> pl.DataFrame:
    """Author records from Epoch's notable models: one per author of a model from a single organisation, in the
    columns of the conference records plus class_hint (the organisation's Epoch category as an origin class)."""
    models = pl.read_csv(path, infer_schema_length=0)
    missing = [
        c
        for c in ("Organization", "Organization categorization", "Publication date", "Authors")
        if c not in models.columns
    ]
    if missing:
        raise AffiliationsError(f"{path}: missing columns {missing}")
    single = models.filter(
        pl.col("Organization").is_not_null(),
        ~pl.col("Organization").str.contains(","),
        pl.col("Authors").is_not_null(),
        pl.col("Publication date").str.slice(0, 4).cast(pl.Int32, strict=False).is_not_null(),
    )
    return (
        single.select(
            pl.lit("epoch").alias("source"),
            pl.col("Publication date").str.slice(0, 4).alias("year"),
            pl.col("Authors").str.split(",").alias("name"),
            pl.lit(None, dtype=pl.String).alias("openreview_id"),
            pl.col("Organization").str.strip_chars().alias("affiliation"),
            pl.lit(None, dtype=pl.String).alias("affiliation_domain"),
            pl.lit(None, dtype=pl.String).alias("position"),
            pl.col("Organization categorization")
            .replace_strict(EPOCH_CATEGORY_CLASS, default=None, return_dtype=pl.String)
            .alias("class_hint"),
        )
        .explode("name")
        .with_columns(pl.col("name").str.strip_chars())
        .filter(pl.col("name") != "")
    )


def read_all_records(affiliations: Path, epoch_models: Path) -> pl.DataFrame:
    """Conference records and Epoch model-report authors, whichever files exist (empty when neither does)."""
    parts = []
    if affiliations.is_file():
        parts.append(
            read_records(affiliations).select(*RECORD_COLUMNS).with_columns(class_hint=pl.lit(None, pl.String))
        )
    if epoch_models.is_file():
        parts.append(read_epoch_models(epoch_models))
    if not parts:
        return pl.DataFrame(schema={**dict.fromkeys(RECORD_COLUMNS, pl.String), "class_hint": pl.String})
    return pl.concat(parts, how="vertical_relaxed")
