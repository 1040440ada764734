"""Shared fixtures: a slice of the real corpus, and temporary warehouses. Nothing here touches the network."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from pipelines import settings
from pipelines.resources import SnapshotResource, WarehouseResource

FIXTURES = Path(__file__).parent / "fixtures"
REAL_CORPUS = settings.shared_data_dir() / "arxiv"


def pytest_configure(config: pytest.Config) -> None:
    # Tests never reach the internet: the live arXiv API is off unless a test points it at 127.0.0.1.
    os.environ.setdefault("ARXIV_SOURCE", "snapshot")
    os.environ.setdefault("OPENALEX", "off")


@pytest.fixture(scope="session")
def real_corpus() -> Path:
    if not REAL_CORPUS.exists():
        pytest.skip(f"real corpus not found at {REAL_CORPUS} (set SHARED_DATA_DIR)")
    return REAL_CORPUS


@pytest.fixture(scope="session")
def corpus_slice(tmp_path_factory: pytest.TempPathFactory, real_corpus: Path) -> Path:
    """A folder with the first 400 records of three real monthly files (written at test time, never committed)."""
    folder = tmp_path_factory.mktemp("corpus_slice")
    for name in ("arxiv-2025-06.jsonl.gz", "arxiv-2026-03.jsonl.gz", "arxiv-2025-11.jsonl.gz"):
        with gzip.open(real_corpus / name, "rt") as src, gzip.open(folder / name, "wt") as dst:
            for i, line in enumerate(src):
                if i >= 400:
                    break
                dst.write(line)
    return folder


@pytest.fixture
def warehouse(tmp_path: Path) -> WarehouseResource:
    return WarehouseResource(
        work_path=str(tmp_path / "work" / "warehouse.duckdb"), published_path=str(tmp_path / "warehouse.duckdb")
    )


@pytest.fixture
def snapshot_of(corpus_slice: Path):
    def make(path: Path | None = None) -> SnapshotResource:
        return SnapshotResource(path=str(path or corpus_slice))

    return make
