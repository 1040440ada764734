"""pipelines.inputs: settings turned into parsed inputs, read afresh when a file or a setting changes, and the
classifier bundle whose versions follow every input the classifiers use."""

import shutil
from pathlib import Path

import polars as pl
import pytest

from pipelines import inputs, settings
from pipelines.lib import origin, relevance
from pipelines.lib.people import PLACES_SCHEMA

SEEDS = ("taxonomy.yaml", "relevance_model.json", "organizations.csv", "arxiv_queries.yaml")
POSITIONS_HEADER = (
    "person,organization,title,start_date,start_date_precision,end_date,end_date_precision,employment_type,"
    "cause_area,ai_safety_relation\n"
)


@pytest.fixture
def seeds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the seeds the classifiers read, with settings pointed at it and at a small positions file."""
    folder = tmp_path / "seeds"
    folder.mkdir()
    for name in SEEDS:
        shutil.copy(settings.SEEDS_DIR / name, folder / name)
    monkeypatch.setattr(settings, "SEEDS_DIR", folder)
    positions = tmp_path / "positions.csv"
    positions.write_text(POSITIONS_HEADER + "Fay Gold,Anthropic,Research Scientist,2021-03-01,month,,,,AI safety,\n")
    monkeypatch.setenv("AIWATCH_POSITIONS", str(positions))
    return folder


def test_a_file_is_parsed_once_per_content_and_a_rewrite_is_seen(tmp_path: Path):
    path = tmp_path / "taxonomy.yaml"
    text = (settings.SEEDS_DIR / "taxonomy.yaml").read_text()
    path.write_text(text)
    first = inputs.taxonomy(path)
    assert inputs.taxonomy(path) is first
    path.write_text(text + "\n# edited\n")
    assert inputs.taxonomy(path).seed_sha256 != first.seed_sha256


def test_settings_are_read_at_each_call(seeds: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    assert inputs.positions()["person"].to_list() == ["Fay Gold"]
    other = tmp_path / "other.csv"
    other.write_text(POSITIONS_HEADER + "Gil Hart,MIRI,Researcher,2019-01-01,year,,,,AI safety,\n")
    monkeypatch.setenv("AIWATCH_POSITIONS", str(other))
    assert inputs.positions()["person"].to_list() == ["Gil Hart"]
    assert inputs.roster()["organization"].to_list() == ["Machine Intelligence Research Institute"]
    monkeypatch.setenv("AIWATCH_POSITIONS", str(tmp_path / "absent.csv"))
    assert inputs.positions() is None and inputs.roster().is_empty() and inputs.safety_researchers().is_empty()


def test_the_bundle_is_the_committed_classifier():
    bundle = inputs.classifier_bundle()
    assert bundle.set_aside is None and bundle.model is not None
    assert bundle.relevance_version == inputs.classifier_bundle().relevance_version
    assert bundle.roster.height > 0 and bundle.researchers.height > 0


def test_the_relevance_version_follows_the_taxonomy_and_the_model(seeds: Path):
    before = inputs.classifier_bundle()
    (seeds / "relevance_model.json").unlink()
    without_model = inputs.classifier_bundle()
    assert without_model.model is None and without_model.relevance_version != before.relevance_version
    with (seeds / "taxonomy.yaml").open("a") as f:
        f.write("\n# a changed seed\n")
    assert inputs.classifier_bundle().relevance_version != without_model.relevance_version


def test_the_relevance_version_follows_the_researchers_the_model_weighs(seeds: Path):
    before = inputs.classifier_bundle()
    assert before.model is not None and "author:ai_safety" in before.model.weights
    positions = settings.positions_path()
    positions.write_text(positions.read_text().replace("Fay Gold", "Gil Hart"))
    assert inputs.classifier_bundle().relevance_version != before.relevance_version


def test_the_origin_version_follows_seed_roster_and_places_not_their_order(seeds: Path):
    places = pl.DataFrame(
        [
            ("fay gold", None, "Anthropic", None, "frontier_lab", "seed name", None, 2024, "openreview", 1),
            ("gil hart", None, "MIT", "mit.edu", "academic", "seed domain", None, 2023, "openreview", 2),
        ],
        schema=PLACES_SCHEMA,
        orient="row",
    )
    version = inputs.classifier_bundle().origin_version(places)
    assert inputs.classifier_bundle().origin_version(places.reverse()) == version
    assert inputs.classifier_bundle().origin_version(places.head(1)) != version
    positions = settings.positions_path()
    positions.write_text(positions.read_text().replace("Anthropic", "Redwood Research"))
    moved = inputs.classifier_bundle().origin_version(places)
    assert moved != version
    with (seeds / "organizations.csv").open("a") as f:
        f.write("Acme Safety Lab,,nonprofit,US,acme.example\n")
    assert inputs.classifier_bundle().origin_version(places) != moved


def test_a_bumped_code_version_is_a_new_version(monkeypatch: pytest.MonkeyPatch):
    bundle, places = inputs.classifier_bundle(), pl.DataFrame(schema=PLACES_SCHEMA)
    relevance_before, origin_before = bundle.relevance_version, bundle.origin_version(places)
    monkeypatch.setattr(origin, "CODE_VERSION", "origin-next")
    monkeypatch.setattr(relevance, "CODE_VERSION", "relevance-next")
    assert bundle.origin_version(places) != origin_before and bundle.relevance_version != relevance_before
