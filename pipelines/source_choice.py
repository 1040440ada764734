"""Chooses where arXiv records come from: the live API when it answers, else the bulk snapshot."""

from __future__ import annotations

from dataclasses import dataclass

import requests

from pipelines import settings


@dataclass(frozen=True)
class SourceChoice:
    source: str  # 'api' | 'snapshot'
    reason: str


def api_reachable(url: str, timeout_s: float = 5.0) -> tuple[bool, str]:
    try:
        response = requests.get(url, params={"search_query": "cat:cs.AI", "max_results": 0}, timeout=timeout_s)
    except requests.RequestException as exc:
        return False, f"{url} unreachable ({type(exc).__name__})"
    if response.status_code != 200:
        return False, f"{url} answered HTTP {response.status_code}"
    return True, f"{url} answered"


def choose_source() -> SourceChoice:
    mode = settings.arxiv_source_mode()
    snapshot = settings.snapshot_path()
    where = "ARXIV_SNAPSHOT" if not settings.snapshot_path_is_default() else "the default real corpus"
    if mode == "snapshot":
        return SourceChoice("snapshot", f"ARXIV_SOURCE=snapshot: loading {snapshot} ({where})")
    ok, detail = api_reachable(settings.arxiv_api_url())
    if ok:
        return SourceChoice("api", f"{detail}: pulling new days from the live arXiv API")
    if mode == "api":
        raise RuntimeError(f"ARXIV_SOURCE=api but {detail}")
    return SourceChoice("snapshot", f"{detail}, so loading the snapshot {snapshot} ({where})")
