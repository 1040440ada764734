"""HTTP client for OpenAlex works of arXiv papers (DOI 10.48550/arXiv.<id>), polite and bounded.

- Base URL from OPENALEX_URL (default https://api.openalex.org); OPENALEX_MAILTO joins the polite pool and
  OPENALEX_API_KEY is sent when set.
- Requests are spaced by `min_interval_s` (OpenAlex allows 10 per second; we default to about 8).
- 429 and 5xx answers, timeouts and malformed JSON are retried with exponential backoff (Retry-After honoured, capped);
  after `max_retries` an OpenAlexError is raised.
- A connection that cannot be made at all (DNS failure, refused, no route) raises OpenAlexUnreachable at once, so an
  offline run gives up after one short attempt instead of retrying.
- Batches: up to 50 ids per request via filter=doi:a|b|c, following `meta.next_cursor` pages.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import requests

from pipelines import settings
from pipelines.lib.openalex import arxiv_doi, records_from_works

BATCH_SIZE = 50
RETRY_STATUS = {429, 500, 502, 503, 504}

log = logging.getLogger(__name__)


class OpenAlexError(RuntimeError):
    """A request failed for good (after retries) or the answer made no sense."""


class OpenAlexUnreachable(OpenAlexError):
    """The server could not be reached at all: treat the network as offline."""


class OpenAlexClient:
    def __init__(
        self,
        base_url: str | None = None,
        *,
        mailto: str | None = None,
        api_key: str | None = None,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 30.0,
        max_retries: int = 4,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        min_interval_s: float = 0.12,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = (base_url or settings.openalex_url()).rstrip("/")
        self.mailto = mailto if mailto is not None else settings.openalex_mailto()
        self.api_key = api_key if api_key is not None else settings.openalex_api_key()
        self.timeout = (connect_timeout_s, read_timeout_s)
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.min_interval_s = min_interval_s
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", "safety-field-monitor (origin classification)")
        self.sleep = sleep
        self.n_requests = 0
        self._last_request = 0.0

    def close(self) -> None:
        self.session.close()

    def _wait_turn(self) -> None:
        wait = self._last_request + self.min_interval_s - time.monotonic()
        if wait > 0:
            self.sleep(wait)
        self._last_request = time.monotonic()

    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        delay = self.backoff_s * 2**attempt
        if retry_after:
            with contextlib.suppress(ValueError):
                delay = max(delay, float(retry_after))
        return min(delay, self.max_backoff_s)

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """GET base_url + path as JSON; None on 404. Retries transient failures; raises OpenAlexError."""
        params = dict(params or {})
        if self.mailto:
            params["mailto"] = self.mailto
        if self.api_key:
            params["api_key"] = self.api_key
        url = f"{self.base_url}/{path.lstrip('/')}"
        problem = ""
        retry_after: str | None = None
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.sleep(self._backoff(attempt - 1, retry_after))
            retry_after = None
            self._wait_turn()
            self.n_requests += 1
            try:
                response = self.session.get(url, params=params, timeout=self.timeout)
            except requests.ConnectionError as exc:
                if attempt == 0 and self.n_requests == 1:
                    reason = str(exc).rsplit("Caused by", 1)[-1].strip(" ()")[:200]
                    raise OpenAlexUnreachable(f"cannot reach {self.base_url}: {reason}") from exc
                problem = f"connection error: {exc}"
                continue
            except requests.Timeout as exc:
                problem = f"timeout: {exc}"
                continue
            if response.status_code == 404:
                return None
            if response.status_code in RETRY_STATUS:
                retry_after = response.headers.get("Retry-After")
                problem = f"HTTP {response.status_code}"
                log.warning("OpenAlex %s on %s (attempt %d)", problem, url, attempt + 1)
                continue
            if response.status_code != 200:
                raise OpenAlexError(f"HTTP {response.status_code} on {url}: {response.text[:200]}")
            try:
                payload = response.json()
            except (json.JSONDecodeError, ValueError) as exc:
                problem = f"malformed JSON: {exc}"
                continue
            if not isinstance(payload, dict):
                problem = "malformed JSON: not an object"
                continue
            return payload
        raise OpenAlexError(f"{url}: gave up after {self.max_retries + 1} attempts ({problem})")

    def work(self, arxiv_id: str) -> dict[str, Any] | None:
        """One work by its arXiv DOI (GET /works/doi:10.48550/arXiv.<id>), or None if OpenAlex has none."""
        return self.get(f"works/doi:{arxiv_doi(arxiv_id)}")

    def works(self, arxiv_ids: list[str]) -> list[dict[str, Any]]:
        """Works for up to BATCH_SIZE ids in one filtered query, following cursor pages."""
        if len(arxiv_ids) > BATCH_SIZE:
            raise ValueError(f"at most {BATCH_SIZE} ids per request")
        doi_filter = "doi:" + "|".join(f"https://doi.org/{arxiv_doi(i)}".lower() for i in arxiv_ids)
        found: list[dict[str, Any]] = []
        cursor: str | None = "*"
        while cursor:
            page = self.get("works", {"filter": doi_filter, "per-page": BATCH_SIZE, "cursor": cursor})
            if page is None:
                break
            results = page.get("results")
            if not isinstance(results, list):
                raise OpenAlexError("malformed OpenAlex list response: no 'results' list")
            found.extend(r for r in results if isinstance(r, dict))
            cursor = (page.get("meta") or {}).get("next_cursor") if results else None
        return found

    def fetch_records(self, arxiv_ids: Iterable[str]) -> Iterator[list[dict[str, Any]]]:
        """Cache rows (arxiv_id, status, openalex_id, institutions) batch by batch, for the given ids."""
        batch: list[str] = []
        for arxiv_id in arxiv_ids:
            batch.append(arxiv_id)
            if len(batch) == BATCH_SIZE:
                yield records_from_works(self.works(batch), batch)
                batch = []
        if batch:
            yield records_from_works(self.works(batch), batch)
