"""The ingest_runs bookkeeping every arXiv asset shares, and the progress the monthly API assets report."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime

import dagster as dg

from pipelines.ingest import RunRecord
from pipelines.lib.backfill import COUNTS, PAPERS, is_final
from pipelines.resources import WarehouseResource

COUNTS_KIND, PAPERS_KIND = COUNTS, PAPERS
# Called after each month an API asset pulled, in the process that runs it: (kind, month, what it did).
# `make refresh` (pipelines.refresh) listens to print its backfill progress; nothing else does.
PROGRESS_LISTENERS: list[Callable[[str, date, dict[str, object]], None]] = []


def notify_progress(kind: str, month: date, done: dict[str, object]) -> None:
    for listener in list(PROGRESS_LISTENERS):
        listener(kind, month, done)


def final_pulls(warehouse: WarehouseResource, asset: str, months: list[date]) -> dict[date, datetime]:
    """Of `months`, those with a successful pull that saw them complete (lib.backfill.is_final): its start."""
    if not months:
        return {}
    rows = warehouse.read(
        """SELECT partition_key, max(started_at) AS started_at FROM ingest_runs
        WHERE asset = ? AND outcome = 'success' AND list_contains(?, partition_key) GROUP BY ALL""",
        [asset, [m.isoformat() for m in months]],
    ).iter_rows()
    last = {date.fromisoformat(key): started for key, started in rows}
    return {month: started for month, started in last.items() if is_final(month, started)}


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
