"""The paper cells (papers counted per month, AI flag, safety flags, topic and origin) that the marts and the
workforce step aggregate from, computed once per run instead of once per step."""

from __future__ import annotations

import duckdb
import polars as pl

from pipelines.inputs import ai_categories
from pipelines.lib import metrics
from pipelines.resources import WarehouseResource
from pipelines.warehouse import input_fingerprint

# The tables the cells are aggregated from, with the column each writer sets when it writes a row.
CELL_INPUTS = {"papers": "ingested_at", "paper_classification": "classified_at"}


def paper_cells(con: duckdb.DuckDBPyConnection, warehouse: WarehouseResource) -> pl.DataFrame:
    """metrics.paper_cells, aggregated once per run for all the steps that read it while its inputs are unchanged
    (the steps of one run in one process; each process of a multi-process run aggregates its own)."""
    categories = ai_categories()
    key = ("paper_cells", tuple(categories), input_fingerprint(con, CELL_INPUTS))
    return warehouse.memo(key, lambda: metrics.paper_cells(con, categories))
