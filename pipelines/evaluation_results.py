"""What `make eval` measures: pipelines/evaluate.py computes an Evaluation, pipelines/evaluation_report.py writes it
as docs/evaluation.md."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from pipelines.evaluate_blind import BlindEvaluation
from pipelines.lib.relevance_model import RelevanceModel

SPLITS = ("dev", "test")
MIN_CLASS_SUPPORT = 5  # topics with fewer gold items in a split are shown but left out of macro-F1


@dataclass(frozen=True)
class SplitScores:
    """One split's scores: narrow_metrics dicts (keys all, tai, corpus, all_rubric, tai_rubric, confusion) of the
    classifier, its first stage alone, its AI context read from text only and its second stage without authorship;
    evaluation.binary_metrics of broad on the judged corpus sample; topic_metrics with and without abstracts."""

    narrow: dict
    first_stage: dict
    text_context: dict
    unauthored: dict
    broad_corpus: dict
    topics: dict
    topics_title_only: dict


@dataclass(frozen=True)
class RubricReading:
    """How the bibliography's TechSafety works read against the rubric: narrow (yes), borderline or not (no)."""

    tech_safety: int
    yes: int
    borderline: int
    no: int


@dataclass(frozen=True)
class JudgedSample:
    shares: pl.DataFrame  # per split: judged and flagged shares of the corpus sample
    test_errors: pl.DataFrame  # test-split papers judged yes and not flagged, or judged no and flagged


@dataclass(frozen=True)
class Authorship:
    """The authorship signal on the whole corpus (evaluate.authorship_effect and the researcher matches)."""

    narrow: int
    added: int
    removed: int
    added_share: float
    authored_papers: int  # corpus papers with an author whose name counts
    top_name: str  # the counted name on the most corpus papers
    top_papers: int
    researchers: int  # names in the researcher list
    common_names: int  # names the model never counts


@dataclass(frozen=True)
class AlignmentGraph:
    kept: int  # alignment-graph's kept papers
    joined: int  # of those, in our corpus
    by_split: pl.DataFrame
    by_cluster: pl.DataFrame


@dataclass(frozen=True)
class Evaluation:
    written_at: datetime
    classifier_version: str
    model: RelevanceModel | None
    set_aside: str | None  # why the second stage was left out, if it was
    sample_size: int  # judged corpus-sample papers
    splits: dict[str, SplitScores]
    targets_met: dict[str, bool]
    blind: BlindEvaluation | None  # None without the blind label file
    rubric_reading: RubricReading
    second_stage: pl.DataFrame | None  # evaluate.second_stage_counts; None without a second stage
    label_flag_rates: pl.DataFrame
    judged_sample: JudgedSample
    topic_coverage: pl.DataFrame
    corpus_rates: pl.DataFrame  # papers, broad and narrow shares of the whole corpus
    authorship: Authorship | None  # None unless the model weighs authorship
    corpus_topics: pl.DataFrame  # primary topics of the flagged corpus papers
    alignment_graph: AlignmentGraph
    origin_markdown: str  # origin_eval.evaluate_origin writes its own section
    origin_metrics: dict
    seconds: float
