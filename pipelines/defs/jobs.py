"""Whole-pipeline jobs, their daily schedules, and publishing the warehouse after every successful run."""

import dagster as dg

from pipelines import settings
from pipelines.resources import WarehouseResource

API_ASSETS = dg.AssetSelection.assets("arxiv_api_papers", "arxiv_api_category_counts")
SNAPSHOT_ASSETS = dg.AssetSelection.assets("arxiv_snapshot_papers", "arxiv_snapshot_category_counts")

# Everything the snapshot feeds: load, classify, workforce, marts.
snapshot_refresh_job = dg.define_asset_job(
    "snapshot_refresh_job",
    selection=dg.AssetSelection.all() - API_ASSETS,
    description="Load new snapshot files, then rebuild classification, workforce and marts; publish on success.",
)

# Everything downstream of ingestion, for days pulled by the API jobs.
downstream_refresh_job = dg.define_asset_job(
    "downstream_refresh_job",
    selection=dg.AssetSelection.all() - API_ASSETS - SNAPSHOT_ASSETS,
    description="Classify new papers and rebuild workforce and marts from what is stored; publish on success.",
)


@dg.schedule(
    job=snapshot_refresh_job,
    cron_schedule="0 7 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def daily_snapshot_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    if settings.arxiv_source_mode() == "api":
        return dg.SkipReason("ARXIV_SOURCE=api: the API schedules pull new days instead")
    return dg.RunRequest(run_key=f"snapshot@{context.scheduled_execution_time:%Y-%m-%d}")


@dg.schedule(
    job=downstream_refresh_job,
    cron_schedule="0 8 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def daily_downstream_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    if settings.arxiv_source_mode() == "snapshot":
        return dg.SkipReason("ARXIV_SOURCE=snapshot: daily_snapshot_refresh rebuilds everything")
    return dg.RunRequest(run_key=f"downstream@{context.scheduled_execution_time:%Y-%m-%d}")


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[snapshot_refresh_job, downstream_refresh_job],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Copies the working warehouse over the published one after a successful run.",
)
def publish_warehouse_on_success(context: dg.RunStatusSensorContext, warehouse: WarehouseResource) -> None:
    path = warehouse.publish()
    context.log.info(f"published {path}")
