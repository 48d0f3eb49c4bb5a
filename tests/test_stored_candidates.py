"""A since-last run reuses the last run's candidates for entries whose matched columns did not
change (an end, a corrected court), and finds exactly what a full run finds."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import blacklist_match.batch as batch
from blacklist_match.batch import RunResult, record_batch_run, report_and_record, run_batch
from blacklist_match.match.identity import matching_fingerprint
from blacklist_match.rules import RulePack, shipped_rules_dir
from blacklist_match.store import Store
from blacklist_match.store_schema import SCHEMA_VERSION
from blacklist_match.stored_candidates import WATERMARK_KEY, stored_watermark
from blacklist_match.synth import build_scenario

REPORTED = ["record_id", "entry_id", "rule_id", "status", "court", "explanation"]


@pytest.fixture
def matching_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times each run matched records (``find_candidates`` calls), run by run."""
    calls: list[int] = []
    original = batch.find_candidates

    def counted(*args: Any, **kwargs: Any) -> pl.DataFrame:
        if calls:  # a run through _run
            calls[-1] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(batch, "find_candidates", counted)
    return calls


def _trusted(store: Store) -> int | None:
    """The watermark of the run whose candidates the store trusts (None: none)."""
    return stored_watermark(store.con, matching_fingerprint())


def _run(store: Store, calls: list[int], **options: Any) -> RunResult:
    calls.append(0)
    return run_batch(store, RulePack.load(), **options)


def _reported(result: RunResult, entries: set[str]) -> pl.DataFrame:
    """The flags on ``entries``: who, which entry and rule, status, court and explanation."""
    return result.flags.filter(pl.col("entry_id").is_in(entries)).select(REPORTED).sort(REPORTED)


def _screened_store(tmp_path: Path, seed: int = 3) -> tuple[Store, dict[str, Path], RunResult]:
    """A scenario loaded (list, registry, records) and screened, that run recorded."""
    files = build_scenario(listed_persons=150, listed_companies=60, records=700, seed=seed).write(
        tmp_path / "data"
    )
    store = Store.open(tmp_path / "s.duckdb")
    store.ingest_list(files["list"])
    store.ingest_officers(files["officers"])
    store.ingest_records(files["records"])
    initial = run_batch(store, RulePack.load())
    record_batch_run(store, initial, tmp_path / "r0")
    return store, files, initial


def _changed_since(store: Store, watermark: int) -> set[str]:
    return {
        row[0]
        for row in store.con.execute(
            "SELECT entry_id FROM list_entries WHERE screen_load_id > ?", [watermark]
        ).fetchall()
    }


def _corrected_courts(files: dict[str, Path], tmp_path: Path, every: int = 4) -> Path:
    listed = pl.read_csv(files["list"], infer_schema=False)
    corrected = listed.gather_every(every).with_columns(
        (pl.col("执行法院") + "执行局").alias("执行法院")
    )
    path = tmp_path / "list_corrected.csv"
    corrected.write_csv(path)
    return path


def test_removals_and_corrected_courts_reuse_the_stored_pairs(
    tmp_path: Path, matching_runs: list[int]
) -> None:
    """Removal notices and courts corrected in one night: no record is matched again, and
    the since-last run reports on those entries exactly what a full run reports, the
    retractions and the corrected courts included."""
    store, files, initial = _screened_store(tmp_path)
    with store:
        assert _trusted(store) == initial.watermark
        store.ingest_removals(files["removals"])
        store.ingest_list(_corrected_courts(files, tmp_path))
        changed = _changed_since(store, initial.watermark)
        since = _run(store, matching_runs, since_last=True)
        full = _run(store, matching_runs)
    assert matching_runs == [0, 1]  # the since-last run read the stored pairs
    expected = _reported(full, changed)
    assert expected.filter(pl.col("status") == "retracted").height > 0
    assert expected["court"].str.ends_with("执行局").any()
    assert _reported(since, changed).equals(expected)
    assert 0 < since.records_screened < full.records_screened


def test_an_end_that_goes_matches_the_entry_again(tmp_path: Path, matching_runs: list[int]) -> None:
    """An entry ended by its absence from a snapshot, then back in the next: the end
    retracts the flags of records after it (stored pairs), and the return, which may pair
    the entry with records it did not pair with, matches its records again."""
    store, files, initial = _screened_store(tmp_path)
    listed = pl.read_csv(files["list"], infer_schema=False)
    with store:
        store.con.register("initial_flags", initial.flags.select("entry_id", "record_id"))
        flagged = store.con.sql(  # flagged entries with a flagged record after their start
            "SELECT e.entry_id, e.case_no, e.listed_from FROM list_entries e "
            "JOIN initial_flags f USING (entry_id) JOIN records r USING (record_id) "
            "GROUP BY ALL HAVING max(r.event_date) > e.listed_from + INTERVAL 1 DAY "
            "ORDER BY e.listed_from LIMIT 5"
        ).pl()
        assert flagged.height == 5
        snapshot_day: date = flagged["listed_from"].max() + timedelta(days=1)  # type: ignore[operator]
        absent = listed.filter(~pl.col("案号").is_in(flagged["case_no"].implode()))
        snapshot = tmp_path / "snapshot.csv"
        absent.write_csv(snapshot)
        store.ingest_list(snapshot, snapshot=snapshot_day)
        ended = _run(store, matching_runs, since_last=True)
        record_batch_run(store, ended, tmp_path / "r1")
        store.ingest_list(files["list"], snapshot=date.today())
        back = _changed_since(store, ended.watermark)
        returned = _run(store, matching_runs, since_last=True)
        full = _run(store, matching_runs)
    entries = set(flagged["entry_id"])
    assert back == entries
    assert ended.flags.filter(pl.col("status") == "retracted").height > 0
    assert matching_runs[0] == 0 and matching_runs[1] > 0
    expected = _reported(full, entries)
    assert expected.filter(pl.col("status") == "new").height > 0
    assert _reported(returned, entries).equals(expected)


def test_a_reloaded_record_of_a_corrected_entry_is_matched_again(
    tmp_path: Path, matching_runs: list[int]
) -> None:
    """Records loaded again with new content on the night their entries' courts were
    corrected: their stored pairs are stale (they are screened against the whole list),
    the others' are reused, and the report is a full run's."""
    store, files, initial = _screened_store(tmp_path)
    flagged = set(initial.flags["record_id"].head(30))
    records = pl.read_csv(files["records"], infer_schema=False)
    reloaded = tmp_path / "records_changed.csv"
    records.filter(pl.col("record_id").is_in(flagged)).with_columns(
        pl.lit("2030-01-01").alias("event_date")
    ).write_csv(reloaded)
    with store:
        store.ingest_list(_corrected_courts(files, tmp_path, every=2))
        store.ingest_records(reloaded)
        changed = _changed_since(store, initial.watermark)
        since = _run(store, matching_runs, since_last=True)
        full = _run(store, matching_runs)
    expected = full.flags.filter(
        pl.col("entry_id").is_in(changed) | pl.col("record_id").is_in(flagged)
    )
    assert set(expected["record_id"]) & flagged
    assert (
        since.flags.select(REPORTED).sort(REPORTED).equals(expected.select(REPORTED).sort(REPORTED))
    )


def test_a_run_as_of_a_date_leaves_no_stored_pairs_to_trust(
    tmp_path: Path, matching_runs: list[int]
) -> None:
    """A run as of a past date keeps other candidates than today's: once it is recorded,
    the next since-last run matches the changed entries' records again, agrees with a full
    run, and does not make the stored candidates trusted again (it only updates what
    changed); the next full run does."""
    store, files, _initial = _screened_store(tmp_path)
    with store:
        past = _run(store, matching_runs, as_of=date(2024, 1, 1))
        record_batch_run(store, past, tmp_path / "r1")
        assert _trusted(store) is None
        store.ingest_list(_corrected_courts(files, tmp_path))
        changed = _changed_since(store, past.watermark)
        since = _run(store, matching_runs, since_last=True)
        full = _run(store, matching_runs)
        record_batch_run(store, since, tmp_path / "r2")
        still_untrusted = _trusted(store) is None  # a delta on a stale base
        record_batch_run(store, full, tmp_path / "r3")
        trusted_again = _trusted(store) == full.watermark
    assert matching_runs[1] > 0
    assert _reported(since, changed).equals(_reported(full, changed))
    assert still_untrusted and trusted_again


def test_an_entry_without_match_load_id_is_matched_again(
    tmp_path: Path, matching_runs: list[int]
) -> None:
    """An entry whose ``match_load_id`` is unknown (NULL: written by a build that did not
    keep it) counts as a matched change: its records are found and matched again."""
    store, files, initial = _screened_store(tmp_path)
    with store:
        store.ingest_list(_corrected_courts(files, tmp_path))
        store.con.execute(
            "UPDATE list_entries SET match_load_id = NULL WHERE screen_load_id > ?",
            [initial.watermark],
        )
        changed = _changed_since(store, initial.watermark)
        since = _run(store, matching_runs, since_last=True)
        full = _run(store, matching_runs)
    assert matching_runs[0] > 0
    assert _reported(since, changed).equals(_reported(full, changed))


def test_candidates_kept_by_other_matching_or_before_an_older_build_wrote_are_not_trusted(
    tmp_path: Path,
) -> None:
    """The stored candidates are trusted only with the fingerprint of this matching, and
    not after an older build opened the store for writing (it sets its own schema version,
    and may have changed entries without keeping ``match_load_id``)."""
    store, _files, initial = _screened_store(tmp_path)
    db = store.path
    with store:
        assert _trusted(store) == initial.watermark
        store.con.execute(
            "UPDATE meta SET value = ? WHERE key = ?",
            [f"{initial.watermark}:another-matching", WATERMARK_KEY],
        )
        assert _trusted(store) is None
        record_batch_run(store, run_batch(store, RulePack.load()), tmp_path / "r1")
        assert _trusted(store) == initial.watermark
        store.con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    with Store.open(db) as reopened:
        assert _trusted(reopened) is None
        version = reopened.con.execute(
            "SELECT value FROM meta WHERE key = 'schema_version'"
        ).fetchall()
    assert version == [(str(SCHEMA_VERSION),)]


def test_a_since_last_run_after_the_rules_changed_screens_every_record(tmp_path: Path) -> None:
    """Flags on records that did not change were decided by the last run's rules: when the
    rules changed (the run's manifest keeps their hash), ``--since-last`` screens
    everything; with the same rules it screens what changed."""
    files = build_scenario(listed_persons=40, listed_companies=10, records=200, seed=4).write(
        tmp_path / "data"
    )
    stricter = tmp_path / "rules"
    stricter.mkdir()
    text = (shipped_rules_dir() / "high_consumption.yaml").read_text(encoding="utf-8")
    (stricter / "high_consumption.yaml").write_text(
        text.replace("min_tier: name_only", "min_tier: masked_id_name"), encoding="utf-8"
    )
    with Store.open(tmp_path / "r.duckdb") as store:
        store.ingest_list(files["list"])
        store.ingest_records(files["records"])
        first = run_batch(store, RulePack.load())
        report_and_record(store, first, tmp_path / "r0" / "flags.parquet", options={})
        same = run_batch(store, RulePack.load(), since_last=True)
        changed = run_batch(store, RulePack.load(stricter), since_last=True)
    assert same.mode == "since_last" and same.records_screened == 0
    assert changed.mode == "full" and changed.records_screened == first.records_screened
