"""`make run`, after the refresh: the dashboard, the Dagster UI and the Dagster daemon (so schedules run).

Stops all three on Ctrl-C, on `kill` (SIGTERM), or when any of them exits.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pipelines.dagster_home import create_instance_storage, install_dagster_home
from pipelines.settings import PROJECT_ROOT

# The code location `pipelines` (as pyproject.toml's [tool.dg.project] names it), wherever the checkout lives.
LOCATION = ("-w", str(PROJECT_ROOT / "pipelines" / "workspace.yaml"))


def _commands(host: str, dashboard_port: int, dagster_port: int) -> dict[str, list[str]]:
    bin_dir = Path(sys.executable).parent
    return {
        "dashboard": [
            str(bin_dir / "streamlit"),
            "run",
            str(PROJECT_ROOT / "dashboards" / "app.py"),
            "--server.address",
            host,
            "--server.port",
            str(dashboard_port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--client.toolbarMode",
            "viewer",
        ],
        "dagster-webserver": [
            str(bin_dir / "dagster-webserver"),
            *LOCATION,
            "-h",
            host,
            "-p",
            str(dagster_port),
        ],
        "dagster-daemon": [str(bin_dir / "dagster-daemon"), "run", *LOCATION],
    }


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--dashboard-port", type=int, default=8501)
    parser.add_argument("--dagster-port", type=int, default=3000)
    args = parser.parse_args()
    install_dagster_home()
    create_instance_storage()
    signal.signal(signal.SIGTERM, _stop)  # `kill` stops the three servers too, as Ctrl-C does
    procs = {
        name: subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=os.environ.copy())
        for name, cmd in _commands(args.host, args.dashboard_port, args.dagster_port).items()
    }
    print(f"dashboard   http://{args.host}:{args.dashboard_port}", flush=True)
    print(f"dagster UI  http://{args.host}:{args.dagster_port}  (daemon running: schedules are live)", flush=True)
    print("Ctrl-C stops all three.", flush=True)
    try:
        while all(p.poll() is None for p in procs.values()):
            time.sleep(1)
        dead = [n for n, p in procs.items() if p.poll() is not None]
        print(f"serve: {', '.join(dead)} exited; stopping the others", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs.values():
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    sys.exit(main())
