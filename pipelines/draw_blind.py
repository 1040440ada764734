"""Draw the papers for a blind reading and write the reading packets (docs/labelling.md, "The fresh blind set").

    .venv/bin/python -m pipelines.draw_blind [--out data/reading]

Writes reading packets to `<out>`: `blind_packet.jsonl` (the fresh blind set), `reread_packet.jsonl` (the judged
sample's test split to read again), `relabel_packet.jsonl` (the training papers first judged narrow yes or
borderline) and `hard_packet.jsonl` (the hard-case pool's first round); with `--hard-round N` only that round's
`hardN_packet.jsonl`. One paper per line with id, title, categories and abstract only, in an order that hides the
strata, so the reader sees neither the classifier's answer nor an earlier judgement. Writes the blind set's strata
(stratum, population, drawn) to seeds/eval/corpus_blind_strata.csv, and the ids to read to `<out>/*_ids.csv`.
The strata come from the classifier of the day: drawing again with another classifier version is refused.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import polars as pl

from pipelines import eval_inputs, settings
from pipelines.inputs import classifier_bundle
from pipelines.lib import eval_sets as es
from pipelines.lib import labels as lab
from pipelines.lib.relevance import classify_relevance


def _shuffled(frame: pl.DataFrame, seed: int) -> pl.DataFrame:
    key = [hashlib.md5(f"{seed}:{i}".encode()).hexdigest() for i in frame["arxiv_id"]]
    return frame.with_columns(_key=pl.Series(key)).sort("_key").drop("_key")


def _packet(corpus: pl.DataFrame, ids: pl.DataFrame, seed: int, path: Path) -> None:
    papers = corpus.unique("arxiv_id").join(ids.select("arxiv_id"), on="arxiv_id", how="semi")
    papers = papers.select("arxiv_id", "title", pl.col("categories").list.join(" "), "abstract")
    _shuffled(papers, seed).rename({"arxiv_id": "id"}).write_ndjson(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=settings.PROJECT_ROOT / "data" / "reading")
    parser.add_argument(
        "--hard-round", choices=sorted(es.HARD_ROUNDS), help="draw only this round of the hard-case training pool"
    )
    args = parser.parse_args()
    bundle = classifier_bundle()
    version = bundle.relevance_version
    wanted = es.HARD_ROUNDS[args.hard_round][1] if args.hard_round else es.BLIND_CLASSIFIER_VERSION
    if version != wanted:
        raise SystemExit(
            f"this set was drawn with classifier {wanted}; this one is {version}: "
            "check out the commit that drew it (docs/labelling.md)"
        )
    corpus = eval_inputs.corpus().unique("arxiv_id", keep="last")
    classified = classify_relevance(
        corpus, bundle.taxonomy, model=bundle.model, researchers=bundle.researchers, details=True
    ).select("arxiv_id", "is_safety_narrow", "model_probability")
    tai = eval_inputs.tai()
    relabels = eval_inputs.relabel_labels()
    sample = es.corpus_sample(corpus, eval_inputs.sample_labels(relabels))
    pool, audit = eval_inputs.pool_labels(relabels), eval_inputs.audit_labels(relabels)
    judged_ids = pl.concat([sample["arxiv_id"], pool["arxiv_id"], audit["arxiv_id"]]).unique()
    judged_keys = corpus.join(pl.DataFrame({"arxiv_id": judged_ids}), on="arxiv_id", how="semi").select(
        lab.normalize_title(pl.col("title")).alias("item_key")
    )
    excluded_keys = pl.concat([tai["item_key"], judged_keys["item_key"]]).unique()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.hard_round:
        earlier = [r for r in sorted(es.HARD_ROUNDS) if r < args.hard_round]
        hard_labels = eval_inputs.hard_labels().filter(pl.col("round").is_in(earlier))
        hard = es.draw_hard(
            corpus, classified, excluded_keys, pl.concat([judged_ids, hard_labels["arxiv_id"]]), args.hard_round
        )
        name = f"hard{args.hard_round}"
        hard.write_csv(args.out / f"{name}_ids.csv")
        _packet(corpus, hard, es.HARD_ROUNDS[args.hard_round][0], args.out / f"{name}_packet.jsonl")
        print(f"hard-case round {args.hard_round}: {hard.height} papers; packet in {args.out}")
        return
    drawn, strata = es.draw_blind(corpus, classified, excluded_keys, judged_ids)
    reread = es.draw_reread(sample, classified)
    hard = es.draw_hard(corpus, classified, excluded_keys, judged_ids, "1")
    # The training labels read again under the clarified rubric: every training paper first judged yes or
    # borderline (the clarifications spell out exclusions); the judged sample's dev half, the pool and the audit.
    dev_sample = sample.filter(es.split_of(sample["item_key"]) == "dev")
    relabel = pl.concat(
        [
            frame.filter(pl.col("narrow_first").is_in(["yes", "borderline"])).select("arxiv_id")
            for frame in (dev_sample, pool, audit)
        ]
    ).unique()

    strata.write_csv(eval_inputs.eval_path(es.BLIND_STRATA_FILE))
    drawn.write_csv(args.out / "blind_ids.csv")
    reread.write_csv(args.out / "reread_ids.csv")
    _packet(corpus, drawn, es.BLIND_SEED, args.out / "blind_packet.jsonl")
    _packet(corpus, reread, es.REREAD_SEED, args.out / "reread_packet.jsonl")
    _packet(corpus, relabel, es.REREAD_SEED, args.out / "relabel_packet.jsonl")
    hard.write_csv(args.out / "hard_ids.csv")
    _packet(corpus, hard, es.HARD_ROUNDS["1"][0], args.out / "hard_packet.jsonl")
    print(strata)
    print(f"blind set: {drawn.height} papers; re-read: {reread.height} ({int(reread['flagged'].sum())} flagged)")
    print(f"relabel: {relabel.height} training papers judged yes or borderline; packets in {args.out}")


if __name__ == "__main__":
    main()
