"""The labelled sets the relevance and topic classifiers are scored (and the second stage trained) on.

- TAI Safety Bibliography works (deduplicated by normalised title): TechSafety = narrow positive, NotSafety =
  negative; MetaSafety, UnsortedSafety and anything tagged ambiguous have no narrow truth.
- The corpus sample: 4,000 random papers of the arXiv corpus (draw_samples), each judged narrow / broad /
  borderline against the written rubric (docs/labelling.md), listed by id in seeds/eval/corpus_sample_labels.csv;
  the text is read from the corpus. Borderline papers have no truth. They measure precision and recall on the
  population the pipeline classifies.
- The training pool: more corpus papers judged the same way, drawn only from the dev half, among the papers
  with a phrase match (pool_strata: candidates, the `candidates` scope, and weak-only papers), listed in
  seeds/eval/corpus_pool_labels.csv. Not a random sample of the corpus, so it trains the second stage and is
  never scored.
- The scope audit: dev-side papers outside the second stage's `candidates` scope, judged the same way: the 1,600
  that the second stage's word weights rated highest and 800 at random (seeds/eval/corpus_audit_labels.csv).
  Never scored; its weak-only papers train the `any_match` scope; its random part measures how much safety
  work lies outside the `candidates` scope.
- The bibliography's works read against the same rubric (seeds/eval/tai_rubric_labels.csv, keyed by item_hash):
  not a truth, a measure of how much of TAI's TechSafety label a reading of title and abstract can recover.
- Alignment Newsletter items with a mapped topic, for topic scores.
Every item goes to dev or test by evaluation.split_of over its normalised title. Pure functions.
"""

from __future__ import annotations

import hashlib

import polars as pl

from pipelines import contract
from pipelines.lib import labels as lab
from pipelines.lib.evaluation import binary_metrics, split_of
from pipelines.lib.relevance import classify_relevance, phrase_scores, prepare
from pipelines.lib.relevance_model import RelevanceModel
from pipelines.lib.taxonomy import Taxonomy

MIN_ABSTRACT_CHARS = 100
# Label-set works carry no arXiv categories, but every paper the pipeline classifies does, and 99% of the corpus
# papers with narrow evidence pass the AI-context guard through them (1% rely on AI terms in the text). Scoring
# the bibliographies' works without categories would measure that guard on essays about decision theory or game
# theory that never say "AI", so they are given the category an arXiv listing in the field carries. The report
# also shows the scores without it (`label_categories=()`).
LABEL_ITEM_CATEGORIES = ("cs.AI",)
JUDGEMENTS = ("yes", "no", "borderline")
SAMPLE_COLUMNS = ("arxiv_id", "narrow", "broad", "note", "pass")
TAI_RUBRIC_COLUMNS = ("item_hash", "narrow", "broad", "note")
# The judged sample was drawn in two rounds of 2,000, each with its own seed, the second excluding the first.
SAMPLE_DRAWS = ((20250301, 2000), (20261123, 2000))
POOL_COLUMNS = ("arxiv_id", "stratum", "narrow", "broad", "note")
# The training pool was drawn in rounds, each with its own seed and, per stratum of the dev half (pool_strata), a
# number of papers; each round excludes the papers of the rounds before.
POOL_DRAWS = ((20261124, {"candidate": 1800, "weak_only": 600}), (20261125, {"candidate": 2400}))
POOL_STRATA = ("candidate", "weak_only")
BLIND_COLUMNS = ("arxiv_id", "stratum", "narrow", "note")
# The fresh blind set (docs/labelling.md): test-side corpus papers never judged before, drawn by what the classifier
# of BLIND_CLASSIFIER_VERSION said of them; the stratum sizes are what was drawn, the populations are stored beside
# the labels (corpus_blind_strata.csv) because a later classifier cannot recompute them.
BLIND_SEED = 20261207
BLIND_DRAW = {"flagged": 480, "near": 200, "mid": 120, "low": 100}
BLIND_NEAR, BLIND_MID = 0.15, 0.05  # second-stage probability bounds of the unflagged strata
BLIND_CLASSIFIER_VERSION = "54c896bfe1f1"
# The hard-case training pool: dev-side papers the same classifier flagged or nearly flagged, judged for training.
HARD_COLUMNS = ("arxiv_id", "round", "stratum", "narrow", "note")
# round: (seed, the classifier version whose answers make the strata, papers per stratum). Each round excludes the
# papers of the rounds before; round 2 looks for the false positives of the classifier retrained on round 1.
HARD_ROUNDS = {
    "1": (20261209, BLIND_CLASSIFIER_VERSION, {"flagged": 1200, "near": 300}),
    "2": (20261210, "dde44d3e0ec5", {"flagged": 1200, "near": 300}),
}
HARD_STRATA = ("flagged", "near")
# The re-reading of the judged sample's test split: every paper the classifier flagged, every unflagged paper
# judged yes or borderline, and REREAD_RANDOM unflagged in-scope papers at random (so that the reader cannot
# tell the flagged ones from the rest).
REREAD_COLUMNS = ("arxiv_id", "flagged", "narrow", "note")  # flagged: by the classifier of the draw
RELABEL_COLUMNS = ("arxiv_id", "narrow", "note")
NO_RELABELS = pl.DataFrame(schema=dict.fromkeys(RELABEL_COLUMNS, pl.String))
# One reader, one packet: 100 flagged papers of the test split's rereading and 100 of the blind set's flagged
# stratum (each drawn with Polars sample(100, seed=1)), shuffled together: are the papers or the readers different?
MIXED_COLUMNS = ("arxiv_id", "source", "narrow", "note")
REREAD_SEED, REREAD_RANDOM = 20261208, 100
AUDIT_COLUMNS = ("arxiv_id", "stratum", "selection", "narrow", "broad", "note")
AUDIT_VALUES = {"stratum": ("weak_only", "no_match"), "selection": ("top_word_score", "random")}
# seeds/taxonomy.yaml as it was when the pool was drawn (commit f9e33d3): the strata depend on its phrases.
POOL_TAXONOMY_SHA256 = "6791f186c472729b39b0c865289d0a0336f1970c34b3e8ea33fac6e56750add6"


# The files of seeds/eval (pipelines.eval_inputs reads them; errors here name them).
SAMPLE_FILE = "corpus_sample_labels.csv"
POOL_FILE = "corpus_pool_labels.csv"
AUDIT_FILE = "corpus_audit_labels.csv"
BLIND_FILE = "corpus_blind_labels.csv"
BLIND_SECOND_FILE = "corpus_blind_second_labels.csv"
BLIND_STRATA_FILE = "corpus_blind_strata.csv"
HARD_FILE = "corpus_hard_labels.csv"
RELABEL_FILE = "corpus_relabel_labels.csv"
REREAD_FILE = "corpus_reread_labels.csv"
REREAD_CLARIFIED_FILE = "corpus_reread_clarified_labels.csv"
MIXED_FILE = "corpus_mixed_labels.csv"
TAI_RUBRIC_FILE = "tai_rubric_labels.csv"


def item_hashes(keys: pl.Series) -> pl.Series:
    """The first 16 hex digits of the MD5 of each normalised title: how seeds/eval names a bibliography work
    without copying its title."""
    return pl.Series("item_hash", [hashlib.md5(k.encode()).hexdigest()[:16] for k in keys.fill_null("")])


def has_abstract() -> pl.Expr:
    return pl.col("abstract").fill_null("").str.len_chars() >= MIN_ABSTRACT_CHARS


def parse_sample_labels(raw: pl.DataFrame, relabels: pl.DataFrame, source: str = SAMPLE_FILE) -> pl.DataFrame:
    """The judged corpus sample: arxiv_id, narrow, broad (yes|no|borderline), note. Bad rows name their line.
    `narrow` is the clarified rubric's where the training labels were read again (with_relabels)."""
    return with_relabels(_judgements(raw, SAMPLE_COLUMNS, source), relabels)


def parse_relabels(raw: pl.DataFrame, source: str = RELABEL_FILE) -> pl.DataFrame:
    """Training papers first judged narrow yes or borderline, read again under the clarified rubric (arxiv_id,
    narrow, note); NO_RELABELS when there is no such file."""
    return _judgements(raw, RELABEL_COLUMNS, source)


def with_relabels(judged: pl.DataFrame, relabels: pl.DataFrame) -> pl.DataFrame:
    """`judged` with `narrow` (and `note`, prefixed "clarified rubric: ") replaced by the second reading where
    there is one (relabels: parse_relabels, or NO_RELABELS); the first reading stays in `narrow_first`."""
    second = relabels.select("arxiv_id", narrow_second="narrow", note_second="note")
    return (
        judged.join(second, on="arxiv_id", how="left")
        .with_columns(
            narrow_first=pl.col("narrow"),
            narrow=pl.coalesce("narrow_second", "narrow"),
            note=pl.when(pl.col("narrow_second").is_not_null())
            .then(pl.lit("clarified rubric: ") + pl.col("note_second").fill_null(""))
            .otherwise(pl.col("note")),
        )
        .drop("narrow_second", "note_second")
        # broad includes narrow (the rubric): a paper read narrow the second time is broad too
        .pipe(
            lambda f: (
                f.with_columns(broad=pl.when(pl.col("narrow") == "yes").then(pl.lit("yes")).otherwise("broad"))
                if "broad" in f.columns
                else f
            )
        )
    )


def parse_audit_labels(raw: pl.DataFrame, relabels: pl.DataFrame, source: str = AUDIT_FILE) -> pl.DataFrame:
    """The judged scope audit: arxiv_id, stratum, selection, narrow, broad, note. Bad rows name their line.
    `narrow` is the clarified rubric's where there is a second reading (with_relabels)."""
    return with_relabels(_judgements(raw, AUDIT_COLUMNS, source, allowed=AUDIT_VALUES), relabels)


def parse_tai_rubric_labels(raw: pl.DataFrame, source: str = TAI_RUBRIC_FILE) -> pl.DataFrame:
    """The bibliography's works judged against the rubric: item_hash, narrow, broad, note. Bad rows name their
    line; relevance_set refuses a hash that names no work."""
    frame = _judgements(raw, TAI_RUBRIC_COLUMNS, source, id_col="item_hash")
    bad = frame.with_row_index("line", offset=2).filter(
        pl.col("item_hash").is_null() | ~pl.col("item_hash").str.contains("^[0-9a-f]{16}$")
    )
    if bad.height:
        row = bad.row(0, named=True)
        raise ValueError(f"{source}:{row['line']}: item_hash={row['item_hash']!r} is not 16 hex digits (item_hashes)")
    return frame


def parse_pool_labels(raw: pl.DataFrame, relabels: pl.DataFrame, source: str = POOL_FILE) -> pl.DataFrame:
    """The judged training pool: arxiv_id, stratum, narrow, broad, note. Bad rows name their line.
    `narrow` is the clarified rubric's where there is a second reading (with_relabels)."""
    frame = _judgements(raw, POOL_COLUMNS, source, allowed={"stratum": POOL_STRATA})
    return with_relabels(frame, relabels)


def parse_blind_labels(raw: pl.DataFrame, source: str = BLIND_FILE) -> pl.DataFrame:
    """The fresh blind set, or its second reading (another reader, same rubric): arxiv_id, stratum, narrow, note.
    Bad rows name their line."""
    return _judgements(raw, BLIND_COLUMNS, source, allowed={"stratum": tuple(BLIND_DRAW)})


def parse_blind_strata(frame: pl.DataFrame, source: str = BLIND_STRATA_FILE) -> pl.DataFrame:
    """stratum, population, drawn (read as integers): the corpus papers of each stratum when the blind set was
    drawn."""
    if sorted(frame["stratum"]) != sorted(BLIND_DRAW):
        raise ValueError(f"{source}: strata {sorted(frame['stratum'])}, expected {sorted(BLIND_DRAW)}")
    return frame


def parse_hard_labels(raw: pl.DataFrame, source: str = HARD_FILE) -> pl.DataFrame:
    """The hard-case training pool: arxiv_id, round, stratum, narrow, note (no broad judgement). Bad rows name
    their line."""
    allowed = {"stratum": HARD_STRATA, "round": tuple(HARD_ROUNDS)}
    return _judgements(raw, HARD_COLUMNS, source, allowed=allowed)


def parse_mixed_labels(raw: pl.DataFrame, source: str = MIXED_FILE) -> pl.DataFrame:
    """The mixed reading (MIXED_COLUMNS; source test_split or blind). Bad rows name their line."""
    return _judgements(raw, MIXED_COLUMNS, source, allowed={"source": ("test_split", "blind")})


def parse_reread_labels(raw: pl.DataFrame, source: str = REREAD_FILE) -> pl.DataFrame:
    """A reading of the judged sample's test split (the second, or the third under the clarified rubric): arxiv_id,
    flagged (by the classifier of the draw), narrow, note. Bad rows name their line."""
    frame = _judgements(raw, REREAD_COLUMNS, source, allowed={"flagged": ("true", "false")})
    return frame.with_columns(pl.col("flagged") == "true")


def _judgements(
    frame: pl.DataFrame,
    columns: tuple[str, ...],
    source: str,
    id_col: str = "arxiv_id",
    allowed: dict[str, tuple[str, ...]] | None = None,
) -> pl.DataFrame:
    """A judged-labels CSV read as strings, checked: every column present, `narrow` and `broad` where present (and
    each column of `allowed`) one of its values, `id_col` unique. A bad row is an error naming `source` and its
    line."""
    missing = set(columns) - set(frame.columns)
    if missing:
        raise ValueError(f"{source}: missing columns {sorted(missing)}")
    judged = {c: JUDGEMENTS for c in ("narrow", "broad") if c in columns}
    for col, values in {**judged, **(allowed or {})}.items():
        bad = frame.with_row_index("line", offset=2).filter(pl.col(col).is_null() | ~pl.col(col).is_in(values))
        if bad.height:
            row = bad.row(0, named=True)
            raise ValueError(f"{source}:{row['line']}: {col}={row[col]!r} is not one of {values}")
    dupes = frame.filter(pl.col(id_col).is_duplicated())[id_col].unique().to_list()
    if dupes:
        raise ValueError(f"{source}: {id_col} listed twice: {sorted(dupes)[:5]}")
    return frame


def draw_samples(corpus: pl.DataFrame, label_keys: pl.Series) -> list[pl.DataFrame]:
    """The random papers that were judged, drawn again: per SAMPLE_DRAWS round, a sample of the corpus papers whose
    normalised title is not in the label sets (`label_keys`) nor drawn in an earlier round."""
    keyed = corpus.with_columns(item_key=lab.normalize_title(pl.col("title"))).filter(
        ~pl.col("item_key").is_in(label_keys.implode())
    )
    draws = []
    for seed, n in SAMPLE_DRAWS:
        draw = keyed.sample(n=min(n, keyed.height), seed=seed, shuffle=True)
        keyed = keyed.filter(~pl.col("arxiv_id").is_in(draw["arxiv_id"].implode()))
        draws.append(draw)
    return draws


def corpus_sample(corpus: pl.DataFrame, sample_labels: pl.DataFrame, source: str = SAMPLE_FILE) -> pl.DataFrame:
    """The judged papers (of the file `source`) with their text from the corpus; an id the corpus lacks is an error
    naming it and the file."""
    joined = sample_labels.join(corpus, on="arxiv_id", how="left")
    absent = joined.filter(pl.col("title").is_null())["arxiv_id"].to_list()
    if absent:
        raise ValueError(f"{source}: ids not in the corpus: {absent[:5]} ({len(absent)} in all)")
    return joined.with_columns(item_key=lab.normalize_title(pl.col("title")))


def pool_strata(corpus: pl.DataFrame, taxonomy: Taxonomy) -> pl.DataFrame:
    """(arxiv_id, stratum) of the corpus papers the second stage could score: `candidate` (a match that is not a
    weak phrase; the `candidates` scope) or `weak_only` (weak phrases only; added by the `any_match` scope).
    Papers without any match are in neither."""
    base = prepare(corpus)
    per_phrase = phrase_scores(base, taxonomy)
    strong = per_phrase.filter(pl.col("kind") != "weak").select("_row").unique()
    rows = (
        per_phrase.select("_row")
        .unique()
        .with_columns(
            stratum=pl.when(pl.col("_row").is_in(strong["_row"].implode()))
            .then(pl.lit("candidate"))
            .otherwise(pl.lit("weak_only"))
        )
    )
    return rows.join(base.select("_row", "arxiv_id"), on="_row").select("arxiv_id", "stratum").sort("arxiv_id")


def draw_pool(corpus: pl.DataFrame, excluded_keys: pl.Series, taxonomy: Taxonomy) -> list[pl.DataFrame]:
    """The training pool's draws, one frame (arxiv_id, stratum) per POOL_DRAWS round: the round's number of papers
    of each stratum, at random, among the corpus papers with an abstract on the dev side of the split whose
    normalised title is not in `excluded_keys` (the label sets and the judged sample) nor drawn in an earlier
    round. The strata depend on the taxonomy of the day (docs/labelling.md names it)."""
    keyed = (
        corpus.unique("arxiv_id")
        .with_columns(item_key=lab.normalize_title(pl.col("title")))
        .filter(~pl.col("item_key").is_in(excluded_keys.implode()), has_abstract())
        .sort("arxiv_id")
    )
    strata = pool_strata(keyed.filter(split_of(keyed["item_key"]) == "dev"), taxonomy)
    draws = []
    for seed, sizes in POOL_DRAWS:
        draw = pl.concat(
            [
                strata.filter(pl.col("stratum") == stratum).sample(n=n, seed=seed, shuffle=True)
                for stratum, n in sizes.items()
            ]
        ).sort("arxiv_id")
        strata = strata.filter(~pl.col("arxiv_id").is_in(draw["arxiv_id"].implode()))
        draws.append(draw)
    return draws


def blind_strata(classified: pl.DataFrame) -> pl.DataFrame:
    """(arxiv_id, stratum) from classifier output (arxiv_id, is_safety_narrow, model_probability): `flagged`
    (narrow), else by the second stage's probability `near` (> BLIND_NEAR), `mid` (> BLIND_MID), `low` (the
    rest, papers outside the second stage's scope included)."""
    p = pl.col("model_probability").fill_null(0.0)
    return classified.select(
        "arxiv_id",
        stratum=pl.when(pl.col("is_safety_narrow"))
        .then(pl.lit("flagged"))
        .when(p > BLIND_NEAR)
        .then(pl.lit("near"))
        .when(p > BLIND_MID)
        .then(pl.lit("mid"))
        .otherwise(pl.lit("low")),
    )


def _fresh_strata(
    corpus: pl.DataFrame, classified: pl.DataFrame, excluded_keys: pl.Series, excluded_ids: pl.Series, side: str
) -> pl.DataFrame:
    """(arxiv_id, stratum) by blind_strata of the corpus papers with an abstract on `side` of the split whose
    normalised title is not in `excluded_keys` and whose id is not in `excluded_ids`."""
    keyed = (
        corpus.unique("arxiv_id")
        .with_columns(item_key=lab.normalize_title(pl.col("title")))
        .filter(
            ~pl.col("item_key").is_in(excluded_keys.implode()),
            ~pl.col("arxiv_id").is_in(excluded_ids.implode()),
            has_abstract(),
        )
        .sort("arxiv_id")
    )
    eligible = keyed.filter(split_of(keyed["item_key"]) == side).select("arxiv_id")
    return blind_strata(classified.join(eligible, on="arxiv_id", how="semi").sort("arxiv_id"))


def _sample_strata(strata: pl.DataFrame, sizes: dict[str, int], seed: int) -> pl.DataFrame:
    return pl.concat(
        [
            strata.filter(pl.col("stratum") == stratum).sample(n=n, seed=seed, shuffle=True)
            for stratum, n in sizes.items()
        ]
    ).sort("arxiv_id")


def draw_blind(
    corpus: pl.DataFrame, classified: pl.DataFrame, excluded_keys: pl.Series, excluded_ids: pl.Series
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The fresh blind set: (drawn: arxiv_id, stratum; strata: stratum, population, drawn). Drawn from the corpus
    papers with an abstract on the test side of the split whose normalised title is not in `excluded_keys` (the
    label sets) and whose id is not in `excluded_ids` (every paper judged before), BLIND_DRAW papers per stratum
    at random (BLIND_SEED)."""
    strata = _fresh_strata(corpus, classified, excluded_keys, excluded_ids, "test")
    drawn = _sample_strata(strata, BLIND_DRAW, BLIND_SEED)
    counts = (
        strata.group_by("stratum")
        .len("population")
        .join(drawn.group_by("stratum").len("drawn"), on="stratum")
        .with_columns(pl.col("population", "drawn").cast(pl.Int64))
        .sort("stratum")
    )
    return drawn, counts


def draw_hard(
    corpus: pl.DataFrame,
    classified: pl.DataFrame,
    excluded_keys: pl.Series,
    excluded_ids: pl.Series,
    round_: str,
) -> pl.DataFrame:
    """One round of the hard-case training pool (arxiv_id, round, stratum): dev-side papers never judged before
    (not in `excluded_ids`, which must hold the earlier rounds), HARD_ROUNDS[round_] papers per stratum
    (blind_strata of `classified`, the answers of the round's classifier) at random. Training only."""
    seed, _, sizes = HARD_ROUNDS[round_]
    strata = _fresh_strata(corpus, classified, excluded_keys, excluded_ids, "dev")
    return _sample_strata(strata, sizes, seed).with_columns(round=pl.lit(round_)).select("arxiv_id", "round", "stratum")


def draw_reread(sample: pl.DataFrame, classified: pl.DataFrame) -> pl.DataFrame:
    """(arxiv_id, flagged) of the judged sample's test split to read again: see REREAD_SEED. `sample` is
    corpus_sample() output; `classified` the classifier's arxiv_id, is_safety_narrow, model_probability."""
    test = sample.filter(split_of(sample["item_key"]) == "test").join(classified, on="arxiv_id").sort("arxiv_id")
    flagged = test.filter(pl.col("is_safety_narrow"))
    judged_safety = test.filter(~pl.col("is_safety_narrow"), pl.col("narrow").is_in(["yes", "borderline"]))
    rest = test.filter(
        ~pl.col("is_safety_narrow"), pl.col("narrow") == "no", pl.col("model_probability").is_not_null()
    ).sample(n=REREAD_RANDOM, seed=REREAD_SEED, shuffle=True)
    return pl.concat([flagged, judged_safety, rest]).select("arxiv_id", flagged="is_safety_narrow").sort("arxiv_id")


def tai_works(tai: pl.DataFrame) -> pl.DataFrame:
    """TAI items deduplicated by normalised title (preprint and published copies); conflicting labels dropped."""
    if "authors" not in tai.columns:
        tai = tai.with_columns(authors=pl.lit([], dtype=pl.List(pl.String)))
    return (
        tai.group_by("item_key")
        .agg(
            pl.first("title"),
            abstract=pl.col("abstract").drop_nulls().first(),
            authors=pl.col("authors").filter(pl.col("authors").list.len() > 0).first(),  # a copy that names them
            labels=pl.col("label").drop_nulls().unique(),
            ambiguous=pl.col("ambiguous").any(),
            item_type=pl.first("item_type"),
        )
        .filter(pl.col("labels").list.len() == 1)
        .with_columns(label=pl.col("labels").list.first())
        .drop("labels")
        .sort("item_key")
    )


def relevance_set(
    tai: pl.DataFrame,
    sample: pl.DataFrame,
    label_categories: tuple[str, ...] = LABEL_ITEM_CATEGORIES,
    pool: pl.DataFrame | None = None,
    tai_rubric: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Narrow-relevance items: source (tai|corpus|pool), label (tech|meta|not|unsorted|corpus), ambiguous, title,
    abstract, arxiv_id, categories, judged narrow/broad/note (corpus, pool), truth_narrow (NULL: no truth) and
    split. `pool` (the training pool joined to the corpus, as corpus_sample joins the sample) is for training
    only; a pool paper on the test side of the split is an error. `tai_rubric` (parse_tai_rubric_labels) adds
    `rubric_narrow`, the rubric's reading of a bibliography work (NULL for other items and works not read)."""
    works = tai_works(tai).select(
        "item_key",
        "title",
        "abstract",
        "label",
        "ambiguous",
        "item_type",
        source=pl.lit("tai"),
        arxiv_id=pl.lit(None, pl.String),
        categories=pl.lit(list(label_categories), dtype=pl.List(pl.String)),
        primary_category=pl.lit(None, pl.String),
        authors="authors",
        judged_narrow=pl.lit(None, pl.String),
        judged_broad=pl.lit(None, pl.String),
        judged_note=pl.lit(None, pl.String),
    )
    judged = [_judged_items(sample, "corpus")] + ([] if pool is None else [_judged_items(pool, "pool")])
    items = pl.concat([works, *judged], how="vertical_relaxed")
    truth = (
        pl.when(pl.col("ambiguous") | ~has_abstract())
        .then(pl.lit(None, pl.Boolean))
        .when(pl.col("label") == "tech")
        .then(True)
        .when(pl.col("label") == "not")
        .then(False)
        .when(pl.col("judged_narrow") == "yes")
        .then(True)
        .when(pl.col("judged_narrow") == "no")
        .then(False)
    )
    items = items.with_columns(truth_narrow=truth, split=split_of(items["item_key"]))
    rubric = pl.lit(None, pl.String)
    if tai_rubric is not None:
        hashes = item_hashes(items["item_key"])
        known = hashes.filter(items["source"] == "tai").implode()
        unknown = tai_rubric.filter(~pl.col("item_hash").is_in(known))["item_hash"].to_list()
        if unknown:
            raise ValueError(
                f"{TAI_RUBRIC_FILE}: item_hash names no bibliography work: {unknown[:5]} ({len(unknown)} in all)"
            )
        read = dict(zip(tai_rubric["item_hash"], tai_rubric["narrow"], strict=True))
        rubric = pl.when(pl.col("source") == "tai").then(hashes.replace_strict(read, default=None))
    items = items.with_columns(rubric_narrow=rubric)
    _check_pool(items)
    return items


def _check_pool(items: pl.DataFrame) -> None:
    """Pool papers must be dev-side and must not share a work with the scored label sets."""
    pool = items.filter(pl.col("source") == "pool")
    where = f"{POOL_FILE}, {AUDIT_FILE} or {HARD_FILE}"
    leaked = pool.filter(pl.col("split") == "test")["arxiv_id"].to_list()
    if leaked:
        raise ValueError(f"{where}: papers on the test side of the split: {leaked[:5]} ({len(leaked)} in all)")
    scored_keys = items.filter(pl.col("source") != "pool")["item_key"].implode()
    shared = pool.filter(pl.col("item_key").is_in(scored_keys))["arxiv_id"].to_list()
    if shared:
        raise ValueError(f"{where}: papers that are also label-set works: {shared[:5]} ({len(shared)} in all)")


def _judged_items(judged: pl.DataFrame, source: str) -> pl.DataFrame:
    return judged.select(
        "item_key",
        "title",
        "abstract",
        label=pl.lit("corpus"),
        ambiguous=pl.lit(False),
        item_type=pl.lit("arxiv"),
        source=pl.lit(source),
        arxiv_id="arxiv_id",
        categories="categories",
        primary_category="primary_category",
        authors=pl.col("authors") if "authors" in judged.columns else pl.lit([], dtype=pl.List(pl.String)),
        judged_narrow="narrow",
        judged_broad="broad",
        judged_note="note",
    )


def topic_set(an: pl.DataFrame, label_categories: tuple[str, ...] = LABEL_ITEM_CATEGORIES) -> pl.DataFrame:
    """Newsletter items with a mapped topic, minus works TAI labels NotSafety (capabilities work the editor
    filed under an alignment heading, e.g. imitation learning under "Learning human intent")."""
    items = (
        an.filter(pl.col("gold_topic").is_not_null(), pl.col("tai_label").fill_null("") != "not")
        .unique("item_key", keep="first")
        .sort("item_key")
        .with_columns(categories=pl.lit(list(label_categories), dtype=pl.List(pl.String)))
    )
    return items.with_columns(split=split_of(items["item_key"]))


def classify_items(
    items: pl.DataFrame,
    taxonomy: Taxonomy,
    model: RelevanceModel | None = None,
    researchers: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Run the classifier on label items (keyed by row) and attach its columns (with scoring details); their
    `authors` (when present) are matched against `researchers` as the pipeline matches a paper's."""
    keyed = items.with_row_index("_item").with_columns(pl.col("_item").cast(pl.String))
    papers = lab.as_papers(keyed, id_col="_item")
    result = classify_relevance(papers, taxonomy, model=model, researchers=researchers, details=True).rename(
        {"arxiv_id": "_item"}
    )
    return keyed.join(result, on="_item", how="left", maintain_order="left").drop("_item")


ACCURACY_SCHEMA = contract.table("classifier_accuracy").polars_schema()  # the table this module computes


def judged_accuracy(judged: pl.DataFrame) -> pl.DataFrame:
    """How the warehouse's labels compare with the judged sample, per definition (narrow, broad) and split.

    `judged`: one row per judged AI paper the warehouse holds: title, narrow, broad (yes|no|borderline),
    is_safety_narrow, is_safety_broad. Borderline papers are left out. The dev split trained the second stage, so
    its row is in-sample; test is the honest figure. Shares are of the papers scored.
    """
    keyed = judged.with_columns(split=split_of(lab.normalize_title(judged["title"].fill_null(""))))
    rows = []
    for definition in ("narrow", "broad"):
        scored = keyed.filter(pl.col(definition).is_in(["yes", "no"]))
        for split in ("dev", "test", "all"):
            part = scored if split == "all" else scored.filter(pl.col("split") == split)
            truth, flagged = part[definition] == "yes", part[f"is_safety_{definition}"]
            m = binary_metrics(truth, flagged)
            rows.append(
                {
                    "definition": definition,
                    "split": split,
                    "papers": part.height,
                    "judged_share": float(truth.mean()) if part.height else None,
                    "flagged_share": float(flagged.mean()) if part.height else None,
                    "precision": m["precision"],
                    "recall": m["recall"],
                }
            )
    return pl.DataFrame(rows, schema=ACCURACY_SCHEMA)
