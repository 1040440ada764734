"""A small but realistic published warehouse with every contract table, filled with hand-made rows."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType

import duckdb
import polars as pl
import pytest

from pipelines import contract, search_index

NOW = dt.datetime(2026, 8, 20, 6, 30)

# arxiv_id, date, title, abstract, categories, authors, narrow, broad, topics, origin, organizations
# fmt: off
PAPERS = [
    ("2302.01011", "2023-02-03", "Toy Models of Feature Superposition Revisited",
     "We study sparse features in small networks and their interpretability.",
     ["cs.LG", "cs.AI"], ["Ana Lopez", "Ben Carter"], True, True, ["interpretability"], "academic",
     ["University of Oxford"]),
    ("2305.04412", "2023-05-11", "A Benchmark for Image Segmentation of Road Scenes",
     "We release a dataset for segmentation of road scenes.",
     ["cs.CV"], ["Chen Wei", "Dmitri Ivanov"], False, False, [], "unknown", []),
    ("2309.07719", "2023-09-19", "Reward Hacking in Preference Optimization",
     "Reward models are exploited by RLHF policies; we measure reward hacking.",
     ["cs.LG", "cs.CL"], ["Eve Martin", "Farid Haddad", "Grace Kim"], True, True, ["alignment_training"],
     "frontier_lab", ["OpenAI"]),
    ("2401.00123", "2024-01-02", "Jailbreaking Aligned Chat Models with Suffixes",
     "We find universal adversarial suffixes that jailbreak aligned language models.",
     ["cs.CL", "cs.CR"], ["Hiro Tanaka", "Ines O'Brien"], True, True, ["red_teaming"], "mixed",
     ["Carnegie Mellon University", "Google DeepMind"]),
    ("2403.05521", "2024-03-14", "Fairness Constraints for Credit Scoring",
     "We study bias and fairness of credit scoring classifiers.",
     ["cs.LG", "cs.CY"], ["Jo Smith"], False, True, ["fairness"], "academic", ["Stanford University"]),
    ("2406.09931", "2024-06-21", "Sparse Autoencoders Find Interpretable Features in Language Models",
     "Sparse autoencoders recover monosemantic features; mechanistic interpretability at scale.",
     ["cs.LG", "cs.AI"], ["Ana Lopez", "Kai Müller", "Lena Novak"], True, True,
     ["interpretability"], "frontier_lab", ["Anthropic"]),
    ("2409.11112", "2024-09-05", "Weak-to-Strong Generalization for Scalable Oversight",
     "Can weak supervisors elicit strong capabilities? Scalable oversight experiments.",
     ["cs.LG"], ["Mia Rossi", "Noah Levi"], True, True, ["scalable_oversight"], "frontier_lab", ["OpenAI"]),
    ("2411.02233", "2024-11-12", "Differential Privacy for Federated Language Models",
     "Privacy guarantees for federated training of language models at 100% utility.",
     ["cs.CR", "cs.LG"], ["Omar Aziz"], False, True, ["privacy"], "industry", ["Microsoft Research"]),
    ("2502.03344", "2025-02-07", "Sleeper Agents: Deceptive Behaviour Persists Through Safety Training",
     "Model organisms of deception and scheming survive safety training.",
     ["cs.AI", "cs.LG"], ["Pia Berg", "Quinn Ho"], True, True, ["deception", "alignment_training"],
     "frontier_lab", ["Anthropic"]),
    ("2505.06655", "2025-05-16", "Chain-of-Thought Monitoring for AI Control",
     "Monitoring reasoning traces to control untrusted models.",
     ["cs.AI"], ["Rosa Diaz", "Sam Patel"], True, True, ["ai_control"], "nonprofit", ["Redwood Research"]),
    ("2508.07766", "2025-08-22", "Efficient Transformers for Long Video Understanding",
     "A faster attention variant for video transformers.",
     ["cs.CV", "cs.LG"], ["Tom Becker"], False, False, [], "industry", ["Meta"]),
    ("2511.08877", "2025-11-03", "Machine Unlearning of Hazardous Knowledge",
     "Unlearning removes hazardous capabilities while preserving utility.",
     ["cs.LG", "cs.CL"], ["Uma Singh", "Victor Chen"], True, True, ["unlearning"], "academic",
     ["MIT", "University of Oxford"]),
    ("2602.09988", "2026-02-10", "Dangerous Capability Evaluations of Frontier Agents",
     "We evaluate frontier agents for dangerous capabilities, including cyber offence.",
     ["cs.AI", "cs.CR"], ["Wen Li", "Xavier Dupont", "Yara Nasser"], True, True, ["evaluations", "agent_safety"],
     "government", ["UK AI Security Institute"]),
    ("2605.01234", "2026-05-19", "Hallucination Detection with Semantic Entropy",
     "Detecting hallucinations and improving factuality in language models.",
     ["cs.CL"], ["Zoe Adams"], False, True, ["hallucination"], "academic", ["University of Oxford"]),
    ("2607.04321", "2026-07-28", "AI Governance Standards for Frontier Model Audits",
     "Policy and standards for third-party audits of frontier models.",
     ["cs.CY", "cs.AI"], ["Ines O'Brien", "Ana Lopez"], True, True, ["governance"], "academic",
     ["Harvard University"]),
    ("2608.00001", "2026-08-03", "Graph Neural Networks for Molecule Property Prediction",
     "Message passing networks predict molecular properties.",
     ["cs.LG", "q-bio.BM"], ["Ben Carter"], False, False, [], "unknown", []),
]
# fmt: on

TOPIC_IDS = [
    "interpretability",
    "alignment_training",
    "red_teaming",
    "scalable_oversight",
    "ai_control",
    "deception",
    "unlearning",
    "evaluations",
    "agent_safety",
    "governance",
    "fairness",
    "privacy",
    "hallucination",
]
ORIGINS = ["frontier_lab", "industry", "academic", "nonprofit", "government", "mixed", "unknown"]


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(dt.date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


MONTHS = _months(dt.date(2023, 1, 1), dt.date(2026, 8, 1))


def _papers() -> pl.DataFrame:
    rows = []
    for aid, date, title, abstract, cats, authors, *_ in PAPERS:
        rows.append(
            {
                "arxiv_id": aid,
                "title": title,
                "abstract": abstract,
                "primary_category": cats[0],
                "categories": cats,
                "authors": authors,
                "comments": None,
                "journal_ref": None,
                "doi": None,
                "published_date": dt.date.fromisoformat(date),
                "date_source": "listing",
                "updated_date": dt.date.fromisoformat(date),
                "latest_version": 1,
                "source": "arxiv_snapshot",
                "source_detail": f"arxiv-{date[:7]}.jsonl.gz",
                "ingested_at": NOW - dt.timedelta(hours=2),
            }
        )
    return pl.DataFrame(rows)


def _classification() -> pl.DataFrame:
    rows = []
    for aid, _d, _t, _a, _c, _au, narrow, broad, topics, origin, orgs in PAPERS:
        rows.append(
            {
                "arxiv_id": aid,
                "is_safety_broad": broad,
                "is_safety_narrow": narrow,
                "safety_score": 0.9 if narrow else (0.5 if broad else 0.05),
                "topics": topics,
                "primary_topic": topics[0] if topics else None,
                "safety_evidence": ", ".join(topics) or None,
                "origin": origin,
                "organizations": orgs,
                "origin_evidence": "title/abstract mention" if orgs else None,
                "origin_confidence": 0.8 if orgs else 0.0,
                "classified_at": NOW - dt.timedelta(hours=1),
            }
        )
    return pl.DataFrame(
        rows,
        schema_overrides={
            "topics": pl.List(pl.String),
            "organizations": pl.List(pl.String),
            "primary_topic": pl.String,
            "safety_evidence": pl.String,
            "origin_evidence": pl.String,
        },
    )


def _neglect_row(month: dt.date, n_ai: int, broad: int, narrow: int) -> dict:
    """One neglectedness_monthly row, shares derived from the counts."""
    return {
        "month": month,
        "n_ai_papers": n_ai,
        "denominator_source": "arxiv_snapshot",
        "n_safety_broad": broad,
        "n_safety_narrow": narrow,
        "share_broad": broad / n_ai,
        "share_narrow": narrow / n_ai,
    }


def _neglectedness() -> pl.DataFrame:
    rows = []
    for i, month in enumerate(MONTHS):
        n_ai = 9000 + 180 * i + (i % 5) * 70
        broad = round(n_ai * (0.021 + 0.0004 * i))
        narrow = round(n_ai * (0.004 + 0.0001 * i))
        rows.append(_neglect_row(month, n_ai, broad, narrow))
    return pl.DataFrame(rows)


def _by_topic(neglect: pl.DataFrame) -> pl.DataFrame:
    rows = []
    for month, broad, narrow in neglect.select("month", "n_safety_broad", "n_safety_narrow").iter_rows():
        for definition, total in (("broad", broad), ("narrow", narrow)):
            topics = TOPIC_IDS if definition == "broad" else TOPIC_IDS[:10]
            weights = [len(topics) - k for k in range(len(topics))]
            for topic, w in zip(topics, weights, strict=True):
                rows.append(
                    {"month": month, "definition": definition, "topic": topic, "n_papers": total * w // sum(weights)}
                )
    return pl.DataFrame(rows)


def _by_origin(neglect: pl.DataFrame) -> pl.DataFrame:
    shares = {
        "frontier_lab": 0.08,
        "industry": 0.12,
        "academic": 0.45,
        "nonprofit": 0.04,
        "government": 0.02,
        "mixed": 0.09,
        "unknown": 0.20,
    }
    rows = [
        {"month": month, "definition": definition, "origin": origin, "n_papers": round(total * share)}
        for month, broad, narrow in neglect.select("month", "n_safety_broad", "n_safety_narrow").iter_rows()
        for definition, total in (("broad", broad), ("narrow", narrow))
        for origin, share in shares.items()
    ]
    return pl.DataFrame(rows)


def _by_organization(papers: pl.DataFrame, classification: pl.DataFrame) -> pl.DataFrame:
    """safety_papers_by_organization_monthly computed by the pipeline's own query and function from the papers."""
    from pipelines.lib import metrics

    con = duckdb.connect()
    try:
        con.register("papers", papers)
        con.register("paper_classification", classification)
        return metrics.safety_papers_by_organization_monthly(metrics.organization_cells(con))
    finally:
        con.close()


def _small_marts() -> dict[str, pl.DataFrame]:
    estimates = pl.DataFrame(
        {
            "year": [2017, 2018, 2022, 2022, 2023, 2025, 2025],
            "scope": ["technical", "technical", "technical", "technical", "total", "technical", "non_technical"],
            "low": [None, None, 100.0, None, 200.0, None, None],
            "central": [90.0, 50.0, 150.0, 300.0, 400.0, 600.0, 500.0],
            "high": [100.0, None, 200.0, None, 1000.0, None, None],
            "unit": ["FTE"] * 7,
            "source_title": ["(Even) More Early-Career EAs Should Try AI Safety Technical Research"] * 3
            + [
                "Estimating the Current and Future Number of AI Safety Researchers",
                "Preventing an AI-related catastrophe",
                "AI Safety Field Growth Analysis 2025",
                "AI Safety Field Growth Analysis 2025",
            ],
            "author": [
                "EA Forum post",
                "EA Forum post",
                "EA Forum post",
                "Stephen McAleese",
                "80,000 Hours",
                "Stephen McAleese",
                "Stephen McAleese",
            ],
            "url": [
                None,
                None,
                None,
                None,
                "https://80000hours.org/problem-profiles/artificial-intelligence/",
                "https://www.lesswrong.com/posts/8QjAnWyuE9fktPRgS",
                "https://www.lesswrong.com/posts/8QjAnWyuE9fktPRgS",
            ],
            "method_note": [
                "fewer than 100",
                "around 50",
                "range in main text",
                "org-by-org count",
                "90% CI",
                "org-by-org count",
                "org-by-org count",
            ],
        }
    )
    years = list(range(2015, 2026))
    positions = pl.DataFrame(
        [
            {"year": y, "org_type": t, "role": r, "n_people": (y - 2013) * k + (3 if r == "technical" else 1)}
            for y in years
            for t, k in (("nonprofit", 9), ("academic", 5), ("frontier_lab", 7))
            for r in ("technical", "non_technical")
        ]
    )
    fits = pl.DataFrame(
        {
            "series": ["positions_total", "positions_technical"],
            "year_from": [2015, 2015],
            "year_to": [2025, 2025],
            "annual_growth": [0.21, 0.24],
            "growth_low": [0.17, 0.19],
            "growth_high": [0.25, 0.29],
            "doubling_years": [3.63, 3.22],
            "n_points": [11, 11],
        }
    )
    authors = pl.DataFrame(
        [
            {
                "year": y,
                "definition": d,
                "n_safety_authors_active": a,
                "n_safety_authors_core": a // 3,
                "n_ai_authors_active": 60000 + 9000 * (y - 2023),
                "safety_author_share": a / (60000 + 9000 * (y - 2023)),
            }
            for y in (2023, 2024, 2025, 2026)
            for d, a in (("broad", 2500 + 400 * (y - 2023)), ("narrow", 600 + 150 * (y - 2023)))
        ]
    )
    lab = pl.DataFrame(
        [
            {
                "year": y,
                "definition": d,
                "n_safety_known": k,
                "n_safety_lab": k // 6,
                "lab_share_safety": (k // 6) / k,
                "n_ai_known": 40 * k,
                "n_ai_lab": 40 * k // 15,
                "lab_share_ai": (40 * k // 15) / (40 * k),
                "known_origin_coverage_safety": 0.55 + 0.05 * (y - 2023),
            }
            for y in (2023, 2024, 2025, 2026)
            for d, k in (("broad", 2400 + 300 * (y - 2023)), ("narrow", 500))
        ]
    )
    per_fte = pl.DataFrame(
        [
            {
                "year": y,
                "estimate_source": src,
                "fte_low": lo,
                "fte_central": c,
                "fte_high": hi,
                "n_safety_papers": n,
                "papers_per_fte": n / c,
                "papers_per_fte_low": n / hi,
                "papers_per_fte_high": n / lo,
            }
            for y, src, lo, c, hi, n in (
                (2022, "EA Forum 2022", 100.0, 150.0, 200.0, 410),
                (2022, "McAleese 2022", 250.0, 300.0, 350.0, 410),
                (2025, "McAleese 2025", 550.0, 600.0, 650.0, 980),
            )
        ]
    )
    growth_rows = []
    for definition, topics in (("broad", TOPIC_IDS), ("narrow", TOPIC_IDS[:10])):
        for k, topic in enumerate(topics):
            last, prev = 40 + 13 * k, 60 + 5 * (len(topics) - k)
            ratio = last / prev
            status = (
                "booming" if ratio > 1.5 else "growing" if ratio > 1.1 else "stable" if ratio > 0.9 else "shrinking"
            )
            if k == 0:
                status = "neglected"
            growth_rows.append(
                {
                    "topic": topic,
                    "definition": definition,
                    "window_end": dt.date(2026, 8, 1),
                    "n_last_12m": last,
                    "n_prev_12m": prev,
                    "growth_ratio": ratio,
                    "status": status,
                }
            )
    claims = pl.DataFrame(
        {
            "claim": [
                "100-200 full-time technical AI safety researchers in 2022",
                "Multiple new AI safety papers on arXiv every day since 2020",
                "The vast majority of safety papers come from academia",
                "Fewer than 100 researchers in 2017",
            ],
            "source": ["seed 004", "seed 004", "seed 002", "seed 004"],
            "data_says": [
                "Position records show 176 people in 2022.",
                "Median 14 narrow safety papers per day.",
                "Academic share 45%, lab share 8% of known origin.",
                "No paper-level data for 2017.",
            ],
            "verdict": ["supported", "supported", "mixed", "not_testable"],
            "numbers": [
                json.dumps({"people_2022": 176}),
                json.dumps({"median_per_day": 14}),
                json.dumps({"academic": 0.45, "lab": 0.08}),
                json.dumps({}),
            ],
            "computed_at": [NOW] * 4,
        }
    )
    return {
        "field_size_estimates": estimates,
        "workforce_positions_yearly": positions,
        "workforce_growth_fit": fits,
        "workforce_authors_yearly": authors,
        "lab_share_yearly": lab,
        "origin_shares_yearly": _origin_shares(),
        "affiliation_coverage": pl.DataFrame(
            {
                "metric": ["slots", "classed_slots", "classed_share", "slots_naming_no_place"],
                "value": [1000.0, 960.0, 0.96, 12.0],
                "source": ["author_affiliations.csv.gz"] * 4,
                "computed_at": [NOW] * 4,
            }
        ),
        "unclassified_organizations": pl.DataFrame(
            {
                "organization": ["Nameless Lab", "Quiet Place"],
                "n_slots": [12, 7],
                "n_names": [9, 3],
                "computed_at": [NOW, NOW],
            },
            schema_overrides={"n_slots": pl.UInt32, "n_names": pl.UInt32},
        ),
        "papers_per_fte_yearly": per_fte,
        "topic_growth": pl.DataFrame(growth_rows),
        "claims_check": claims,
    }


def _ingest_tables(papers: pl.DataFrame, neglect: pl.DataFrame) -> dict[str, pl.DataFrame]:
    authors = (
        papers.select("arxiv_id", "authors")
        .explode("authors")
        .with_columns(position=pl.int_range(1, pl.len() + 1).over("arxiv_id").cast(pl.Int32))
        .select(
            "arxiv_id",
            "position",
            name=pl.col("authors"),
            name_normalized=pl.col("authors").str.to_lowercase().str.replace_all("[^a-z ]", ""),
            affiliation=pl.lit(None, pl.String),
        )
    )
    ai_cats = ["cs.AI", "cs.LG", "cs.CL", "cs.CV"]
    counts = pl.DataFrame(
        [
            {
                "category": c,
                "month": m,
                "n_papers": 2000 + 40 * i + 10 * j,
                "n_primary": 1500 + 30 * i,
                "source": "arxiv_snapshot",
                "counted_at": NOW,
            }
            for i, m in enumerate(neglect["month"].to_list())
            for j, c in enumerate(ai_cats)
        ]
        + [
            {
                "category": "ALL_AI",
                "month": m,
                "n_papers": n,
                "n_primary": None,
                "source": "arxiv_snapshot",
                "counted_at": NOW,
            }
            for m, n in neglect.select("month", "n_ai_papers").iter_rows()
        ]
    )
    runs = pl.DataFrame(
        [
            {
                "run_id": f"run-{k}",
                "asset": asset,
                "source": "arxiv_snapshot",
                "source_detail": "shared/data/arxiv",
                "partition_key": None,
                "started_at": NOW - dt.timedelta(days=k, minutes=5),
                "finished_at": NOW - dt.timedelta(days=k),
                "duration_s": 300.0,
                "n_read": 226_900,
                "n_inserted": 16 if k else 2,
                "n_updated": 0,
                "n_unchanged": 226_000,
                "n_rejected": 2,
                "outcome": "failed" if k == 2 else "success",
                "message": "killed by user" if k == 2 else None,
            }
            for k in range(4)
            for asset in ("papers", "category_month_counts")
        ]
    )
    rejected = pl.DataFrame(
        [
            {
                "run_id": "run-0",
                "source": "arxiv_snapshot",
                "location": "arxiv-2026-08.jsonl.gz:17",
                "reason": "malformed JSON",
                "raw": '{"id": "2608.0',
                "rejected_at": NOW - dt.timedelta(minutes=3),
            },
            {
                "run_id": "run-0",
                "source": "arxiv_snapshot",
                "location": "arxiv-2026-08.jsonl.gz:99",
                "reason": "missing title",
                "raw": '{"id": "2608.00099", "title": null}',
                "rejected_at": NOW - dt.timedelta(minutes=2),
            },
        ]
    )
    snapshot_files = pl.DataFrame(
        {
            "file_name": ["arxiv-2026-08.jsonl.gz"],
            "content_sha256": ["0" * 64],
            "size_bytes": [1024],
            "n_lines": [16],
            "n_rejected": [1],
            "complete": [True],
            "refused": [False],
            "error": pl.Series([None], dtype=pl.String),
            "last_path": ["/data/arxiv/arxiv-2026-08.jsonl.gz"],
            "loaded_at": [NOW],
            "seen_in_load": [1],
        }
    )
    return {
        "paper_authors": authors,
        "category_month_counts": counts,
        "ingest_runs": runs,
        "rejected_records": rejected,
        "snapshot_files": snapshot_files,
    }


# The multi-year fixture: 2012-01 to 2026-08 with no data from 2019-03 to 2020-12 (a gap, never zeros). AI papers
# grow 25% a year and the narrow share 10% a year, so narrow safety papers grow 37.5% a year (1.25 x 1.1).
MULTIYEAR_GAP = (dt.date(2019, 3, 1), dt.date(2020, 12, 1))
MULTIYEAR_MONTHS = [
    m for m in _months(dt.date(2012, 1, 1), dt.date(2026, 8, 1)) if not MULTIYEAR_GAP[0] <= m <= MULTIYEAR_GAP[1]
]
MULTIYEAR_GROWTH = {"ai": 0.25, "narrow_share": 0.10}


def _neglectedness_multiyear() -> pl.DataFrame:
    rows = []
    for month in MULTIYEAR_MONTHS:
        t = (month.year - 2012) + (month.month - 1) / 12
        n_ai = round(2000 * (1 + MULTIYEAR_GROWTH["ai"]) ** t)
        narrow = round(n_ai * 0.004 * (1 + MULTIYEAR_GROWTH["narrow_share"]) ** t)
        broad = round(n_ai * 0.02)
        rows.append(_neglect_row(month, n_ai, broad, narrow))
    return pl.DataFrame(rows)


def build_multiyear_warehouse(path: Path) -> Path:
    """The fixture warehouse with its monthly marts and denominators spanning 2012-2026 around a gap."""
    return build_warehouse(path, multiyear=True)


def build_warehouse(path: Path, multiyear: bool = False) -> Path:
    papers = _papers()
    classification = _classification()
    neglect = _neglectedness_multiyear() if multiyear else _neglectedness()
    tables: dict[str, pl.DataFrame] = {
        "papers": papers,
        **_ingest_tables(papers, neglect),
        "paper_classification": classification,
        "paper_relevance": classification.select(
            "arxiv_id",
            "is_safety_broad",
            "is_safety_narrow",
            "safety_score",
            "topics",
            "primary_topic",
            "safety_evidence",
            classifier_version=pl.lit("fixture-1"),
            classified_at=pl.lit(NOW),
        ),
        "paper_origins": classification.select(
            "arxiv_id",
            "origin",
            "organizations",
            "origin_evidence",
            "origin_confidence",
            origin_version=pl.lit("fixture-1"),
            classified_at=pl.lit(NOW),
        ),
        "neglectedness_monthly": neglect,
        "safety_papers_by_topic_monthly": _by_topic(neglect),
        "safety_papers_by_origin_monthly": _by_origin(neglect),
        "safety_papers_by_organization_monthly": _by_organization(papers, classification),
        **_small_marts(),
        "classifier_accuracy": pl.DataFrame(
            {
                "definition": ["narrow", "narrow", "broad"],
                "split": ["test", "dev", "test"],
                "papers": [1000, 990, 995],
                "judged_share": [0.07, 0.066, 0.16],
                "flagged_share": [0.055, 0.062, 0.13],
                "precision": [0.9, 1.0, 0.76],
                "recall": [0.68, 0.94, 0.59],
            }
        ),
    }
    con = duckdb.connect(str(path))
    try:
        contract.create_with_rows(con, tables)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    search_index.update_search_index(path, log=lambda _: None)  # as the publish step does
    return path


@pytest.fixture(scope="session", autouse=True)
def component_scan_once() -> Iterator[None]:
    """Each AppTest scans every installed distribution's metadata for Streamlit components (~0.4 s); the installed
    packages do not change during a test session, so scan once and hand every AppTest the same answer."""
    from streamlit.components.v2 import manifest_scanner

    scan = manifest_scanner.scan_component_manifests
    manifests = scan()
    manifest_scanner.scan_component_manifests = lambda max_workers=None: list(manifests)
    yield
    manifest_scanner.scan_component_manifests = scan


@pytest.fixture(scope="session")
def warehouse_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("published") / "warehouse.duckdb")


@pytest.fixture
def warehouse(warehouse_file: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The fixture warehouse, published where the dashboard looks (WAREHOUSE_PATH)."""
    monkeypatch.setenv("WAREHOUSE_PATH", str(warehouse_file))
    yield warehouse_file


@pytest.fixture(scope="session")
def multiyear_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_multiyear_warehouse(tmp_path_factory.mktemp("multiyear") / "warehouse.duckdb")


@pytest.fixture
def multiyear(multiyear_file: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The multi-year fixture warehouse (2012-2026 with a gap), published where the dashboard looks."""
    monkeypatch.setenv("WAREHOUSE_PATH", str(multiyear_file))
    yield multiyear_file


@pytest.fixture(scope="session")
def fixture_tables(warehouse_file: Path) -> Mapping[str, pl.DataFrame]:
    """Every table of the fixture warehouse, read back whole (it is tiny), to compute expected answers.
    Read once a session (~0.1 s each time) and read-only: the file never changes (tests change copies)."""
    con = duckdb.connect(str(warehouse_file), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return MappingProxyType({n: con.sql(f'SELECT * FROM "{n}"').pl() for n in names})
    finally:
        con.close()


def _origin_shares() -> pl.DataFrame:
    """origin_shares_yearly computed by the real function from a few hand-made cells."""
    from pipelines.lib.origin_shares import origin_shares_yearly

    base = {
        "month": dt.date(2025, 6, 1), "in_ai": True, "is_safety_broad": True, "is_safety_narrow": True,
        "origin": "academic", "first_author_class": "academic", "any_placed": True,
        "has_frontier_lab_author": False, "has_industry_author": False, "has_academic_author": True,
        "has_nonprofit_author": False, "has_government_author": False, "n_papers": 30,
    }  # fmt: skip
    cells = pl.DataFrame(
        [
            base,
            {
                **base,
                "origin": "mixed",
                "first_author_class": "frontier_lab",
                "has_frontier_lab_author": True,
                "n_papers": 6,
            },
            {
                **base,
                "is_safety_broad": False,
                "is_safety_narrow": False,
                "origin": "industry",
                "first_author_class": "industry",
                "has_academic_author": False,
                "has_industry_author": True,
                "n_papers": 300,
            },
            {
                **base,
                "origin": "unknown",
                "first_author_class": "unknown",
                "any_placed": False,
                "has_academic_author": False,
                "n_papers": 20,
            },
        ]
    )
    return origin_shares_yearly(cells)
