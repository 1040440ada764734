"""`make refresh`: materialise every asset into the working warehouse, then publish it. No servers.

Exit status 0 only when every step and blocking check passed; otherwise the published warehouse is untouched.
While another refresh or Dagster run writes the warehouse, this one waits its turn (or, with --wait-seconds 0,
exits at once with status 75, saying who holds the warehouse).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from pipelines import settings
from pipelines.dagster_home import install_dagster_home
from pipelines.definitions import defs as load_defs
from pipelines.source_choice import choose_source
from pipelines.warehouse import connect
from pipelines.writer_lock import WarehouseBusy, writer_lock

API_LOOKBACK_DAYS = 4
EXIT_BUSY = 75  # EX_TEMPFAIL: try again later


def _run(
    defs: dg.Definitions, instance: dg.DagsterInstance, job_name: str, log_level: str, partition_key: str | None = None
) -> None:
    job = defs.resolve_job_def(job_name)
    result = job.execute_in_process(
        instance=instance,
        partition_key=partition_key,
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        raise_on_error=False,
    )
    for line in _failed_checks(result):
        print(f"refresh: {line}", file=sys.stderr, flush=True)
    if not result.success:
        failed = [e.step_key for e in result.all_events if e.is_step_failure]
        raise SystemExit(f"refresh: {job_name} {partition_key or ''} failed in {failed}; warehouse not published")


def _failed_checks(result: dg.ExecuteInProcessResult) -> list[str]:
    """One line per asset check that did not pass, with its severity and what it found."""
    lines = []
    for event in result.all_events:
        if event.event_type_value != "ASSET_CHECK_EVALUATION":
            continue
        check = event.asset_check_evaluation_data
        if not check.passed:
            found = f": {check.description}" if check.description else ""
            asset = check.asset_key.to_user_string()
            lines.append(f"check {check.check_name} on {asset} failed ({check.severity.value}){found}")
    return lines


def _pull_api(defs: dg.Definitions, instance: dg.DagsterInstance, log_level: str) -> None:
    today = date.today()
    for offset in range(API_LOOKBACK_DAYS, 0, -1):
        _run(defs, instance, "arxiv_api_papers_job", log_level, (today - timedelta(days=offset)).isoformat())
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    for month in (last_month, this_month):
        _run(defs, instance, "arxiv_api_category_counts_job", log_level, month.isoformat())


def _shown(path: Path) -> str:
    """The path as the user would type it from the project folder."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _report(published: Path) -> None:
    con = connect(published, read_only=True, memory_limit="1GB")
    try:
        tables = con.execute(
            "SELECT table_name, estimated_size FROM duckdb_tables() WHERE NOT temporary ORDER BY table_name"
        ).fetchall()
    finally:
        con.close()
    for name, rows in tables:
        print(f"  {name:<34} ~{rows:>12,} rows")
    cli = Path(sys.executable).parent / "duckdb"
    print(f"query it: {_shown(cli)} -readonly {_shown(published)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--wait-seconds",
        type=float,
        default=3600.0,
        help="how long to wait while another refresh writes the warehouse (0: exit at once)",
    )
    parser.add_argument("--verbose", action="store_true", help="Dagster's DEBUG events too (every step's start/end)")
    args = parser.parse_args(argv)
    log_level = "DEBUG" if args.verbose else "INFO"
    started = time.monotonic()
    install_dagster_home()
    try:
        with writer_lock(
            settings.work_warehouse_path(),
            "make refresh",
            wait_seconds=args.wait_seconds,
            on_wait=lambda message: print(f"refresh: {message}", file=sys.stderr, flush=True),
        ):
            choice = choose_source()
            print(f"refresh: source = {choice.source}: {choice.reason}", flush=True)
            defs = load_defs()
            with dg.DagsterInstance.get() as instance:
                if choice.source == "api":
                    _pull_api(defs, instance, log_level)
                    _run(defs, instance, "downstream_refresh_job", log_level)
                else:
                    _run(defs, instance, "snapshot_refresh_job", log_level)
    except WarehouseBusy as exc:
        print(f"refresh: {exc}; not started (try again when it ends)", file=sys.stderr)
        return EXIT_BUSY
    published = settings.warehouse_path()
    print(f"refresh: published {_shown(published)} in {time.monotonic() - started:,.0f} s", flush=True)
    _report(published)
    return 0


if __name__ == "__main__":
    sys.exit(main())
