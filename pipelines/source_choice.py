"""Chooses where arXiv records come from: the live API when it answers, else the bulk snapshot."""

from __future__ import annotations

import time
from dataclasses import dataclass

from pipelines import settings


@dataclass(frozen=True)
class SourceChoice:
    source: str  # 'api' | 'snapshot'
    reason: str
    latency_seconds: float = 0.0  # how long the API took to answer the probe (what each request adds to its delay)


def api_reachable(url: str, timeout_s: float = 5.0) -> tuple[bool, str]:
    ok, detail, _ = probe_api(url, timeout_s)
    return ok, detail


def probe_api(url: str, timeout_s: float = 5.0) -> tuple[bool, str, float]:
    """(answered, what happened, seconds the answer took)."""
    import requests  # only a run that may use the API probes it; a snapshot run does without the import

    started = time.monotonic()
    try:
        response = requests.get(url, params={"search_query": "cat:cs.AI", "max_results": 0}, timeout=timeout_s)
    except requests.RequestException as exc:
        return False, f"{url} unreachable ({type(exc).__name__})", time.monotonic() - started
    took = time.monotonic() - started
    if response.status_code != 200:
        return False, f"{url} answered HTTP {response.status_code}", took
    return True, f"{url} answered in {took:.2f} s", took


def choose_source() -> SourceChoice:
    mode = settings.arxiv_source_mode()
    snapshot = settings.snapshot_path()
    where = "ARXIV_SNAPSHOT" if not settings.snapshot_path_is_default() else "the default real corpus"
    if mode == "snapshot":
        return SourceChoice("snapshot", f"ARXIV_SOURCE=snapshot: loading {snapshot} ({where})")
    ok, detail, took = probe_api(settings.arxiv_api_url())
    if ok:
        return SourceChoice("api", f"{detail}: pulling from the live arXiv API", took)
    if mode == "api":
        raise RuntimeError(f"ARXIV_SOURCE=api but {detail}")
    return SourceChoice("snapshot", f"{detail}, so loading the snapshot {snapshot} ({where})")
