"""The live arXiv API client: `arxiv.Client` with a shared rate limiter, backoff, timeouts and strict XML.

`arxiv.Client` (4.0.2) pages by `start` and parses Atom, which we keep. Its request step retries at a fixed
delay, has no timeout, treats an empty or unparseable first page as "no results" (its lxml parser runs in
recover mode), and fails with an error that names only the URL. `ArxivClient` replaces that one step
(`_parse_feed`): every request waits its turn on a limiter shared by all clients on the machine for that
host, retries 429/5xx/timeouts/connection errors/empty or malformed pages with exponential backoff, and after
the last try raises `ArxivApiError` naming the query and URL.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import threading
import time
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import arxiv
import polars as pl
import requests
from arxiv import _feed

from pipelines.arxiv_limits import ARXIV_MIN_DELAY_SECONDS, effective_delay
from pipelines.lib.arxiv_api import (
    MAX_PAGE_SIZE,
    category_count_queries,
    category_counts_frame,
    parse_total_results,
)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = f"safety-field-monitor (arxiv.py/{arxiv.__version__})"

log = logging.getLogger(__name__)


class ArxivApiError(RuntimeError):
    """A request that still failed after every retry, or failed in a way retrying cannot fix."""

    def __init__(self, message: str, url: str, query: str | None):
        self.url = url
        self.query = query
        super().__init__(f"{message}; query={query!r}; url={url}")


class MalformedFeedError(arxiv.ArxivError):
    """The response was not a well-formed arXiv Atom feed."""


class RetryableHTTPError(arxiv.HTTPError):
    def __init__(self, url: str, retry: int, status: int, retry_after: float | None = None):
        super().__init__(url, retry, status)
        self.retry_after = retry_after


_RETRYABLE = (
    RetryableHTTPError,
    MalformedFeedError,
    arxiv.UnexpectedEmptyPageError,
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


def query_of(url: str) -> str | None:
    return parse_qs(urlsplit(url).query).get("search_query", [None])[0]


class RateLimiter:
    """At least `delay_seconds` between the end of one request and the start of the next.

    Shared by threads (a lock) and by processes (an flock'd file holding the last request time), so parallel
    Dagster runs or backfill partitions still send one request at a time to the host.
    """

    def __init__(self, delay_seconds: float, lock_path: Path | None):
        self.delay_seconds = delay_seconds
        self.lock_path = lock_path
        self._thread_lock = threading.Lock()
        self._last = 0.0

    def __enter__(self) -> RateLimiter:
        self._thread_lock.acquire()
        self._file = None
        try:
            last = self._last
            if self.lock_path is not None:
                self.lock_path.parent.mkdir(parents=True, exist_ok=True)
                self._file = open(self.lock_path, "a+")  # held until __exit__
                fcntl.flock(self._file, fcntl.LOCK_EX)
                self._file.seek(0)
                with contextlib.suppress(ValueError):
                    last = max(last, float(self._file.read().strip() or 0))
            wait = last + self.delay_seconds - time.time()
            if wait > 0:
                time.sleep(wait)
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._last = time.time()
        try:
            if self._file is not None:
                self._file.seek(0)
                self._file.truncate()
                self._file.write(repr(self._last))
                self._file.flush()
        finally:
            self._release()

    def _release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        self._thread_lock.release()


class ArxivClient(arxiv.Client):
    """arxiv.Client pointed at `base_url`, with the request step made robust (see the module docstring)."""

    def __init__(
        self,
        base_url: str,
        page_size: int = MAX_PAGE_SIZE,
        delay_seconds: float = ARXIV_MIN_DELAY_SECONDS,
        num_retries: int = 5,
        timeout_seconds: float = 60.0,
        backoff_seconds: float = 5.0,
        max_backoff_seconds: float = 300.0,
        lock_path: Path | str | None = None,
        logger: Any = None,
    ):
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}, not {page_size}")
        if num_retries < 0:
            raise ValueError("num_retries must be >= 0")
        delay_seconds = effective_delay(base_url, delay_seconds)
        super().__init__(page_size=page_size, delay_seconds=delay_seconds, num_retries=num_retries)
        self.base_url = base_url
        self.query_url_format = base_url.rstrip("?") + "?{}"
        self.timeout_seconds = timeout_seconds
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.limiter = RateLimiter(delay_seconds, Path(lock_path) if lock_path else None)
        self.log = logger or log
        self.n_requests = 0  # requests sent (retries included): what a backfill's progress and estimate count
        self._session.headers["User-Agent"] = USER_AGENT

    # ------------------------------------------------------------ public

    def fetch(self, query: str) -> list[arxiv.Result]:
        """Every result of a search query, oldest submission first, paging by `start`."""
        search = arxiv.Search(
            query=query,
            max_results=None,
            sort_by=arxiv.SortCriterion.SubmittedDate,
            sort_order=arxiv.SortOrder.Ascending,
        )
        return list(self.results(search))

    def total_results(self, query: str) -> int:
        """opensearch:totalResults of a query, from a request for zero results."""
        url = self._format_url(arxiv.Search(query=query), 0, 0)
        return self._parse_feed(url).header.total_results

    def category_counts(self, ai_categories: list[str] | tuple[str, ...], month: date) -> pl.DataFrame:
        """category_month_counts rows for a month: per AI category and ALL_AI (their distinct union)."""
        queries = category_count_queries(ai_categories, month)
        totals = [self.total_results(q) for q in queries["query"]]
        return category_counts_frame(queries, totals, month, datetime.now())

    def close(self) -> None:
        self._session.close()

    # ------------------------------------------------------------ arxiv.Client's request step, replaced

    def _parse_feed(self, url: str, first_page: bool = True, _try_index: int = 0) -> _feed.ParsedFeed:
        last_error: BaseException | None = None
        for attempt in range(self.num_retries + 1):
            if attempt:
                wait = self._backoff(attempt, last_error)
                self.log.warning(
                    "arXiv API: %s; retry %d/%d in %.1fs: %s",
                    _describe(last_error),
                    attempt,
                    self.num_retries,
                    wait,
                    url,
                )
                time.sleep(wait)
            try:
                return self._fetch_feed(url, first_page, attempt)
            except _RETRYABLE as err:
                last_error = err
            except arxiv.HTTPError as err:
                raise ArxivApiError(f"arXiv API answered HTTP {err.status}", url, query_of(url)) from err
        raise ArxivApiError(
            f"arXiv API request failed after {self.num_retries + 1} tries (last: {_describe(last_error)})",
            url,
            query_of(url),
        ) from last_error

    def _backoff(self, attempt: int, error: BaseException | None) -> float:
        wait = self.backoff_seconds * 2 ** (attempt - 1)
        if isinstance(error, RetryableHTTPError) and error.retry_after:
            wait = max(wait, error.retry_after)
        return min(wait, self.max_backoff_seconds)

    def _fetch_feed(self, url: str, first_page: bool, attempt: int) -> _feed.ParsedFeed:
        with self.limiter:
            self.log.debug("arXiv API request (try %d): %s", attempt, url)
            self.n_requests += 1
            resp = self._session.get(url, timeout=self.timeout_seconds)
            content = resp.content
        if resp.status_code != requests.codes.ok:
            if resp.status_code in RETRY_STATUSES:
                raise RetryableHTTPError(url, attempt, resp.status_code, _retry_after(resp))
            raise arxiv.HTTPError(url, attempt, resp.status_code)
        try:
            total = parse_total_results(content)
        except ValueError as exc:
            raise MalformedFeedError(url, attempt, str(exc)) from None
        feed = _feed.parse(content)
        params = parse_qs(urlsplit(url).query)
        start = int(params.get("start", ["0"])[0])
        wanted = int(params.get("max_results", ["1"])[0])
        # arXiv sometimes serves an empty page although results remain; arxiv.Client only retries that after
        # the first page, and would read an empty first page as "no results".
        if not feed.results and wanted > 0 and (start < total or not first_page):
            raise arxiv.UnexpectedEmptyPageError(url, attempt, feed)
        return feed


def _retry_after(resp: requests.Response) -> float | None:
    value = resp.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _describe(error: BaseException | None) -> str:
    if isinstance(error, arxiv.HTTPError):
        return f"HTTP {error.status}"
    if isinstance(error, arxiv.UnexpectedEmptyPageError):
        return "unexpectedly empty page"
    if isinstance(error, MalformedFeedError):
        return error.message
    if isinstance(error, requests.exceptions.Timeout):
        return "timed out"
    if isinstance(error, requests.exceptions.ConnectionError):
        return f"connection error ({error})"
    return repr(error)
