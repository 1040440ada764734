"""arXiv API limits the run configuration needs without importing the client (`arxiv`, `requests`): the minimum
spacing of requests to arxiv.org and the per-host lock file the clients of one machine share."""

import re
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

ARXIV_MIN_DELAY_SECONDS = 3.0  # arXiv's terms of use: no more than one request every three seconds


def effective_delay(base_url: str, delay_seconds: float) -> float:
    """The spacing the client keeps: never under 3 s for arxiv.org, whatever was configured."""
    host = urlsplit(base_url).hostname or ""
    if host == "arxiv.org" or host.endswith(".arxiv.org"):
        return max(delay_seconds, ARXIV_MIN_DELAY_SECONDS)
    return delay_seconds


def default_lock_path(base_url: str) -> Path:
    host = re.sub(r"[^A-Za-z0-9.-]+", "_", urlsplit(base_url).netloc or "local")
    return Path(tempfile.gettempdir()) / f"arxiv-api-{host}.lock"
