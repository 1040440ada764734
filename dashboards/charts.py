"""Altair charts with one fixed colour per topic and per origin on every page, and tooltips on every mark.

Topic colours follow the order of the topics in seeds/taxonomy.yaml (so a topic keeps its colour in every chart and
every session); topics the taxonomy doesn't know are grey. Origins have a fixed list and fixed colours.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import altair as alt
import polars as pl

from dashboards import state, trends
from pipelines import inputs
from pipelines.lib.organizations import ORIGINS

ORIGIN_LABELS = {
    "frontier_lab": "Frontier lab",
    "industry": "Other industry",
    "academic": "Academia",
    "nonprofit": "Nonprofit",
    "government": "Government",
    "mixed": "Mixed",
    "unknown": "Unknown",
}
ORIGIN_COLORS = {
    "frontier_lab": "#d62728",
    "industry": "#ff7f0e",
    "academic": "#1f77b4",
    "nonprofit": "#2ca02c",
    "government": "#9467bd",
    "mixed": "#8c564b",
    "unknown": "#b0b0b0",
}
# Tableau-20 without its greys, which are kept for "unknown"/"none".
TOPIC_PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
    "#a0cbe8", "#ffbe7d", "#ff9d9a", "#86bcb6", "#8cd17d", "#f1ce63", "#d4a6c8", "#fabfd2", "#d7b5a6",
)  # fmt: skip
OTHER_COLOR = "#bab0ac"
VERDICT_COLORS = {"supported": "green", "contradicted": "red", "mixed": "orange", "not_testable": "gray"}
SCOPE_COLORS = {"technical": "#4e79a7", "non_technical": "#f28e2b", "total": "#59a14f", "other": "#9c755f"}


def topic_table() -> pl.DataFrame:
    """Topic ids, names, definitions and scopes of the taxonomy seed, in seed order, parsed as the pipeline parses
    it (pipelines.inputs)."""
    topics = inputs.taxonomy().topics
    return pl.DataFrame(
        [(t.id, t.name, t.definition, t.scope) for t in topics],
        schema={"id": pl.String, "name": pl.String, "definition": pl.String, "scope": pl.String},
        orient="row",
    )


def topic_ids() -> list[str]:
    return inputs.taxonomy().topic_ids


def topic_name(topic: str | None) -> str:
    return topic_names([topic])[topic]


def topic_names(topics: Iterable[str | None]) -> dict[str | None, str]:
    """Display names of `topics`, reading the taxonomy once: its name, else the id made readable."""
    seed = {t.id: t.name for t in inputs.taxonomy().topics}
    return {t: "No topic" if t is None else seed.get(t, t.replace("_", " ").capitalize()) for t in topics}


def with_topic_names(frame: pl.DataFrame) -> pl.Expr:
    """frame's topic column as display names (null topics stay null)."""
    names = topic_names(t for t in frame["topic"].unique() if t is not None)
    return pl.col("topic").replace_strict(names, default=None, return_dtype=pl.String)


def topic_scale(present: Iterable[str] = ()) -> alt.Scale:
    """Taxonomy topics in palette order, then any others (grey). Same topic, same colour, everywhere."""
    known = topic_ids()
    extra = sorted(set(present) - set(known))
    domain = known + extra
    colors = [TOPIC_PALETTE[i % len(TOPIC_PALETTE)] for i in range(len(known))] + [OTHER_COLOR] * len(extra)
    if not domain:
        return alt.Scale()
    return alt.Scale(domain=domain, range=colors)


def origin_scale() -> alt.Scale:
    return alt.Scale(domain=list(ORIGINS), range=[ORIGIN_COLORS[o] for o in ORIGINS])


def _origin_legend() -> alt.Legend:
    expr = " : ".join(f"datum.value == '{k}' ? '{v}'" for k, v in ORIGIN_LABELS.items()) + " : datum.value"
    return alt.Legend(title="Origin", labelExpr=expr)


def _topic_legend(present: Iterable[str]) -> alt.Legend:
    names = topic_names(set(present) | set(topic_ids()))
    expr = " : ".join(f"datum.value == {_js(k)} ? {_js(v)}" for k, v in names.items()) + " : datum.value"
    return alt.Legend(title="Topic", labelExpr=expr, symbolLimit=40, labelLimit=320)


def _js(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _month(field: str = "month", title: str = "Month") -> alt.X:
    return alt.X(f"{field}:T", title=title, axis=alt.Axis(format="%Y-%m"))


def _height(chart: alt.Chart, height: int | alt.Step = 320) -> alt.Chart:
    return chart.properties(height=height)


# ---------------------------------------------------------------- output


def safety_papers_monthly(frame: pl.DataFrame, definition: str) -> alt.Chart:
    """Bars of safety papers per month with the safety share as a line on a second axis."""
    count, share = f"n_safety_{definition}", f"share_{definition}"
    base = alt.Chart(frame).encode(x=_month())
    tooltip = [
        alt.Tooltip("month:T", format="%Y-%m", title="Month"),
        alt.Tooltip(f"{count}:Q", format=",", title="Safety papers"),
        alt.Tooltip("n_ai_papers:Q", format=",", title="AI papers"),
        alt.Tooltip(f"{share}:Q", format=".2%", title="Safety share"),
    ]
    bars = base.mark_bar(color="#4e79a7", opacity=0.85).encode(
        y=alt.Y(f"{count}:Q", title="Safety papers per month"), tooltip=tooltip
    )
    line = base.mark_line(color="#e15759", point=alt.OverlayMarkDef(color="#e15759")).encode(
        y=alt.Y(f"{share}:Q", title="Share of AI papers", axis=alt.Axis(format=".1%", titleColor="#e15759")),
        tooltip=tooltip,
    )
    return _height(alt.layer(bars, line).resolve_scale(y="independent"))


def topics_stacked(frame: pl.DataFrame) -> alt.Chart:
    present = frame["topic"].unique().to_list() if frame.height else []
    return _height(
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=_month(),
            y=alt.Y("n_papers:Q", stack="zero", title="Safety papers per month"),
            color=alt.Color("topic:N", scale=topic_scale(present), legend=_topic_legend(present)),
            order=alt.Order("topic:N"),
            tooltip=[
                alt.Tooltip("month:T", format="%Y-%m", title="Month"),
                alt.Tooltip("topic_name:N", title="Topic"),
                alt.Tooltip("n_papers:Q", format=",", title="Papers"),
            ],
        )
        .transform_calculate(topic_name=_name_expr(present))
    )


def _name_expr(present: Iterable[str]) -> str:
    names = topic_names(present)
    return " : ".join(f"datum.topic == {_js(k)} ? {_js(v)}" for k, v in names.items()) + " : datum.topic"


SERIES_COLORS = ("#d62728", "#4e79a7", "#59a14f", "#f28e2b")


def _year(field: str = "year") -> alt.X:
    return alt.X(f"{field}:O", title="Year", axis=alt.Axis(labelAngle=0))


def share_lines(frame: pl.DataFrame, x: str, columns: dict[str, str], y_title: str, temporal: bool) -> alt.Chart:
    """Lines for several share columns (wide frame) with a percent axis; `columns` maps column -> label."""
    long = frame.unpivot(index=[x], on=list(columns), variable_name="series", value_name="value").with_columns(
        pl.col("series").replace_strict(columns)
    )
    labels = list(columns.values())
    x_enc = _month(x, "Month") if temporal else _year(x)
    x_tip = alt.Tooltip(f"{x}:T", format="%Y-%m", title="Month") if temporal else alt.Tooltip(f"{x}:O", title="Year")
    return _height(
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=x_enc,
            y=alt.Y("value:Q", title=y_title, axis=alt.Axis(format=".1%"), scale=alt.Scale(zero=True)),
            color=alt.Color(
                "series:N",
                title=None,
                scale=alt.Scale(domain=labels, range=list(SERIES_COLORS[: len(labels)])),
                legend=alt.Legend(orient="top", labelLimit=400),
            ),
            tooltip=[x_tip, alt.Tooltip("series:N", title="Series"), alt.Tooltip("value:Q", format=".2%")],
        ),
        280,
    )


# ---------------------------------------------------------------- origins


def origin_shares(frame: pl.DataFrame) -> alt.Chart:
    """Share of safety papers by origin per month (normalised stacked area)."""
    data = frame.with_columns(share=pl.col("n_papers") / pl.col("n_papers").sum().over("month"))
    return _height(
        alt.Chart(data)
        .mark_area()
        .encode(
            x=_month(),
            y=alt.Y("n_papers:Q", stack="normalize", title="Share of safety papers", axis=alt.Axis(format="%")),
            color=alt.Color("origin:N", scale=origin_scale(), legend=_origin_legend(), sort=list(ORIGINS)),
            order=alt.Order("origin_rank:Q"),
            tooltip=[
                alt.Tooltip("month:T", format="%Y-%m", title="Month"),
                alt.Tooltip("origin:N", title="Origin"),
                alt.Tooltip("n_papers:Q", format=",", title="Papers"),
                alt.Tooltip("share:Q", format=".1%", title="Share"),
            ],
        )
        .transform_calculate(origin_rank=f"indexof({list(ORIGINS)!r}, datum.origin)")
    )


WAY_TITLES = {
    "involvement": "Any author of the class",
    "lead_author": "First author's class",
    "single_class": "All placed authors of one class",
}


def shares_with_intervals(frame: pl.DataFrame, way: str) -> alt.Chart:
    """Share of papers by class for safety and all AI papers, one way of counting, with 95% intervals."""
    data = frame.filter(pl.col("way") == way).with_columns(
        population=pl.when(pl.col("population") == "all_ai").then(pl.lit("All AI papers")).otherwise(
            pl.lit("Safety papers")
        )
    )
    base = alt.Chart(data).encode(
        y=alt.Y("class:N", title=None, sort=list(ORIGINS)),
        yOffset=alt.YOffset("population:N"),
        color=alt.Color("population:N", title=None, legend=alt.Legend(orient="bottom")),
    )
    bars = base.mark_bar().encode(
        x=alt.X("share:Q", title=WAY_TITLES[way], axis=alt.Axis(format="%")),
        tooltip=[
            alt.Tooltip("population:N", title="Papers"),
            alt.Tooltip("class:N", title="Class"),
            alt.Tooltip("share:Q", format=".1%", title="Share"),
            alt.Tooltip("share_low:Q", format=".1%", title="95% low"),
            alt.Tooltip("share_high:Q", format=".1%", title="95% high"),
            alt.Tooltip("n_class:Q", format=",", title="Papers of the class"),
            alt.Tooltip("n_known:Q", format=",", title="Papers with this known"),
            alt.Tooltip("coverage:Q", format=".0%", title="Coverage"),
        ],
    )
    whiskers = base.mark_rule(color="#333").encode(x="share_low:Q", x2="share_high:Q")
    return _height(alt.layer(bars, whiskers), alt.Step(14))


def lab_share(frame: pl.DataFrame, seeds: Sequence[int] = ()) -> alt.Chart:
    chart = share_lines(
        frame,
        "year",
        {"lab_share_safety": "Safety papers", "lab_share_ai": "All AI papers"},
        "Frontier-lab share",
        temporal=False,
    )
    return with_seed_rules(chart, frame["year"].to_list(), seeds)


def with_seed_rules(chart: alt.Chart, years: Sequence[int], seeds: Sequence[int]) -> alt.Chart | alt.LayerChart:
    """Dashed rules at the seed years present on a chart with an ordinal year axis (absent years add no column)."""
    marks = sorted(set(seeds) & {int(y) for y in years if y is not None})
    if not marks:
        return chart
    seed = pl.DataFrame({"year": marks, "label": [f"{y} (seed docs)" for y in marks]})
    rule = (
        alt.Chart(seed)
        .mark_rule(color=SEED_COLOR, strokeDash=[5, 3])
        .encode(x=alt.X("year:O"), tooltip=alt.Tooltip("label:N", title="Year of the source documents' claims"))
    )
    return alt.layer(chart, rule)


def top_organizations(frame: pl.DataFrame) -> alt.Chart:
    return _height(
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("n_papers:Q", title="Safety papers", axis=alt.Axis(format="d", tickMinStep=1)),
            y=alt.Y("organization:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260, labelOverlap=False)),
            color=alt.Color("origin:N", scale=origin_scale(), legend=_origin_legend()),
            tooltip=[
                alt.Tooltip("organization:N", title="Organisation"),
                alt.Tooltip("n_papers:Q", format=",", title="Safety papers"),
                alt.Tooltip("origin:N", title="Usual origin"),
                alt.Tooltip("n_mixed:Q", format=",", title="…of which with other origins"),
            ],
        ),
        alt.Step(24),
    )


def coverage(frame: pl.DataFrame) -> alt.Chart:
    return _height(
        alt.Chart(frame)
        .mark_bar(color="#76b7b2")
        .encode(
            x=_year(),
            y=alt.Y(
                "known_origin_coverage_safety:Q",
                title="Known origin",
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            tooltip=[
                alt.Tooltip("year:O"),
                alt.Tooltip("known_origin_coverage_safety:Q", format=".1%", title="Known origin"),
                alt.Tooltip("n_safety_known:Q", format=",", title="Safety papers, origin known"),
            ],
        ),
        220,
    )


# ---------------------------------------------------------------- topics


def topic_growth(frame: pl.DataFrame) -> alt.Chart:
    present = frame["topic"].to_list()
    data = frame.with_columns(topic_name=with_topic_names(frame))
    bars = (
        alt.Chart(data)
        .mark_bar()
        .transform_calculate(no_change="1")
        .encode(
            x=alt.X(
                "growth_ratio:Q", title="Papers in the last 12 months ÷ the 12 before", scale=alt.Scale(type="log")
            ),
            x2="no_change:Q",
            y=alt.Y("topic_name:N", sort="-x", title=None, axis=alt.Axis(labelLimit=320, labelOverlap=False)),
            color=alt.Color("topic:N", scale=topic_scale(present), legend=None),
            tooltip=[
                alt.Tooltip("topic_name:N", title="Topic"),
                alt.Tooltip("status:N", title="Status"),
                alt.Tooltip("growth_ratio:Q", format=".2f", title="Growth ratio"),
                alt.Tooltip("n_last_12m:Q", format=",", title="Last 12 months"),
                alt.Tooltip("n_prev_12m:Q", format=",", title="12 months before"),
            ],
        )
    )
    rule = alt.Chart(pl.DataFrame({"x": [1.0]})).mark_rule(strokeDash=[4, 4]).encode(x="x:Q")
    return _height(alt.layer(bars, rule), alt.Step(26))


def topic_size_vs_growth(frame: pl.DataFrame) -> alt.Chart:
    present = frame["topic"].to_list()
    data = frame.with_columns(topic_name=with_topic_names(frame))
    return _height(
        alt.Chart(data)
        .mark_circle(size=160, opacity=0.85)
        .encode(
            x=alt.X("n_last_12m:Q", title="Safety papers, last 12 months", scale=alt.Scale(zero=False)),
            y=alt.Y("growth_ratio:Q", title="Growth ratio", scale=alt.Scale(type="log")),
            color=alt.Color("topic:N", scale=topic_scale(present), legend=_topic_legend(present)),
            tooltip=[
                alt.Tooltip("topic_name:N", title="Topic"),
                alt.Tooltip("status:N", title="Status"),
                alt.Tooltip("n_last_12m:Q", format=",", title="Last 12 months"),
                alt.Tooltip("growth_ratio:Q", format=".2f", title="Growth ratio"),
            ],
        )
    )


# ---------------------------------------------------------------- workforce


def estimate_points(frame: pl.DataFrame) -> pl.DataFrame:
    """One plotted value per estimate: the central value, else the middle of the range, else the bound given."""
    return frame.with_columns(
        value=pl.coalesce("central", (pl.col("low") + pl.col("high")) / 2, "high", "low"),
        kind=pl.when(pl.col("central").is_not_null())
        .then(pl.lit("central estimate"))
        .when(pl.col("low").is_not_null() & pl.col("high").is_not_null())
        .then(pl.lit("middle of range"))
        .when(pl.col("high").is_not_null())
        .then(pl.lit("upper bound"))
        .otherwise(pl.lit("lower bound")),
        range_low=pl.coalesce("low", "central", "high"),
        range_high=pl.coalesce("high", "central", "low"),
    ).filter(pl.col("value").is_not_null())


def headcount_estimates(frame: pl.DataFrame) -> alt.Chart:
    data = estimate_points(frame)
    scale = alt.Scale(domain=list(SCOPE_COLORS), range=list(SCOPE_COLORS.values()))
    tooltip = [
        alt.Tooltip("year:O", title="Year"),
        alt.Tooltip("scope:N", title="Scope"),
        alt.Tooltip("value:Q", format=",.0f", title="Value"),
        alt.Tooltip("kind:N", title="Plotted"),
        alt.Tooltip("low:Q", format=",.0f"),
        alt.Tooltip("high:Q", format=",.0f"),
        alt.Tooltip("unit:N"),
        alt.Tooltip("source_title:N", title="Source"),
        alt.Tooltip("author:N"),
    ]
    base = alt.Chart(data).encode(
        x=alt.X(
            "year:Q", title="Year", axis=alt.Axis(format="d", tickMinStep=1), scale=alt.Scale(zero=False, padding=24)
        ),
        color=alt.Color("scope:N", scale=scale, title="Scope"),
        tooltip=tooltip,
    )
    unit = ", ".join(sorted(set(frame["unit"].drop_nulls()))) or "value"
    bars = base.mark_rule(strokeWidth=2).encode(y=alt.Y("range_low:Q", title=unit), y2="range_high:Q")
    points = base.mark_point(filled=True, size=90).encode(
        y="value:Q",
        shape=alt.Shape(
            "kind:N",
            title="Plotted value",
            scale=alt.Scale(
                domain=["central estimate", "middle of range", "upper bound", "lower bound"],
                range=["circle", "diamond", "triangle-down", "triangle-up"],
            ),
        ),
    )
    return _height(alt.layer(bars, points), 340)


def positions(frame: pl.DataFrame) -> alt.Chart:
    return _height(
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=_year(),
            y=alt.Y("sum(n_people):Q", title="People in AI-safety positions"),
            color=alt.Color("org_type:N", title="Organisation type", scale=_category_scale(frame["org_type"])),
            tooltip=[
                alt.Tooltip("year:O"),
                alt.Tooltip("org_type:N", title="Organisation type"),
                alt.Tooltip("sum(n_people):Q", format=",", title="People"),
            ],
        ),
        300,
    )


def _category_scale(values: pl.Series) -> alt.Scale:
    """Origin colours for values that are origins (or organisation types mapping to them), a palette otherwise."""
    aliases = {"big_tech": "industry", "other_industry": "industry"}
    domain = sorted(v for v in values.drop_nulls().unique().to_list())
    palette = iter(TOPIC_PALETTE[::-1])
    return alt.Scale(domain=domain, range=[ORIGIN_COLORS.get(aliases.get(v, v)) or next(palette) for v in domain])


def authors(frame: pl.DataFrame) -> alt.Chart:
    long = frame.unpivot(
        index=["year", "definition"],
        on=["n_safety_authors_active", "n_safety_authors_core"],
        variable_name="series",
        value_name="n_authors",
    ).with_columns(
        series=pl.concat_str(
            pl.col("definition"),
            pl.col("series").replace_strict(
                {"n_safety_authors_active": "active (≥1 paper in 24 months)", "n_safety_authors_core": "core (≥2)"}
            ),
            separator=", ",
        )
    )
    return _height(
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=_year(),
            y=alt.Y("n_authors:Q", title="Distinct safety authors"),
            color=alt.Color(
                "series:N",
                title=None,
                legend=alt.Legend(orient="top", columns=2, labelLimit=400),
                scale=alt.Scale(range=["#4e79a7", "#9ecae9", "#d62728", "#ff9d9a"]),
            ),
            tooltip=[alt.Tooltip("year:O"), alt.Tooltip("series:N"), alt.Tooltip("n_authors:Q", format=",")],
        ),
        300,
    )


def papers_per_fte(frame: pl.DataFrame) -> alt.Chart:
    base = alt.Chart(frame).encode(
        x=_year(),
        color=alt.Color("estimate_source:N", title="Headcount estimate", legend=alt.Legend(labelLimit=320)),
        tooltip=[
            alt.Tooltip("year:O"),
            alt.Tooltip("estimate_source:N", title="Estimate"),
            alt.Tooltip("papers_per_fte:Q", format=".2f", title="Papers per FTE"),
            alt.Tooltip("papers_per_fte_low:Q", format=".2f", title="Low"),
            alt.Tooltip("papers_per_fte_high:Q", format=".2f", title="High"),
            alt.Tooltip("n_safety_papers:Q", format=",", title="Safety papers"),
            alt.Tooltip("fte_central:Q", format=",.0f", title="FTE"),
        ],
        xOffset="estimate_source:N",
    )
    rules = base.mark_rule(strokeWidth=2).encode(y=alt.Y("papers_per_fte_low:Q"), y2="papers_per_fte_high:Q")
    points = base.mark_point(filled=True, size=90).encode(y=alt.Y("papers_per_fte:Q", title="Safety papers per FTE"))
    return _height(alt.layer(rules, points), 300)


def topic_color_table(topics: Sequence[str]) -> dict[str, str]:
    """The colour of each topic, for legends drawn outside Altair (badges, tables)."""
    scale = topic_scale(topics).to_dict()
    return dict(zip(scale.get("domain", []), scale.get("range", []), strict=False))


# ---------------------------------------------------------------- date-range control


def default_start(months: pl.DataFrame, min_fraction: float = 0.1) -> dt.date:
    """The first month whose AI-paper count reaches a tenth of the recent monthly median.

    A sampled corpus has a thin tail of old papers; shares over those months are noise, so the default view starts
    where the data is dense. The control still reaches back to the first month.
    """
    recent = months.sort("month").tail(12)["n_ai_papers"].median() or 0
    dense = months.filter(pl.col("n_ai_papers") >= min_fraction * recent)
    return (dense if dense.height else months)["month"].min()


def date_range_control(months: pl.DataFrame, key: str = state.MONTHS) -> tuple[dt.date, dt.date]:
    """The month-range slider shared by the time-series pages (bound to the URL); returns first and last month.
    It opens on the last ten years when the warehouse has more history than that (trends.default_window)."""
    all_months = state.months_between(months["month"].min(), months["month"].max())
    window = trends.default_window(all_months[0], all_months[-1], default_start(months))
    return state.month_range(all_months, window, key=key)


# ---------------------------------------------------------------- trends over periods (month, quarter, year)

TIME_UNITS = {"monthly": "yearmonth", "quarterly": "yearquarter", "yearly": "year"}
PERIOD_TITLES = {"monthly": "Month", "quarterly": "Quarter", "yearly": "Year"}
PERIOD_FORMATS = {"monthly": "%Y-%m", "quarterly": "%Y Q%q", "yearly": "%Y"}
GAP_COLOR = "#d9d9d9"
SEED_COLOR = "#7f7f7f"


def _period_x(grain: str, field: str = "period") -> alt.X:
    return alt.X(
        f"{field}:T",
        timeUnit=TIME_UNITS[grain],
        title=PERIOD_TITLES[grain],
        axis=alt.Axis(format=PERIOD_FORMATS[grain], labelAngle=0),
    )


def _period_tooltip(grain: str) -> list[alt.Tooltip]:
    return [
        alt.Tooltip("label:N", title=PERIOD_TITLES[grain]),
        alt.Tooltip("n_months:Q", title="Months with data"),
    ]


def gap_layer(bands: pl.DataFrame) -> alt.Chart | None:
    """Grey bands over the months the warehouse has no data for (never drawn as zeros)."""
    if bands.is_empty():
        return None
    return (
        alt.Chart(bands)
        .mark_rect(color=GAP_COLOR, opacity=0.5)
        .encode(x="gap_start:T", x2="gap_end:T", tooltip=[alt.Tooltip("gap:N", title="No data")])
    )


def seed_layer(years: Sequence[int]) -> list[alt.Chart]:
    """A dashed rule in the middle of each seed document's year, labelled at the top."""
    if not years:
        return []
    frame = _seed_frame(years).with_columns(seed=pl.date(pl.col("year"), 7, 1))
    base = alt.Chart(frame).encode(x="seed:T")
    rule = base.mark_rule(color=SEED_COLOR, strokeDash=[5, 3], strokeWidth=1.5).encode(
        tooltip=[alt.Tooltip("label:N", title="Year of the source documents' claims")]
    )
    return [rule, _seed_text(base)]


def _seed_frame(years: Sequence[int]) -> pl.DataFrame:
    """Seed years with their label and a text row (alternating, so labels of adjacent years do not overlap)."""
    return pl.DataFrame(
        {
            "year": list(years),
            "label": [f"{y} (seed docs)" for y in years],
            "short": [f"{y} seed" for y in years],
            "dy": [6 + 12 * (k % 2) for k in range(len(years))],
        },
        schema={"year": pl.Int32, "label": pl.String, "short": pl.String, "dy": pl.Int32},
    )


def _seed_text(base: alt.Chart) -> alt.Chart:
    return base.mark_text(align="left", dx=3, fontSize=10, color=SEED_COLOR).encode(
        text="short:N", y=alt.Y("dy:Q", scale=None)
    )


def _with_context(main: list[alt.Chart], bands: pl.DataFrame, seeds: Sequence[int]) -> alt.LayerChart:
    gap = gap_layer(bands)
    layers = ([gap] if gap is not None else []) + main + seed_layer(seeds)
    return alt.layer(*layers)


def _complete_opacity() -> alt.Opacity:
    return alt.Opacity(
        "complete:N",
        scale=alt.Scale(domain=[True, False], range=[0.9, 0.4]),
        legend=alt.Legend(title="Period", labelExpr="datum.value ? 'fully covered' : 'partly covered'", orient="top"),
    )


def safety_papers_by_period(
    frame: pl.DataFrame, definition: str, grain: str, bands: pl.DataFrame, seeds: Sequence[int] = ()
) -> alt.LayerChart:
    """Safety papers per period (bars; paler when the period is partly covered) with the safety share as a line on a
    second axis; grey bands where the warehouse has no data, dashed rules at the seed documents' years."""
    count, share = f"n_safety_{definition}", f"share_{definition}"
    tooltip = [
        *_period_tooltip(grain),
        alt.Tooltip(f"{count}:Q", format=",", title="Safety papers"),
        alt.Tooltip("n_ai_papers:Q", format=",", title="AI papers"),
        alt.Tooltip(f"{share}:Q", format=".2%", title="Safety share"),
    ]
    base = alt.Chart(frame).encode(x=_period_x(grain))
    bars = base.mark_bar(color="#4e79a7").encode(
        y=alt.Y(f"{count}:Q", title=f"Safety papers per {PERIOD_TITLES[grain].lower()}"),
        opacity=_complete_opacity(),
        tooltip=tooltip,
    )
    line = base.mark_line(color="#e15759", point=alt.OverlayMarkDef(color="#e15759")).encode(
        x=alt.X("period:T", timeUnit=TIME_UNITS[grain], bandPosition=0.5),
        y=alt.Y(f"{share}:Q", title="Share of AI papers", axis=alt.Axis(format=".1%", titleColor="#e15759")),
        detail="segment:N",
        tooltip=tooltip,
    )
    return _height(_with_context([bars, line], bands, seeds).resolve_scale(y="independent"))


def stacked_by_period(
    frame: pl.DataFrame,
    field: str,
    grain: str,
    bands: pl.DataFrame,
    seeds: Sequence[int] = (),
    normalize: bool = False,
) -> alt.LayerChart:
    """Stacked bars of n_papers per period by `field` ('topic' or 'origin'), counts or shares of the period."""
    is_topic = field == "topic"
    present = frame[field].unique().to_list() if frame.height else []
    if is_topic:
        color = alt.Color("topic:N", scale=topic_scale(present), legend=_topic_legend(present))
        order = alt.Order("topic:N")
        name = _name_expr(present)
    else:
        color = alt.Color("origin:N", scale=origin_scale(), legend=_origin_legend(), sort=list(ORIGINS))
        order = alt.Order("rank:Q")
        name = " : ".join(f"datum.origin == '{k}' ? '{v}'" for k, v in ORIGIN_LABELS.items()) + " : datum.origin"
    data = frame.with_columns(share=pl.col("n_papers") / pl.col("n_papers").sum().over("period"))
    title = "Share of safety papers" if normalize else f"Safety papers per {PERIOD_TITLES[grain].lower()}"
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=_period_x(grain),
            y=alt.Y(
                "n_papers:Q",
                stack="normalize" if normalize else "zero",
                title=title,
                axis=alt.Axis(format="%") if normalize else alt.Axis(),
            ),
            color=color,
            order=order,
            opacity=_complete_opacity(),
            tooltip=[
                *_period_tooltip(grain),
                alt.Tooltip("name:N", title="Topic" if is_topic else "Origin"),
                alt.Tooltip("n_papers:Q", format=",", title="Papers"),
                alt.Tooltip("share:Q", format=".1%", title="Share of the period"),
            ],
        )
        .transform_calculate(name=name, rank=f"indexof({list(ORIGINS)!r}, datum.origin)")
    )
    return _height(_with_context([bars], bands, seeds))


def yearly_fit(
    yearly: pl.DataFrame, column: str, curve: pl.DataFrame | None, seeds: Sequence[int], y_title: str
) -> alt.LayerChart:
    """Yearly values (filled: complete years, hollow: partial ones) on a log axis, with the fitted exponential and
    the band its growth interval spans; seed years as dashed rules."""
    points = yearly.with_columns(year=pl.col("period").dt.year().cast(pl.Int32), value=pl.col(column)).filter(
        pl.col("value") > 0
    )
    x = alt.X("year:Q", title="Year", axis=alt.Axis(format="d", tickMinStep=1), scale=alt.Scale(zero=False))
    y_scale = alt.Scale(type="log")
    layers: list[alt.Chart] = []
    if curve is not None and curve.height:
        base = alt.Chart(curve).encode(x=x)
        layers.append(
            base.mark_area(color="#e15759", opacity=0.15).encode(
                y=alt.Y("fitted_low:Q", title=y_title, scale=y_scale), y2="fitted_high:Q"
            )
        )
        layers.append(
            base.mark_line(color="#e15759", strokeWidth=2).encode(
                y=alt.Y("fitted:Q", scale=y_scale),
                tooltip=[alt.Tooltip("year:Q", format="d"), alt.Tooltip("fitted:Q", format=",.0f", title="Fitted")],
            )
        )
    layers.append(
        alt.Chart(points)
        .mark_point(size=70, color="#4e79a7")
        .encode(
            x=x,
            y=alt.Y("value:Q", title=y_title, scale=y_scale),
            fill=alt.Fill(
                "complete:N",
                scale=alt.Scale(domain=[True, False], range=["#4e79a7", "white"]),
                legend=alt.Legend(
                    title="Year", labelExpr="datum.value ? 'complete (fitted)' : 'partial (not fitted)'", orient="top"
                ),
            ),
            tooltip=[
                alt.Tooltip("year:Q", format="d", title="Year"),
                alt.Tooltip("value:Q", format=",", title=y_title),
                alt.Tooltip("n_months:Q", title="Months with data"),
            ],
        )
    )
    if seeds:
        base = alt.Chart(_seed_frame(seeds)).encode(x="year:Q")
        layers.append(base.mark_rule(color=SEED_COLOR, strokeDash=[5, 3]).encode(tooltip="label:N"))
        layers.append(_seed_text(base))
    return _height(alt.layer(*layers), 300)


def year_over_year(frame: pl.DataFrame, seeds: Sequence[int]) -> alt.LayerChart:
    """Growth on the year before, for consecutive complete years."""
    data = frame.drop_nulls("growth").with_columns(sign=pl.col("growth") >= 0)
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("year:O", title="Year", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("growth:Q", title="Growth on the year before", axis=alt.Axis(format="%")),
            color=alt.Color("sign:N", scale=alt.Scale(domain=[True, False], range=["#59a14f", "#e15759"]), legend=None),
            tooltip=[alt.Tooltip("year:O"), alt.Tooltip("growth:Q", format="+.1%", title="Growth"),
                     alt.Tooltip("value:Q", format=",", title="Papers")],
        )
    )  # fmt: skip
    shown = set(data["year"].to_list())
    marks = [y for y in seeds if y in shown]
    layers: list[alt.Chart] = [bars]
    if marks:
        seed = pl.DataFrame({"year": marks, "label": [f"{y} (seed docs)" for y in marks]})
        layers.append(
            alt.Chart(seed).mark_rule(color=SEED_COLOR, strokeDash=[5, 3]).encode(x="year:O", tooltip="label:N")
        )
    return _height(alt.layer(*layers), 260)


def shares_by_period(frame: pl.DataFrame, grain: str, bands: pl.DataFrame, seeds: Sequence[int] = ()) -> alt.LayerChart:
    """Narrow and broad safety shares per period; a line never bridges a period without data."""
    labels = {"share_narrow": "Narrow", "share_broad": "Broad"}
    long = frame.unpivot(
        index=["period", "label", "segment", "n_months"], on=list(labels), variable_name="series", value_name="value"
    ).with_columns(pl.col("series").replace_strict(labels))
    lines = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("period:T", timeUnit=TIME_UNITS[grain], bandPosition=0.5, title=PERIOD_TITLES[grain],
                    axis=alt.Axis(format=PERIOD_FORMATS[grain], labelAngle=0)),
            y=alt.Y("value:Q", title="Share of AI papers", axis=alt.Axis(format=".1%"), scale=alt.Scale(zero=True)),
            color=alt.Color("series:N", title=None, scale=alt.Scale(domain=list(labels.values()),
                            range=list(SERIES_COLORS[:2])), legend=alt.Legend(orient="top")),
            detail="segment:N",
            tooltip=[*_period_tooltip(grain), alt.Tooltip("series:N", title="Series"),
                     alt.Tooltip("value:Q", format=".2%", title="Share")],
        )
    )  # fmt: skip
    return _height(_with_context([lines], bands, seeds), 280)
