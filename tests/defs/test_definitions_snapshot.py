"""The code location's graph as text (assets with group, partitions and upstream; checks; jobs; schedules; sensors),
compared with the committed snapshot so that a change to the graph shows as a diff in review.

After an intended change: UPDATE_DEFS_SNAPSHOT=1 .venv/bin/python -m pytest tests/defs/test_definitions_snapshot.py
"""

import os
from pathlib import Path

import dagster as dg

from pipelines.definitions import defs

SNAPSHOT = Path(__file__).with_name("definitions_snapshot.txt")


def _check_specs(loaded: dg.Definitions) -> list[dg.AssetCheckSpec]:
    specs = []
    for definition in [*(loaded.assets or []), *(loaded.asset_checks or [])]:
        specs += list(getattr(definition, "check_specs", []) or [])
    return specs


def describe(loaded: dg.Definitions) -> str:
    graph = loaded.resolve_asset_graph()
    lines = []
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        partitions = type(node.partitions_def).__name__ if node.partitions_def else "-"
        upstream = ", ".join(sorted(p.to_user_string() for p in node.parent_keys)) or "-"
        lines.append(f"asset {key.to_user_string()} group={node.group_name} partitions={partitions} <- {upstream}")
    checks = {(s.asset_key.to_user_string(), s.name, s.blocking) for s in _check_specs(loaded)}
    lines += [f"check {asset}:{name}{' blocking' if blocking else ''}" for asset, name, blocking in sorted(checks)]
    for job in sorted(loaded.jobs or [], key=lambda j: j.name):
        keys = sorted(k.to_user_string() for k in job.selection.resolve(graph))
        lines.append(f"job {job.name}: {', '.join(keys)}")
    for schedule in sorted(loaded.schedules or [], key=lambda s: s.name):
        lines.append(f"schedule {schedule.name} cron={schedule.cron_schedule!r} job={schedule.job_name}")
    lines += [f"sensor {s.name}" for s in sorted(loaded.sensors or [], key=lambda s: s.name)]
    return "\n".join(lines) + "\n"


def test_the_graph_matches_the_committed_snapshot() -> None:
    text = describe(defs())
    if os.environ.get("UPDATE_DEFS_SNAPSHOT"):
        SNAPSHOT.write_text(text)
    assert SNAPSHOT.exists(), f"no snapshot: run with UPDATE_DEFS_SNAPSHOT=1 to write {SNAPSHOT.name}"
    assert text == SNAPSHOT.read_text(), (
        f"the Dagster graph changed: if intended, rerun with UPDATE_DEFS_SNAPSHOT=1 and commit {SNAPSHOT.name}"
    )
