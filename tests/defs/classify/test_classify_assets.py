"""paper_relevance and paper_classification materialized into a temporary warehouse: incremental updates,
reclassification on a new classifier version, the origin join and the checks."""

import shutil
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipelines.defs.classify import assets as classify_assets
from pipelines.defs.classify import checks
from pipelines.defs.classify.assets import paper_classification, paper_relevance
from pipelines.inputs import classifier_bundle, taxonomy
from pipelines.lib import relevance
from pipelines.lib import relevance_model as rm
from pipelines.lib.safety_authors import RESEARCHERS_SCHEMA
from pipelines.resources import WarehouseResource

# One worker runs these tests, so the first run is made once (make test-fast runs pytest-xdist).
pytestmark = pytest.mark.xdist_group("classify")

CHECKS = [
    checks.paper_relevance_covers_papers,
    checks.paper_relevance_safety_share_plausible,
    checks.paper_classification_covers_papers,
    checks.paper_classification_unknown_origin_share,
]
PAPERS = [
    (
        "2501.00001",
        "Universal Jailbreak Attacks on Aligned Language Models",
        "Adversarial suffixes elicit harmful content from safety-aligned LLMs.",
        ["cs.CL"],
    ),
    (
        "2501.00002",
        "Sparse Autoencoders Find Interpretable Features",
        "We train sparse autoencoders on the residual stream of a language model.",
        ["cs.LG"],
    ),
    ("2501.00003", "Efficient Video Transformers", "A faster attention mechanism for video.", ["cs.CV"]),
    ("2501.00004", "Fast Multiple Sequence Alignment", "Protein sequence alignment with better scores.", ["q-bio.GN"]),
    ("2501.00005", "Mitigating Gender Bias in Rankers", "Algorithmic fairness: we reduce gender bias.", ["cs.LG"]),
]


def _insert(con, arxiv_id, title, abstract, categories, ingested_at=datetime(2025, 1, 1)) -> None:
    con.execute(
        """INSERT INTO papers (arxiv_id, title, abstract, primary_category, categories, source, ingested_at)
           VALUES (?, ?, ?, ?, ?, 'arxiv_snapshot', ?)""",
        [arxiv_id, title, abstract, categories[0], categories, ingested_at],
    )


def _resource(folder: Path) -> WarehouseResource:
    return WarehouseResource(
        work_path=str(folder / "work" / "warehouse.duckdb"), published_path=str(folder / "warehouse.duckdb")
    )


@pytest.fixture
def warehouse(tmp_path: Path) -> WarehouseResource:
    resource = _resource(tmp_path)
    with resource.transaction() as con:
        for paper in PAPERS:
            _insert(con, *paper)
    return resource


def _run(warehouse: WarehouseResource) -> dg.ExecuteInProcessResult:
    return dg.materialize([paper_relevance, paper_classification, *CHECKS], resources={"warehouse": warehouse})


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> tuple[Path, dg.ExecuteInProcessResult]:
    """The warehouse of PAPERS after one run, made once: tests read it or run on a copy."""
    folder = tmp_path_factory.mktemp("classify_first_run")
    with _resource(folder).transaction() as con:
        for paper in PAPERS:
            _insert(con, *paper)
    return folder, _run(_resource(folder))


@pytest.fixture
def after_first_run(first_run, tmp_path: Path) -> WarehouseResource:
    """A copy of the warehouse after the first run, for a test that changes it."""
    shutil.copytree(first_run[0], tmp_path / "copy")
    return _resource(tmp_path / "copy")


def _rows(warehouse: WarehouseResource, sql: str) -> list[tuple]:
    con = duckdb.connect(warehouse.work_path, read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _classified(result: dg.ExecuteInProcessResult) -> int:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.path == ["paper_relevance"]]
    return event.materialization.metadata["classified"].value


def test_first_run_classifies_everything_and_checks_pass(first_run):
    folder, result = first_run
    warehouse = _resource(folder)
    assert result.success
    assert _classified(result) == len(PAPERS)
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert all(e.passed for name, e in evaluations.items() if name != "paper_classification_unknown_origin_share")
    # without paper_origins every origin is unknown: the share check warns (it does not block)
    unknown = evaluations["paper_classification_unknown_origin_share"]
    assert not unknown.passed and unknown.severity == dg.AssetCheckSeverity.WARN
    rows = {
        r[0]: r[1:]
        for r in _rows(
            warehouse,
            "SELECT arxiv_id, is_safety_broad, is_safety_narrow, primary_topic, origin, organizations, classified_at "
            "FROM paper_classification",
        )
    }
    assert set(rows) == {p[0] for p in PAPERS}
    assert rows["2501.00001"][:3] == (True, True, "red_teaming")
    assert rows["2501.00002"][:3] == (True, True, "interpretability")
    assert rows["2501.00003"][:3] == (False, False, None)
    assert rows["2501.00004"][:3] == (False, False, None)
    assert rows["2501.00005"][:3] == (True, False, "fairness")
    # no paper_origins table yet: every origin is unknown, with no organisations
    assert {r[3] for r in rows.values()} == {"unknown"} and all(r[4] == [] for r in rows.values())
    assert all(r[5] is not None for r in rows.values())


def test_incremental_runs_touch_only_new_or_reingested_papers(after_first_run):
    warehouse = after_first_run
    assert _classified(_run(warehouse)) == 0
    with warehouse.transaction() as con:
        _insert(con, "2501.00006", "Reward Hacking in RLHF", "Policies exploit reward models.", ["cs.LG"])
        con.execute(
            "UPDATE papers SET ingested_at = now() + INTERVAL 1 DAY, title = 'Efficient Jailbreaks' "
            "WHERE arxiv_id = '2501.00003'"
        )
    result = _run(warehouse)
    assert _classified(result) == 2
    rows = dict(_rows(warehouse, "SELECT arxiv_id, is_safety_narrow FROM paper_relevance"))
    assert rows["2501.00006"] is True and rows["2501.00003"] is True
    assert _rows(warehouse, "SELECT count(*), count(DISTINCT arxiv_id) FROM paper_relevance") == [(6, 6)]


def test_new_classifier_version_reclassifies_all(after_first_run, monkeypatch):
    warehouse = after_first_run
    monkeypatch.setattr(relevance, "CODE_VERSION", "test-next-version")
    result = _run(warehouse)
    assert _classified(result) == len(PAPERS)
    versions = _rows(warehouse, "SELECT DISTINCT classifier_version FROM paper_relevance")
    assert versions == [(classifier_bundle().relevance_version,)]


def test_authors_in_the_researcher_list_reach_the_second_stage(warehouse):
    """The SQL path (paper_authors matched in DuckDB) gives what classify_relevance gives on the same authors."""
    topics = taxonomy()
    model = rm.RelevanceModel(
        intercept=-2.0, weights={rm.AUTHOR_FEATURE: 4.0}, threshold=0.5, scope="any_match", taxonomy_sha256="x"
    )
    researchers = pl.DataFrame({"name_normalized": ["ada lovelace"], "person": ["Ada Lovelace"]})
    authors = {"2501.00004": ["Ada Lovelace", "Bob Smith"], "2501.00005": ["Ada Lovelace"], "2501.00001": ["Bo Li"]}
    with warehouse.transaction() as con:
        for arxiv_id, names in authors.items():
            for position, name in enumerate(names):
                con.execute(
                    "INSERT INTO paper_authors (arxiv_id, position, name, name_normalized) VALUES (?, ?, ?, ?)",
                    [arxiv_id, position, name, name.lower()],
                )
        meta = classify_assets.update_relevance(con, topics, model, researchers=researchers)
    assert meta["authorship"] is True
    stored = dict(_rows(warehouse, "SELECT arxiv_id, is_safety_narrow FROM paper_relevance"))
    papers = pl.DataFrame(
        [{"arxiv_id": a, "title": t, "abstract": b, "categories": c, "primary_category": c[0]} for a, t, b, c in PAPERS]
    ).with_columns(
        authors=pl.col("arxiv_id").replace_strict(authors, default=[]).list.eval(pl.element().str.to_lowercase())
    )
    expected = relevance.classify_relevance(papers, topics, model=model, researchers=researchers)
    assert stored == dict(expected.select("arxiv_id", "is_safety_narrow").iter_rows())
    # the fairness paper by a listed researcher is made narrow by authorship; the paper without a phrase match is not
    assert stored["2501.00005"] is True and stored["2501.00004"] is False


def test_an_empty_researcher_list_is_reported_as_no_authorship(warehouse):
    topics = taxonomy()
    model = rm.RelevanceModel(
        intercept=-2.0, weights={rm.AUTHOR_FEATURE: 4.0}, threshold=0.5, scope="any_match", taxonomy_sha256="x"
    )
    empty = pl.DataFrame(schema=RESEARCHERS_SCHEMA)
    with warehouse.transaction() as con:
        meta = classify_assets.update_relevance(con, topics, model, researchers=empty)
    assert meta["authorship"] is False and meta["classified"] == len(PAPERS)


def test_batches_bound_the_work(warehouse):
    with warehouse.transaction() as con:
        bundle = classifier_bundle()
        meta = classify_assets.update_relevance(con, bundle.taxonomy, bundle.model, batch_size=2)
    assert meta["classified"] == len(PAPERS) and meta["batches"] == 3
    assert _rows(warehouse, "SELECT count(*) FROM paper_relevance") == [(len(PAPERS),)]


def _insert_frontier_lab_origin(con, arxiv_id: str) -> None:
    """A stored origin row for one paper (frontier lab, from an affiliation), as paper_origins would hold it."""
    from pipelines.defs.classify.origin_assets import PAPER_ORIGINS_DDL

    con.execute(PAPER_ORIGINS_DDL)
    con.execute(
        """INSERT INTO paper_origins (arxiv_id, origin, organizations, origin_evidence, origin_confidence,
            has_frontier_lab_author, first_author_class, last_author_class, n_authors, n_authors_placed,
            origin_version, classified_at)
        VALUES (?, 'frontier_lab', ['Anthropic'], 'affiliation: Anthropic', 0.9, true, 'frontier_lab',
            'unknown', 2, 1, 'v', now())""",
        [arxiv_id],
    )


def test_classification_joins_origins_and_drops_removed_papers(after_first_run):
    warehouse = after_first_run
    with warehouse.transaction() as con:
        _insert_frontier_lab_origin(con, "2501.00001")
        con.execute("DELETE FROM papers WHERE arxiv_id = '2501.00004'")
    result = _run(warehouse)
    assert result.success
    rows = {
        r[0]: r[1:]
        for r in _rows(warehouse, "SELECT arxiv_id, origin, organizations, origin_confidence FROM paper_classification")
    }
    assert rows["2501.00001"] == ("frontier_lab", ["Anthropic"], 0.9)
    assert rows["2501.00002"] == ("unknown", [], 0.0)
    involvement = _rows(
        warehouse,
        "SELECT arxiv_id, has_frontier_lab_author, has_academic_author, first_author_class, n_authors_placed "
        "FROM paper_classification WHERE arxiv_id IN ('2501.00001', '2501.00002') ORDER BY 1",
    )
    assert involvement == [("2501.00001", True, False, "frontier_lab", 1), ("2501.00002", False, False, "unknown", 0)]
    assert "2501.00004" not in rows
    assert _rows(warehouse, "SELECT count(*) FROM paper_relevance WHERE arxiv_id = '2501.00004'") == [(0,)]


def test_implausible_safety_share_fails_the_check(warehouse):
    with warehouse.transaction() as con:
        for i in range(checks.MIN_PAPERS_FOR_SHARE):
            _insert(con, f"2502.{i:05d}", "Jailbreak attacks", "Jailbreak prompts and red teaming.", ["cs.CL"])
    result = _run(warehouse)
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert evaluations["paper_relevance_safety_share_plausible"] is False
    assert evaluations["paper_relevance_covers_papers"] is True


def test_classifier_accuracy_compares_stored_labels_with_the_judged_sample(warehouse):
    from pipelines.defs.classify.assets import classifier_accuracy
    from pipelines.eval_inputs import sample_labels

    judged = sample_labels().filter(pl.col("narrow") == "yes").head(1).row(0, named=True)
    with warehouse.transaction() as con:
        _insert(con, judged["arxiv_id"], "Universal jailbreak attacks", "Jailbreak attacks on aligned LLMs.", ["cs.CL"])
    result = dg.materialize(
        [paper_relevance, paper_classification, classifier_accuracy], resources={"warehouse": warehouse}
    )
    assert result.success
    rows = _rows(
        warehouse,
        "SELECT papers, judged_share, flagged_share, recall FROM classifier_accuracy "
        "WHERE definition = 'narrow' AND split = 'all'",
    )
    assert rows == [(1, 1.0, 1.0, 1.0)]
    assert _rows(warehouse, "SELECT count(*) FROM classifier_accuracy") == [(6,)]


def test_an_incremental_classification_equals_a_full_rebuild(after_first_run):
    warehouse = after_first_run
    with warehouse.transaction() as con:
        _insert_frontier_lab_origin(con, "2501.00002")
        con.execute("DELETE FROM papers WHERE arxiv_id = '2501.00004'")
        con.execute("DELETE FROM papers WHERE arxiv_id = '2501.00003'")
        _insert(
            con,
            "2501.00003",
            "Reward Hacking in Video Agents",
            "Agents exploit misspecified rewards.",
            ["cs.AI"],
            ingested_at=datetime(2025, 2, 1),
        )
        _insert(
            con,
            "2501.00006",
            "Deceptive Alignment Probes",
            "Probing models for deception.",
            ["cs.LG"],
            ingested_at=datetime(2025, 2, 1),
        )
    assert _run(warehouse).success
    [event] = [
        e for e in _run(warehouse).get_asset_materialization_events() if e.asset_key.path == ["paper_classification"]
    ]
    assert event.materialization.metadata["rows_written"].value == 0  # nothing changed since
    incremental = _rows(warehouse, "FROM paper_classification ORDER BY arxiv_id")
    with warehouse.transaction() as con:
        con.execute("DROP TABLE paper_classification")
        assert classify_assets.build_classification(con)["rows_written"] == 5  # rebuilt in full
    assert _rows(warehouse, "FROM paper_classification ORDER BY arxiv_id") == incremental
    ids = [r[0] for r in incremental]
    assert ids == ["2501.00001", "2501.00002", "2501.00003", "2501.00005", "2501.00006"]
    origin = {r[0]: r[1] for r in _rows(warehouse, "SELECT arxiv_id, origin FROM paper_classification")}
    assert origin["2501.00002"] == "frontier_lab"
