"""The one rule by which a classifier's version is made: a hash of its code version (a constant bumped by hand when
the code changes meaning) and the content hashes of the inputs it actually uses. Stored with every classified row,
a new version reclassifies every row. Pure functions."""

from __future__ import annotations

import hashlib

import polars as pl

VERSION_CHARS = 12


def text_sha256(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


def frame_sha256(frame: pl.DataFrame) -> str:
    """Content hash of a frame whatever the order of its rows (a table read back from DuckDB has no fixed order)."""
    lines = frame.write_csv(include_header=False).splitlines()
    return text_sha256("\n".join([",".join(frame.columns), *sorted(lines)]))


def version_of(code_version: str, *input_hashes: str) -> str:
    return text_sha256(":".join([code_version, *input_hashes]))[:VERSION_CHARS]
