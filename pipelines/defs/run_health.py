"""Runs whose worker process died (killed, out of memory) are marked failed, so the queue of one run moves on.

The instance runs one run at a time (pipelines/dagster.yaml). Dagster's default run launcher cannot tell that a run
worker died, so such a run would stay STARTED and every queued or scheduled run after it would wait forever. This
sensor looks at each STARTED run's worker (the process that logged its start, on this machine) and fails the run
when that process is gone. Its half-done work is already rolled back (each step writes in one transaction).
"""

from __future__ import annotations

import dagster as dg
import psutil
from dagster import DagsterEventType


def _worker_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    started = instance.all_logs(run_id, of_type=DagsterEventType.RUN_START)
    if not started or started[-1].dagster_event is None:
        return None
    return started[-1].dagster_event.pid


def _alive(pid: int, run_started: float | None) -> bool:
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        # A process started after the run is another one that got the same PID.
        return run_started is None or process.create_time() <= run_started + 1.0
    except psutil.NoSuchProcess:
        return False


def fail_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark STARTED runs whose worker process no longer exists as failed; returns their run ids."""
    failed = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
        run = record.dagster_run
        pid = _worker_pid(instance, run.run_id)
        if pid is None or _alive(pid, record.start_time):
            continue
        instance.report_run_failed(
            run,
            message=f"the run worker (PID {pid}) is gone (killed or out of memory); its steps' unfinished writes "
            "were rolled back and nothing was published",
        )
        failed.append(run.run_id)
    return failed


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Fails runs whose worker process died, so the run queue (one run at a time) does not wait forever.",
)
def dead_run_workers(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    failed = fail_dead_runs(context.instance)
    if failed:
        context.log.warning(f"marked {len(failed)} run(s) with a dead worker as failed: {', '.join(failed)}")
    return dg.SkipReason(f"{len(failed)} run(s) with a dead worker marked failed")
