"""Scales the real arXiv corpus to N records for benchmarks: resampled real records with fresh ids and dates.

Every generated record is a real record of ../shared/data/arxiv/ (title, authors, abstract, categories, comments
unchanged) given a fresh new-style id `YYMM.NNNNN` whose year and month match its new `update_date`, spread over
2007-04..the corpus' last month with each year weighted by arXiv's yearly submissions (so recent years dominate,
as in arXiv). By default each record also gets the `versions` list of arXiv's public snapshot (v1 created a day or
two before the listing date), so the loader parses what a real full snapshot holds.

Output: one `arxiv-YYYY-MM.jsonl.gz` per month under bench/out/corpus-<N>/ with a manifest.json; or, with
`--full-snapshot`, the shape of arXiv's complete metadata snapshot as distributed on Kaggle: one uncompressed
`arxiv-metadata-oai-snapshot.json` in id order, each record with `submitter`, `authors_parsed`, `doi`, `journal-ref`,
`report-no` and `license` besides, and (`--non-ai-share`) a share of records moved to non-AI categories, as the
real file holds every field of science. All work runs in
DuckDB with a memory limit and spills to disk: nothing is held whole in Python, no per-row Python code. Deterministic:
the same seed, source and N give the same records (DuckDB's hash(), not random()).

    .venv/bin/python -m bench.generate --n 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import duckdb

from pipelines import settings

BENCH_OUT = Path(__file__).resolve().parent / "out"
DEFAULT_SEED = 20070401
FIRST_MONTH = date(2007, 4, 1)  # new-style ids (YYMM.NNNN[N]) start in April 2007
GENERATOR_VERSION = 1

# New submissions per year, approximately as in arXiv's public submission statistics (2025-2026 extrapolated at
# ~12 %/year); only the relative weights matter.
ARXIV_YEARLY_SUBMISSIONS = {
    2007: 55_600,
    2008: 58_900,
    2009: 64_000,
    2010: 70_100,
    2011: 76_600,
    2012: 84_600,
    2013: 92_600,
    2014: 97_500,
    2015: 105_300,
    2016: 113_400,
    2017: 123_500,
    2018: 140_600,
    2019: 155_900,
    2020: 178_300,
    2021: 181_600,
    2022: 185_700,
    2023: 208_500,
    2024: 262_000,
    2025: 295_000,
    2026: 330_000,
}
MAX_SEQ = 99_999  # five-digit sequence numbers
GZIP_LEVEL = 1  # fast to write; loaders decompress any level at about the same speed
FULL_SNAPSHOT_NAME = "arxiv-metadata-oai-snapshot.json"  # the single file of arXiv's complete snapshot (Kaggle)
# Categories a record moved out of AI gets (one, by hash): none is an AI category of seeds/arxiv_queries.yaml.
NON_AI_CATEGORIES = ("hep-th", "math.AP", "astro-ph.GA", "cond-mat.mtrl-sci", "q-bio.NC", "quant-ph", "econ.EM")
LICENSE = "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"


@dataclass
class Manifest:
    n_records: int
    seed: int
    versions: bool
    generator_version: int
    source: str
    n_source_records: int
    first_month: str
    last_month: str
    last_date: str
    n_files: int
    bytes: int
    seconds: float
    full_snapshot: bool = False
    non_ai_share: float = 0.0

    @classmethod
    def read(cls, folder: Path) -> Manifest | None:
        path = folder / "manifest.json"
        if not path.is_file():
            return None
        try:
            return cls(**json.loads(path.read_text()))
        except (TypeError, ValueError):
            return None


def corpus_dir(n: int, out: Path = BENCH_OUT) -> Path:
    return out / f"corpus-{n}"


def month_counts(n: int, first: date, last: date) -> list[tuple[date, int]]:
    """N records spread over the months first..last, each month weighted by its year's submissions / 12.

    Largest-remainder rounding, so the counts add up to exactly N."""
    months = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        months.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    weights = [ARXIV_YEARLY_SUBMISSIONS.get(d.year, max(ARXIV_YEARLY_SUBMISSIONS.values())) / 12 for d in months]
    total = sum(weights)
    exact = [n * w / total for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(months)), key=lambda i: (exact[i] - counts[i], -i), reverse=True)
    for i in by_remainder[: n - sum(counts)]:
        counts[i] += 1
    return list(zip(months, counts, strict=True))


def _connect(work: Path, memory_limit: str, threads: int | None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = '{work / 'spill'}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def _load_source(con: duckdb.DuckDBPyConnection, source: Path) -> int:
    """The real records, numbered 0..n-1 in id order (so the numbering does not depend on file or thread order)."""
    pattern = str(source / "*.jsonl*") if source.is_dir() else str(source)
    con.execute(f"CREATE TABLE src AS SELECT * FROM read_json('{pattern}', format = 'newline_delimited')")
    columns = [r[0] for r in con.execute("DESCRIBE src").fetchall()]
    for needed in ("id", "title", "update_date"):
        if needed not in columns:
            raise ValueError(f"source {source} has no '{needed}' field")
    # Numbering the narrow (rowid, id) pairs is much cheaper than sorting whole records.
    con.execute(
        "CREATE TABLE src_keys AS SELECT rowid AS rid, (row_number() OVER (ORDER BY id) - 1)::BIGINT AS k FROM src"
    )
    return con.execute("SELECT count(*) FROM src").fetchone()[0]


def _record_sql(versions: bool, src_columns: list[str], full_snapshot: bool = False, non_ai_share: float = 0.0) -> str:
    """One output record per `plan` row: the sampled real record with the plan's id and dates.

    full_snapshot adds the other fields of arXiv's complete snapshot (deterministic, from the new id's hash: a doi on
    about a third of records, a journal-ref on a fifth, both clearly synthetic); non_ai_share of the records get
    one category of NON_AI_CATEGORIES instead of theirs."""
    kaggle = ("submitter", "authors_parsed", "doi", "journal-ref", "report-no", "license") if full_snapshot else ()
    drop = ["id", "update_date", "categories", *kaggle] + [c for c in ("versions",) if c in src_columns]
    keep = [c for c in src_columns if c not in drop]
    cols = ", ".join(f's."{c}"' for c in keep)
    version_col = (
        """, [{'version': 'v1', 'created': strftime(p.created, '%a, %-d %b %Y %H:%M:%S GMT')}] AS versions"""
        if versions
        else ""
    )
    h = "hash(p.new_id, 'kaggle')"
    non_ai = "[" + ", ".join(f"'{c}'" for c in NON_AI_CATEGORIES) + "]"
    threshold = int(non_ai_share * 10_000)
    categories = (
        f"""CASE WHEN hash(p.new_id, 'field') % 10000 < {threshold}
            THEN {non_ai}[1 + (hash(p.new_id, 'cat') % {len(NON_AI_CATEGORIES)})::INTEGER]
            ELSE s.categories END AS categories"""
        if threshold
        else "s.categories"
    )
    split = "string_split(replace(coalesce(s.authors, ''), ' and ', ', '), ',')"
    names = f"list_filter(list_transform({split}, lambda a: trim(a)), lambda a: a <> '')"
    extra = (
        f""",
        {names}[1] AS submitter,
        list_transform({names}, lambda a: [regexp_extract(a, '(\\S+)$', 1), trim(regexp_replace(a, '\\S+$', '')), ''])
            AS authors_parsed,
        CASE WHEN {h} % 3 = 0 THEN '10.0000/bench.' || p.new_id END AS doi,
        CASE WHEN {h} % 5 = 1 THEN 'Bench Journal ' || year(p.update_date) END AS "journal-ref",
        NULL::VARCHAR AS "report-no",
        '{LICENSE}' AS license"""
        if full_snapshot
        else ""
    )
    return f"""SELECT p.new_id AS id, {cols}, {categories}, p.update_date{version_col}{extra}, p.file_name
        FROM plan p JOIN src_keys k ON k.k = p.src_k JOIN src s ON s.rowid = k.rid"""


def _build_plan(con: duckdb.DuckDBPyConnection, seed: int, n_src: int) -> None:
    """plan(file_name, new_id, update_date, created, src_k) from `months(month, n, first_seq, day0, n_days)`.

    Within each month, records get days from hash(seed, ...) and sequence numbers in day order, so ids grow with
    dates as on arXiv."""
    con.execute(
        f"""CREATE TABLE plan AS
        WITH rows AS (
            SELECT m.month, m.first_seq, m.file_name, m.day0, m.n_days, unnest(range(m.n)) AS j FROM months m
        ), drawn AS (
            SELECT month, first_seq, file_name, j,
                (hash({seed}, month, j, 'src') % {n_src})::BIGINT AS src_k,
                day0 + (hash({seed}, month, j, 'day') % n_days)::INTEGER AS update_date,
                (hash({seed}, month, j, 'time') % 86400)::INTEGER AS second_of_day,
                (hash({seed}, month, j, 'lag') % 3)::INTEGER AS lag_days
            FROM rows
        )
        SELECT file_name, src_k, update_date,
            strftime(month, '%y%m') || '.' || lpad(
                (first_seq - 1 + row_number() OVER (PARTITION BY month ORDER BY update_date, j))::VARCHAR, 5, '0'
            ) AS new_id,
            greatest(update_date - lag_days, month) + second_of_day * INTERVAL 1 SECOND AS created
        FROM drawn"""
    )


def _gzip_pieces(pieces: list[Path], target: Path, level: int) -> Path:
    """Concatenate uncompressed pieces into one gzip file, streamed in 16 MB blocks (zlib releases the GIL)."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)  # 31: gzip container
    with open(target, "wb") as sink:
        for piece in pieces:
            with open(piece, "rb") as f:
                while block := f.read(16 * 1024 * 1024):
                    sink.write(compressor.compress(block))
            piece.unlink()
        sink.write(compressor.flush())
    return target


def _write_files(
    con: duckdb.DuckDBPyConnection, record_sql: str, staging: Path, out: Path, level: int, threads: int
) -> list[Path]:
    """COPY uncompressed JSON partitioned by output file (DuckDB may write one piece per thread per partition),
    then gzip each partition on `threads` threads. DuckDB's own gzip writer runs at ~7 MB/s here; zlib level 1
    runs at ~55 MB/s per core."""
    con.execute(
        f"""COPY ({record_sql}) TO '{staging}'
        (FORMAT json, PARTITION_BY (file_name), FILE_EXTENSION 'json', OVERWRITE_OR_IGNORE)"""
    )
    jobs = []
    for part in sorted(staging.glob("file_name=*")):
        jobs.append((sorted(part.glob("*.json")), out / part.name.removeprefix("file_name=")))
    with ThreadPoolExecutor(max_workers=threads) as pool:
        written = list(pool.map(lambda job: _gzip_pieces(job[0], job[1], level), jobs))
    shutil.rmtree(staging)
    return written


def generate(
    n: int,
    out: Path | None = None,
    source: Path | None = None,
    seed: int = DEFAULT_SEED,
    versions: bool = True,
    memory_limit: str = "3GB",
    threads: int | None = None,
    log=print,
    full_snapshot: bool = False,
    non_ai_share: float = 0.0,
) -> Manifest:
    """Write N records as monthly .jsonl.gz files into `out` (default bench/out/corpus-N), replacing it atomically;
    with full_snapshot, as one uncompressed FULL_SNAPSHOT_NAME in id order instead (see the module docstring)."""
    started = time.monotonic()
    source = source or settings.snapshot_path()
    out = out or corpus_dir(n)
    work = out.with_name(out.name + ".tmp")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    con = _connect(work, memory_limit, threads)
    try:
        n_src = _load_source(con, source)
        src_columns = [r[0] for r in con.execute("DESCRIBE src").fetchall()]
        last_month = con.execute("SELECT date_trunc('month', max(update_date))::DATE FROM src").fetchone()[0]
        plan = month_counts(n, FIRST_MONTH, last_month)
        biggest = max(c for _, c in plan)
        if biggest > MAX_SEQ:
            raise ValueError(f"{n:,} records put {biggest:,} in one month: more than five-digit ids allow")
        con.execute(
            "CREATE TABLE months (month DATE, n BIGINT, first_seq INTEGER, file_name VARCHAR, day0 DATE, "
            "n_days INTEGER)"
        )
        con.executemany(
            "INSERT INTO months VALUES (?, ?, 1, ?, ?, ?)",
            [(m, c, f"arxiv-{m:%Y-%m}.jsonl.gz", m, _days_in_month(m)) for m, c in plan if c],
        )
        _build_plan(con, seed, n_src)
        log(
            f"generate: {n:,} records from {n_src:,} real ones, {len(plan)} months "
            f"{FIRST_MONTH:%Y-%m}..{last_month:%Y-%m}"
        )
        record_sql = _record_sql(versions, src_columns, full_snapshot, non_ai_share)
        if full_snapshot:
            files = [_write_full_snapshot(con, record_sql, work / FULL_SNAPSHOT_NAME)]
        else:
            files = _write_files(con, record_sql, work / "staging", work, GZIP_LEVEL, threads or os.cpu_count() or 1)
        last_date = con.execute("SELECT max(update_date) FROM plan").fetchone()[0]
    finally:
        con.close()
    shutil.rmtree(work / "spill", ignore_errors=True)
    manifest = Manifest(
        n_records=n,
        seed=seed,
        versions=versions,
        generator_version=GENERATOR_VERSION,
        source=str(source),
        n_source_records=n_src,
        first_month=f"{FIRST_MONTH:%Y-%m}",
        last_month=f"{last_month:%Y-%m}",
        last_date=last_date.isoformat(),
        n_files=len(files),
        bytes=sum(f.stat().st_size for f in files),
        seconds=round(time.monotonic() - started, 1),
        full_snapshot=full_snapshot,
        non_ai_share=non_ai_share,
    )
    (work / "manifest.json").write_text(json.dumps(asdict(manifest), indent=2))
    shutil.rmtree(out, ignore_errors=True)
    work.rename(out)
    log(f"generate: wrote {manifest.n_files} files, {manifest.bytes / 1e9:.2f} GB to {out} in {manifest.seconds} s")
    return manifest


def _write_full_snapshot(con: duckdb.DuckDBPyConnection, record_sql: str, target: Path) -> Path:
    """One uncompressed JSON-lines file in id order, as arXiv's complete snapshot is distributed."""
    columns = f"SELECT * EXCLUDE (file_name) FROM ({record_sql}) ORDER BY id"
    con.execute(f"COPY ({columns}) TO '{target}' (FORMAT json)")
    return target


def write_day(
    target: Path,
    day: date,
    n: int,
    source: Path | None = None,
    seed: int = DEFAULT_SEED + 1,
    versions: bool = True,
    first_seq: int = 1,
) -> Path:
    """One day's file of N fresh records (ids YYMM.NNNNN from first_seq in `day`'s month), e.g. the daily increment.

    The caller picks a day (and first_seq) no generated corpus uses, so every id is new."""
    source = source or settings.snapshot_path()
    work = target.with_name(target.name + ".tmp")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    con = _connect(work, "3GB", None)
    try:
        n_src = _load_source(con, source)
        src_columns = [r[0] for r in con.execute("DESCRIBE src").fetchall()]
        con.execute(
            "CREATE TABLE months AS SELECT ?::DATE AS month, ?::BIGINT AS n, ?::INTEGER AS first_seq, "
            "'day' AS file_name, ?::DATE AS day0, 1 AS n_days",
            [day.replace(day=1), n, first_seq, day],
        )
        _build_plan(con, seed, n_src)
        record_sql = _record_sql(versions, src_columns).replace(", p.file_name", "")
        con.execute(f"COPY ({record_sql}) TO '{work / 'day.json'}' (FORMAT json)")
    finally:
        con.close()
    _gzip_pieces([work / "day.json"], work / "day.json.gz", GZIP_LEVEL)
    (work / "day.json.gz").rename(target)
    shutil.rmtree(work)
    return target


def _days_in_month(month: date) -> int:
    nxt = date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)
    return (nxt - month).days


def ensure_corpus(
    n: int, seed: int = DEFAULT_SEED, versions: bool = True, regenerate: bool = False, log=print
) -> tuple[Path, Manifest, bool]:
    """The corpus for N, generated unless a matching one exists. Returns (folder, manifest, generated_now)."""
    folder = corpus_dir(n)
    existing = Manifest.read(folder)
    if (
        not regenerate
        and existing
        and existing.n_records == n
        and existing.seed == seed
        and existing.versions == versions
        and existing.generator_version == GENERATOR_VERSION
    ):
        return folder, existing, False
    return folder, generate(n, folder, seed=seed, versions=versions, log=log), True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, required=True, help="records to generate")
    parser.add_argument("--out", type=Path, help="output folder (default bench/out/corpus-N)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--no-versions", action="store_true", help="omit the snapshot's `versions` field")
    parser.add_argument("--memory-limit", default="3GB")
    parser.add_argument(
        "--full-snapshot",
        action="store_true",
        help=f"write one uncompressed {FULL_SNAPSHOT_NAME} with all of its fields (arXiv's complete snapshot)",
    )
    parser.add_argument(
        "--non-ai-share", type=float, default=0.0, help="share of records moved to non-AI categories (0..1)"
    )
    args = parser.parse_args()
    generate(
        args.n,
        args.out,
        seed=args.seed,
        versions=not args.no_versions,
        memory_limit=args.memory_limit,
        full_snapshot=args.full_snapshot,
        non_ai_share=args.non_ai_share,
    )


if __name__ == "__main__":
    main()
