"""The snapshot loader: real records, crafted bad lines, upsert semantics, progress and summary."""

from __future__ import annotations

import gzip
import json
import shutil
import uuid
import zlib
from pathlib import Path

import duckdb
import pytest

from pipelines import warehouse as wh
from pipelines.ingest import RunRecord
from pipelines.lib.snapshot_sql import PARSE_CHUNK_SQL
from pipelines.snapshot import SnapshotError, list_snapshot_files, load_snapshot

BAD_LINES = Path(__file__).parent / "fixtures" / "snapshot" / "bad_lines.jsonl"


def _load(db: Path, path: Path, force: bool = False) -> tuple[RunRecord, list[str]]:
    logs: list[str] = []
    run = RunRecord(run_id=uuid.uuid4().hex, asset="test", source="arxiv_snapshot")
    with wh.transaction(db) as con:
        load_snapshot(con, path, run, log=logs.append, force=force)
        run.write(con, "success")
    return run, logs


def _rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = wh.connect(db, read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_real_slice_loads_every_record_once(tmp_path: Path, corpus_slice: Path) -> None:
    db = tmp_path / "w.duckdb"
    run, logs = _load(db, corpus_slice)
    assert run.n_read == 1200 and run.n_rejected == 0
    assert _rows(db, "SELECT count(*), count(DISTINCT arxiv_id) FROM papers") == [(1200, 1200)]
    # Authors were split in order and normalised; every paper has at least one.
    assert _rows(db, "SELECT count(*) FROM papers p ANTI JOIN paper_authors a USING (arxiv_id)") == [(0,)]
    assert _rows(db, "SELECT min(position) FROM paper_authors") == [(1,)]
    assert any("snapshot done" in line and "inserted 1,200" in line for line in logs)


def test_real_record_fields_match_the_source_line(tmp_path: Path, corpus_slice: Path) -> None:
    db = tmp_path / "w.duckdb"
    _load(db, corpus_slice)
    with gzip.open(corpus_slice / "arxiv-2026-03.jsonl.gz", "rt") as f:
        record = json.loads(f.readline())
    (title, primary, categories, authors, published, source) = _rows(
        db,
        "SELECT title, primary_category, categories, authors, published_date, date_source FROM papers "
        "WHERE arxiv_id = ?",
        [record["id"]],
    )[0]
    assert title == " ".join(record["title"].split())
    assert categories == record["categories"].split()
    assert primary == record["categories"].split()[0]
    assert authors[0] == record["authors"].split(", ")[0].strip()
    assert source in {"listing", "id_month"}
    assert published is not None


def _padded_with_good_records(tmp_path: Path, n_good: int) -> Path:
    """The bad-lines fixture followed by n_good valid records (ids 2509.*), as one file."""
    padded = tmp_path / BAD_LINES.name
    good = [json.dumps({"id": f"2509.{i:05d}", "title": f"Good {i}", "authors": "A B"}) for i in range(n_good)]
    padded.write_text(BAD_LINES.read_text().rstrip("\n") + "\n" + "\n".join(good) + "\n")
    return padded


def test_bad_lines_are_rejected_with_reason_and_line_and_the_rest_loads(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    run, _ = _load(db, _padded_with_good_records(tmp_path, 200))  # 9 of 211 lines rejected: 4.3%, under 5%
    reasons = dict(_rows(db, "SELECT location, reason FROM rejected_records"))
    name = BAD_LINES.name
    assert reasons[f"{name}:2"] == "malformed JSON"
    assert reasons[f"{name}:3"] == "missing id"
    assert reasons[f"{name}:4"] == "missing title"
    assert reasons[f"{name}:5"].startswith("unparsable update_date")
    assert reasons[f"{name}:6"].startswith("id is not a string")
    assert reasons[f"{name}:7"].startswith("title is not a string")
    assert reasons[f"{name}:8"] == "not a JSON object"
    assert reasons[f"{name}:10"].startswith("authors is not a string")
    assert reasons[f"{name}:12"].startswith("unparsable versions[0].created")
    assert f"{name}:9" not in reasons  # a blank line is not a record
    assert run.n_rejected == 9
    loaded = sorted(r[0] for r in _rows(db, "SELECT arxiv_id FROM papers WHERE arxiv_id NOT LIKE '2509.%'"))
    assert loaded == ["2501.00001", "hep-th/9901001"]
    raw = _rows(db, "SELECT raw FROM rejected_records WHERE location = ?", [f"{name}:2"])[0][0]
    assert raw.startswith('{"id": "2501.00002"')


def test_a_file_with_over_5_percent_rejected_is_refused_whole(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    run, logs = _load(db, _padded_with_good_records(tmp_path, 100))  # 9 of 111 lines rejected: 8.1%
    assert run.n_rejected == 9
    assert _rows(db, "SELECT count(*) FROM papers") == [(0,)]
    assert _rows(db, "SELECT count(*) FROM rejected_records") == [(9,)]  # the reasons are kept all the same
    assert _rows(db, "SELECT refused, n_lines, n_rejected FROM snapshot_files") == [(True, 111, 9)]
    assert any("bad_lines.jsonl refused: 9 of 111 lines rejected" in line for line in logs)


def _parse(lines: list[str]) -> dict[int, tuple]:
    """PARSE_CHUNK_SQL over `lines`: line number -> (reason, arxiv_id, title, abstract, journal_ref, version)."""
    con = duckdb.connect()
    try:
        con.execute(
            "CREATE TEMP TABLE _chunk (source_file VARCHAR, line_no BIGINT, raw VARCHAR, encoding_error VARCHAR)"
        )
        con.executemany(
            "INSERT INTO _chunk VALUES ('t.jsonl', ?, ?, NULL)", [[i + 1, line] for i, line in enumerate(lines)]
        )
        rows = con.execute(
            f"SELECT line_no, reject_reason, arxiv_id, title, abstract, journal_ref, latest_version "
            f"FROM ({PARSE_CHUNK_SQL})"
        ).fetchall()
    finally:
        con.close()
    return {r[0]: r[1:] for r in rows}


def test_parse_edge_cases_of_the_json() -> None:
    long_abstract = "word " * 40_000 + "end."
    parsed = _parse(
        [
            '{"id": "2501.00001", "id": 5, "title": "First key wins", "title": ["x"]}',
            '{"id": null, "id": "2501.00002", "title": "T"}',  # the first id is null
            '{"ID": "2501.00003", "title": "T"}',  # keys are case-sensitive
            '"a string"',
            "[1, 2]",
            "null",
            '{"id": "2501.00007", "title": "T"} trailing',
            "\u00a0 \u3000",  # only (Unicode) spaces: not a record
            '{"id": "2501.00009", "title": "caf\\u00e9 \\ud83d\\ude00", "journal-ref": "J. \\u00c9 1", "doi": null}',
            '{"id": "2501.00010", "title": "T", "abstract": "  Leading spaces."}',
            '{"id": "2501.00011", "title": "T", "abstract": "Trailing spaces.\\u00a0 \\u3000"}',
            '{"id": "2501.00012", "title": "T", "abstract": "Ends in a newline.\\n"}',
            '{"id": "2501.00013", "title": "T", "abstract": " \\u2003 "}',
            '{"id": "2501.00014", "title": "T", "abstract": "' + long_abstract + '"}',
            '{"id": "2501.00015", "title": "T", "authors": {"a": 1}}',
            '{"id": "2501.00016", "title": "T", "versions": {"0": {"created": "Fri, 1 Jan 1999 10:00:00 GMT"}}}',
            '{"id": "2501.00017", "title": "T", "versions": [{"created": 123}]}',
            '{"id": "2501.00018v3", "title": "T", "versions": []}',
        ]
    )
    assert parsed[1] == (None, "2501.00001", "First key wins", None, None, None)
    assert parsed[2][0] == "missing id"
    assert parsed[3][0] == "missing id"
    assert [parsed[n][0] for n in (4, 5, 6)] == ["not a JSON object"] * 3
    assert parsed[7][0] == "malformed JSON"
    assert 8 not in parsed
    assert parsed[9] == (None, "2501.00009", "caf\u00e9 \U0001f600", None, "J. \u00c9 1", None)
    assert [parsed[n][3] for n in (10, 11, 12, 13)] == [
        "Leading spaces.",
        "Trailing spaces.",
        "Ends in a newline.\n",
        None,
    ]
    assert parsed[14][3] == long_abstract
    assert parsed[15][0] == "authors is not a string (OBJECT)"
    assert parsed[16][0] == "versions is not a list"
    assert parsed[17][0] == "unparsable versions[0].created 123"
    assert parsed[18] == (None, "2501.00018", "T", None, None, 3)


def test_snapshot_fields_versions_affiliations_and_old_ids(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _load(db, _padded_with_good_records(tmp_path, 200))
    row = _rows(
        db,
        "SELECT published_date::VARCHAR, date_source, updated_date::VARCHAR, latest_version, doi, journal_ref "
        "FROM papers WHERE arxiv_id = 'hep-th/9901001'",
    )[0]
    assert row == ("1999-01-01", "v1", "2008-11-13", 2, "10.1000/x", "Nucl. Phys. B 1 (1999)")
    authors = _rows(
        db,
        "SELECT position, name, name_normalized, affiliation FROM paper_authors WHERE arxiv_id = 'hep-th/9901001' "
        "ORDER BY position",
    )
    assert authors == [(1, "E. Witten", "e witten", "IAS, Princeton"), (2, "N. Seiberg", "n seiberg", None)]
    names = _rows(db, "SELECT list(name ORDER BY position) FROM paper_authors WHERE arxiv_id = '2501.00001'")[0][0]
    assert names == ["Ada Lovelace", "Alan Turing", "Grace Hopper"]


def test_rerun_skips_loaded_files_and_forced_reload_changes_nothing(tmp_path: Path, corpus_slice: Path) -> None:
    db = tmp_path / "w.duckdb"
    _load(db, corpus_slice)
    before = _rows(db, "SELECT count(*), max(ingested_at) FROM papers")
    again, _ = _load(db, corpus_slice)
    assert again.n_read == 0
    forced, _ = _load(db, corpus_slice, force=True)
    assert forced.n_read == 1200 and forced.counts.unchanged == 1200 and forced.counts.inserted == 0
    assert _rows(db, "SELECT count(*), max(ingested_at) FROM papers") == before
    assert _rows(db, "SELECT count(*) FROM paper_authors") == _rows(db, "SELECT sum(len(authors)) FROM papers")


def test_newer_version_replaces_and_older_is_ignored(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    base = {"id": "2502.00001", "authors": "A B", "categories": "cs.AI", "abstract": "x"}
    v1 = tmp_path / "v1.jsonl"
    v1.write_text(json.dumps({**base, "title": "First title", "update_date": "2025-02-03"}) + "\n")
    v2 = tmp_path / "v2.jsonl"
    v2.write_text(json.dumps({**base, "title": "Second title", "update_date": "2025-03-01"}) + "\n")
    _load(db, v1)
    run, _ = _load(db, v2)
    assert run.counts.updated == 1
    old, _ = _load(db, v1, force=True)
    assert old.counts.older == 1
    assert _rows(db, "SELECT title, updated_date::VARCHAR FROM papers") == [("Second title", "2025-03-01")]


def test_duplicate_ids_within_one_load_keep_the_latest(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    f = tmp_path / "dups.jsonl"
    rows = [
        {"id": "2502.00002v1", "title": "Old", "authors": "A", "categories": "cs.LG", "update_date": "2025-02-03"},
        {"id": "2502.00002v3", "title": "New", "authors": "A, B", "categories": "cs.LG", "update_date": "2025-02-20"},
    ]
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    _load(db, f)
    assert _rows(db, "SELECT arxiv_id, title, latest_version FROM papers") == [("2502.00002", "New", 3)]
    assert _rows(db, "SELECT count(*) FROM paper_authors") == [(2,)]


def test_missing_path_and_empty_folder_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="does not exist"):
        list_snapshot_files(tmp_path / "nope")
    with pytest.raises(SnapshotError, match=r"no \.jsonl"):
        list_snapshot_files(tmp_path)


def test_folder_reads_jsonl_and_the_full_snapshot_json_but_no_other_json(tmp_path: Path) -> None:
    for name in ("a.jsonl", "b.jsonl.gz", "arxiv-metadata-oai-snapshot.json", "manifest.json", "notes.txt"):
        (tmp_path / name).write_text("")
    assert [p.name for p in list_snapshot_files(tmp_path)] == [
        "a.jsonl",
        "arxiv-metadata-oai-snapshot.json",
        "b.jsonl.gz",
    ]
    # a file named directly is read whatever it is called (Kaggle's single file, uncompressed)
    assert list_snapshot_files(tmp_path / "arxiv-metadata-oai-snapshot.json") == [
        tmp_path / "arxiv-metadata-oai-snapshot.json"
    ]


def _whole_lines_before_the_damage(data: bytes) -> int:
    """How many whole lines a damaged gzip holds, counted with zlib directly (not with the loader's reader)."""
    inflater = zlib.decompressobj(31)
    try:
        text = inflater.decompress(data)
    except zlib.error:
        text = b""
    return text.count(b"\n")


def _file_rows(db: Path) -> dict[str, tuple]:
    rows = _rows(db, "SELECT file_name, n_lines, n_rejected, complete, error FROM snapshot_files ORDER BY loaded_at")
    return {r[0]: r[1:] for r in rows}


def test_truncated_gzip_loads_its_readable_lines_records_where_it_stops_and_is_retried_when_it_changes(
    tmp_path: Path, corpus_slice: Path
) -> None:
    db = tmp_path / "w.duckdb"
    folder = tmp_path / "snap"
    folder.mkdir()
    whole = (corpus_slice / "arxiv-2025-06.jsonl.gz").read_bytes()
    cut = whole[: len(whole) // 2]
    (folder / "a.jsonl.gz").write_bytes(cut)
    (folder / "b.jsonl").write_text(json.dumps({"id": "2503.00001", "title": "T", "authors": "A"}) + "\n")
    readable = _whole_lines_before_the_damage(cut)
    assert 0 < readable < 400

    run, logs = _load(db, folder)
    assert run.n_read == readable + 1
    assert _rows(db, "SELECT count(*) FROM papers WHERE arxiv_id = '2503.00001'") == [(1,)]
    assert _rows(db, "SELECT count(*) FROM papers")[0][0] == readable + 1
    rejected = _rows(db, "SELECT location, reason FROM rejected_records")
    assert len(rejected) == 1
    assert rejected[0][0] == f"a.jsonl.gz:{readable + 1}"
    assert "truncated" in rejected[0][1]
    assert _file_rows(db)["a.jsonl.gz"][2:] == (
        False,
        f"line {readable + 1}: truncated: the gzip stream ends before its end marker",
    )
    assert any(f"a.jsonl.gz ends early at line {readable + 1:,}" in line for line in logs)

    again, _ = _load(db, folder)
    assert again.n_read == 0  # same content: not read again

    (folder / "a.jsonl.gz").write_bytes(whole)  # the download completed
    fixed, _ = _load(db, folder)
    assert fixed.n_read == 400 and fixed.counts.inserted == 400 - readable and fixed.n_rejected == 0
    assert _rows(
        db,
        "SELECT complete FROM snapshot_files WHERE file_name = 'a.jsonl.gz' AND seen_in_load = "
        "(SELECT max(seen_in_load) FROM snapshot_files)",
    ) == [(True,)]


def _records(ids: range, prefix: str = "2504") -> bytes:
    return "".join(
        json.dumps({"id": f"{prefix}.{i:05d}", "title": f"T{i}", "authors": "A"}) + "\n" for i in ids
    ).encode()


def test_corrupt_gzip_data_loads_the_lines_before_it_and_the_other_files(tmp_path: Path, corpus_slice: Path) -> None:
    db = tmp_path / "w.duckdb"
    folder = tmp_path / "snap"
    folder.mkdir()
    second = bytearray(gzip.compress(_records(range(200, 400))))
    second[0] = 0x00  # the second member's header is damaged: zlib says "incorrect header check"
    (folder / "a.jsonl.gz").write_bytes(gzip.compress(_records(range(200))) + bytes(second))
    shutil.copyfile(corpus_slice / "arxiv-2025-11.jsonl.gz", folder / "b.jsonl.gz")
    run, _ = _load(db, folder)
    files = _file_rows(db)
    assert files["b.jsonl.gz"] == (400, 0, True, None)
    assert files["a.jsonl.gz"][:3] == (200, 1, False)
    assert "corrupt gzip data" in files["a.jsonl.gz"][3] and files["a.jsonl.gz"][3].startswith("line 201: ")
    assert _rows(db, "SELECT count(*) FROM papers WHERE arxiv_id LIKE '2504.%'") == [(200,)]
    assert run.n_read == 600


def test_a_gzip_whose_checksum_fails_is_refused_whole(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    packed = bytearray(gzip.compress(_records(range(300)), compresslevel=0))  # stored blocks: a flip stays silent
    packed[len(packed) // 2] ^= 0x01  # one bit of one record: inflates fine, fails the CRC at the end
    (tmp_path / "a.jsonl.gz").write_bytes(bytes(packed))
    _, logs = _load(db, tmp_path)
    assert _rows(db, "SELECT count(*) FROM papers") == [(0,)]
    refused, complete, error = _rows(db, "SELECT refused, complete, error FROM snapshot_files")[0]
    assert refused and not complete and "checksum mismatch" in error
    assert any("a.jsonl.gz refused" in line for line in logs)


def test_zero_padding_after_the_gzip_stream_is_accepted(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(_records(range(50))) + b"\0" * 4096)
    run, _ = _load(db, tmp_path)
    assert (run.n_read, run.n_rejected) == (50, 0)
    assert _rows(db, "SELECT complete, error FROM snapshot_files") == [(True, None)]


def test_windows_line_ends_and_a_bom_on_a_later_member_are_not_rejects(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    crlf = _records(range(3)).replace(b"\n", b"\r\n") + b"\r\n"  # and a blank CRLF line
    bom_member = b"\xef\xbb\xbf" + _records(range(3, 6))
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(crlf) + gzip.compress(bom_member))
    run, _ = _load(db, tmp_path)
    assert (run.n_read, run.n_rejected) == (6, 0)
    assert _rows(db, "SELECT count(*) FROM papers") == [(6,)]


def test_a_byte_order_mark_does_not_cost_the_first_record(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    records = [{"id": f"2503.0000{i}", "title": f"T{i}", "authors": "A"} for i in (1, 2)]
    text = "\ufeff" + "\n".join(json.dumps(r) for r in records) + "\n"
    (tmp_path / "plain.jsonl").write_text(text, encoding="utf-8")
    with gzip.open(tmp_path / "packed.jsonl.gz", "wt", encoding="utf-8") as out:
        out.write(text.replace("2503.0000", "2503.1000"))
    run, _ = _load(db, tmp_path)
    assert run.n_rejected == 0
    assert _rows(db, "SELECT count(*) FROM papers") == [(4,)]


def test_lines_that_are_not_utf8_are_rejected_with_the_reason_and_line(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    good = json.dumps({"id": "2503.00001", "title": "Fine", "authors": "A"}).encode()
    latin1 = '{"id": "2503.00002", "title": "Caf\u00e9 society", "authors": "A"}'.encode("latin-1")
    padding = _records(range(40), "2505")  # so one bad line of 43 stays under the 5% that refuses a file
    lines = good + b"\n" + latin1 + b"\n" + good.replace(b"00001", b"00003") + b"\n" + padding
    (tmp_path / "mixed.jsonl").write_bytes(lines)
    run, _ = _load(db, tmp_path)
    assert run.n_rejected == 1
    location, reason, raw = _rows(db, "SELECT location, reason, raw FROM rejected_records")[0]
    assert location == "mixed.jsonl:2"
    assert reason == f"not UTF-8: byte 0xe9 at column {latin1.index(0xE9) + 1}"
    assert "Caf\ufffd society" in raw
    assert _rows(db, "SELECT arxiv_id FROM papers WHERE arxiv_id LIKE '2503.%' ORDER BY 1") == [
        ("2503.00001",),
        ("2503.00003",),
    ]


def test_equal_dates_and_versions_go_to_the_later_line_by_number(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    lines = [""] * 1002
    for line_no in (999, 1000):
        lines[line_no - 1] = json.dumps(
            {"id": "2503.00001", "title": f"line {line_no}", "authors": "A", "update_date": "2025-03-02"}
        )
    for line_no in (1001, 1002):
        lines[line_no - 1] = json.dumps(
            {"id": "2503.00002", "title": f"line {line_no}", "authors": "A", "update_date": "2025-03-02"}
        )
    (tmp_path / "ties.jsonl").write_text("\n".join(lines) + "\n")
    _load(db, tmp_path)
    assert _rows(db, "SELECT arxiv_id, title FROM papers ORDER BY 1") == [
        ("2503.00001", "line 1000"),
        ("2503.00002", "line 1002"),
    ]


def test_the_same_corpus_at_a_new_path_is_not_read_again(tmp_path: Path, corpus_slice: Path) -> None:
    db = tmp_path / "w.duckdb"
    _load(db, corpus_slice)
    moved = tmp_path / "moved"
    moved.mkdir()
    for file in corpus_slice.iterdir():
        shutil.copyfile(file, moved / file.name)  # new path, new mtime, same content
    again, logs = _load(db, moved)
    assert again.n_read == 0
    assert "3 files, 0 not loaded before" in logs[0]
    assert _rows(db, "SELECT count(*) FROM snapshot_files") == [(3,)]
