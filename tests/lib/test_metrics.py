"""The neglectedness marts on hand-made inputs with known answers."""

import datetime as dt

import duckdb
import polars as pl
import pytest

from pipelines.lib import metrics

D = dt.date
T0 = dt.datetime(2026, 1, 1)


def cells(rows: list[tuple]) -> pl.DataFrame:
    """Rows as (month, in_ai, broad, narrow, primary_topic, origin, n_papers)."""
    return pl.DataFrame(rows, schema=metrics.CELLS_SCHEMA, orient="row")


def month_counts(rows: list[tuple]) -> pl.DataFrame:
    """Rows as (month, n_papers, source[, counted_at]) of category ALL_AI."""
    return pl.DataFrame(
        [("ALL_AI", r[0], r[1], r[2], r[3] if len(r) > 3 else T0) for r in rows],
        schema={"category": pl.String, "month": pl.Date, "n_papers": pl.Int64, "source": pl.String,
                "counted_at": pl.Datetime("us")},
        orient="row",
    )  # fmt: skip


def test_denominator_prefers_the_api_then_the_latest_count():
    counts = month_counts(
        [
            (D(2025, 1, 1), 100, "arxiv_snapshot"),
            (D(2025, 1, 1), 900, "arxiv_api"),
            (D(2025, 2, 1), 80, "arxiv_snapshot", dt.datetime(2025, 1, 1)),
            (D(2025, 2, 1), 90, "arxiv_snapshot", dt.datetime(2026, 1, 1)),
        ]
    ).vstack(pl.DataFrame({"category": ["cs.AI"], "month": [D(2025, 3, 1)], "n_papers": [5], "source": ["arxiv_api"],
                           "counted_at": [T0]}, schema_overrides={"counted_at": pl.Datetime("us")}))  # fmt: skip
    den = metrics.ai_denominator(counts)
    assert den.rows() == [(D(2025, 1, 1), 900, "arxiv_api"), (D(2025, 2, 1), 90, "arxiv_snapshot")]


def test_covered_months_drop_sparse_months_and_fall_back_to_papers():
    counts = month_counts(
        [(D(2025, m, 1), 1000, "arxiv_snapshot") for m in (1, 2, 3)]
        + [(D(2024, 6, 1), 200, "arxiv_snapshot")]  # under 25% of its neighbours within 12 months
        + [(D(2019, 5, 1), 4, "arxiv_snapshot"), (D(2019, 6, 1), 4, "arxiv_snapshot")]  # under 0.5% of the peak
        + [(D(2022, 5, 1), 500, "arxiv_snapshot"), (D(2022, 6, 1), 300, "arxiv_snapshot")]  # alone but dense
    )
    c = cells([(D(2030, 1, 1), True, False, False, None, "unknown", 1)])
    assert metrics.covered_months(counts, c)["month"].to_list() == [
        D(2022, 5, 1), D(2022, 6, 1), D(2025, 1, 1), D(2025, 2, 1), D(2025, 3, 1)
    ]  # fmt: skip
    assert metrics.covered_months(counts.clear(), c)["month"].to_list() == [D(2030, 1, 1)]


CELLS = cells(
    [
        (D(2025, 1, 1), True, True, True, "interp", "academic", 3),
        (D(2025, 1, 1), True, True, False, "fairness", "frontier_lab", 2),
        (D(2025, 1, 1), False, True, True, "interp", "unknown", 4),  # safety but outside the AI categories
        (D(2025, 1, 1), True, False, False, None, "frontier_lab", 91),
        (D(2025, 2, 1), True, True, True, None, "mixed", 1),
        (D(2025, 2, 1), True, False, False, None, "academic", 49),
    ]
)
COUNTS = month_counts([(D(2025, 1, 1), 100, "arxiv_snapshot"), (D(2025, 2, 1), 50, "arxiv_api")])


def test_neglectedness_counts_only_ai_category_safety_papers():
    out = metrics.neglectedness_monthly(CELLS, COUNTS)
    assert out.columns == ["month", "n_ai_papers", "denominator_source", "n_safety_broad", "n_safety_narrow",
                           "share_broad", "share_narrow"]  # fmt: skip
    assert out.rows() == [
        (D(2025, 1, 1), 100, "arxiv_snapshot", 5, 3, 0.05, 0.03),
        (D(2025, 2, 1), 50, "arxiv_api", 1, 1, 0.02, 0.02),
    ]


def test_topic_and_origin_counts_per_definition():
    topics = metrics.safety_papers_by_topic_monthly(CELLS)
    got = {(r[0], r[1], r[2]): r[3] for r in topics.rows()}
    assert got == {
        (D(2025, 1, 1), "broad", "fairness"): 2,
        (D(2025, 1, 1), "broad", "interp"): 7,
        (D(2025, 1, 1), "narrow", "interp"): 7,
        (D(2025, 2, 1), "broad", "unassigned"): 1,
        (D(2025, 2, 1), "narrow", "unassigned"): 1,
    }
    origins = metrics.safety_papers_by_origin_monthly(CELLS)
    got = {(r[0], r[1], r[2]): r[3] for r in origins.rows()}
    assert got[(D(2025, 1, 1), "broad", "unknown")] == 4
    assert got[(D(2025, 1, 1), "narrow", "academic")] == 3
    assert (D(2025, 1, 1), "narrow", "frontier_lab") not in got
    assert origins["n_papers"].sum() == 10 + 8


def test_lab_share_uses_known_origin_and_counts_mixed_as_not_lab():
    out = metrics.lab_share_yearly(CELLS)
    broad = out.filter(pl.col("definition") == "broad").row(0, named=True)
    # broad safety: 3 academic + 2 lab + 4 unknown + 1 mixed -> known 6, lab 2
    assert (broad["n_safety_known"], broad["n_safety_lab"]) == (6, 2)
    assert broad["lab_share_safety"] == pytest.approx(2 / 6)
    assert broad["known_origin_coverage_safety"] == pytest.approx(6 / 10)
    # AI papers (in_ai): 3 acad + 2 lab + 91 lab + 1 mixed + 49 acad -> known 146, lab 93
    assert (broad["n_ai_known"], broad["n_ai_lab"]) == (146, 93)
    narrow = out.filter(pl.col("definition") == "narrow").row(0, named=True)
    assert (narrow["n_safety_known"], narrow["n_safety_lab"], narrow["lab_share_safety"]) == (4, 0, 0.0)


def test_papers_per_fte_annualises_and_joins_each_series():
    months = pl.DataFrame({"month": [D(2025, 1, 1), D(2025, 2, 1), D(2025, 3, 1)]})
    c = cells(
        [(D(2025, 1, 1), True, True, True, None, "unknown", 30), (D(2025, 3, 1), True, True, True, None, "unknown", 10)]
    )
    fte = pl.DataFrame(
        {"series": ["a", "b", "b"], "year": [2025, 2024, 2025], "estimate_source": ["A", "B", "B"],
         "low": [100.0, 1.0, None], "central": [160.0, 1.0, 400.0], "high": [200.0, 1.0, None]},
        schema_overrides={"year": pl.Int32},
    )  # fmt: skip
    out = metrics.papers_per_fte_yearly(c, months, fte)
    assert out["estimate_source"].to_list() == ["A", "B"]  # 2024 has no covered month
    a = out.row(0, named=True)
    assert a["n_safety_papers"] == 40
    assert a["papers_per_fte"] == pytest.approx(160 / 160)  # 40 papers in 3 months -> 160 a year
    assert a["papers_per_fte_low"] == pytest.approx(160 / 200)
    assert a["papers_per_fte_high"] == pytest.approx(160 / 100)
    b = out.row(1, named=True)
    assert b["papers_per_fte"] == pytest.approx(0.4) and b["papers_per_fte_low"] is None


def _growth_inputs():
    months = [D(2024, m, 1) for m in range(7, 13)] + [D(2025, m, 1) for m in range(1, 13)]
    rows = []
    for m in months:
        late = m >= D(2025, 1, 1)
        rows += [
            (m, True, True, True, "boom", "unknown", 10 if late else 2),
            (m, True, True, True, "steady", "unknown", 50),
            (m, True, True, True, "fall", "unknown", 5 if late else 10),
            (m, True, True, True, "tiny", "unknown", 1 if late else 2),
            (m, True, True, False, "broadonly", "unknown", 12 if late else 10),
        ]
    return cells(rows), pl.DataFrame({"month": months})


def test_topic_growth_compares_rates_per_covered_month_and_sets_status():
    c, months = _growth_inputs()
    out = metrics.topic_growth(c, months, today=D(2026, 1, 15))
    narrow = {r["topic"]: r for r in out.filter(pl.col("definition") == "narrow").to_dicts()}
    assert set(narrow) == {"boom", "steady", "fall", "tiny"}
    assert narrow["boom"]["window_end"] == D(2025, 12, 31)
    # last 12 months: 2025-01..12 (12 covered); previous: 2024-01..12 (6 covered: 2024-07..12)
    assert (narrow["boom"]["n_last_12m"], narrow["boom"]["n_prev_12m"]) == (120, 12)
    assert narrow["boom"]["growth_ratio"] == pytest.approx((120 / 12) / (12 / 6))
    assert narrow["boom"]["status"] == "booming"
    assert narrow["steady"]["growth_ratio"] == pytest.approx(1.0) and narrow["steady"]["status"] == "stable"
    assert narrow["fall"]["status"] == "shrinking"
    assert narrow["tiny"]["status"] == "neglected"  # 12 of 792 papers < 2%, although shrinking
    broad = {r["topic"]: r for r in out.filter(pl.col("definition") == "broad").to_dicts()}
    assert broad["broadonly"]["growth_ratio"] == pytest.approx(1.2) and broad["broadonly"]["status"] == "growing"


def test_topic_growth_without_enough_history_has_no_ratio():
    c, months = _growth_inputs()
    recent = months.filter(pl.col("month") >= D(2025, 1, 1))
    out = metrics.topic_growth(metrics.restrict_to_months(c, recent), recent, today=D(2026, 1, 15))
    assert out["growth_ratio"].null_count() == out.height
    assert set(out["status"]) <= {"stable", "neglected"}
    assert metrics.topic_growth(c, months.clear(), today=D(2026, 1, 15)).is_empty()


@pytest.fixture
def con():
    con = duckdb.connect()
    papers = pl.DataFrame(
        {
            "arxiv_id": ["p1", "p2", "p3", "p4", "p5", "p6"],
            "published_date": [D(2023, 5, 1), D(2024, 3, 1), D(2024, 8, 1), D(2025, 2, 1), D(2025, 6, 1), None],
            "categories": [["cs.AI"], ["cs.LG"], ["cs.CR"], ["cs.AI"], ["math.CO"], ["cs.AI"]],
        }
    )
    classification = pl.DataFrame(
        {
            "arxiv_id": ["p1", "p2", "p3", "p4"],
            "is_safety_broad": [True, True, True, False],
            "is_safety_narrow": [True, False, True, False],
            "primary_topic": ["interp", None, "jailbreaks", None],
            "origin": ["academic", None, "frontier_lab", "industry"],
        }
    )
    authors = pl.DataFrame(
        {
            "arxiv_id": ["p1", "p1", "p2", "p3", "p3", "p3", "p4", "p5"],
            "name_normalized": ["ann", "ann", "ann", "ann", "bob", "", "cy", "dee"],
        }
    )
    con.register("papers", papers)
    con.register("paper_classification", classification)
    con.register("paper_authors", authors)
    yield con
    con.close()


def test_paper_cells_aggregates_papers_with_their_classification(con):
    out = metrics.paper_cells(con, ["cs.AI", "cs.LG"])
    assert out.schema == pl.Schema(metrics.CELLS_SCHEMA)
    rows = {r[0]: r[1:] for r in out.sort("month").rows()}
    assert rows[D(2024, 8, 1)] == (False, True, True, "jailbreaks", "frontier_lab", 1)  # cs.CR only: not in_ai
    assert rows[D(2024, 3, 1)] == (True, True, False, None, "unknown", 1)
    assert rows[D(2025, 6, 1)] == (False, False, False, None, "unknown", 1)  # unclassified
    assert out["n_papers"].sum() == 5  # the undated paper is left out


def test_workforce_authors_uses_trailing_24_months(con):
    out = metrics.workforce_authors_yearly(con, ["cs.AI", "cs.LG"])
    got = {(r["year"], r["definition"]): r for r in out.to_dicts()}
    assert sorted({y for y, _ in got}) == [2023, 2024, 2025]
    # ann: safety p1 (2023, her name twice), p2 (2024, broad), p3 (2024); bob: p3 (2024)
    assert (got[(2023, "broad")]["n_safety_authors_active"], got[(2023, "broad")]["n_safety_authors_core"]) == (1, 0)
    assert (got[(2024, "broad")]["n_safety_authors_active"], got[(2024, "broad")]["n_safety_authors_core"]) == (2, 1)
    assert (got[(2024, "narrow")]["n_safety_authors_active"], got[(2024, "narrow")]["n_safety_authors_core"]) == (2, 1)
    # 2025 window is 2024-2025: ann (3 broad), bob; p1 (2023) falls out
    assert (got[(2025, "broad")]["n_safety_authors_active"], got[(2025, "broad")]["n_safety_authors_core"]) == (2, 1)
    assert (got[(2025, "narrow")]["n_safety_authors_active"], got[(2025, "narrow")]["n_safety_authors_core"]) == (2, 0)
    # AI authors: AI-category or safety papers (p3 is cs.CR but safety); dee's p5 is neither
    assert got[(2023, "broad")]["n_ai_authors_active"] == 1
    assert got[(2025, "broad")]["n_ai_authors_active"] == 3  # ann, bob, cy
    assert got[(2025, "broad")]["safety_author_share"] == pytest.approx(2 / 3)
    only = metrics.workforce_authors_yearly(con, ["cs.AI", "cs.LG"], years=[2025])
    assert only["year"].unique().to_list() == [2025]


def test_topic_growth_is_relative_to_ai_output_when_denominators_are_known():
    c, months = _growth_inputs()
    months = months.with_columns(
        pl.when(pl.col("month") >= D(2025, 1, 1)).then(200).otherwise(100).alias("n_ai_papers")
    )
    out = metrics.topic_growth(c, months, today=D(2026, 1, 15))
    narrow = {r["topic"]: r for r in out.filter(pl.col("definition") == "narrow").to_dicts()}
    # boom: 120 of 2,400 AI papers against 12 of 600
    assert narrow["boom"]["growth_ratio"] == pytest.approx((120 / 2400) / (12 / 600))
    # steady in absolute terms, but AI output per month doubled: its share halved
    assert narrow["steady"]["growth_ratio"] == pytest.approx(0.5)
    assert narrow["steady"]["status"] == "shrinking"


def test_organization_cells_and_mart_count_each_safety_paper_once_per_organisation():
    con = duckdb.connect()
    papers = pl.DataFrame(
        {
            "arxiv_id": ["a", "b", "c", "d"],
            "published_date": [dt.date(2024, 1, 5), dt.date(2024, 1, 20), dt.date(2024, 2, 1), None],
        }
    )
    classification = pl.DataFrame(
        {
            "arxiv_id": ["a", "b", "c", "d"],
            "is_safety_broad": [True, True, False, True],
            "is_safety_narrow": [True, False, False, True],
            "origin": ["mixed", "academic", "academic", "academic"],
            "organizations": [["MIT", "OpenAI", "MIT"], ["MIT"], ["MIT"], ["MIT"]],
        }
    )
    con.register("papers", papers)
    con.register("paper_classification", classification)
    cells = metrics.organization_cells(con)
    out = metrics.safety_papers_by_organization_monthly(cells)
    rows = {(r["definition"], r["organization"], r["origin"]): r["n_papers"] for r in out.iter_rows(named=True)}
    # a: named MIT twice, counted once; c: not safety; d: no date
    assert rows == {
        ("broad", "MIT", "academic"): 1,
        ("broad", "MIT", "mixed"): 1,
        ("broad", "OpenAI", "mixed"): 1,
        ("narrow", "MIT", "mixed"): 1,
        ("narrow", "OpenAI", "mixed"): 1,
    }
    assert set(out["month"]) == {dt.date(2024, 1, 1)}
