"""`make refresh`: materialise every asset into the working warehouse, then publish it. No servers.

With the API as source it first backfills what the warehouse lacks, one partition run at a time, oldest first:
category_month_counts from ARXIV_COUNTS_START, then the papers of every month from ARXIV_HISTORY_START. Months with a
final successful pull in ingest_runs are skipped (the current and the previous month are always pulled again), so
an interrupted backfill resumes where it stopped. It prints its estimate before it starts and a progress line per
partition (pipelines.lib.backfill).

Exit status 0 only when every step and blocking check passed; otherwise the published warehouse is untouched.
While another refresh or Dagster run writes the warehouse, this one waits its turn (or, with --wait-seconds 0,
exits at once with status 75, saying who holds the warehouse).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, datetime
from pathlib import Path

import dagster as dg

from pipelines import settings
from pipelines.arxiv_limits import effective_delay
from pipelines.dagster_home import install_dagster_home
from pipelines.definitions import defs as load_defs
from pipelines.defs.arxiv.api_assets import MONTHS_PER_RUN
from pipelines.defs.arxiv.run_records import PROGRESS_LISTENERS
from pipelines.inputs import query_config
from pipelines.lib.arxiv_api import MAX_PAGE_SIZE
from pipelines.lib.backfill import (
    COUNTS,
    PAPERS,
    CostModel,
    Done,
    Step,
    add_months,
    duration,
    estimate_line,
    month_starts,
    months_to_pull,
    progress_line,
)
from pipelines.source_choice import choose_source
from pipelines.warehouse import connect, prepare_work_file, table_exists
from pipelines.writer_lock import WarehouseBusy, writer_lock

EXIT_BUSY = 75  # EX_TEMPFAIL: try again later
# Per kind of backfill step: the partitioned job that runs it and its asset (the ingest_runs asset name).
STEP_JOBS = {
    COUNTS: ("arxiv_api_category_counts_job", "arxiv_api_category_counts"),
    PAPERS: ("arxiv_api_papers_monthly_job", "arxiv_api_papers_monthly"),
}


def _run(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    job_name: str,
    log_level: str,
    partition_key: str | None = None,
    tags: dict[str, str] | None = None,
) -> dg.ExecuteInProcessResult:
    job = defs.resolve_job_def(job_name)
    result = job.execute_in_process(
        instance=instance,
        partition_key=partition_key,
        tags=tags,
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        raise_on_error=False,
    )
    for line in _failed_checks(result):
        print(f"refresh: {line}", file=sys.stderr, flush=True)
    if not result.success:
        failed = [e.step_key for e in result.all_events if e.is_step_failure]
        what = partition_key or " to ".join((tags or {}).values())
        raise SystemExit(f"refresh: {job_name} {what} failed in {failed}; warehouse not published")
    return result


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


def _pulled(work: Path) -> tuple[dict[str, dict[date, datetime]], dict[date, int]]:
    """From the working warehouse: per API asset, the latest successful pull of each month; ALL_AI per month."""
    last: dict[str, dict[date, datetime]] = {asset: {} for _, asset in STEP_JOBS.values()}
    all_ai: dict[date, int] = {}
    if not work.exists():
        return last, all_ai
    try:
        con = connect(work, read_only=True, memory_limit="1GB")
    except Exception as exc:  # a damaged file is repaired by the first run; then everything is pulled
        print(f"backfill: cannot read {_shown(work)} ({type(exc).__name__}); pulling every month", flush=True)
        return last, all_ai
    try:
        if table_exists(con, "ingest_runs"):
            rows = con.execute(
                """SELECT asset, partition_key, max(started_at) FROM ingest_runs
                WHERE outcome = 'success' AND list_contains(?, asset) AND partition_key IS NOT NULL GROUP BY ALL""",
                [list(last)],
            ).fetchall()
            for asset, key, started in rows:
                last[asset][date.fromisoformat(key)] = started
        if table_exists(con, "category_month_counts"):
            rows = con.execute(
                "SELECT month, n_papers FROM category_month_counts WHERE category = 'ALL_AI' AND source = 'arxiv_api'"
            ).fetchall()
            all_ai = {month: n for month, n in rows}
    finally:
        con.close()
    return last, all_ai


def _ranges(steps: list[Step], size: int) -> list[list[Step]]:
    """Consecutive months of one kind, at most `size` per run."""
    runs: list[list[Step]] = []
    for step in steps:
        last = runs[-1][-1] if runs else None
        if last and last.kind == step.kind and add_months(last.month, 1) == step.month and len(runs[-1]) < size:
            runs[-1].append(step)
        else:
            runs.append([step])
    return runs


def plan_backfill(today: date, latency_seconds: float) -> tuple[list[Step], CostModel, int]:
    """(the partitions to pull, oldest first, counts before papers; the cost model; months skipped as final)."""
    queries = query_config()
    last, all_ai = _pulled(settings.work_warehouse_path())
    counts_months = month_starts(date.fromisoformat(settings.arxiv_counts_start()), today)
    papers_months = month_starts(date.fromisoformat(settings.arxiv_history_start()), today)
    steps = [Step(COUNTS, m) for m in months_to_pull(counts_months, last[STEP_JOBS[COUNTS][1]])]
    steps += [Step(PAPERS, m) for m in months_to_pull(papers_months, last[STEP_JOBS[PAPERS][1]])]
    model = CostModel(
        n_queries=len(queries.queries),
        n_ai_categories=len(dict.fromkeys(queries.ai_categories)),
        page_size=MAX_PAGE_SIZE,
        delay_seconds=effective_delay(settings.arxiv_api_url(), settings.arxiv_api_delay_seconds()),
        latency_seconds=latency_seconds,
        all_ai=all_ai,
    )
    return steps, model, len(counts_months) + len(papers_months) - len(steps)


def _pull_api(defs: dg.Definitions, instance: dg.DagsterInstance, log_level: str, latency_seconds: float) -> None:
    steps, model, skipped = plan_backfill(date.today(), latency_seconds)
    print(f"backfill: {skipped} months already pulled for good are skipped", flush=True)
    print(f"backfill: estimate: {estimate_line(model, steps)}", flush=True)
    started = time.monotonic()
    remaining = list(steps)
    clock = [started]

    def on_month(kind: str, month: date, done: dict[str, object]) -> None:
        now = time.monotonic()
        step = Step(kind, month)
        if step in remaining:
            remaining.remove(step)
        if kind == COUNTS:
            model.all_ai[month] = int(done["ALL_AI"])
        model.done.append(
            Done(
                step=step,
                requests=int(done["n_requests"]),
                records=int(done.get("n_papers", done.get("n_totals", 0))),
                n_read=int(done.get("n_read", 0)),
                asset_seconds=float(done["seconds"]),
                wall_seconds=now - clock[0],
            )
        )
        clock[0] = now
        print(f"backfill: {progress_line(model, len(steps), remaining, now - started)}", flush=True)
        if kind == COUNTS and remaining and all(s.kind == PAPERS for s in remaining):
            print(f"backfill: estimate from the AI totals: {estimate_line(model, remaining)}", flush=True)

    PROGRESS_LISTENERS.append(on_month)
    try:
        for run in _ranges(steps, MONTHS_PER_RUN):
            job = STEP_JOBS[run[0].kind][0]
            clock[0] = time.monotonic()
            _run(defs, instance, job, log_level, tags=_range_tags(run[0].partition_key, run[-1].partition_key))
    finally:
        PROGRESS_LISTENERS.remove(on_month)
    if steps:
        print(f"backfill: done, {len(steps)} partitions in {duration(time.monotonic() - started)}", flush=True)


def _range_tags(first: str, last: str) -> dict[str, str]:
    """A run over a range of partitions, as a Dagster backfill launches it."""
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


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
            # The working file is one publish behind after a publish: bring it up to date before the backfill
            # plan reads what was pulled from it.
            prepare_work_file(settings.work_warehouse_path(), settings.warehouse_path(), log=print)
            choice = choose_source()
            print(f"refresh: source = {choice.source}: {choice.reason}", flush=True)
            defs = load_defs()
            with dg.DagsterInstance.get() as instance:
                if choice.source == "api":
                    _pull_api(defs, instance, log_level, choice.latency_seconds)
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
