"""The `arxiv_api` resource: one shared, rate-limited arXiv API client per process."""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg
from pydantic import PrivateAttr

from pipelines import settings
from pipelines.arxiv_limits import ARXIV_MIN_DELAY_SECONDS, default_lock_path
from pipelines.lib.arxiv_api import MAX_PAGE_SIZE

if TYPE_CHECKING:  # the client imports arxiv and requests, needed only when the API is called
    from pipelines.arxiv_client import ArxivClient


class ArxivApiResource(dg.ConfigurableResource):
    """The live arXiv API. Requests to arxiv.org never come faster than one per 3 s, whatever the config."""

    base_url: str = settings.arxiv_api_url()
    page_size: int = MAX_PAGE_SIZE
    delay_seconds: float = ARXIV_MIN_DELAY_SECONDS  # at least 3 s for arxiv.org, whatever the config
    num_retries: int = 5
    timeout_seconds: float = 60.0
    backoff_seconds: float = 5.0
    max_backoff_seconds: float = 300.0
    lock_path: str = ""  # file shared by every process that calls the API; "" = one per host in the temp dir
    result_cap: int = 30_000  # arXiv's per-query limit; windows are split to stay under it

    _client: ArxivClient | None = PrivateAttr(default=None)

    def client(self, logger: object = None) -> ArxivClient:
        if self._client is None:
            from pipelines.arxiv_client import ArxivClient

            self._client = ArxivClient(
                self.base_url,
                page_size=self.page_size,
                delay_seconds=self.delay_seconds,
                num_retries=self.num_retries,
                timeout_seconds=self.timeout_seconds,
                backoff_seconds=self.backoff_seconds,
                max_backoff_seconds=self.max_backoff_seconds,
                lock_path=self.lock_path or default_lock_path(self.base_url),
                logger=logger,
            )
        elif logger is not None:
            self._client.log = logger
        return self._client

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


@dg.definitions
def arxiv_api_resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "arxiv_api": ArxivApiResource(
                base_url=settings.arxiv_api_url(), delay_seconds=settings.arxiv_api_delay_seconds()
            )
        }
    )
