"""Settings turned into parsed inputs: the one place that reads the seeds and the shared input files the pipeline,
the scripts and the dashboard use (the evaluation's label sets: eval_inputs.py). pipelines/lib gets what they say as
arguments and reads nothing itself.

Each reader takes an optional path (default: the one settings names), reads the file on every call (they are small)
and parses it once per content: the cache key is the resolved path with the bytes read, so pointing a setting at
another file, or rewriting one, is seen at once. classifier_bundle() gathers what the two classifiers (relevance and
origin) use, with their versions.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import polars as pl
import yaml

from pipelines import settings
from pipelines.affiliations import read_all_records
from pipelines.lib import safety_authors
from pipelines.lib.arxiv_api import QueryConfig, parse_query_config
from pipelines.lib.claims import Source, document_key, parse_source
from pipelines.lib.estimates import SCHEMA as ESTIMATES_SCHEMA
from pipelines.lib.estimates import parse_estimates
from pipelines.lib.organizations import parse_organizations
from pipelines.lib.origin import origin_version
from pipelines.lib.people import people_places
from pipelines.lib.relevance import classifier_version, usable_model
from pipelines.lib.relevance_model import MODEL_FILE, RelevanceModel, parse_model
from pipelines.lib.roster import ROSTER_SCHEMA, build_roster
from pipelines.lib.taxonomy import Taxonomy, parse_taxonomy

TAXONOMY_FILE = "taxonomy.yaml"
QUERIES_FILE = "arxiv_queries.yaml"
ORGANIZATIONS_FILE = "organizations.csv"
ESTIMATES_FILE = "field_size_estimates.csv"

T = TypeVar("T")


def seed_path(name: str) -> Path:
    return settings.SEEDS_DIR / name


def per_content(parse: Callable[[Path, bytes | None], T]) -> Callable[[Path | str], T]:
    """A reader of one file: `parse(path, content)` (content None when there is no such file), cached per (resolved
    path, content)."""
    cached = functools.lru_cache(maxsize=16)(parse)

    def reader(path: Path | str) -> T:
        resolved = Path(path).resolve()
        return cached(resolved, resolved.read_bytes() if resolved.is_file() else None)

    return reader


def _bytes(path: Path, content: bytes | None) -> bytes:
    if content is None:
        raise FileNotFoundError(f"{path} not found")
    return content


def _text(path: Path, content: bytes | None) -> str:
    return _bytes(path, content).decode("utf-8")


@per_content
def _taxonomy(path: Path, content: bytes | None) -> Taxonomy:
    return parse_taxonomy(_text(path, content))


def taxonomy(path: Path | None = None) -> Taxonomy:
    """The topic taxonomy, seeds/taxonomy.yaml."""
    return _taxonomy(path or seed_path(TAXONOMY_FILE))


@per_content
def _relevance_model(path: Path, content: bytes | None) -> RelevanceModel | None:
    return None if content is None else parse_model(_text(path, content), str(path))


def relevance_model(path: Path | None = None) -> RelevanceModel | None:
    """The second stage, seeds/relevance_model.json; None when the file does not exist (the first stage then runs
    alone)."""
    return _relevance_model(path or seed_path(MODEL_FILE))


@per_content
def _query_config(path: Path, content: bytes | None) -> QueryConfig:
    return parse_query_config(yaml.safe_load(_text(path, content)) or {})


def query_config(path: Path | str | None = None) -> QueryConfig:
    """The arXiv search phrases and categories, seeds/arxiv_queries.yaml."""
    return _query_config(path or settings.arxiv_queries_path())


def ai_categories() -> list[str]:
    """The arXiv categories counted as AI research (seeds/arxiv_queries.yaml)."""
    return list(query_config().ai_categories)


@per_content
def _organizations(path: Path, content: bytes | None) -> pl.DataFrame:
    return parse_organizations(pl.read_csv(io.BytesIO(_bytes(path, content)), infer_schema=False), str(path))


def organizations(path: Path | None = None) -> pl.DataFrame:
    """The organisations seed, seeds/organizations.csv, parsed (organizations.parse_organizations)."""
    return _organizations(path or seed_path(ORGANIZATIONS_FILE))


@per_content
def _positions(path: Path, content: bytes | None) -> pl.DataFrame | None:
    # as strings: the dates are too irregular for a typed read
    return None if content is None else pl.read_csv(io.BytesIO(content), infer_schema=False)


def positions(path: Path | None = None) -> pl.DataFrame | None:
    """The AI Watch position records (settings.positions_path, AIWATCH_POSITIONS) as strings; None without the
    file."""
    return _positions(path or settings.positions_path())


def roster(path: Path | None = None) -> pl.DataFrame:
    """Authors placed at seed organisations over time (roster.build_roster) from the position records; empty
    without them."""
    return _roster_of(positions(path), organizations())


def safety_researchers(path: Path | None = None) -> pl.DataFrame:
    """The AI-safety researchers among the position records (safety_authors.safety_researchers); empty without
    them."""
    return _researchers_of(positions(path))


def _roster_of(records: pl.DataFrame | None, orgs: pl.DataFrame) -> pl.DataFrame:
    return pl.DataFrame(schema=ROSTER_SCHEMA) if records is None else build_roster(records, orgs)


def _researchers_of(records: pl.DataFrame | None) -> pl.DataFrame:
    if records is None:
        return pl.DataFrame(schema=safety_authors.RESEARCHERS_SCHEMA)
    return safety_authors.safety_researchers(records)


def affiliation_records() -> pl.DataFrame:
    """Conference author records (AFFILIATIONS_FILE) and Epoch model-report authors (EPOCH_MODELS_FILE), whichever
    files exist (empty when neither does)."""
    return read_all_records(settings.affiliations_path(), settings.epoch_models_path())


def record_places() -> pl.DataFrame | None:
    """people.people_places of the affiliation records; None without any. For evaluation and benchmarks: the
    pipeline's asset (author_places) also keeps the per-slot classes for its report."""
    records = affiliation_records()
    return people_places(records, organizations()) if records.height else None


@per_content
def _estimates(path: Path, content: bytes | None) -> pl.DataFrame:
    return parse_estimates(pl.read_csv(io.BytesIO(_bytes(path, content)), schema=ESTIMATES_SCHEMA))


def estimates(path: Path | None = None) -> pl.DataFrame:
    """The published field-size estimates, seeds/field_size_estimates.csv, with the table's column types."""
    return _estimates(path or estimates_path())


def estimates_path() -> Path:
    return seed_path(ESTIMATES_FILE)


def claim_sources(directory: Path | None = None) -> dict[str, Source]:
    """The claims' seed documents (the `seeds` folder beside the shared data) by claims.document_key; none when
    the folder is absent."""
    directory = directory or claim_documents_dir()
    if not directory.is_dir():
        return {}
    return {
        document_key(path.name): parse_source(path.read_text(encoding="utf-8"), path.stem)
        for path in sorted(directory.glob("*.txt"))
    }


def claim_documents_dir() -> Path:
    return settings.shared_data_dir().parent / "seeds"


@dataclass(frozen=True)
class ClassifierBundle:
    """What the classifiers use and their versions (one rule: lib/versions.version_of), from the seeds and the position
    records as they are now. The researchers and the roster are derived on first use: each classifier pays only for
    its own inputs.

    relevance: taxonomy, model (None when absent or set aside, and `set_aside` says why), researchers (weighed only
    when the model uses authorship). origin: organizations, roster, and the places the pipeline built from the
    conference records (its version needs them: origin_version)."""

    taxonomy: Taxonomy
    model: RelevanceModel | None
    set_aside: str | None
    organizations: pl.DataFrame
    positions: pl.DataFrame | None  # the AI Watch records as strings; None without the file

    @functools.cached_property
    def researchers(self) -> pl.DataFrame:
        return _researchers_of(self.positions)

    @functools.cached_property
    def roster(self) -> pl.DataFrame:
        return _roster_of(self.positions, self.organizations)

    @property
    def relevance_version(self) -> str:
        return classifier_version(self.taxonomy, self.model, self.researchers)

    def origin_version(self, places: pl.DataFrame) -> str:
        return origin_version(self.organizations, self.roster, places)


def classifier_bundle() -> ClassifierBundle:
    """The classifiers as settings and seeds define them now (each file parsed once per content)."""
    topics = taxonomy()
    model, set_aside = usable_model(topics, relevance_model())
    return ClassifierBundle(
        taxonomy=topics, model=model, set_aside=set_aside, organizations=organizations(), positions=positions()
    )
