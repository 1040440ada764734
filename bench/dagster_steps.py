"""Per-step durations of the Dagster runs recorded in a DAGSTER_HOME, read from its event log.

Each step is labelled with its asset's group (arxiv, classify, workforce, marts, ...); asset-check steps (named
`<asset>_<check>`) get their asset's group and kind 'check'.

    DAGSTER_HOME=... .venv/bin/python -m bench.dagster_steps [--since EPOCH_SECONDS]   -> JSON on stdout
"""

from __future__ import annotations

import argparse
import json

import dagster as dg
from dagster import DagsterEventType

STEP_EVENTS = {DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}
RUN_EVENTS = {DagsterEventType.RUN_START, DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE}


def asset_groups() -> dict[str, str]:
    """Op name of every asset -> its group name ({} if the definitions cannot be loaded)."""
    try:
        from pipelines.definitions import defs

        specs = defs().resolve_all_asset_specs()
    except Exception:  # a half-finished domain must not stop the benchmark from reporting the rest
        return {}
    return {"__".join(s.key.path): s.group_name or "default" for s in specs}


def label(step_key: str, groups: dict[str, str]) -> tuple[str, str]:
    if step_key in groups:
        return groups[step_key], "asset"
    owners = [name for name in groups if step_key.startswith(name + "_")]
    if owners:
        return groups[max(owners, key=len)], "check"
    return "unknown", "check" if "_check" in step_key else "asset"


def read_runs(since: float = 0.0) -> list[dict]:
    groups = asset_groups()
    out = []
    with dg.DagsterInstance.get() as instance:
        for run in sorted(instance.get_runs(), key=lambda r: r.run_id):
            logs = instance.all_logs(run.run_id, of_type=STEP_EVENTS | RUN_EVENTS)
            run_times = [e.timestamp for e in logs if e.dagster_event and e.dagster_event.event_type in RUN_EVENTS]
            if not run_times or min(run_times) < since:
                continue
            started: dict[str, float] = {}
            steps = []
            for e in logs:
                kind = e.dagster_event.event_type if e.dagster_event else None
                if kind == DagsterEventType.STEP_START:
                    started[e.step_key] = e.timestamp
                elif kind in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
                    group, what = label(e.step_key, groups)
                    steps.append(
                        {
                            "step": e.step_key,
                            "group": group,
                            "kind": what,
                            "start": started.get(e.step_key, e.timestamp),
                            "end": e.timestamp,
                            "seconds": e.timestamp - started.get(e.step_key, e.timestamp),
                            "ok": kind == DagsterEventType.STEP_SUCCESS,
                        }
                    )
            out.append(
                {
                    "run_id": run.run_id,
                    "job": run.job_name,
                    "status": run.status.value,
                    "started": min(run_times),
                    "finished": max(run_times),
                    "steps": steps,
                }
            )
    return sorted(out, key=lambda r: r["started"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--since", type=float, default=0.0)
    args = parser.parse_args()
    print(json.dumps(read_runs(args.since)))


if __name__ == "__main__":
    main()
