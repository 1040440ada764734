"""Second stage of the relevance classifier: a logistic regression over the first stage's phrase matches.

Why a second stage: the first stage's rule (narrow evidence >= narrow_threshold) weighs every phrase the same in
every paper. It cannot tell "reward model" in an RLHF paper from "reward model" in an image-editing paper, nor add
up a topic's phrases that stay below the threshold one by one, weak phrases ("reward function", "human intent")
and the words around them. A linear model learns from labelled papers how much each signal is worth, and the
decision becomes: narrow when the model's probability reaches its
threshold, or the first stage's rule fires and the probability is not below the model's veto (a phrase match
the model finds implausible, e.g. "reward model" in an image-editing paper). Either way the evidence says so.

Features of a paper (all from the first stage's per-phrase table, so the model sees exactly the matched evidence):
- `phrase:<phrase>`: how the phrase was found: title_weight if in the title, + 1 if in the abstract,
  + repeat_bonus if repeated there (the first stage's score divided by the kind's weight);
- `topic:<topic>:<kind>`: the sum of those values over a topic's phrases of one kind;
- `evidence:narrow`, `evidence:broad`: log1p of the first stage's narrow and broad evidence;
- `author:ai_safety`: 1 when an author is in the AI-safety researcher list (safety_authors.py; the base column
  `safety_authors`), so the model learns what a safety researcher's authorship is worth next to the text; names
  too common to tell a person (the model's `common_author_names`, fixed at training) never count;
- `category:<category>`: 1 for each of the paper's arXiv categories (robotics, networking and signal processing
  papers are rarely narrow safety work, whatever their words);
- `near:<head>:<word>`: 1 when `word` occurs within CONTEXT_WINDOW words of a head, a word containing one of
  CONTEXT_HEADS ("align", "robust", "attack", ...): what is aligned or attacked ("aligned with human values" against
  "aligned with pedagogy", "attacks on llms" against "attacks on telemetry"), which the bag of words cannot tell.
  One left-to-right regex pass finds the stretches, which is cheap (about 1 s per 226k papers) but approximate:
  stretches do not overlap, so a head inside another head's stretch adds no stretch of its own ("adversarial
  attacks on llms" gives near:adversar:attacks, near:adversar:llms, no near:attack:*), and a head may start inside
  a word ("unsafe" is read as "safe", "harmonic" as "harm"). Exact windows per head cost 30x more with Polars;
  the model was trained with these features as they are;
- `word:<word>`: 1 when a word of the model's vocabulary occurs in title or abstract (the words found in at least
  MIN_WORD_ITEMS and at most MAX_WORD_SHARE of the training papers the model is fitted on, not STOPWORDS), from the
  same normalised text as the phrases, split at its spaces. (Counts instead of presence scored the same in
  cross-validation and cost a long table per word occurrence.)
The model scores the papers of its scope (candidate_rows): `candidates`, papers with at least one match that is
not a weak phrase (about a fifth of AI papers), or `any_match`, papers with any match, weak included (about two
thirds, three times the cost of the word pass); the others keep the first stage's answer (not safety). Training
chooses the scope by cross-validation and the model file records it.

The weights live in seeds/relevance_model.json, written by `make train` (pipelines/train_relevance.py) from the dev
split of the labels only; the file records what it was trained on. Without the file the first stage runs alone.
Pure functions: Polars and numpy in, Polars and numpy out.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field

import numpy as np
import polars as pl

MODEL_FILE = "relevance_model.json"
FEATURE_SCHEMA = {"_row": pl.UInt32, "feature": pl.String, "value": pl.Float64}
MIN_WORD_ITEMS = 5
MAX_WORD_SHARE = 0.3
MIN_WORD_CHARS = 3
TOP_TERMS = 3  # strongest positive features named in a paper's evidence
WORD_PREFIX = "word:"
CATEGORY_PREFIX = "category:"
CONTEXT_PREFIX = "near:"
CONTEXT_HEADS = ("align", "robust", "attack", "adversar", "safe", "reward", "harm", "secur")
CONTEXT_WINDOW = 3
MIN_CONTEXT_ITEMS = 10
_CONTEXT_RX = (
    rf"(?:[a-z0-9]+ ){{0,{CONTEXT_WINDOW}}}(?:{'|'.join(CONTEXT_HEADS)})[a-z0-9]*(?: [a-z0-9]+){{0,{CONTEXT_WINDOW}}}"
)
AUTHOR_FEATURE = "author:ai_safety"
INTERCEPT_SCALE = 10.0
CONVERGED = 1e-7  # largest Newton step (in weight units) at which a fit has converged
SCOPES = ("candidates", "any_match")
# Function words say more about a text's register than its subject: the labelled positives include many blog posts
# and essays, the negatives are arXiv abstracts, so "about", "how" or "very" would learn the register. Left out.
STOPWORDS = frozenset(
    """
    about above across after afterwards again against all almost alone along already also although always among
    amongst amount and another any anyhow anyone anything anyway anywhere are around back became because become
    becomes becoming been before beforehand behind being below beside besides between beyond both but can cannot
    could did does doing done down due during each either else elsewhere enough etc even ever every everyone
    everything everywhere except few for former formerly from further had has have having hence her here
    hereafter hereby herein hers herself him himself his how however into its itself just last latter latterly
    least less made make many may meanwhile might mine more moreover most mostly much must myself namely neither
    never nevertheless next nobody none noone nor not nothing now nowhere off often once one only onto other
    others otherwise our ours ourselves out over own part per perhaps please put quite rather really same see
    seem seemed seeming seems several she should show side since some somehow someone something sometime
    sometimes somewhere still such take than that the their them themselves then thence there thereafter thereby
    therefore therein thereupon these they thing things this those though through throughout thru thus together
    too toward towards under unless until upon very via was well were what whatever when whence whenever where
    whereafter whereas whereby wherein whereupon wherever whether which while whither who whoever whole whom
    whose why will with within without would yet you your yours yourself yourselves able actually already simply
    want wants like just unfortunately initially indeed clearly certainly basically
    """.split()  # noqa: SIM905 (a list literal of 300 words would be 300 lines)
)


@dataclass(frozen=True)
class RelevanceModel:
    intercept: float
    weights: dict[str, float]
    threshold: float  # probability at which the model alone makes a paper narrow
    taxonomy_sha256: str  # the taxonomy whose phrases the features name
    veto: float = 0.0  # below this probability the model overrules the first stage's narrow answer
    sha256: str = ""  # of the model file, part of the classifier version
    scope: str = "candidates"  # which papers the model scores (candidate_rows)
    # researcher names too common to tell a person (safety_authors.common_names): no authorship signal
    common_author_names: tuple[str, ...] = ()
    training: dict[str, object] = field(default_factory=dict)

    @property
    def words(self) -> list[str]:
        return sorted(f.removeprefix(WORD_PREFIX) for f in self.weights if f.startswith(WORD_PREFIX))

    def weight_table(self) -> pl.DataFrame:
        return pl.DataFrame(
            {"feature": list(self.weights), "weight": list(self.weights.values())},
            schema={"feature": pl.String, "weight": pl.Float64},
        )


def _names(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
        raise TypeError(f"common_author_names must be a list of names, not {value!r:.60}")
    return tuple(value)


def parse_model(text: str, source: str = MODEL_FILE) -> RelevanceModel:
    """The trained model from the text of its file (pipelines.inputs reads it; no file, no second stage).

    A text that is not a model, or whose numbers make no sense (probabilities outside 0..1, a veto above the
    threshold, weights that are not finite), is an error naming `source`.
    """
    try:
        data = json.loads(text)
        model = RelevanceModel(
            intercept=float(data["intercept"]),
            weights={str(k): float(v) for k, v in data["weights"].items()},
            threshold=float(data["threshold"]),
            veto=float(data.get("veto", 0.0)),
            scope=str(data.get("scope", "candidates")),
            taxonomy_sha256=str(data["taxonomy_sha256"]),
            common_author_names=_names(data.get("common_author_names", [])),
            sha256=hashlib.sha256(text.encode()).hexdigest(),
            training=dict(data.get("training", {})),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"{source}: not a relevance model file ({exc!r}); rerun `make train`") from exc
    if model.scope not in SCOPES:
        raise ValueError(f"{source}: scope {model.scope!r} is not one of {SCOPES}; rerun `make train`")
    numbers = [model.intercept, model.threshold, model.veto, *model.weights.values()]
    if not all(math.isfinite(v) for v in numbers) or not 0.0 <= model.veto <= model.threshold < 1.0:
        raise ValueError(
            f"{source}: needs finite weights and 0 <= veto <= threshold < 1 (veto {model.veto}, threshold "
            f"{model.threshold}); rerun `make train`"
        )
    return model


def model_json(model: RelevanceModel) -> str:
    """The text of the model file (parse_model reads it back)."""
    data = {
        "intercept": round(model.intercept, 6),
        "threshold": round(model.threshold, 4),
        "veto": round(model.veto, 4),
        "scope": model.scope,
        "taxonomy_sha256": model.taxonomy_sha256,
        "common_author_names": sorted(model.common_author_names),
        "training": model.training,
        "weights": {k: round(v, 6) for k, v in sorted(model.weights.items()) if abs(v) >= 1e-6},
    }
    return json.dumps(data, indent=1, sort_keys=False) + "\n"


def features(per_phrase: pl.DataFrame, evidence: pl.DataFrame) -> pl.DataFrame:
    """Long table (_row, feature, value) from the first stage's per-phrase scores and per-paper evidence.

    per_phrase: _row, topic, phrase, kind, weight, score (one row per phrase found in a topic);
    evidence: _row, narrow_evidence, broad_evidence.
    """
    found = per_phrase.filter(pl.col("weight") > 0).with_columns(value=pl.col("score") / pl.col("weight"))
    by_phrase = (
        found.group_by("_row", "phrase")
        .agg(pl.max("value"))
        .select("_row", feature=pl.lit("phrase:") + pl.col("phrase"), value="value")
    )
    by_topic = (
        found.group_by("_row", "topic", "kind")
        .agg(pl.sum("value"))
        .select("_row", feature=pl.format("topic:{}:{}", "topic", "kind"), value="value")
    )
    by_evidence = evidence.select(
        "_row",
        narrow=pl.col("narrow_evidence").log1p(),
        broad=pl.col("broad_evidence").log1p(),
    ).unpivot(index="_row", variable_name="feature", value_name="value")
    by_evidence = by_evidence.with_columns(feature=pl.lit("evidence:") + pl.col("feature"))
    return pl.concat(
        [frame.cast(FEATURE_SCHEMA) for frame in (by_phrase, by_topic, by_evidence)], how="vertical"
    ).filter(pl.col("value") != 0)


def candidate_words(base: pl.DataFrame, min_items: int, max_share: float) -> list[str]:
    """Words (of the normalised text) in at least `min_items` and at most `max_share` of the papers: the word
    vocabulary the model may learn from. Lower-case ASCII words of MIN_WORD_CHARS+ characters, not numbers, not
    STOPWORDS."""
    words = (
        base.select("_row", word=(pl.col("title") + pl.col("abstract")).str.to_lowercase().str.split(" "))
        .explode("word")
        .filter(
            pl.col("word").str.contains(f"^[a-z][a-z0-9]{{{MIN_WORD_CHARS - 1},}}$"),
            ~pl.col("word").is_in(list(STOPWORDS)),
        )
        .unique()
        .group_by("word")
        .agg(n=pl.len())
    )
    limit = max_share * base.height
    return sorted(words.filter(pl.col("n") >= min_items, pl.col("n") <= limit)["word"].to_list())


def candidate_rows(per_phrase: pl.DataFrame, scope: str = "candidates") -> pl.DataFrame:
    """(_row) of the papers the second stage scores: with scope `candidates`, those with at least one match that
    is not a weak phrase; with `any_match`, those with any match."""
    if scope not in SCOPES:
        raise ValueError(f"scope {scope!r} is not one of {SCOPES}")
    found = per_phrase if scope == "any_match" else per_phrase.filter(pl.col("kind") != "weak")
    return found.select("_row").unique()


def word_matches(base: pl.DataFrame) -> pl.DataFrame:
    """(_row, words): the distinct words of each paper's normalised title and abstract (lower case). The text is
    already split at punctuation and padded, so these are exactly the whole words a phrase pattern would see."""
    text = (pl.col("title") + pl.col("abstract")).str.to_lowercase()
    return base.select("_row", words=text.str.split(" ").list.unique())


def word_features(base: pl.DataFrame, words: list[str]) -> pl.DataFrame:
    """(_row, word:<w>, 1.0) for every vocabulary word present: the long form the trainer's design matrix uses."""
    vocabulary = pl.DataFrame({"words": words}, schema={"words": pl.String})
    return (
        word_matches(base)
        .explode("words")
        .join(vocabulary, on="words", how="semi")
        .select("_row", feature=pl.lit(WORD_PREFIX) + pl.col("words"), value=pl.lit(1.0))
        .cast(FEATURE_SCHEMA)
    )


def category_features(base: pl.DataFrame) -> pl.DataFrame:
    """(_row, category:<c>, 1.0) for each of the paper's arXiv categories (base column categories)."""
    return (
        base.select("_row", "categories")
        .explode("categories")
        .drop_nulls("categories")
        .unique()
        .select("_row", feature=pl.lit(CATEGORY_PREFIX) + pl.col("categories"), value=pl.lit(1.0))
        .cast(FEATURE_SCHEMA)
    )


def context_features(base: pl.DataFrame) -> pl.DataFrame:
    """(_row, near:<head>:<word>, 1.0): the content words within CONTEXT_WINDOW words of a head word (the first
    word of a stretch that starts with one of CONTEXT_HEADS), once per paper. Stretches are found left to right
    without overlap, so a head inside another's window adds no stretch of its own."""
    text = pl.concat_str([pl.col("title"), pl.col("abstract")], separator=" ").str.to_lowercase()
    spans = (
        base.select("_row", span=text.str.extract_all(_CONTEXT_RX))
        .explode("span")
        .drop_nulls("span")
        .with_row_index("_span")
        .with_columns(token=pl.col("span").str.split(" "))
        .explode("token")
    )
    is_head = pl.col("token").str.contains(f"^(?:{'|'.join(CONTEXT_HEADS)})")
    head = (
        spans.filter(is_head)
        .group_by("_span")
        .agg(head=pl.col("token").first().str.extract(f"^({'|'.join(CONTEXT_HEADS)})"))
    )
    return (
        spans.join(head, on="_span")
        .filter(
            pl.col("token").str.contains(f"^[a-z][a-z0-9]{{{MIN_WORD_CHARS - 1},}}$"),
            ~pl.col("token").is_in(list(STOPWORDS)),
            ~pl.col("token").str.starts_with(pl.col("head")),
        )
        .select("_row", feature=pl.format("{}{}:{}", pl.lit(CONTEXT_PREFIX), "head", "token"), value=pl.lit(1.0))
        .unique()
        .cast(FEATURE_SCHEMA)
    )


def author_features(base: pl.DataFrame) -> pl.DataFrame:
    """(_row, AUTHOR_FEATURE, 1.0) for the papers with an author in the researcher list (base column
    safety_authors; none when the column is absent)."""
    if "safety_authors" not in base.columns:
        return pl.DataFrame(schema=FEATURE_SCHEMA)
    return (
        base.filter(pl.col("safety_authors").list.len() > 0)
        .select("_row", feature=pl.lit(AUTHOR_FEATURE), value=pl.lit(1.0))
        .cast(FEATURE_SCHEMA)
    )


def model_features(
    base: pl.DataFrame, per_phrase: pl.DataFrame, evidence: pl.DataFrame, words: list[str], scope: str = "candidates"
) -> pl.DataFrame:
    """Every feature of the papers in scope (candidate_rows), in long form (training and explanations)."""
    rows = candidate_rows(per_phrase, scope)
    candidates = base.join(rows, on="_row", how="semi")
    phrase_feats = features(per_phrase, evidence).join(rows, on="_row", how="semi")
    return pl.concat(
        [
            phrase_feats,
            author_features(candidates),
            category_features(candidates),
            context_features(candidates),
            word_features(candidates, words),
        ],
        how="vertical",
    )


def _contributions(feats: pl.DataFrame, model: RelevanceModel) -> pl.DataFrame:
    return feats.join(model.weight_table(), on="feature", how="inner").with_columns(
        contribution=pl.col("value") * pl.col("weight")
    )


def probabilities(feats: pl.DataFrame, model: RelevanceModel) -> pl.DataFrame:
    """(_row, model_probability, model_terms) from long features; features the model does not know weigh 0.
    model_terms names the TOP_TERMS features that pushed the probability up most. The reference computation:
    classify_relevance uses model_scores, which must agree with it (tested)."""
    logits = _contributions(feats, model).group_by("_row").agg(logit=pl.sum("contribution"), model_terms=_top_terms())
    rows = feats.select("_row").unique()
    return rows.join(logits, on="_row", how="left").select(
        "_row",
        model_probability=_sigmoid(pl.col("logit").fill_null(0.0) + model.intercept),
        model_terms=pl.col("model_terms"),
    )


def model_scores(
    base: pl.DataFrame, per_phrase: pl.DataFrame, evidence: pl.DataFrame, model: RelevanceModel
) -> pl.DataFrame:
    """(_row, model_probability, model_terms) for the papers in the model's scope; what `probabilities` gives on
    model_features, computed without the long word table: each paper's words are weighed inside its list, and
    the terms are named only for papers the model could make narrow (p >= threshold)."""
    rows = candidate_rows(per_phrase, model.scope)
    in_scope = base.join(rows, on="_row", how="semi")
    extra = []
    if any(f.startswith(CATEGORY_PREFIX) for f in model.weights):
        extra.append(category_features(in_scope))
    if any(f.startswith(CONTEXT_PREFIX) for f in model.weights):
        extra.append(context_features(in_scope))
    phrase_feats = pl.concat([features(per_phrase, evidence), author_features(base), *extra], how="vertical").join(
        rows, on="_row", how="semi"
    )
    phrase_logits = _contributions(phrase_feats, model).group_by("_row").agg(phrase_logit=pl.sum("contribution"))
    weights = {f.removeprefix(WORD_PREFIX): w for f, w in model.weights.items() if f.startswith(WORD_PREFIX)}
    matches = word_matches(base.join(rows, on="_row", how="semi"))
    word_logit = pl.col("words").list.eval(pl.element().replace_strict(weights, default=0.0, return_dtype=pl.Float64))
    scored = (
        matches.with_columns(word_logit=word_logit.list.sum())
        .join(phrase_logits, on="_row", how="left")
        .with_columns(
            model_probability=_sigmoid(
                pl.col("phrase_logit").fill_null(0.0) + pl.col("word_logit").fill_null(0.0) + model.intercept
            )
        )
    )
    likely = scored.filter(pl.col("model_probability") >= model.threshold)
    word_rows = likely.select("_row", "words").explode("words").filter(pl.col("words").is_in(list(weights)))
    explained = pl.concat(
        [
            phrase_feats.join(likely.select("_row"), on="_row", how="semi"),
            word_rows.select("_row", feature=pl.lit(WORD_PREFIX) + pl.col("words"), value=pl.lit(1.0)).cast(
                FEATURE_SCHEMA
            ),
        ],
        how="vertical",
    )
    terms = _contributions(explained, model).group_by("_row").agg(model_terms=_top_terms())
    return scored.select("_row", "model_probability").join(terms, on="_row", how="left")


def _top_terms() -> pl.Expr:
    positive = pl.col("contribution") > 0
    return (
        pl.col("feature")
        .filter(positive)
        .sort_by(pl.col("contribution").filter(positive), pl.col("feature").filter(positive), descending=[True, False])
        .head(TOP_TERMS)
        .str.join(", ")
    )


def _sigmoid(logit: pl.Expr) -> pl.Expr:
    return 1.0 / (1.0 + (-logit).exp())


# ---------------------------------------------------------------- training (numpy)


def design_matrix(feats: pl.DataFrame, n_rows: int, vocabulary: list[str]) -> np.ndarray:
    """Dense rows x vocabulary matrix from the long feature table (rows are _row 0..n_rows-1)."""
    index = pl.DataFrame({"feature": vocabulary, "_col": np.arange(len(vocabulary), dtype=np.int64)})
    cells = feats.join(index, on="feature", how="inner")
    matrix = np.zeros((n_rows, len(vocabulary)))
    matrix[cells["_row"].to_numpy(), cells["_col"].to_numpy()] = cells["value"].to_numpy()
    return matrix


def vocabulary_of(feats: pl.DataFrame, rows: np.ndarray, min_items: int) -> list[str]:
    """Features present in at least `min_items` of the given rows (context features in MIN_CONTEXT_ITEMS: there
    are many, and a rare pair is noise), sorted."""
    present = feats.filter(pl.col("_row").is_in(pl.Series(rows).cast(pl.UInt32).implode()))
    counts = (
        present.group_by("feature")
        .agg(n=pl.col("_row").n_unique())
        .filter(
            pl.col("n") >= min_items,
            ~pl.col("feature").str.starts_with(CONTEXT_PREFIX) | (pl.col("n") >= MIN_CONTEXT_ITEMS),
        )
    )
    return sorted(counts["feature"].to_list())


def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    l2: float,
    iterations: int = 50,
    start: np.ndarray | None = None,
    gram: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method; returns (weights, intercept).

    The intercept is a constant column of INTERCEPT_SCALE, so its penalty is l2 / INTERCEPT_SCALE**2 (almost
    none) while every column shares one penalty, which lets a step with more features than items be solved in
    the items' space (Woodbury identity), where the items' Gram matrix is computed once for every step: a few
    thousand items by any number of features stays fast. `start` (weights, then the intercept divided by
    INTERCEPT_SCALE: fit_start) begins from an earlier solution, e.g. the fit of the next stronger penalty;
    `gram` (items_gram(x)) saves computing the Gram matrix again for fits on the same x.
    """
    n, d = x.shape
    xb = np.hstack([x, np.full((n, 1), INTERCEPT_SCALE)])
    if gram is None and d + 1 > n:
        gram = items_gram(x)
    w = np.zeros(d + 1) if start is None else start.copy()
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(xb @ w)))
        grad = xb.T @ (p - y) + l2 * w
        step = _newton_step(xb, p * (1 - p), grad, l2, gram)
        w -= step
        if np.max(np.abs(step)) < CONVERGED:
            return w[:-1], float(w[-1] * INTERCEPT_SCALE)
    raise RuntimeError(f"logistic regression did not converge in {iterations} Newton steps (l2={l2}); raise l2")


def items_gram(x: np.ndarray) -> np.ndarray:
    """x x' with fit_logistic's intercept column included."""
    return x @ x.T + INTERCEPT_SCALE**2


def fit_start(weights: np.ndarray, intercept: float) -> np.ndarray:
    """fit_logistic's `start` from a solution it returned."""
    return np.append(weights, intercept / INTERCEPT_SCALE)


def _newton_step(
    x: np.ndarray, curvature: np.ndarray, grad: np.ndarray, l2: float, gram: np.ndarray | None = None
) -> np.ndarray:
    """Solve (x' diag(curvature) x + l2 I) step = grad, in whichever of the two spaces is smaller; `gram` is
    x x' when the items' space is (computed here if not given)."""
    n, d = x.shape
    if d <= n:
        return np.linalg.solve((x * curvature[:, None]).T @ x + l2 * np.eye(d), grad)
    gram = x @ x.T if gram is None else gram
    root = np.sqrt(curvature)
    inner = l2 * np.eye(n) + root[:, None] * gram * root[None, :]  # = l2 I + (diag(root) x)(diag(root) x)'
    return (grad - x.T @ (root * np.linalg.solve(inner, root * (x @ grad)))) / l2


def predict(x: np.ndarray, weights: np.ndarray, intercept: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(x @ weights + intercept)))


def fold_of(keys: list[str], folds: int, salt: str = "relevance-cv") -> np.ndarray:
    """A fixed fold per item from an MD5 of its key, so cross-validation is the same on every run."""
    return np.array([int(hashlib.md5(f"{salt}:{k}".encode()).hexdigest()[:8], 16) % folds for k in keys])
