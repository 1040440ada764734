"""The Dagster code location: every definition under pipelines/defs/, one folder per domain.

Every job runs its steps one after another in the run's own process (the in-process executor): they all write one
DuckDB file, which admits one writing process at a time. The instance's run queue (pipelines/dagster.yaml) lets one
run execute at a time, and the warehouse's writer lock makes `make refresh` take its turn too.
"""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent / "defs"),
        dg.Definitions(executor=dg.in_process_executor),
    )
