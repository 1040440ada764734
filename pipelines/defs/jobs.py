"""Whole-pipeline jobs and their daily schedules. Each job ends with `published_warehouse`, so it publishes only
when every step before it succeeded."""

import dagster as dg

from pipelines import settings

API_ASSETS = dg.AssetSelection.assets("arxiv_api_papers", "arxiv_api_papers_monthly", "arxiv_api_category_counts")
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
    cron_schedule=settings.snapshot_refresh_cron(),
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
