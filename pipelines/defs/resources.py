"""Resources bound for every asset: the warehouse and the arXiv sources, configured from settings."""

import dagster as dg

from pipelines.resources import SnapshotResource, WarehouseResource


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "warehouse": WarehouseResource.from_settings(),
            "snapshot": SnapshotResource.from_settings(),
        }
    )
