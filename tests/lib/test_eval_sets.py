"""The labelled evaluation sets: the judged corpus sample file, its join to the corpus, and the narrow truth."""

import functools
import json
import re

import polars as pl
import pytest

from pipelines import eval_inputs, inputs, settings
from pipelines import warehouse as wh
from pipelines.ingest import RunRecord
from pipelines.lib import eval_sets as es
from pipelines.lib import labels as lab
from pipelines.snapshot import load_snapshot
from pipelines.train_relevance import choose_operating_point

HEADER = "arxiv_id,narrow,broad,note,pass\n"


def _write(tmp_path, body: str):
    path = tmp_path / "labels.csv"
    path.write_text(HEADER + body)
    return path


def _strings(path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False)


def _sample(path) -> pl.DataFrame:
    return es.parse_sample_labels(_strings(path), es.NO_RELABELS, str(path))


def test_sample_labels_name_the_bad_line(tmp_path):
    path = _write(tmp_path, "2501.00001,yes,yes,jailbreaks,first\n2501.00002,maybe,no,,first\n")
    with pytest.raises(ValueError, match=r"labels\.csv:3: narrow='maybe'"):
        _sample(path)


def test_sample_labels_reject_blank_judgements(tmp_path):
    with pytest.raises(ValueError, match=r"labels\.csv:2: broad=None"):
        _sample(_write(tmp_path, "2501.00001,no,,,first\n"))


def test_sample_labels_reject_duplicates_and_missing_columns(tmp_path):
    with pytest.raises(ValueError, match="listed twice"):
        _sample(_write(tmp_path, "2501.00001,no,no,,first\n2501.00001,no,no,,first\n"))
    path = tmp_path / "short.csv"
    path.write_text("arxiv_id,narrow\n2501.00001,no\n")
    with pytest.raises(ValueError, match="missing columns"):
        _sample(path)


def test_corpus_sample_needs_every_id_in_the_corpus(tmp_path):
    labels = _sample(_write(tmp_path, "2501.00001,no,no,,first\n2501.00009,no,no,,first\n"))
    corpus = pl.DataFrame(
        {
            "arxiv_id": ["2501.00001"],
            "title": ["A paper"],
            "abstract": ["x"],
            "categories": [["cs.LG"]],
            "primary_category": ["cs.LG"],
        }
    )
    with pytest.raises(ValueError, match=r"not in the corpus: \['2501.00009'\]"):
        es.corpus_sample(corpus, labels)


def test_narrow_truth_of_each_kind_of_item():
    abstract = "An abstract long enough to be scored. " * 4
    tai = pl.DataFrame(
        {
            "item_key": ["t1", "t2", "t3", "t4", "t5"],
            "title": ["T1", "T2", "T3", "T4", "T5"],
            "abstract": [abstract, abstract, abstract, abstract, None],
            "label": ["tech", "not", "meta", "tech", "tech"],
            "ambiguous": [False, False, False, True, False],
            "item_type": ["journalArticle"] * 5,
        }
    )
    sample = pl.DataFrame(
        {
            "item_key": ["c1", "c2", "c3"],
            "title": ["C1", "C2", "C3"],
            "abstract": [abstract] * 3,
            "arxiv_id": ["1", "2", "3"],
            "categories": [["cs.CV"]] * 3,
            "primary_category": ["cs.CV"] * 3,
            "narrow": ["yes", "no", "borderline"],
            "broad": ["yes", "no", "yes"],
            "note": ["a", None, "b"],
        }
    )
    items = es.relevance_set(tai, sample)
    truth = dict(zip(items["item_key"], items["truth_narrow"], strict=True))
    assert truth == {"t1": True, "t2": False, "t3": None, "t4": None, "t5": None, "c1": True, "c2": False, "c3": None}
    cats = dict(zip(items["item_key"], items["categories"].to_list(), strict=True))
    assert cats["t1"] == list(es.LABEL_ITEM_CATEGORIES) and cats["c1"] == ["cs.CV"]
    bare = es.relevance_set(tai, sample, label_categories=())
    assert bare.filter(pl.col("source") == "tai")["categories"].to_list() == [[]] * 5
    assert set(items["split"].unique()) <= {"dev", "test"}


def test_committed_corpus_sample_file_is_valid():
    labels = eval_inputs.sample_labels()
    assert labels.height == 4000
    assert set(labels["narrow"].unique()) == set(es.JUDGEMENTS)
    # narrow work is broad work too
    assert labels.filter(pl.col("narrow") == "yes", pl.col("broad") != "yes").height == 0


def test_operating_point_is_the_best_corpus_f1():
    def point(threshold, corpus_f1, all_f1):
        return {"l2": 1, "threshold": threshold, "veto": 0.0, "corpus": {"f1": corpus_f1}, "all": {"f1": all_f1}}

    grid = [point(0.5, 0.70, 0.90), point(0.3, 0.81, 0.80), point(0.2, 0.81, 0.85), point(0.1, None, 0.95)]
    assert choose_operating_point(grid)["threshold"] == 0.2


@pytest.mark.slow
def test_the_committed_sample_is_the_documented_random_draw():
    """seeds/eval lists exactly the papers draw_samples draws from the shipped corpus (docs/labelling.md)."""
    if not (settings.labels_dir() / lab.TAI_FILE).exists() or not settings.snapshot_path().exists():
        pytest.skip(f"labels or real corpus not found under {settings.shared_data_dir()} (set SHARED_DATA_DIR)")
    tai = eval_inputs.tai()
    an = eval_inputs.alignment_newsletter()
    corpus = eval_inputs.corpus()
    draws = es.draw_samples(corpus, pl.concat([tai["item_key"], an["item_key"]]).unique())
    drawn = set(pl.concat(draws)["arxiv_id"].to_list())
    assert [d.height for d in draws] == [n for _, n in es.SAMPLE_DRAWS]
    assert drawn == set(eval_inputs.sample_labels()["arxiv_id"].to_list())


def test_judged_accuracy_per_definition_and_split():
    judged = pl.DataFrame(
        {
            "title": [f"paper {i}" for i in range(8)],
            "narrow": ["yes", "yes", "no", "no", "no", "borderline", "yes", "no"],
            "broad": ["yes"] * 4 + ["no"] * 4,
            "is_safety_narrow": [True, False, True, False, False, True, True, False],
            "is_safety_broad": [True] * 8,
        }
    )
    out = es.judged_accuracy(judged)
    narrow = out.filter(pl.col("definition") == "narrow", pl.col("split") == "all").row(0, named=True)
    assert narrow["papers"] == 7  # the borderline paper has no truth
    assert narrow["precision"] == 2 / 3 and narrow["recall"] == 2 / 3
    assert narrow["judged_share"] == 3 / 7 and narrow["flagged_share"] == 3 / 7
    broad = out.filter(pl.col("definition") == "broad", pl.col("split") == "all").row(0, named=True)
    assert broad["precision"] == 0.5 and broad["recall"] == 1.0 and broad["flagged_share"] == 1.0
    assert set(out["split"]) == {"dev", "test", "all"}
    dev_test = out.filter(pl.col("definition") == "narrow", pl.col("split") != "all")["papers"].sum()
    assert dev_test == 7


def test_tai_reading_rejects_malformed_and_unknown_hashes(tmp_path):
    path = tmp_path / "reading.csv"
    path.write_text("item_hash,narrow,broad,note\n0123456789abcdef,no,no,\nnot-a-hash,no,no,\n")
    with pytest.raises(ValueError, match=r"reading\.csv:3: item_hash='not-a-hash'"):
        es.parse_tai_rubric_labels(_strings(path), str(path))
    reading = pl.DataFrame({"item_hash": ["0123456789abcdef"], "narrow": ["no"], "broad": ["no"], "note": [None]})
    empty = pl.DataFrame(schema=SAMPLE_SCHEMA)
    with pytest.raises(ValueError, match="item_hash names no bibliography work"):
        es.relevance_set(_tai(["t1"]), empty, tai_rubric=reading)


SAMPLE_SCHEMA = {
    "item_key": pl.String,
    "title": pl.String,
    "abstract": pl.String,
    "arxiv_id": pl.String,
    "categories": pl.List(pl.String),
    "primary_category": pl.String,
    "narrow": pl.String,
    "broad": pl.String,
    "note": pl.String,
}


def _tai(keys: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "item_key": keys,
            "title": keys,
            "abstract": ["An abstract long enough to be scored. " * 4] * len(keys),
            "label": ["tech"] * len(keys),
            "ambiguous": [False] * len(keys),
            "item_type": ["blogPost"] * len(keys),
        }
    )


def test_pool_papers_that_are_label_set_works_are_refused():
    keys = [k for k in (f"paper {i}" for i in range(40)) if es.split_of(pl.Series([k]))[0] == "dev"][:2]
    pool = pl.DataFrame(
        {
            "item_key": keys,
            "title": keys,
            "abstract": ["An abstract long enough to be scored. " * 4] * 2,
            "arxiv_id": ["1", "2"],
            "categories": [["cs.LG"]] * 2,
            "primary_category": ["cs.LG"] * 2,
            "narrow": ["no"] * 2,
            "broad": ["no"] * 2,
            "note": [None] * 2,
        },
        schema=SAMPLE_SCHEMA,
    )
    files = r"corpus_audit_labels\.csv or corpus_hard_labels\.csv"
    with pytest.raises(ValueError, match=files + r": papers that are also label-set works: \[.2.\]"):
        es.relevance_set(_tai([keys[1]]), pool.head(0), pool=pool)


def test_pool_papers_on_the_test_side_are_refused():
    abstract = "An abstract long enough to be scored. " * 4
    tai = pl.DataFrame(
        schema={
            "item_key": pl.String,
            "title": pl.String,
            "abstract": pl.String,
            "label": pl.String,
            "ambiguous": pl.Boolean,
            "item_type": pl.String,
        }
    )
    keys = [f"paper {i}" for i in range(40)]
    sides = es.split_of(pl.Series(keys)).to_list()
    pool = pl.DataFrame(
        {
            "item_key": keys,
            "title": keys,
            "abstract": [abstract] * 40,
            "arxiv_id": [str(i) for i in range(40)],
            "categories": [["cs.LG"]] * 40,
            "primary_category": ["cs.LG"] * 40,
            "narrow": ["no"] * 40,
            "broad": ["no"] * 40,
            "note": [None] * 40,
        }
    )
    dev_only = pool.filter(pl.Series(sides) == "dev")
    items = es.relevance_set(tai, pool.head(0), pool=dev_only)
    assert set(items["source"]) == {"pool"} and set(items["split"]) == {"dev"}
    files = r"corpus_audit_labels\.csv or corpus_hard_labels\.csv"
    with pytest.raises(ValueError, match=files + r": papers on the test side"):
        es.relevance_set(tai, pool.head(0), pool=pool)


@pytest.mark.slow
def test_committed_pool_is_the_documented_draw_of_dev_side_papers():
    """seeds/eval/corpus_pool_labels.csv lists the draw_pool rounds: dev-side corpus papers outside the label sets
    and the judged sample (docs/labelling.md)."""
    if not (settings.labels_dir() / lab.TAI_FILE).exists() or not settings.snapshot_path().exists():
        pytest.skip(f"labels or real corpus not found under {settings.shared_data_dir()} (set SHARED_DATA_DIR)")
    pool = eval_inputs.pool_labels()
    assert pool.filter(pl.col("narrow") == "yes", pl.col("broad") != "yes").height == 0
    corpus = eval_inputs.corpus()
    tai = eval_inputs.tai()
    sample = es.corpus_sample(corpus, eval_inputs.sample_labels())
    joined = es.corpus_sample(corpus, pool)  # every id is in the corpus
    assert set(es.split_of(joined["item_key"])) == {"dev"}
    assert not set(joined["item_key"]) & (set(sample["item_key"]) | set(tai["item_key"]))
    taxonomy = inputs.taxonomy()
    if taxonomy.seed_sha256 != es.POOL_TAXONOMY_SHA256:
        pytest.skip("the taxonomy changed since the pool was drawn: its strata cannot be drawn again")
    draws = es.draw_pool(corpus, pl.concat([tai["item_key"], sample["item_key"]]).unique(), taxonomy)
    drawn = pl.concat(draws).sort("arxiv_id")
    assert drawn.equals(pool.select("arxiv_id", "stratum").sort("arxiv_id"))


def test_committed_tai_reading_names_only_labelled_works_with_abstracts():
    reading = eval_inputs.tai_rubric_labels()
    assert reading.filter(pl.col("narrow") == "yes", pl.col("broad") != "yes").height == 0
    if not (settings.labels_dir() / lab.TAI_FILE).exists():
        pytest.skip(f"labels not found under {settings.shared_data_dir()} (set SHARED_DATA_DIR)")
    works = es.tai_works(eval_inputs.tai()).filter(
        es.has_abstract(), ~pl.col("ambiguous"), pl.col("label").is_in(["tech", "not"])
    )
    assert set(reading["item_hash"]) == set(es.item_hashes(works["item_key"]))


def test_the_tai_reading_joins_bibliography_works_only():
    abstract = "An abstract long enough to be scored. " * 4
    tai = pl.DataFrame(
        {
            "item_key": ["t1", "t2"],
            "title": ["T1", "T2"],
            "abstract": [abstract, abstract],
            "label": ["tech", "tech"],
            "ambiguous": [False, False],
            "item_type": ["blogPost"] * 2,
        }
    )
    sample = pl.DataFrame(
        {
            "item_key": ["t1"],  # a corpus paper that shares a work's key gets no reading
            "title": ["T1"],
            "abstract": [abstract],
            "arxiv_id": ["1"],
            "categories": [["cs.AI"]],
            "primary_category": ["cs.AI"],
            "narrow": ["yes"],
            "broad": ["yes"],
            "note": ["a"],
        }
    )
    reading = pl.DataFrame(
        {"item_hash": es.item_hashes(pl.Series(["t1"])), "narrow": ["no"], "broad": ["no"], "note": [None]}
    )
    items = es.relevance_set(tai, sample, tai_rubric=reading)
    got = {(r["source"], r["item_key"]): r["rubric_narrow"] for r in items.iter_rows(named=True)}
    assert got == {("tai", "t1"): "no", ("tai", "t2"): None, ("corpus", "t1"): None}


def test_audit_labels_name_the_bad_value(tmp_path):
    path = tmp_path / "audit.csv"
    header = "arxiv_id,stratum,selection,narrow,broad,note\n"
    path.write_text(header + "2501.00001,weak_only,random,no,no,\n2501.00002,no_match,best,no,no,\n")
    with pytest.raises(ValueError, match=r"audit\.csv:3: selection='best'"):
        es.parse_audit_labels(_strings(path), es.NO_RELABELS, str(path))
    path.write_text(header + "2501.00001,candidate,random,no,no,\n")
    with pytest.raises(ValueError, match=r"audit\.csv:2: stratum='candidate'"):
        es.parse_audit_labels(_strings(path), es.NO_RELABELS, str(path))
    path.write_text(header + "2501.00001,weak_only,,no,no,\n")
    with pytest.raises(ValueError, match=r"audit\.csv:2: selection=None"):
        es.parse_audit_labels(_strings(path), es.NO_RELABELS, str(path))


@pytest.mark.slow
def test_committed_audit_is_dev_side_and_apart_from_every_other_set():
    if not (settings.labels_dir() / lab.TAI_FILE).exists() or not settings.snapshot_path().exists():
        pytest.skip(f"labels or real corpus not found under {settings.shared_data_dir()} (set SHARED_DATA_DIR)")
    audit = eval_inputs.audit_labels()
    assert audit.filter(pl.col("narrow") == "yes", pl.col("broad") != "yes").height == 0
    corpus = eval_inputs.corpus()
    joined = es.corpus_sample(corpus, audit, es.AUDIT_FILE)
    assert set(es.split_of(joined["item_key"])) == {"dev"}
    sample = es.corpus_sample(corpus, eval_inputs.sample_labels())
    tai = eval_inputs.tai()
    assert not set(joined["item_key"]) & (set(sample["item_key"]) | set(tai["item_key"]))
    assert not set(audit["arxiv_id"]) & set(eval_inputs.pool_labels()["arxiv_id"])


def test_bibliography_authors_become_normalised_first_last_names():
    authors = pl.Series(
        ["Leike, Jan; Krueger, David; Ngo, Richard", "Kokotajlo, Daniel", "OpenAI", None, "", "Steinhardt, Jacob, Jr."]
    )
    names = pl.select(lab.tai_author_names(pl.lit(authors))).to_series().to_list()
    assert names == [
        ["jan leike", "david krueger", "richard ngo"],
        ["daniel kokotajlo"],
        ["openai"],
        [],
        [],
        ["jacob steinhardt"],  # split at the first comma; normalisation drops the suffix
    ]


def test_corpus_papers_carry_their_authors_as_ingestion_parses_them(tmp_path):
    record = {
        "id": "2501.00001",
        "title": "T",
        "abstract": "A",
        "categories": "cs.LG",
        "authors": "Jan Leike (OpenAI), Éva Tardos and D. Krueger",
    }
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(record) + "\n")
    assert eval_inputs.corpus(path)["authors"].to_list() == [["jan leike", "eva tardos", "d krueger"]]
    assert eval_inputs.corpus(path, ("id", "title", "abstract", "categories"))["authors"].to_list() == [[]]
    # the warehouse's paper_authors (what the paper_relevance asset matches) holds the same names in the same order
    run = RunRecord(run_id="t", asset="test", source="arxiv_snapshot")
    db = tmp_path / "w.duckdb"
    with wh.transaction(db) as con:
        load_snapshot(con, path, run, log=lambda _: None)
        ingested = con.execute("SELECT list(name_normalized ORDER BY position) FROM paper_authors").fetchall()
    assert ingested == [(["jan leike", "eva tardos", "d krueger"],)]


def test_a_second_reading_replaces_the_first_and_keeps_it():
    judged = pl.DataFrame(
        {"arxiv_id": ["a", "b"], "narrow": ["yes", "yes"], "broad": ["yes", "yes"], "note": ["x", "y"]}
    )
    relabels = pl.DataFrame({"arxiv_id": ["b"], "narrow": ["no"], "note": ["alignment in another sense"]})
    out = es.with_relabels(judged, relabels)
    assert out["narrow"].to_list() == ["yes", "no"] and out["narrow_first"].to_list() == ["yes", "yes"]
    assert out["note"].to_list() == ["x", "clarified rubric: alignment in another sense"]


@pytest.mark.parametrize(
    ("parse", "text", "error"),
    [
        (
            functools.partial(es.parse_pool_labels, relabels=es.NO_RELABELS),
            "arxiv_id,stratum,narrow,broad,note\n1,candidate,no,no,\n2,random,no,no,\n",
            ":3: stratum='random'",
        ),
        (
            functools.partial(es.parse_pool_labels, relabels=es.NO_RELABELS),
            "arxiv_id,stratum,narrow,broad,note\n1,,no,no,\n",
            ":2: stratum=None",
        ),
        (
            es.parse_blind_labels,
            "arxiv_id,stratum,narrow,note\n1,flagged,yes,\n2,sideways,no,\n",
            ":3: stratum='sideways'",
        ),
        (es.parse_hard_labels, "arxiv_id,round,stratum,narrow,note\n1,1,near,perhaps,\n", ":2: narrow='perhaps'"),
        (es.parse_hard_labels, "arxiv_id,round,stratum,narrow,note\n1,9,near,no,\n", ":2: round='9'"),
    ],
)
def test_label_files_name_the_bad_line(tmp_path, parse, text, error):
    path = tmp_path / "labels.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=r"labels\.csv" + re.escape(error)):
        parse(_strings(path), source=str(path))


@pytest.mark.slow
def test_the_committed_blind_set_is_test_side_and_never_trained_on():
    blind, second = eval_inputs.blind_labels(), eval_inputs.blind_labels(es.BLIND_SECOND_FILE)
    strata = eval_inputs.blind_strata()
    assert blind.height == sum(es.BLIND_DRAW.values()) and set(second["arxiv_id"]) == set(blind["arxiv_id"])
    assert dict(blind.group_by("stratum").len().iter_rows()) == es.BLIND_DRAW
    assert dict(strata.select("stratum", "drawn").iter_rows()) == es.BLIND_DRAW
    assert blind.join(second, on="arxiv_id").filter(pl.col("stratum") != pl.col("stratum_right")).is_empty()
    training = pl.concat(
        [
            eval_inputs.sample_labels()["arxiv_id"],
            eval_inputs.pool_labels()["arxiv_id"],
            eval_inputs.audit_labels()["arxiv_id"],
            eval_inputs.relabel_labels()["arxiv_id"],
            *([eval_inputs.hard_labels()["arxiv_id"]] if eval_inputs.eval_path(es.HARD_FILE).exists() else []),
        ]
    )
    assert not set(blind["arxiv_id"]) & set(training)
    if not settings.snapshot_path().exists():
        pytest.skip("corpus not found")
    corpus = eval_inputs.corpus()
    joined = es.corpus_sample(corpus, blind.select("arxiv_id", "stratum"), es.BLIND_FILE)
    assert set(es.split_of(joined["item_key"])) == {"test"}
    if eval_inputs.eval_path(es.HARD_FILE).exists():
        hard = es.corpus_sample(corpus, eval_inputs.hard_labels(), es.HARD_FILE)
        assert set(es.split_of(hard["item_key"])) == {"dev"}
        assert not set(hard["item_key"]) & set(joined["item_key"])


def test_the_rereadings_cover_the_same_papers_with_the_same_flags():
    first, clarified = eval_inputs.reread_labels(), eval_inputs.reread_labels(es.REREAD_CLARIFIED_FILE)
    assert first.select("arxiv_id", "flagged").equals(clarified.select("arxiv_id", "flagged"))
    sample = eval_inputs.sample_labels()
    assert set(first["arxiv_id"]) <= set(sample["arxiv_id"])
    assert first["flagged"].sum() == 138


def test_each_committed_hard_round_is_the_documented_draw_size():
    hard = eval_inputs.hard_labels()
    for round_, frame in hard.group_by("round"):
        sizes = es.HARD_ROUNDS[round_[0]][2]
        assert dict(frame.group_by("stratum").len().iter_rows()) == sizes
    assert hard["arxiv_id"].is_unique().all()


@pytest.mark.slow
def test_second_readings_are_of_dev_side_training_papers_only():
    relabels = eval_inputs.relabel_labels()
    training = pl.concat(
        [
            eval_inputs.sample_labels()["arxiv_id"],
            eval_inputs.pool_labels()["arxiv_id"],
            eval_inputs.audit_labels()["arxiv_id"],
        ]
    )
    assert set(relabels["arxiv_id"]) <= set(training)
    if not settings.snapshot_path().exists():
        pytest.skip("corpus not found")
    joined = es.corpus_sample(eval_inputs.corpus(), relabels.with_columns(broad=pl.lit("no")))
    assert set(es.split_of(joined["item_key"])) == {"dev"}
