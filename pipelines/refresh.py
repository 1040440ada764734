"""`make refresh`: materialise every asset into the working warehouse, then publish it. No servers.

Exit status 0 only when every step and blocking check passed; otherwise the published warehouse is untouched.
"""

from __future__ import annotations

import sys
import time
from datetime import date, timedelta

import dagster as dg

from pipelines import settings
from pipelines.definitions import defs as load_defs
from pipelines.resources import WarehouseResource
from pipelines.source_choice import choose_source

API_LOOKBACK_DAYS = 4


def _run(defs: dg.Definitions, instance: dg.DagsterInstance, job_name: str, partition_key: str | None = None) -> None:
    job = defs.resolve_job_def(job_name)
    result = job.execute_in_process(instance=instance, partition_key=partition_key, raise_on_error=False)
    if not result.success:
        failed = [e.step_key for e in result.all_events if e.is_step_failure]
        raise SystemExit(f"refresh: {job_name} {partition_key or ''} failed in {failed}; warehouse not published")


def _pull_api(defs: dg.Definitions, instance: dg.DagsterInstance) -> None:
    today = date.today()
    for offset in range(API_LOOKBACK_DAYS, 0, -1):
        _run(defs, instance, "arxiv_api_papers_job", (today - timedelta(days=offset)).isoformat())
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    for month in (last_month, this_month):
        _run(defs, instance, "arxiv_api_category_counts_job", month.isoformat())


def main() -> int:
    started = time.monotonic()
    choice = choose_source()
    print(f"refresh: source = {choice.source}: {choice.reason}", flush=True)
    defs = load_defs()
    with dg.DagsterInstance.get() as instance:
        if choice.source == "api":
            _pull_api(defs, instance)
            _run(defs, instance, "downstream_refresh_job")
        else:
            _run(defs, instance, "snapshot_refresh_job")
    warehouse = WarehouseResource.from_settings()
    published = warehouse.publish()
    print(f"refresh: published {published} in {time.monotonic() - started:,.0f} s", flush=True)
    with warehouse.transaction() as con:
        tables = con.execute(
            "SELECT table_name, estimated_size FROM duckdb_tables() WHERE NOT temporary ORDER BY table_name"
        ).fetchall()
    for name, rows in tables:
        print(f"  {name:<34} ~{rows:>12,} rows")
    print(f"query it: duckdb -readonly {settings.warehouse_path()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
