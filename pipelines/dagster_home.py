"""Dagster's instance folder: `DAGSTER_HOME` (default data/dagster_home) with the project's dagster.yaml in it.

Every entry point that starts Dagster (`make refresh`, `make run`) installs it first, so the run queue and its
limit of one writing run are in force however the tool is started.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from pipelines.settings import PROJECT_ROOT, dagster_home

INSTANCE_CONFIG = PROJECT_ROOT / "pipelines" / "dagster.yaml"


def install_dagster_home() -> Path:
    """Create DAGSTER_HOME, write the project's dagster.yaml into it (replacing an older copy) and export it."""
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if not target.exists() or target.read_bytes() != INSTANCE_CONFIG.read_bytes():
        shutil.copyfile(INSTANCE_CONFIG, target)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def create_instance_storage() -> None:
    """Create the instance's run, event and schedule storage now, in this process. The webserver and the daemon
    started side by side on a fresh DAGSTER_HOME would otherwise both create it, and the loser of that race fails
    ("more than one head" in the run storage's migrations)."""
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        instance.get_runs(limit=1)
        instance.all_instigator_state()
