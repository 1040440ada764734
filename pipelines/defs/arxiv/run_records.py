"""The ingest_runs bookkeeping every arXiv asset shares."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from pipelines.ingest import RunRecord
from pipelines.resources import WarehouseResource


@contextmanager
def record_failure(context: dg.AssetExecutionContext, warehouse: WarehouseResource, run: RunRecord) -> Iterator[None]:
    """A failed run still leaves its ingest_runs row (in its own transaction; the work is rolled back)."""
    try:
        yield
    except Exception as exc:
        try:
            with warehouse.transaction() as con:
                run.write(con, "failed", f"{type(exc).__name__}: {exc}"[:4000])
        except Exception as log_exc:  # the original error matters more than the bookkeeping
            context.log.warning(f"could not record the failed run in ingest_runs: {log_exc}")
        raise
